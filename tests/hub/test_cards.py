"""Model-card section, badges and model-index results."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from huggingface_hub import ModelCard, metadata_load

from metacompress_eval.cli import main
from metacompress_eval.hub import cards
from tests.hub.conftest import read_report

EXISTING = """---
license: apache-2.0
language:
- code
# a comment that must survive
tags:
- distillation
model-index:
- name: my-student
  results:
  - task:
      type: text-classification
    dataset:
      name: Devign
      type: devign
    metrics:
    - type: accuracy
      value: 0.61
      name: Accuracy
---

# My student

Intro text that must stay.

## Training

Details that must stay too.
"""


def test_card_update_in_place_replaces_not_duplicates(report_dir, tmp_path, capsys):
    card = tmp_path / "README.md"
    card.write_text(EXISTING)
    assert main(["card", "--report", str(report_dir), "--card", str(card)]) == 0
    first = card.read_text()
    assert first.count(cards.BEGIN) == 1 and first.count(cards.END) == 1
    assert "## Behavioural fidelity (MetaCompress)" in first
    # the body before the section is unchanged, byte for byte; so are the other YAML lines
    body_before = EXISTING.split("---\n", 2)[2]
    assert first.split("---\n", 2)[2].startswith(body_before.rstrip("\n"))
    for line in EXISTING.split("---\n")[1].splitlines()[:6]:
        assert line in first

    # local data: no invented dataset id, so no MetaCompress results yet; the card's own are kept
    assert [m["type"] for r in metadata_load(card)["model-index"][0]["results"] for m in r["metrics"]] == ["accuracy"]

    # second run (e.g. a new report): still one section, still one set of MetaCompress results
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--report-url",
                 "https://example.org/report.md", "--dataset-id", "alice/c-follow-ups"]) == 0
    second = card.read_text()
    assert second.count(cards.BEGIN) == 1 and second.count("Behavioural fidelity") == 1
    assert "https://example.org/report.md" in second
    meta = metadata_load(card)
    assert meta["license"] == "apache-2.0" and meta["tags"] == ["distillation"]
    metrics = meta["model-index"][0]["results"]
    types = [m["type"] for r in metrics for m in r["metrics"]]
    assert "accuracy" in types  # the card's own result is kept
    assert types.count("metacompress_prediction_agreement_violation_rate") == 1
    assert "updated" in capsys.readouterr().out


def test_model_index_round_trips_through_huggingface_hub(report_dir, tmp_path):
    card_path = tmp_path / "card" / "README.md"  # absent: created from the template
    cards.update_card(report_dir, card_path, dataset_id="alice/c-follow-ups", dataset_config="all")
    report = read_report(report_dir)
    card = ModelCard.load(card_path)
    results = {r.metric_type: r for r in card.data.eval_results}
    pa = report["analysis"]["relations"]["overall"]["prediction_agreement"]["rate"]
    assert results["metacompress_prediction_agreement_violation_rate"].metric_value == pytest.approx(pa, abs=1e-6)
    assert results["metacompress_student_flip_rate"].source_name == "MetaCompress Eval"
    assert card.data.model_name == "student"
    assert {(r.dataset_type, r.dataset_config) for r in card.data.eval_results} == {("alice/c-follow-ups", "all")}
    # saving through huggingface_hub and loading again keeps the results
    card.save(tmp_path / "again.md")
    again = ModelCard.load(tmp_path / "again.md")
    assert [r.metric_value for r in again.data.eval_results] == [r.metric_value for r in card.data.eval_results]


def test_card_shows_top1_agreement_and_kl(report_dir, tmp_path):
    result = cards.update_card(report_dir, tmp_path / "README.md", dataset_id="alice/c-follow-ups")
    text = result.card.read_text()
    fid = read_report(report_dir)["analysis"]["fidelity"]
    row = next(line for line in text.splitlines() if line.startswith("| mean KL(teacher ‖ student), bits |"))
    assert f"{fid['overall']['kl_bits']['mean']:.4f}" in row
    assert f"{fid['follow_ups']['kl_bits']['macro']['mean']:.4f}" in row
    agreement = next(line for line in text.splitlines() if line.startswith("| top-1 agreement |"))
    assert f"{fid['follow_ups']['top1_agreement']['macro']['n_sources']} sources" in agreement
    assert "High Confidence Converse (HCC)" in text
    results = {r.metric_type: r for r in ModelCard.load(result.card).data.eval_results}
    assert results["metacompress_top1_agreement"].metric_value == pytest.approx(
        fid["overall"]["top1_agreement"]["rate"], abs=1e-6)
    assert results["metacompress_mean_kl_bits"].metric_value == pytest.approx(fid["overall"]["kl_bits"]["mean"],
                                                                             abs=1e-6)


def test_badges_are_local_svg_files(report_dir, tmp_path):
    result = cards.update_card(report_dir, tmp_path / "README.md")
    names = {p.name for p in result.badges}
    assert {"agreement.svg", "student-flip-rate.svg", "confidence-preserved.svg"} <= names
    for path in result.badges:
        root = ET.fromstring(path.read_text())
        assert root.tag.endswith("svg")
    text = (tmp_path / "README.md").read_text()
    assert "](metacompress-badges/agreement.svg)" in text
    assert "shields.io" not in text and "http" not in "".join(p.read_text() for p in result.badges).replace(
        "http://www.w3.org/2000/svg", "")


def test_attack_gap_when_the_report_has_attacks(report_dir, tmp_path):
    report = read_report(report_dir)
    report["attacks"] = {"rename_search": {"teacher": {"rate": 0.10}, "student": {"rate": 0.25}}}
    folder = tmp_path / "rep"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(report))
    result = cards.update_card(folder, tmp_path / "README.md", dataset_id="alice/c-follow-ups")
    text = (tmp_path / "README.md").read_text()
    assert "| rename_search | 10.0% | 25.0% | +15.0 pt |" in text
    assert any(p.name == "attack-gap.svg" for p in result.badges)
    types = [r.metric_type for r in ModelCard.load(tmp_path / "README.md").data.eval_results]
    assert "metacompress_attack_gap_rename_search" in types


def test_card_errors_are_one_line(tmp_path, capsys):
    assert main(["card", "--report", str(tmp_path / "nope"), "--card", str(tmp_path / "README.md")]) == 2
    assert "no report.json" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# model-index datasets: a Hub id from the data or the user, never one made up from a file name
# --------------------------------------------------------------------------------------------

# (report "data" section, --dataset-id, expected dataset.type or None for "no model-index results")
DATA_CASES = [
    ({"path": "test.jsonl", "format": "jsonl", "split": None}, None, None),
    ({"path": "../shared/data/bigclonebench/pairs.jsonl", "format": "jsonl", "where": {"split": "test"}}, None, None),
    ({"path": "/home/alice/data/devign.parquet", "format": "parquet"}, None, None),
    ({"path": "C:\\Users\\bob\\juliet\\functions.csv", "format": "csv"}, None, None),
    # a save_to_disk folder whose relative path has the shape of a Hub id is still local
    ({"path": "data/devign", "format": "save_to_disk", "split": "test"}, None, None),
    ({"path": "code_x_glue_cc_defect_detection", "format": "hub", "split": "test"}, None,
     "code_x_glue_cc_defect_detection"),
    ({"path": "google/code_x_glue_cc_clone_detection_big_clone_bench", "format": "hub", "split": "test"}, None,
     "google/code_x_glue_cc_clone_detection_big_clone_bench"),
    ({"path": "/home/alice/data/test.jsonl", "format": "jsonl"}, "alice/c-follow-ups", "alice/c-follow-ups"),
    ({"path": "org/set", "format": "hub"}, "alice/other", "alice/other"),
]


@pytest.mark.parametrize("data, dataset_id, expected", DATA_CASES)
def test_model_index_dataset_is_never_invented(report_dir, tmp_path, data, dataset_id, expected):
    """Validated the way the Hub reads it: huggingface_hub's model-index parsing of the written card."""
    from huggingface_hub.repocard_data import model_index_to_eval_results

    report = read_report(report_dir)
    report["data"] = {**data, "n_sources": 12}
    folder = tmp_path / "rep"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(report))
    card_path = tmp_path / "README.md"
    cards.update_card(folder, card_path, dataset_id=dataset_id)
    meta = metadata_load(card_path) or {}
    if expected is None:
        assert "model-index" not in meta
        return
    _, results = model_index_to_eval_results(meta["model-index"])
    assert results and {r.dataset_type for r in results} == {expected}
    split = data.get("split") or (data.get("where") or {}).get("split")
    assert {r.dataset_split for r in results} == {split}
    assert all(r.source_name == "MetaCompress Eval" and r.source_url.startswith("https://") for r in results)
    stem = data["path"].replace("\\", "/").rsplit("/", 1)[-1].split(".")[0]
    if expected != data["path"]:
        assert all(stem not in r.dataset_type for r in results)


def test_local_data_drops_stale_results_and_keeps_others(report_dir, tmp_path):
    """A card whose earlier MetaCompress results named a dataset loses them on a report over local data."""
    card = tmp_path / "README.md"
    card.write_text(EXISTING)
    cards.update_card(report_dir, card, dataset_id="alice/c-follow-ups")
    assert any(m["type"].startswith("metacompress_") for r in metadata_load(card)["model-index"][0]["results"]
               for m in r["metrics"])
    cards.update_card(report_dir, card)
    types = [m["type"] for r in metadata_load(card)["model-index"][0]["results"] for m in r["metrics"]]
    assert types == ["accuracy"]


def test_dataset_id_must_be_a_hub_id(report_dir, tmp_path, capsys):
    assert main(["card", "--report", str(report_dir), "--card", str(tmp_path / "README.md"),
                 "--dataset-id", "/home/alice/data.jsonl"]) == 2
    err = capsys.readouterr().err
    assert "not a Hub dataset id" in err and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------
# No machine paths in the card
# --------------------------------------------------------------------------------------------

PATH_CASES = [
    ("/home/alice/runs/ev1/teacher", "/home/alice/runs/ev1/student-3mb/", "/data/devign/test.jsonl"),
    ("./models/teacher", "~/students/morph", "../shared/data/juliet-c/functions.jsonl"),
    ("C:\\models\\codebert-defect", "D:\\work\\student", "C:\\data\\test.parquet"),
]


@pytest.mark.parametrize("teacher, student, data", PATH_CASES)
def test_card_names_models_and_data_without_paths(report_dir, tmp_path, teacher, student, data):
    report = read_report(report_dir)
    for role, typed in (("teacher", teacher), ("student", student)):
        report["models"][role]["name_or_path"] = typed
        report["models"][role].pop("name", None)  # as a report written before names were recorded
    report["data"] = {"path": data, "format": data.rsplit(".", 1)[-1]}
    folder = tmp_path / "rep"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(report))
    cards.update_card(folder, tmp_path / "README.md")
    text = (tmp_path / "README.md").read_text()
    for typed in (teacher, student, data):
        assert typed not in text and typed.rstrip("/\\") not in text
        parent = typed.replace("\\", "/").rstrip("/").rsplit("/", 1)[0]
        assert parent not in text
    last = lambda p: p.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]  # noqa: E731
    assert f"**{last(teacher)}**" in text and f"`{last(student)}`" in text and last(data) in text


def test_hub_ids_stay_hub_ids(report_dir, tmp_path):
    report = read_report(report_dir)
    report["models"]["teacher"].update(name_or_path="microsoft/codebert-base", name="microsoft/codebert-base")
    folder = tmp_path / "rep"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(report))
    cards.update_card(folder, tmp_path / "README.md")
    assert "**microsoft/codebert-base**" in (tmp_path / "README.md").read_text()


def test_the_pipeline_records_public_names(report_dir, tiny_models):
    report = read_report(report_dir)
    assert report["models"]["teacher"]["name"] == tiny_models["teacher"].name
    assert report["models"]["student"]["name"] == tiny_models["student"].name
    assert report["data"]["name"] == "data.jsonl"


def test_dead_report_link_is_warned_about(report_dir, tmp_path, capsys):
    card = tmp_path / "model" / "README.md"
    assert main(["card", "--report", str(report_dir), "--card", str(card)]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "dead" in err and "--upload-report" in err
    # a report folder inside the card's folder can be uploaded with it: no warning
    inside = tmp_path / "model2"
    import shutil

    shutil.copytree(report_dir, inside / "report")
    assert main(["card", "--report", str(inside / "report"), "--card", str(inside / "README.md")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--upload-report"]) == 2
    assert "--push" in capsys.readouterr().err


def test_templates_come_from_the_top_level_cards_folder():
    from metacompress_eval.hub import templates

    repo_cards = Path(__file__).resolve().parents[2] / "cards"
    for name in ("fidelity_section.md", "attack_section.md", "model_card.md", "badge.svg"):
        assert templates.template_path(name).resolve() == (repo_cards / name).resolve()
    assert not (Path(templates.__file__).parent / "cards").exists(), "a second copy of the templates in the package"


def _opening(report: dict) -> str:
    section = cards.render_section(report, report_link="report/report.md")
    return next(line for line in section.splitlines() if line.startswith("This model was"))


def test_the_opening_says_what_the_student_was_compared_with(report_dir):
    """A full teacher, a teacher whose outputs cover some inputs (stored outputs), and no teacher at all."""
    report = read_report(report_dir)
    n = report["analysis"]["counts"]["sources"] + report["analysis"]["counts"]["follow_ups"]
    name = cards.report_model_name(report, "teacher")
    assert f"compared with its teacher **{name}**" in _opening(report) and "both models ran on" in _opening(report)

    partial = json.loads(json.dumps(report))
    partial["analysis"]["coverage"] = {
        "teacher": {"inputs": 7, "reason": "its outputs are stored outputs, looked up by id: follow-ups have none"},
        "both": {"inputs": 7}, "of": {"inputs": n}}
    text = _opening(partial)
    assert f"available for 7 of the {n} inputs (its outputs are stored outputs" in text
    assert "the student ran on" in text and "both models ran" not in text

    alone = json.loads(json.dumps(report))
    alone["models"]["teacher"] = {"name_or_path": None, "adapter": "none", "note": "no teacher was given"}
    section = cards.render_section(alone, report_link="report/report.md")
    assert "without a teacher" in _opening(alone) and "compared with" not in _opening(alone)
    assert "| teacher | none |" in section


@pytest.mark.parametrize("verified,rejected,unverified,expected", [
    (False, 0, 0, "no (follow-ups were re-parsed, not compiled)"),
    (True, 0, 0, "yes: follow-ups that add compiler errors are dropped (0 rejected)"),
    (True, 3, 2, "yes: follow-ups that add compiler errors are dropped (3 rejected, 2 could not be checked)"),
])
def test_the_settings_say_whether_follow_ups_were_verified(report_dir, verified, rejected, unverified, expected):
    report = read_report(report_dir)
    report["follow_ups"] = {**report.get("follow_ups", {}), "verified": verified}
    names = list(report["transformations"])
    for i, name in enumerate(names):  # the counts are summed over transformations
        report["transformations"][name].update(rejected=rejected if i == 0 else 0,
                                               unverified=unverified if i == len(names) - 1 else 0)
    section = cards.render_section(report, report_link="report/report.md")
    assert f"| follow-ups verified | {expected} |" in section


# --------------------------------------------------------------------------------------------
# Links and names from users reach the card as what they are: no script, no local path, no markup
# --------------------------------------------------------------------------------------------

REFUSED_LINKS = ["javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)", " javascript:void(0)",
                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd",
                 "file://localhost/home/alice/ev1/report.md", "/home/alice/runs/ev1/report.md",
                 "C:\\Users\\bob\\ev1\\report.md", "C:/Users/bob/ev1/report.md", "\\\\server\\share\\report.md",
                 "~/runs/ev1/report.md", "//evil.example/report.md", "../ev1/report.md", "a/../../x.md",
                 "http://", "https:///path-without-host", "ftp://example.org/report.md", "java\tscript:alert(1)",
                 "report.md\nhttps://x.org", "",
                 # encoded traversal (the existence check decodes, so every check must read the decoded form)
                 "%2e%2e/ev1/report.md", ".%2e/x", "a/%2e%2e/%2e%2e/x", "%2E%2e/x", "%252e%252e/x",
                 "a%2f..%2f..%2fx", "%2fetc/passwd", "..%5cx", "\uff0e\uff0e/x", "\u2025/x", "javascript%3aalert(1)",
                 # credentials would be published in the card link and the model-index source.url
                 "https://user:pass@example.com/r.md", "https://token@example.com/r.md",
                 "https://x.org%40evil.example/r.md", "https://x.org\\@evil.example/r.md"]


@pytest.mark.parametrize("url", REFUSED_LINKS)
def test_report_url_refuses_scripts_and_local_paths_in_one_line(report_dir, tmp_path, capsys, url):
    card = tmp_path / "README.md"
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--report-url", url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--report-url" in err and "Traceback" not in err
    assert not card.exists()  # refused before anything is written


def test_report_url_property_every_scheme_but_http_is_refused(report_dir, tmp_path):
    """Generated links: any scheme other than http(s), any absolute/home/drive/UNC path and any path leaving
    the card's folder is refused; http(s) URLs with a host are accepted and percent-encoded where Markdown
    would read them as syntax."""
    from hypothesis import given, settings, strategies as st
    from markdown_it import MarkdownIt

    from metacompress_eval.errors import MetaCompressError
    from metacompress_eval.markup import checked_link
    from urllib.parse import unquote

    tail = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="\x7f"), max_size=30)
    scheme = st.from_regex(r"[A-Za-z][A-Za-z0-9+.-]{1,9}", fullmatch=True).filter(
        lambda s: s.lower() not in ("http", "https"))
    local = st.sampled_from(["/", "\\", "~/", "~", "C:\\", "c:/", "\\\\host\\", "//", "../", "a/../../"])

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(scheme, local, tail, st.sampled_from(["http", "https", "HTTPS"]),
           st.from_regex(r"[a-z0-9]{1,10}(\.[a-z]{2,5}){1,2}", fullmatch=True))
    def check(other, prefix, rest, web, host):
        for bad in (f"{other}:{rest}", prefix + rest):
            with pytest.raises(MetaCompressError):
                checked_link(bad)
        if "\\" in rest or any(ord(c) < 32 or ord(c) == 127 for c in unquote(rest, errors="replace")):
            with pytest.raises(MetaCompressError):  # browsers read \\ as /; encoded control characters
                checked_link(f"{web}://{host}/{rest}")
            return
        good = checked_link(f"{web}://{host}/{rest}")
        assert good.lower().startswith(web.lower() + "://" + host)
        tokens = MarkdownIt("commonmark").parseInline(f"[full report]({good})")[0].children
        assert [t.type for t in tokens] == ["link_open", "text", "link_close"], good
        assert tokens[0].attrs["href"].lower().startswith(("http://", "https://"))

    check()


def test_report_url_encoded_traversal_is_refused_in_every_spelling():
    """Generated spellings of a ``..`` segment (any mix of literal, %2e/%2E, unicode dots), with literal or
    encoded slashes, at any depth that leaves the folder: all refused; the same spellings that stay inside
    the folder are accepted and published decoded (what the existence check and the Hub read agree)."""
    import random

    from metacompress_eval.errors import MetaCompressError
    from metacompress_eval.markup import checked_link

    rng = random.Random(16)
    dots = [".", "%2e", "%2E", "\uff0e", "\ufe52", "\u2024"]
    slashes = ["/", "%2f", "%2F", "\\", "%5c"]
    for _ in range(400):
        depth = rng.randint(0, 3)
        up = rng.randint(depth + 1, depth + 3)
        segments = ["d%d" % i for i in range(depth)] + ["".join(rng.choice(dots) for _ in range(2)) for _ in range(up)]
        link = "".join(seg + rng.choice(slashes) for seg in segments) + "report.md"
        if rng.random() < 0.3:  # a second layer of encoding
            link = link.replace("%", "%25", 1)
        with pytest.raises(MetaCompressError):
            checked_link(link, "--report-url")
    assert checked_link("a/%2e%2e/report.md") == "a/../report.md"  # stays inside: decoded once, then checked
    assert checked_link("a%2Fb/r.md") == "a/b/r.md"


def test_report_url_hosts_are_idna_encoded_and_credentials_refused(report_dir, tmp_path, capsys):
    from metacompress_eval.markup import checked_link

    assert checked_link("https://bücher.de/r.md") == "https://xn--bcher-kva.de/r.md"
    assert checked_link("https://\u0430pple.com/r.md").startswith("https://xn--")  # Cyrillic a: a lookalike shows
    assert checked_link("HTTPS://Example.COM:8443/a b.md") == "https://example.com:8443/a%20b.md"
    card = tmp_path / "README.md"
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--report-url", "https://bücher.de/r.md",
                 "--dataset-id", "org/data"]) == 0
    text = card.read_text()
    assert "https://xn--bcher-kva.de/r.md" in text and "%C3%BC" not in text and text.endswith("\n")
    for url in ("https://user:pass@example.com/r.md", "http://alice@example.com/r.md"):
        assert main(["card", "--report", str(report_dir), "--card", str(tmp_path / "c2.md"), "--report-url", url]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "credentials" in err and "pass@" not in err.split("holds")[1]
        assert not (tmp_path / "c2.md").exists()


def test_report_url_relative_links_must_be_published(report_dir, tmp_path, capsys):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(report_dir, folder / "runs" / "ev 1")
    card = folder / "README.md"
    # a file inside the card's folder: accepted, percent-encoded in the link
    assert main(["card", "--report", str(folder / "runs" / "ev 1"), "--card", str(card),
                 "--report-url", "runs/ev 1/report.md"]) == 0
    assert "](runs/ev%201/report.md)" in card.read_text()
    # one that does not exist there: a dead link, refused
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--report-url", "missing/report.md"]) == 2
    assert "dead link" in capsys.readouterr().err
    # pushed: it must be a file the push uploads (checked before anything is written or sent)
    before = card.read_text()
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--report-url", "runs/ev 1/report.md",
                 "--push", "alice/student"]) == 2
    assert "names no file this push uploads" in capsys.readouterr().err and card.read_text() == before
    code = main(["card", "--report", str(report_dir), "--card", str(card), "--report-url",
                 "metacompress/report.md#summary", "--push", "alice/student", "--upload-report"])
    err = capsys.readouterr().err
    assert "--report-url" not in err and "](metacompress/report.md#summary)" in card.read_text()
    assert code == 2 and "upload to alice/student failed" in err  # offline: the push itself fails, in one line


HOSTILE_NAMES = ['x<img src="http://127.0.0.1:9/t.png">', "<script>alert(1)</script>", "![t](http://x/t.png)",
                 "[click](javascript:alert(1))", "a`b``c", "**bold**", "_it_", "# head", "- item", "> quote",
                 "a|b|c", "\\", "~~s~~", "&lt;b&gt;", "<http://x.y>", "line\nbreak", "1. one", "évé ü"]


def _inline_tokens(markdown: str):
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    for block in md.parse(markdown):
        yield block
        yield from block.children or []


def test_names_from_reports_reach_the_card_as_text(report_dir, tmp_path):
    """Generated hostile names for the teacher, student, data, task, attack, checker and transformations: the
    card's Markdown has no HTML, no image but the badges, no link but the tool's and the report's, and every
    table row keeps its number of cells."""
    import random

    rng = random.Random(5)
    base = read_report(report_dir)
    for trial in range(25):
        name = lambda: "".join(rng.choice(HOSTILE_NAMES) for _ in range(rng.randint(1, 3)))  # noqa: E731
        report = json.loads(json.dumps(base))
        report["models"]["teacher"]["name"] = name()
        report["models"]["student"]["name"] = name()
        report["data"] = {"path": f"/srv/{name()}.jsonl", "format": "jsonl", "where": {"split": name()}}
        report["task"]["name"] = name()
        report["settings"]["transforms"] = [name(), "rename_variables"]
        report["attacks"] = {name(): {"teacher": 0.1, "student": 0.3}}
        report["created"] = name()
        folder = tmp_path / f"r{trial}"
        folder.mkdir()
        (folder / "report.json").write_text(json.dumps(report))
        card = tmp_path / f"card{trial}" / "README.md"
        cards.update_card(folder, card, report_url="https://example.org/full report (v2).md",
                          model_name=name())
        text = card.read_text()
        body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
        tokens = list(_inline_tokens(body))
        html = {t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")}
        assert html <= {cards.BEGIN, cards.END, "<details><summary>Settings</summary>", "</details>"}, html
        images = [t.attrs.get("src") for t in tokens if t.type == "image"]
        assert all(src.startswith("metacompress-badges/") for src in images), images
        links = [t.attrs.get("href") for t in tokens if t.type == "link_open"]
        assert set(links) <= {cards.TOOL_URL, "https://example.org/full%20report%20%28v2%29.md"}, links
        assert not [t for t in tokens if t.type == "heading_open" and t.tag != "h1" and t.tag != "h2"
                    and t.tag != "h3"]
        for line in body.splitlines():
            if line.startswith("| teacher |") or line.startswith("| student |") or line.startswith("| data |"):
                assert len([c for c in line.replace("\\|", "").split("|")]) == 4, line


def test_dataset_config_and_split_follow_the_hub_rules(report_dir, tmp_path, capsys):
    """Generated config/split values: what datasets and the Hub accept passes into the model-index, anything
    else (.., spaces, slashes, markup, control characters) is refused in one line before anything is written."""
    import random

    from metacompress_eval.errors import MetaCompressError

    rng = random.Random(6)
    for _ in range(300):
        good_split = ".".join(rng.choice(["test", "train", "validation", "a_1"]) for _ in range(rng.randint(1, 2)))
        good_config = rng.choice(["default", "java", "c-1.0", "python+js"])
        assert cards.checked_dataset_part(good_split, "--dataset-split") == good_split
        assert cards.checked_dataset_part(good_config, "--dataset-config") == good_config
        bad = rng.choice(["..", "../x", "a b", "a/b", "a\\b", "<x>", "a\nb", "", " test", "a:b", "x..y", "é|"])
        bad = rng.choice(["", "ok"]) + bad if rng.random() < 0.5 else bad
        for what in ("--dataset-split", "--dataset-config"):
            if what == "--dataset-config" and bad in ("ok", ""):
                continue
            with pytest.raises(MetaCompressError, match=f"^{what} "):
                cards.checked_dataset_part(bad if bad != "ok" else "../ok", what)
    for flag, value in (("--dataset-config", "../x"), ("--dataset-split", "a b")):
        card = tmp_path / "README.md"
        assert main(["card", "--report", str(report_dir), "--card", str(card), "--dataset-id", "org/data",
                     flag, value]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and flag in err and not card.exists()
    card = tmp_path / "README.md"
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--dataset-id", "org/data",
                 "--dataset-config", "java", "--dataset-split", "test"]) == 0
    dataset = metadata_load(card)["model-index"][0]["results"][0]["dataset"]
    assert (dataset["config"], dataset["split"]) == ("java", "test")


def test_model_index_name_is_a_hub_safe_name():
    import random

    rng = random.Random(8)
    pieces = ["student", "x<img src=//e>", " ", "\n", "ü", "-", ".", "model_1", "[a](b)", "..", "`"]
    for _ in range(300):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        name = cards.model_index_name(raw)
        assert re.fullmatch(r"[A-Za-z0-9_+][A-Za-z0-9._+-]*", name) and len(name) <= 96, (raw, name)
        assert not name.endswith((".", "-"))
    assert cards.model_index_name("codebert-small_v1.5") == "codebert-small_v1.5"
    assert cards.model_index_name("my student <b>") == "my-student-b"
