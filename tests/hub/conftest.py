"""Fixtures of the Hugging Face integration tests: one evaluated report on the tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import C_SNIPPETS, write_jsonl


@pytest.fixture(scope="session")
def hub_data(tmp_path_factory) -> Path:
    rows = [{"id": f"f{i}", "code": s, "label": i % 2} for i, s in enumerate(C_SNIPPETS * 3)]
    return write_jsonl(tmp_path_factory.mktemp("hubdata") / "data.jsonl", rows)


@pytest.fixture(scope="session")
def report_dir(tiny_models, hub_data, tmp_path_factory) -> Path:
    """A report folder written by ``metacompress evaluate`` (labelled, three transformations)."""
    from metacompress_eval.cli import main

    root = tmp_path_factory.mktemp("hubreport")
    out = root / "report"
    assert main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(hub_data), "--out", str(out), "--cache-dir", str(root / "cache"), "--quiet",
                 "--batch-size", "4", "--bootstrap-resamples", "200"]) == 0
    return out


def read_report(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text())
