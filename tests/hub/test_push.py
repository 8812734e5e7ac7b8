"""``metacompress card --push`` end to end against a local fake Hub (HF_ENDPOINT), token kept secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hub.fake_hub import FakeHub

REPO = Path(__file__).resolve().parents[2]
TOKEN = "hf_SecretTokenForTests0123456789abcdef"


def test_card_push_creates_one_commit_and_never_shows_the_token(report_dir, tmp_path):
    card = tmp_path / "README.md"
    card.write_text("# my student\n\nSome text.\n")
    with FakeHub() as hub:
        env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": TOKEN, "HF_HUB_OFFLINE": "0",
               "HF_HUB_VERBOSITY": "debug", "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(REPO),
               "HF_HUB_DISABLE_XET": "1", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            env.pop(var, None)
        proc = subprocess.run([sys.executable, "-m", "metacompress_eval", "card", "--report", str(report_dir),
                               "--card", str(card), "--push", "alice/tiny-student", "--create-pr"],
                              env=env, capture_output=True, text=True, timeout=100)
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
    assert hub.validated and "model-index" in hub.validated[0]


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
