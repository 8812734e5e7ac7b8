"""Fixtures for the verification tests: tool availability and the shared corpora."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
JULIET = SHARED_DATA / "juliet-c" / "functions.jsonl"
BIGCLONEBENCH = SHARED_DATA / "bigclonebench" / "functions.jsonl"


def _need(tool: str):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed")


@pytest.fixture
def need_gcc():
    if shutil.which("gcc") is None and shutil.which("clang") is None:
        pytest.skip("no C compiler installed")


@pytest.fixture
def need_javac():
    _need("javac")


@pytest.fixture
def need_node():
    _need("node")


def sample_functions(path: Path, n: int, max_chars: int = 4000) -> list[dict]:
    """``n`` rows spread evenly over the file (not just its first, most similar, rows)."""
    if not path.is_file():
        pytest.skip(f"{path} not available")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if isinstance(row.get("code"), str) and 0 < len(row["code"]) <= max_chars:
                rows.append(row)
    step = max(1, len(rows) // n)
    return rows[::step][:n]


@pytest.fixture
def need_go():
    _need("go")
