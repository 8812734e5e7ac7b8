"""Fixtures for the attack tests: hand-built keyword models and a synthetic C corpus."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.attacks.keyword_model import make_keyword_model

_NAMES = ["count", "total", "limit", "offset", "acc", "tmp", "pos", "step"]


def synthetic_function(i: int, danger: bool) -> str:
    """A small C function; with ``danger`` one of its locals is called ``danger``."""
    rng = random.Random(i)
    a, b = rng.sample(_NAMES, 2)
    var = "danger" if danger else rng.choice(["value", "item", "cell"])
    return (f"int f{i}(int *buf, int n) {{\n"
            f"    int {a} = 0;\n"
            f"    int {var} = n * {i % 5 + 1};\n"
            f"    for (int {b} = 0; {b} < n; {b}++) {{\n"
            f"        {a} += buf[{b}] + {var};\n"
            f"    }}\n"
            f"    return {a} - {var};\n"
            f"}}\n")


@pytest.fixture(scope="session")
def keyword_models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keyword-models")
    return {"danger": make_keyword_model(root / "danger", "danger"),
            "while": make_keyword_model(root / "while", "while")}


@pytest.fixture(scope="session")
def loaded(keyword_models):
    from metacompress_eval.models import load_model

    return {k: load_model(str(v)) for k, v in keyword_models.items()}


@pytest.fixture()
def engines(loaded):
    from metacompress_eval.inference import InferenceEngine

    return {k: InferenceEngine(v, None, progress=False) for k, v in loaded.items()}


@pytest.fixture(scope="session")
def danger_sources():
    from metacompress_eval.data import SourceInput

    return [SourceInput(f"d{i}", (synthetic_function(i, True),), 1) for i in range(6)]


@pytest.fixture(scope="session")
def while_sources():
    from metacompress_eval.data import SourceInput

    codes = [f"int g{i}(int n) {{\n    int left = n;\n    int acc = {i};\n    while (left > 0) {{\n"
             f"        acc += left;\n        left--;\n    }}\n    return acc;\n}}\n" for i in range(4)]
    return [SourceInput(f"w{i}", (c,), 1) for i, c in enumerate(codes)]
