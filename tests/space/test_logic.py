"""The Space's gradio-free logic: model names, demo models, limits, escaping, reports, CLI."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.space import (
    DEMO_STUDENT,
    DEMO_TEACHER,
    ModelStore,
    SpaceSettings,
    build_demo_models,
    load_reports,
    probe_snippet,
    render_diffs,
    render_verdicts,
    run_small_evaluation,
)

from ..conftest import C_SNIPPETS, make_tiny_model
from .conftest import REPO


@pytest.fixture()
def settings(tmp_path):
    return SpaceSettings(models_dir=tmp_path / "models", work_dir=tmp_path / "work", demo_size="tiny",
                         results_root=tmp_path)


def test_results_folders_are_read_only_under_the_results_root(settings, two_reports, tmp_path):
    """Local mode still reads results only under the results root: "/", "..", absolute paths elsewhere and
    symbolic links out of it are refused or skipped; folders inside it (relative or absolute) are read."""
    import os
    import shutil

    inside = tmp_path / "results" / "run1"
    inside.mkdir(parents=True)
    shutil.copy(two_reports[0], inside / "report.json")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    (outside / "run2").mkdir(parents=True, exist_ok=True)
    shutil.copy(two_reports[1], outside / "run2" / "report.json")
    for folder in ("/", "..", str(outside), "results/../..", "~"):
        with pytest.raises(MetaCompressError, match="is outside"):
            load_reports(None, folder, settings)
    os.symlink(outside / "run2", tmp_path / "results" / "escape")
    for folder in ("results", str(tmp_path / "results"), "."):
        reports, problems = load_reports(None, folder, settings)
        assert [r.name.split("/")[-1] for r in reports] == ["run1"] and any("links outside" in p for p in problems)


def test_model_names(settings, tmp_path):
    store = ModelStore(settings)
    assert store.resolve("org/model-1.5", "teacher") == "org/model-1.5"
    assert store.resolve("bert-base-uncased", "teacher") == "bert-base-uncased"
    for bad in ("", "  ", "a/b/c", "not a hub id", "demo:other", "org/../x"):
        with pytest.raises(MetaCompressError):
            store.resolve(bad, "teacher")
    assert store.resolve(str(tmp_path), "student") == str(tmp_path)
    settings.allow_local_paths = False
    with pytest.raises(MetaCompressError, match="local folders are disabled"):
        store.resolve(str(tmp_path), "student")
    with pytest.raises(MetaCompressError, match="disabled"):
        load_reports([], str(tmp_path), settings)


def test_hub_id_offline_is_a_message(settings, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MetaCompressError, match="offline"):
        ModelStore(settings).load("someone/no-such-model", "teacher")


def test_demo_models_are_built_once_with_progress(settings, monkeypatch, corpus_texts):
    """The demo's trainers are replaced by tiny random models: this checks the plumbing, not training."""
    import metacompress_eval.demo.training as training

    calls = []

    def fake_teacher(rows, out_dir, *, size, seed, progress):
        calls.append(("teacher", size, len(rows)))
        progress("teacher epoch 1/1", 1.0)
        make_tiny_model(Path(out_dir), layers=1, hidden=32, vocab=300, texts=corpus_texts[:40], seed=3)

    def fake_student(teacher_dir, texts, out_dir, *, size, seed, progress):
        calls.append(("student", size, len(texts)))
        assert (Path(teacher_dir) / "config.json").is_file()
        progress("student epoch 1/1", 1.0)
        make_tiny_model(Path(out_dir), layers=1, hidden=16, vocab=300, texts=corpus_texts[:40], seed=4)

    # The Space builds them with the demo's builder (metacompress_eval.demo.models), like `metacompress demo`.
    monkeypatch.setattr(training, "train_teacher", fake_teacher)
    monkeypatch.setattr(training, "distil_student", fake_student)
    messages = []
    teacher, student = build_demo_models(settings, lambda f, m: messages.append((f, m)))
    assert [c[0] for c in calls] == ["teacher", "student"] and calls[0][1] == "tiny"
    assert (teacher / "config.json").is_file() and (student / "config.json").is_file()
    assert any("first use" in m for _, m in messages) and messages[-1] == (1.0, "demo models ready")
    assert [f for f, _ in messages] == sorted(f for f, _ in messages)  # the bar only moves forward
    # Second use: nothing is trained again, and demo:* names resolve to the built folders.
    store = ModelStore(settings)
    assert store.resolve(DEMO_TEACHER, "teacher") == str(teacher)
    assert store.resolve(DEMO_STUDENT, "student") == str(student)
    assert len(calls) == 2
    # The stamps are the demo's own, preset included: a changed preset would retrain.
    from metacompress_eval.demo.models import STAMP_FILE, model_stamps

    assert json.loads((student / STAMP_FILE).read_text()) == model_stamps("tiny", settings.seed)[1]
    assert "preset" in json.loads((teacher / STAMP_FILE).read_text())
    result = probe_snippet(store, C_SNIPPETS[0], "c", "defect", DEMO_TEACHER, DEMO_STUDENT)
    assert result["teacher"] == DEMO_TEACHER and result["n_follow_ups"] > 0


def test_user_code_is_escaped_in_the_page(settings, tiny_models):
    store = ModelStore(settings)
    code = 'void f(char *d) {\n    int x = 1;\n    strcpy(d, "<script>alert(1)</script>");\n}'
    result = probe_snippet(store, code, "c", "defect", str(tiny_models["teacher"]), str(tiny_models["student"]))
    page = render_verdicts(result) + render_diffs(result)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_run_limits(settings, tiny_models):
    store = ModelStore(settings)
    pair = (str(tiny_models["teacher"]), str(tiny_models["student"]))
    with pytest.raises(MetaCompressError, match="rows must be between 1 and 40"):
        run_small_evaluation(store, *pair, rows=41)
    big = settings.work_dir / "big.jsonl"
    big.parent.mkdir(parents=True, exist_ok=True)
    big.write_text("x" * (settings.max_upload_bytes + 1))
    with pytest.raises(MetaCompressError, match="larger than"):
        run_small_evaluation(store, *pair, str(big), rows=2)
    # What a page's number boxes can send: refused before any model loads, never an OverflowError.
    for rows in (float("inf"), float("nan"), "lots"):
        with pytest.raises(MetaCompressError, match="rows"):
            run_small_evaluation(store, *pair, rows=rows)
    for seed in (-1, 2**32, 1e300, float("inf"), float("nan")):
        with pytest.raises(MetaCompressError, match="seed"):
            run_small_evaluation(store, *pair, rows=2, seed=seed)


def test_report_zip_is_read_without_extracting(settings, two_reports, tmp_path):
    archive = tmp_path / "reports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(two_reports[0], "../../evil/report.json")
        zf.write(two_reports[0].parent / "violation_heatmap.png", "../../evil/violation_heatmap.png")
        zf.writestr("notes.txt", "hello")
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    reports, problems = load_reports([archive], None, settings)
    assert len(reports) == 1 and not problems
    # The plot was copied under the work folder with a sanitised name, nothing written elsewhere.
    assert reports[0].plots and all(settings.work_dir in p.parents for p in reports[0].plots)
    assert not (tmp_path.parent / "evil").exists()


def test_compare_flags_reports_of_the_old_schema(settings, two_reports, tmp_path):
    """A schema-1.x report still loads, but the ranking says it is not directly comparable."""
    from metacompress_eval.space import leaderboard_rows

    old = json.loads(two_reports[0].read_text())
    old["schema_version"] = "1.0"
    old["analysis"].pop("fidelity")
    path = tmp_path / "old" / "report.json"
    path.parent.mkdir()
    path.write_text(json.dumps(old))
    reports, problems = load_reports([path, two_reports[1]], None, settings)
    assert not problems and len(reports) == 2
    rows = leaderboard_rows(reports)
    old_row = next(r for r in rows if r[1] == "student")
    assert old_row[-3:] == ["n/a", "n/a", "n/a"]  # no top-1 agreement, KL or |ΔP| without the fidelity section
    with pytest.raises(MetaCompressError, match="expected 1.x or 2.x"):
        bad = tmp_path / "future.json"
        bad.write_text(json.dumps({**old, "schema_version": "3.0"}))
        load_reports([bad], None, settings)


def test_cli_space_parser():
    from metacompress_eval.cli import build_parser

    args = build_parser().parse_args(["space", "--port", "7000", "--demo-size", "tiny", "--no-local-paths"])
    assert args.command == "space" and args.port == 7000 and args.host == "127.0.0.1"


def test_space_folder():
    """The Space folder: YAML front matter naming app.py, requirements with gradio, an importable app."""
    folder = REPO / "spaces_app"
    readme = (folder / "README.md").read_text()
    front = readme.split("---")[1]
    assert "sdk: gradio" in front and "app_file: app.py" in front
    assert any(line.startswith("gradio") for line in (folder / "requirements.txt").read_text().splitlines())
    spec = importlib.util.spec_from_file_location("space_app_entry", folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines main() without launching anything
    assert callable(module.main)


# --------------------------------------------------------------------------------------------
# Compare: names by student and data, rankings only within the same data
# --------------------------------------------------------------------------------------------


def _variant(report: dict, *, student: str, data: str = "data.jsonl", n_sources: int = 8, transforms=None,
             seed: int = 0, pa: float = 0.1, n_follow_ups: int = 24) -> dict:
    out = json.loads(json.dumps(report))
    out["models"]["student"].update(name=student, name_or_path=f"/srv/models/{student}")
    out["data"].update(path=f"/srv/data/{data}", name=None, n_sources=n_sources, n_follow_ups=n_follow_ups)
    out["data"].pop("name")
    out["settings"]["seed"] = seed
    if transforms is not None:
        out["settings"]["transforms"] = transforms
    out["analysis"]["relations"]["overall"]["prediction_agreement"]["rate"] = pa
    return out


def test_reports_on_different_data_are_never_ranked_together(two_reports):
    """Generated sets of reports: every data group ranks 1..k on its own; a group never mixes data."""
    import random

    from metacompress_eval.space.compare import LoadedReport, board_rows, data_key, display_names

    base = json.loads(two_reports[0].read_text())
    rng = random.Random(0)
    for trial in range(30):
        reports = []
        for i in range(rng.randint(1, 7)):
            report = _variant(base, student=rng.choice(["s1", "s2", "org/s3"]),
                              data=rng.choice(["a.jsonl", "b.jsonl"]), n_sources=rng.choice([8, 12]),
                              transforms=rng.choice([None, ["rename_variables"]]), seed=rng.choice([0, 1]),
                              pa=rng.random(), n_follow_ups=rng.choice([24, 22]))
            reports.append(LoadedReport(f"report{i}.json", f"report{i}.json", report))
        rows = board_rows(reports)
        groups: dict[int, set] = {}
        for row in rows:
            groups.setdefault(row.group, set()).add(data_key(row.report.report))
        assert all(len(keys) == 1 for keys in groups.values())
        assert len(groups) == len({data_key(r.report) for r in reports})
        for group in groups:
            members = [r for r in rows if r.group == group]
            shown = [r.cells["mean"].main for r in members]  # competition ranking over the means as shown
            assert [r.rank for r in members] == [1 + shown.index(m) for m in shown]
            means = [r.mean for r in rows if r.group == group]
            assert means == sorted(means)
        names = display_names(reports)
        assert len(set(names)) == len(names)  # always distinguishable
        assert all(" on " in n and "/srv/" not in n and "report.json (" not in n for n in names)


def test_equal_scores_share_a_rank_and_duplicates_are_flagged(two_reports):
    """Generated groups with repeated scores and repeated files: equal means (as shown) share a rank
    (1, 1, 3), each tie is marked, and a report whose content equals an earlier one is flagged with its name."""
    import random

    from metacompress_eval.space.compare import LoadedReport, board_rows, leaderboard_html, status_text

    base = json.loads(two_reports[0].read_text())
    rng = random.Random(7)
    for _ in range(40):
        reports = []
        for i in range(rng.randint(2, 6)):
            report = _variant(base, student=rng.choice(["s1", "s2"]), pa=rng.choice([0.1, 0.2, 0.3]))
            reports.append(LoadedReport(f"r{i}.json", f"r{i}.json", report))
        rows = board_rows(reports)
        for row in rows:
            same = [r for r in rows if r.cells["mean"].main == row.cells["mean"].main]
            assert row.rank == 1 + min(rows.index(r) for r in same) and row.tied == (len(same) > 1)
            twins = [r for r in rows[:rows.index(row)] if r.report.report == row.report.report]
            assert row.duplicate_of == (twins[0].name if twins else None)
        page = leaderboard_html(reports)
        assert page.count('class="mc-sub mc-tie"') == sum(r.tied for r in rows)
        assert page.count('class="mc-sub mc-dup"') == sum(bool(r.duplicate_of) for r in rows)
        status = status_text(reports, "overall")
        assert ("share a rank" in status) == any(r.tied for r in rows)
        assert ("Same content uploaded more than once" in status) == any(r.duplicate_of for r in rows)
    same = [LoadedReport("a.json", "a.json", base), LoadedReport("b.json", "b.json", json.loads(json.dumps(base)))]
    assert [(r.rank, r.tied, r.duplicate_of is not None) for r in board_rows(same)] == [(1, True, False),
                                                                                       (1, True, True)]


def test_group_titles_never_show_none(two_reports):
    from metacompress_eval.space.compare import data_title

    report = json.loads(two_reports[0].read_text())
    for missing in ("n_sources", "n_follow_ups"):
        report["data"].pop(missing, None)
    report["settings"].pop("seed", None)
    title = data_title(report)
    assert "None" not in title and "? sources" in title and "seed ?" in title


def test_names_break_only_at_separators():
    from metacompress_eval.space.compare import breakable

    assert breakable("demo_report.json") == "demo_<wbr>report.<wbr>json"
    assert breakable("org/model-1") == "org/<wbr>model-<wbr>1"
    assert breakable('<b a="x">') == "&lt;b a=&quot;x&quot;&gt;"  # escaped first: no tag, no break inside an entity


def test_reports_are_named_by_student_and_data(two_reports, settings):
    reports, _ = load_reports([two_reports[0], two_reports[1]], None, settings)
    from metacompress_eval.space.compare import display_names, leaderboard_html

    assert display_names(reports) == ["student on data.jsonl", "teacher on data.jsonl"]
    same = [reports[0], reports[0]]  # the same file given twice stays distinguishable
    assert len(set(display_names(same))) == 2
    page = leaderboard_html(reports)
    assert page.count("<th ") == page.count("</th>") and "report.json (2)" not in page


def test_every_figure_of_a_report_folder_is_shown(two_reports, settings, tmp_path):
    """Figures beyond the known ones (e.g. a newer analysis') appear too, known ones first."""
    import shutil

    from metacompress_eval.space.compare import PLOT_FILES

    folder = tmp_path / "results" / "run"
    shutil.copytree(two_reports[0].parent, folder)
    shutil.copy(folder / "violation_heatmap.png", folder / "zz_new_figure.png")
    reports, _ = load_reports(None, str(tmp_path / "results"), settings)
    names = [p.name for p in reports[0].plots]
    assert names[-1] == "zz_new_figure.png" and names[0] == PLOT_FILES[0]
    archive = tmp_path / "run.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"run/{path.name}")
    (zipped,), _ = load_reports([archive], None, settings)
    assert [p.name.rsplit("-", 1)[-1] for p in zipped.plots][-1] == "zz_new_figure.png"


def test_install_hints_for_the_space_agree():
    """README.md, spaces_app/README.md and `metacompress space` give the same install command, and
    every place that names gradio asks for the major version the app is written for."""
    import re

    from metacompress_eval.cli.space import INSTALL_HINT

    from .conftest import REPO

    command = INSTALL_HINT.split(" in a checkout")[0]
    assert command == 'pip install ".[space]"'
    for doc in ("README.md", "spaces_app/README.md"):
        text = (REPO / doc).read_text()
        assert f"{command} && metacompress space" in text.replace("`", ""), doc
        assert "metacompress-eval[space]" not in text and "-e \".[space]\"" not in text, doc
    # the Space's SDK version and every gradio requirement name the same major version
    sdk = re.search(r"^sdk_version: (\d+)\.", (REPO / "spaces_app/README.md").read_text(), re.M).group(1)
    pins = re.findall(r"gradio>=(\d+)", (REPO / "pyproject.toml").read_text()
                      + (REPO / "spaces_app/requirements.txt").read_text())
    assert pins and set(pins) == {sdk}


def test_leaderboard_survives_fields_of_the_wrong_type(two_reports):
    """Uploads are untrusted: any envelope or fidelity field of the wrong type reads "?"/"n/a", never a crash."""
    import random

    from metacompress_eval.report.read import validate_report
    from metacompress_eval.space.compare import LoadedReport, leaderboard_html, leaderboard_rows, status_text

    base = json.loads(two_reports[0].read_text())
    odd_values = [None, 7, "x", [1, "a"], {"k": [1]}, True, 1.5]
    places = [("models",), ("models", "student"), ("models", "student", "name"), ("data",), ("data", "path"),
              ("data", "n_sources"), ("data", "n_follow_ups"), ("task",), ("task", "name"), ("settings",),
              ("settings", "transforms"), ("settings", "seed"), ("analysis", "fidelity"),
              ("analysis", "fidelity", "overall"), ("analysis", "fidelity", "overall", "kl_bits"),
              ("analysis", "flips"), ("analysis", "counts")]
    rng = random.Random(1)
    for trial in range(60):
        report = json.loads(json.dumps(base))
        for _ in range(rng.randint(1, 3)):
            *parents, last = rng.choice(places)
            target = report
            for key in parents:
                target = target.get(key) if isinstance(target, dict) else None
            if isinstance(target, dict):
                target[last] = rng.choice(odd_values)
        try:
            validate_report(report, "upload")
        except MetaCompressError:  # refused with a message at load time: never reaches the leaderboard
            continue
        reports = [LoadedReport("a.json", "a.json", report), LoadedReport("b.json", "b.json", base)]
        assert len(leaderboard_rows(reports)) == 2
        assert leaderboard_html(reports).count("<tr data-rank") == 2
        assert "report(s)" in status_text(reports, "overall")


HOSTILE_FRAGMENTS = ['<img src="http://127.0.0.1:9/t.png">', "<script>alert(1)</script>", "![t](http://x/t.png)",
                     "[click](javascript:alert(1))", "**bold**", "_it_", "`code`", "# head", "1. ", "- ", "> ",
                     "<http://x.y>", "www.x.org", "https://y.org/a_b", "&lt;b&gt;", "&amp;", "a|b", "\\", "~~s~~",
                     "\n\n", "    ", "plain", "évé ü", "evil.zip:dir/report.json"]


def test_uploaded_names_in_the_status_line_read_as_text():
    """Names, file names and messages from uploads render literally in the Markdown status (no image from
    anywhere, no link, no tag), for any mix of Markdown and HTML; CommonMark is what gradio's Markdown speaks."""
    import html
    import random

    markdown_it = pytest.importorskip("markdown_it")
    from metacompress_eval.markup import markdown_literal

    md = markdown_it.MarkdownIt("commonmark").enable("table").enable("strikethrough")
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(HOSTILE_FRAGMENTS) for _ in range(rng.randint(1, 6)))
        flat = " ".join(text.split())
        if not flat:
            continue
        rendered = md.render(markdown_literal(text))
        assert rendered.startswith("<p>") and rendered.endswith("</p>\n"), text
        inner = rendered[3:-5]
        assert "<" not in inner and html.unescape(inner) == flat, text


def test_status_line_escapes_report_names_and_problems(two_reports):
    from metacompress_eval.space.compare import LoadedReport, status_text

    old = json.loads(two_reports[0].read_text())
    old["schema_version"] = "1.0"
    old["models"]["student"]["name"] = '<img src="http://127.0.0.1:9/t.png">![t](http://x/t.png)'
    reports = [LoadedReport("a.json", "a.json", old),
               LoadedReport("b.json", "b.json", json.loads(two_reports[1].read_text()))]
    status = status_text(reports, "overall", ['x.zip:<img src=x>![z](http://x/z.png)/report.json: invalid'])
    assert "Not directly comparable" in status and "Skipped" in status
    # Every Markdown/HTML character of an uploaded name is backslash-escaped (read literally).
    assert not re.search(r"(?<!\\)[<>!\[\]()]", status.split("\n\n", 1)[1].replace("(s)", "").replace("1.x,", ""))


def test_error_messages_are_escaped_for_the_page(settings):
    """The page renders an error toast's message as HTML: uploaded names in it read as text."""
    import gradio as gr

    from metacompress_eval.space.app import guard

    def fails():
        raise MetaCompressError('x.zip:<img src="http://127.0.0.1:9/t.png">&/report.json: not a report.json')

    with pytest.raises(gr.Error) as info:
        guard(fails, settings)()
    assert str(info.value.message) == ('x.zip:&lt;img src="http://127.0.0.1:9/t.png"&gt;&amp;/report.json: '
                                       "not a report.json")


def test_leaderboard_cells_stay_short_whatever_the_numbers(two_reports):
    """Absurd numbers in an upload (4,000-digit counts, 1e308, inf, rates outside [0, 1], long strings) never
    stretch a column: every cell reads a short value, "?" or "n/a"."""
    import random

    from metacompress_eval.space.compare import LoadedReport, board_rows

    base = json.loads(two_reports[0].read_text())
    wild = [int("9" * 4000), 10 ** 30, 1e308, -1e308, float("inf"), float("nan"), 1e300, -5, 2.5, "A" * 3000, 3]
    rng = random.Random(3)
    for _ in range(40):
        report = json.loads(json.dumps(base))
        fidelity = report["analysis"]["fidelity"]["overall"]
        fidelity["top1_agreement"] = {"rate": rng.choice(wild), "ci95": [rng.choice(wild), rng.choice(wild)],
                                      "agreements": rng.choice(wild), "n": rng.choice(wild)}
        fidelity["kl_bits"] = {"mean": rng.choice(wild), "ci95": [rng.choice(wild), rng.choice(wild)]}
        fidelity["mean_abs_prob_difference"] = rng.choice(wild)
        report["analysis"]["counts"]["inputs"] = rng.choice(wild)
        report["analysis"]["flips"]["student"]["overall"].update(flips=rng.choice(wild), n=rng.choice(wild))
        (row,) = board_rows([LoadedReport("a.json", "a.json", report)])
        for key, cell in row.cells.items():
            assert len(cell.text) <= 40, (key, cell.text[:80])


def test_server_paths_are_redacted_however_they_are_written(settings):
    """A server folder in a message, plainly, URL-encoded, in a file:// URL or JSON-escaped ("\\/"): gone, the
    file's own name kept."""
    from urllib.parse import quote

    from metacompress_eval.space.limits import redact_paths

    work = str(settings.work_dir.resolve())
    for template in ("{p}/run-1/report.zip", "file://{p}/run-1/report.zip"):
        assert redact_paths(template.format(p=work), settings).endswith("…/report.zip")
    for text in (quote(f"{work}/run-1/report.zip", safe=""), json.dumps(f"{work}/run-1/report.zip").replace("/", "\\/"),
                 "file://" + quote(f"{work}/run-1/report.zip")):
        redacted = redact_paths(text, settings)
        assert "work" not in redacted.replace("report.zip", "") and "report.zip" in redacted, (text, redacted)


def test_one_bad_report_in_a_zip_keeps_the_good_ones(settings, two_reports, tmp_path):
    """Generated zips mixing good reports with bad ones (not JSON, not a report, a future schema, truncated,
    empty): every good report is shown, every bad one is named with its reason, one line each."""
    import random

    from metacompress_eval.space.compare import status_text

    good = [p.read_bytes() for p in two_reports]
    future = json.loads(good[0])
    future["schema_version"] = "9.0"
    bad_kinds = {"not json": b"{nope", "not a report": b'{"hello": 1}', "future": json.dumps(future).encode(),
                 "truncated": good[0][: len(good[0]) // 2], "empty": b""}
    rng = random.Random(2)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    for trial in range(8):
        zips, n_good, bad_names = [], 0, []
        for z in range(rng.randint(1, 3)):
            archive = tmp_path / f"t{trial}-{z}.zip"
            with zipfile.ZipFile(archive, "w") as zf:
                for m in range(rng.randint(1, 4)):
                    if rng.random() < 0.5:
                        zf.writestr(f"run{m}/report.json", rng.choice(good))
                        n_good += 1
                    else:
                        kind = rng.choice(sorted(bad_kinds))
                        zf.writestr(f"bad{m}-{kind.replace(' ', '_')}/report.json", bad_kinds[kind])
                        bad_names.append(f"{archive.name}:bad{m}-{kind.replace(' ', '_')}/report.json")
            zips.append(archive)
        if not n_good:
            with pytest.raises(MetaCompressError) as info:
                load_reports(zips, None, settings)
            assert all(name in str(info.value) for name in bad_names)
            continue
        reports, problems = load_reports(zips, None, settings)
        assert len(reports) == n_good and len(problems) == len(bad_names)
        assert all(any(p.startswith(name + ":") for p in problems) for name in bad_names), problems
        status = status_text(reports, "overall", problems)
        if problems:
            assert f"Skipped {len(problems)} file(s):" in status and status.count("\n- ") == len(problems)


def test_page_order_does_not_depend_on_upload_order(two_reports, other_data_report, settings):
    """Any upload order gives the same leaderboard and the same gallery, in the leaderboard's order."""
    import itertools

    from metacompress_eval.space.compare import gallery_items, leaderboard_html

    paths = [*two_reports, other_data_report]
    seen_pages, seen_captions = set(), set()
    for order in itertools.permutations(paths):
        reports, _ = load_reports(list(order), None, settings)
        seen_pages.add(leaderboard_html(reports))
        seen_captions.add(tuple(caption for _, caption in gallery_items(reports)))
    assert len(seen_pages) == 1 and len(seen_captions) == 1
    (captions,) = seen_captions
    assert captions == ("teacher on data.jsonl: violation heatmap", "student on data.jsonl: violation heatmap",
                        "student on small.jsonl: violation heatmap")


def test_long_hostile_names_are_shortened_with_the_full_name_on_hover(two_reports):
    import html
    import random

    from metacompress_eval.space.compare import LoadedReport, gallery_items, leaderboard_html, short_name

    rng = random.Random(4)
    base = json.loads(two_reports[0].read_text())
    for _ in range(20):
        report = json.loads(json.dumps(base))
        name = "".join(rng.choice(HOSTILE_FRAGMENTS + ["A" * 50, "長い名前"]) for _ in range(rng.randint(5, 30)))
        report["models"]["student"]["name"] = name
        report["models"]["teacher"]["name"] = name[::-1]
        report["data"]["name"] = name + ".jsonl"
        page = leaderboard_html([LoadedReport(name + ".json", name + ".json", report)])
        flat = " ".join(name.split())
        shown = [(title, text.replace("<wbr>", "")) for title, text in
                 re.findall(r'<span class="mc-main" title="([^"]*)">((?:[^<]|<wbr>)*)</span>', page)]
        student = next(s for s in shown if " ".join(html.unescape(s[0]).split()) == flat)
        assert len(html.unescape(student[1])) <= 48 and html.unescape(student[1]) == short_name(flat)
        assert "<img" not in page and "<script" not in page
        assert all(len(caption) <= 80 + len(": violation heatmap") for _, caption in
                   gallery_items([LoadedReport("a", "a", report, [Path("violation_heatmap.png")])]))
