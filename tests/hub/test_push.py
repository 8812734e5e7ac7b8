"""``metacompress card --push`` end to end against a local fake Hub (HF_ENDPOINT), token kept secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.hub.fake_hub import FakeHub

REPO = Path(__file__).resolve().parents[2]
TOKEN = "hf_SecretTokenForTests0123456789abcdef"


def hub_env(hub: FakeHub, tmp_path: Path) -> dict:
    """Environment of a CLI process that talks to ``hub`` (and to nothing else) with the test token."""
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": TOKEN, "HF_HUB_OFFLINE": "0",
           "HF_HUB_VERBOSITY": "debug", "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(REPO),
           "HF_HUB_DISABLE_XET": "1", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(var, None)
    return env


def run_cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metacompress_eval", *args], env=env, capture_output=True, text=True,
                          timeout=100)


def test_card_push_creates_one_commit_and_never_shows_the_token(report_dir, tmp_path):
    card = tmp_path / "README.md"
    card.write_text("# my student\n\nSome text.\n")
    with FakeHub() as hub:
        proc = run_cli(["card", "--report", str(report_dir), "--card", str(card), "--push", "alice/tiny-student",
                        "--create-pr"], hub_env(hub, tmp_path))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert TOKEN not in output
    assert "discussions/1" in proc.stdout

    paths = [r["path"] for r in hub.requests]
    assert "/api/models/alice/tiny-student/preupload/main" in paths
    assert "/api/models/alice/tiny-student/commit/main" in paths
    # the client authenticated with the token (so it was used, just never shown)
    commit_calls = [r for r in hub.requests if r["path"].startswith("/api/models/")]
    assert all(r["headers"].get("authorization") == f"Bearer {TOKEN}" for r in commit_calls)
    (commit,) = hub.commits
    assert commit["create_pr"] and commit["repo"] == "alice/tiny-student"
    assert commit["files"]["README.md"] == card.read_bytes()
    assert "metacompress-badges/agreement.svg" in commit["files"]
    assert b"Behavioural fidelity (MetaCompress)" in commit["files"]["README.md"]
    assert hub.validated
    # the card's link to the full report is not uploaded by this push: the user is told
    assert "dead" in proc.stderr and "--upload-report" in proc.stderr


def test_card_push_uploads_the_report_and_links_to_it(report_dir, tiny_models, hub_data, tmp_path):
    """--upload-report: one commit with card, badges and the public report folder; the link resolves."""
    card = tmp_path / "card" / "README.md"
    with FakeHub() as hub:
        proc = run_cli(["card", "--report", str(report_dir), "--card", str(card), "--push", "alice/tiny-student",
                        "--upload-report", "--dataset-id", "alice/c-follow-ups"], hub_env(hub, tmp_path))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "warning" not in proc.stderr
    (commit,) = hub.commits
    files = commit["files"]
    readme = files["README.md"].decode()
    assert "Full report: [report.md](metacompress/report.md)" in readme
    assert "metacompress/report.md" in files
    for name in ("report.json", "predictions.jsonl", "follow_ups.jsonl"):
        assert f"metacompress/{name}" in files
    assert any(n.startswith("metacompress/") and n.endswith(".png") for n in files)
    # no path of this machine in anything published (card, badges, report files)
    private = [str(report_dir), str(tiny_models["teacher"]), str(tiny_models["student"]), str(hub_data),
               str(tiny_models["teacher"].parent), str(hub_data.parent), str(tmp_path)]
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        for path in private:
            assert path not in text, f"{path} in published {name}"
    published = json.loads(files["metacompress/report.json"])
    assert published["models"]["teacher"]["name_or_path"] == tiny_models["teacher"].name
    assert published["data"]["path"] == "data.jsonl"
    # the uploaded report folder replays through the evaluate module like the local one
    from metacompress_eval.hub.module import read_predictions

    folder = tmp_path / "downloaded"
    folder.mkdir()
    for name, data in files.items():
        if name.startswith("metacompress/"):
            (folder / name.split("/", 1)[1]).write_bytes(data)
    assert read_predictions(folder) == read_predictions(report_dir)


def test_push_errors_do_not_leak_the_token(report_dir, tmp_path, monkeypatch, capsys, caplog):
    """A refused upload (404 everywhere) ends in one line without the token."""
    import logging

    from huggingface_hub import constants

    from metacompress_eval.cli import main

    card = tmp_path / "README.md"
    caplog.set_level(logging.DEBUG)
    with FakeHub() as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.url)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        code = main(["card", "--report", str(report_dir), "--card", str(card), "--push", "bad/../repo"])
    captured = capsys.readouterr()
    assert code == 2
    assert TOKEN not in captured.out + captured.err + caplog.text
    assert "upload to bad/../repo failed" in captured.err


def test_published_report_has_no_machine_path_however_it_is_spelt(report_dir, tmp_path):
    """report.md writes paths in table cells with "|" escaped: the published files lose them in every form."""
    import shutil

    from metacompress_eval.hub.push import report_files
    from metacompress_eval.report.markdown import render_markdown

    for i, parent in enumerate(["/home/al|ce/runs", "/srv/a b|c|d/x", "/home/plain/runs"]):
        folder = tmp_path / f"rep{i}"
        shutil.copytree(report_dir, folder)
        report = json.loads((folder / "report.json").read_text())
        report["models"]["teacher"]["name_or_path"] = f"{parent}/teacher"
        report["models"]["student"]["name_or_path"] = f"{parent}/stu|dent/"
        report["data"]["path"] = f"{parent}/da|ta.jsonl"
        for role in ("teacher", "student"):
            report["models"][role].pop("name", None)
        report["data"].pop("name", None)
        (folder / "report.json").write_text(json.dumps(report))
        (folder / "report.md").write_text(render_markdown(report, {}))
        assert parent.replace("|", "\\|") in (folder / "report.md").read_text()  # the form that leaked
        for name, data in report_files(folder).items():
            text = data.decode("utf-8", errors="replace")
            for spelling in (parent, parent.replace("|", "\\|")):
                assert spelling not in text, f"{spelling} in published {name}"
        md = report_files(folder)["report.md"].decode()
        assert "stu\\|dent" in md and "da\\|ta.jsonl" in md


def test_scrubber_removes_paths_in_every_encoding():
    """Generated machine paths (POSIX, home-relative, Windows drive and UNC, relative) of the teacher, student
    and data, embedded in JSON (ASCII or not, "/" escaped or not), Markdown (table cells, escaped text, code
    spans), HTML (escaped), URL-encoded and file:// URLs: after scrubbing, no trace of their folders in any
    spelling; JSON stays valid JSON that reads back with the public name."""
    import html
    from urllib.parse import quote, unquote

    from hypothesis import given, settings, strategies as st

    from metacompress_eval.markup import markdown_code, markdown_literal, table_cell
    from metacompress_eval.public_names import public_report, scrub_text

    part = st.text(st.characters(codec="utf-8", categories=("L", "N"), include_characters=" -_.#&'()[]|<>ü€"),
                   min_size=1, max_size=10).filter(lambda p: p.strip(" .") == p and p not in (".", ".."))
    secret = "Sx7Q"  # in every parent folder: must vanish everywhere
    roots = st.sampled_from(["/home/alice{0}/runs", "~/{0}/runs", "C:\\Users\\bob{0}\\runs", "D:/work{0}",
                             "\\\\server{0}\\share", "./models{0}/x", "rel{0}/data"])
    home = str(Path.home())

    def leaks(text: str) -> bool:
        views = {text, unquote(text), html.unescape(text), html.unescape(unquote(text)),
                 text.replace("\\\\", "\\"), text.replace("\\/", "/")}
        return any(secret in v for v in views) or home + "/" in text

    @settings(max_examples=120, deadline=None, derandomize=True)
    @given(roots, st.lists(part, min_size=3, max_size=3), st.booleans(), st.booleans())
    def check(root, names, trailing, ascii_json):
        base = root.format(secret)
        sep = "\\" if "\\" in base else "/"
        paths = {role: f"{base}{sep}{name}" + (sep if trailing and role == "student" else "")
                 for role, name in zip(("teacher", "student", "data"), names)}
        report = {"models": {r: {"name_or_path": paths[r]} for r in ("teacher", "student")},
                  "data": {"path": paths["data"], "format": "jsonl"}}
        public = public_report(report)
        assert not leaks(json.dumps(public))
        pieces = []
        for role, path in paths.items():
            pieces += [json.dumps({"path": path, "file": path + sep + "config.json"}, ensure_ascii=ascii_json),
                       json.dumps({"p": path}).replace("/", "\\/"),
                       f"| {role} | {table_cell(path)} |", markdown_literal(path), markdown_code(path, table=True),
                       f'<a href="{html.escape(path)}">{html.escape(path)}</a>', quote(path.replace("\\", "/")),
                       quote(path, safe=""), "file://" + quote(("" if path.startswith("/") else "/")
                                                               + path.replace("\\", "/"))]
        scrubbed = scrub_text("\n".join(pieces), report)
        assert not leaks(scrubbed), scrubbed[:400]
        first = json.loads(scrubbed.splitlines()[0])
        assert first["path"] == public["models"]["teacher"]["name"]

    check()
