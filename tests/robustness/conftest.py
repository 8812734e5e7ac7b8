"""Fixtures of the robustness tests: the generated bad-input corpus and a harness context."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_generator():
    """``scripts/make_bad_inputs.py`` as a module (scripts/ is not a package)."""
    name = "make_bad_inputs"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "make_bad_inputs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, tiny_models) -> Path:
    """The whole bad-input corpus, written once per session (a few MB, about a second)."""
    out = tmp_path_factory.mktemp("bad-inputs")
    load_generator().build_corpus(out, model=tiny_models["teacher"])
    return out


@pytest.fixture(scope="session")
def good_report(tmp_path_factory, tiny_models) -> Path:
    """A report folder from a clean evaluate run (for ``card --push``)."""
    from metacompress_eval.cli import main

    gen = load_generator()
    root = tmp_path_factory.mktemp("good-report")
    data = root / "data.jsonl"
    gen.write_jsonl_lines(data, [gen.json_line(r) for r in gen.good_rows(4)])
    out = root / "report"
    assert main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(data), "--out", str(out), "--cache-dir", str(root / "cache"), "--quiet",
                 "--bootstrap-resamples", "100"]) == 0
    return out
