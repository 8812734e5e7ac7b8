"""Fixtures for the semantic-preservation tests of issue 12 (tools and shared data)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
JULIET = SHARED_DATA / "juliet-c" / "functions.jsonl"
BIGCLONEBENCH = SHARED_DATA / "bigclonebench" / "functions.jsonl"


def _need(*tools: str):
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")


@pytest.fixture
def need_gcc():
    _need("gcc")


@pytest.fixture
def need_javac():
    _need("javac")


@pytest.fixture
def need_node():
    _need("node")


@pytest.fixture
def need_go():
    _need("go")


def shared_rows(path: Path, n: int, predicate=None, max_chars: int = 3000) -> list[dict]:
    """Up to ``n`` rows of a shared corpus spread over the file, optionally filtered."""
    if not path.is_file():
        pytest.skip(f"{path} not available")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            code = row.get("code")
            if isinstance(code, str) and 0 < len(code) <= max_chars and (predicate is None or predicate(code)):
                rows.append(row)
    step = max(1, len(rows) // n)
    return rows[::step][:n]
