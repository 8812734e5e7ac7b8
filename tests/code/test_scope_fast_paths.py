"""Differential test: every query-driven scope fast path gives exactly its visitor's analysis.

The fast paths (C and Java, :mod:`metacompress_eval.code.scopes.c` / ``.java``) answer the common
snippet shapes from one tree-sitter query and return ``None`` for the others; when they answer, the
scope tree, every symbol (kind, declarations, uses, unsafe reason) and the unresolved names must be
those of the visitor. Inputs: every string literal in ``tests/`` that parses as a clean C or Java
snippet, and seeded samples of the shared corpora (skipped when ``../shared/data`` is absent).
"""

from __future__ import annotations

import ast
import json
import random
from pathlib import Path

import pytest

from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import ScopeAnalysis, language_scopes

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS.parent.parent / "shared" / "data"
SAMPLE = 300
FAST_PATH_LANGUAGES = ("c", "java")


def canonical(analysis: ScopeAnalysis) -> dict:
    """Everything an analysis says, as plain data (scopes by pre-order index)."""
    scopes, index = [], {}
    stack = [analysis.root]
    while stack:  # pre-order, children in order
        scope = stack.pop()
        index[id(scope)] = len(scopes)
        scopes.append(scope)
        stack.extend(reversed(scope.children))
    return {
        "scopes": [
            (s.kind, s.start, s.end, index[id(s.parent)] if s.parent is not None else None,
             [index[id(c)] for c in s.children], list(s.symbols))
            for s in scopes
        ],
        "symbols": [
            (s.name, s.kind, index[id(s.scope)], s.declarations, s.uses, s.unsafe_reason, s.shorthand)
            for s in analysis.symbols
        ],
        "unresolved": analysis.unresolved,
        "language": analysis.language,
    }


def check_equal(snippets: list[str], language: str) -> int:
    """Assert fast path == visitor on each clean snippet it handles; return how many it handled."""
    scopes = language_scopes(language)
    assert scopes.fast_path is not None
    handled = 0
    for code in snippets:
        parsed = parse(code, language)
        if parsed.error_count():
            continue
        fast = scopes.fast_path(parsed)
        if fast is None:
            continue
        handled += 1
        assert canonical(fast) == canonical(scopes.visit(parsed)), code
    return handled


def test_snippets():
    """Every string literal in the test suite (and its dedented form) that parses as C or Java."""
    texts: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "(" in node.value:
                texts.add(node.value)
    texts = sorted(texts)
    handled = {language: check_equal(texts, language) for language in FAST_PATH_LANGUAGES}
    # The inputs must exercise the fast paths, or the test says nothing.
    assert handled["c"] >= 20 and handled["java"] >= 10, handled


def corpus_sample(relative: str) -> list[str]:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"{path} not available")
    with path.open() as handle:
        rows = [json.loads(line) for line in handle]
    random.Random(11).shuffle(rows)
    return [row["code"] for row in rows[:SAMPLE]]


@pytest.mark.parametrize(
    "language,relative", [("c", "juliet-c/functions.jsonl"), ("java", "bigclonebench/functions.jsonl")]
)
def test_corpus_samples(language, relative):
    handled = check_equal(corpus_sample(relative), language)
    assert handled >= SAMPLE // 3, handled


def test_every_fast_path_is_tested():
    """A language that gains a fast path must be added to this test."""
    from metacompress_eval.code.languages import SUPPORTED_LANGUAGES

    with_fast_path = {lang for lang in SUPPORTED_LANGUAGES if language_scopes(lang).fast_path is not None}
    assert with_fast_path == set(FAST_PATH_LANGUAGES)
