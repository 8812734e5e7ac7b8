"""The transformation contract, checked one way for every registered transformation.

Every result of ``Transformation.apply`` must:

* when applied: differ from the source, add no syntax error, and carry complete provenance (its
  name, its seed, JSON-serialisable params, and sites whose ``original`` bytes are the source's and
  whose replacements, applied to the source, give the follow-up exactly);
* when not applicable or rejected: give a reason and no code;
* be the same for the same seed (no state kept between calls).

:func:`check_result` checks one result, :func:`run_corpus` every registered transformation (or the
named ones) of a language over a list of snippets; ``test_contract.py`` runs them over the test
snippets and the shared corpora.
"""

from __future__ import annotations

import ast
import collections
import json
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from metacompress_eval.code.edits import Edit, apply_edits
from metacompress_eval.code.languages import parse
from metacompress_eval.transforms import Transformation, TransformResult, list_transformations

TESTS = Path(__file__).resolve().parents[1]
STATUSES = ("applied", "not_applicable", "rejected")


def check_result(transformation: Transformation, code: str, language: str, seed: int,
                 result: TransformResult) -> None:
    """Assert that ``result`` (of ``transformation.apply(code, language, seed)``) keeps the contract."""
    where = f"{transformation.name} ({language}, seed {seed}) on:\n{code}"
    assert result.status in STATUSES, where
    assert result.transformation == transformation.name and result.seed == seed, where
    if result.status != "applied":
        assert result.code is None and result.reason, where
        return
    assert result.reason is None and result.code != code, where
    assert parse(result.code, language).error_count() <= parse(code, language).error_count(), where
    record = json.loads(json.dumps(result.provenance()))
    assert record["transformation"] == transformation.name and record["seed"] == seed, where
    assert isinstance(record["params"], dict) and record["sites"], where
    data = code.encode("utf-8")
    for site in record["sites"]:
        assert data[site["start"] : site["end"]].decode("utf-8", errors="replace") == site["original"], where
    replayed = apply_edits(data, [Edit(s["start"], s["end"], s["replacement"]) for s in record["sites"]])
    assert replayed.decode("utf-8") == result.code, where


def run_corpus(
    snippets: list[str],
    language: str,
    names: Iterable[str] | None = None,
    *,
    extra_check: Callable[[str, str, str], None] | None = None,
    repeat: bool = False,
) -> dict[str, collections.Counter]:
    """Apply each registered transformation of ``language`` (or only ``names``) to every snippet
    (seed = the snippet's index), check each result, and return the status counts per name.

    ``extra_check(name, source, follow_up)`` runs on every follow-up; ``repeat`` applies each
    transformation a second time with the same seed and requires the very same result.
    """
    wanted = set(names) if names is not None else None
    counts: dict[str, collections.Counter] = {}
    for transformation in list_transformations(language):
        if wanted is not None and transformation.name not in wanted:
            continue
        statuses = counts.setdefault(transformation.name, collections.Counter())
        for seed, code in enumerate(snippets):
            result = transformation.apply(code, language, seed)
            statuses[result.status] += 1
            check_result(transformation, code, language, seed, result)
            if repeat:
                again = transformation.apply(code, language, seed)
                assert (again.status, again.code, again.reason, again.provenance()) == (
                    result.status, result.code, result.reason, result.provenance()), (transformation.name, code)
            if result.applied and extra_check is not None:
                extra_check(transformation.name, code, result.code)
    return counts


def _code_like(text: str) -> bool:
    return len(text) > 12 and any(mark in text for mark in ("\n", ";", "{", ":"))


@lru_cache(maxsize=None)
def test_snippets(language: str) -> tuple[str, ...]:
    """Every code-like string literal of the test suite that parses as ``language`` without errors:
    the snippets the tests of the individual transformations were written with."""
    found: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _code_like(node.value):
                found.add(node.value)
    return tuple(code for code in sorted(found) if parse(code, language).error_count() == 0)


test_snippets.__test__ = False  # a helper, not a test
