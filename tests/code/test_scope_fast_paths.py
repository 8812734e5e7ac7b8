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


# Generated Java: the shapes the fast path took over from the visitor (several and nested anonymous
# or local class bodies, fields declared before or after the members that use them, fields that
# shadow or are shadowed by locals, labelled statements), mixed with the ones it always handled
# (parameters of methods, constructors and lambdas, varargs, for-each and catch variables).
_NAMES = ("a", "b", "n", "count", "item", "value", "total")


def _java_expression(rng: random.Random, depth: int) -> str:
    name, other = rng.choice(_NAMES), rng.choice(_NAMES)
    shapes = [lambda: name, lambda: f"{name} + {other}", lambda: f"f({name})", lambda: f"{name}.size",
              lambda: f"this.{name}", lambda: f"{name}.get({other})", lambda: f"new Box({name})"]
    if depth > 0:
        shapes += [lambda: f"new Task() {{ {_java_members(rng, depth - 1)} }}",
                   lambda: f"(x) -> x + {_java_expression(rng, depth - 1)}",
                   lambda: f"(int {name}, String... {other}) -> {_java_expression(rng, depth - 1)}"]
    return rng.choice(shapes)()


def _java_statements(rng: random.Random, depth: int) -> str:
    return " ".join(_java_statement(rng, depth) for _ in range(rng.randint(1, 3)))


def _java_statement(rng: random.Random, depth: int) -> str:
    name, other = rng.choice(_NAMES), rng.choice(_NAMES)
    label = rng.choice(("outer", "scan", name))
    shapes = [lambda: f"int {name} = {_java_expression(rng, depth)};",
              lambda: f"{name} = {_java_expression(rng, depth)};",
              lambda: f"use({_java_expression(rng, depth)});"]
    if depth > 0:
        inner = lambda: _java_statements(rng, depth - 1)  # noqa: E731
        shapes += [
            lambda: f"{label}: for (int {name} = 0; {name} < {other}; {name}++) {{ {inner()} "
                    f"if ({name} > 1) continue {label}; break {label}; }}",
            lambda: f"{label}: {{ {inner()} break {label}; }}",
            lambda: f"for (String {name} : {other}) {{ {inner()} }}",
            lambda: f"try {{ {inner()} }} catch (Exception {name}) {{ use({name}); }}",
            lambda: f"Task {name} = new Task() {{ {_java_members(rng, depth - 1)} }};",
            lambda: f"class Local {{ {_java_members(rng, depth - 1)} }}",
            lambda: f"{{ {inner()} }}",
        ]
    return rng.choice(shapes)()


def _java_members(rng: random.Random, depth: int) -> str:
    members = []
    for _ in range(rng.randint(1, 3)):
        name, other = rng.choice(_NAMES), rng.choice(_NAMES)
        members.append(rng.choice([
            lambda: f"int {name} = {_java_expression(rng, depth)};",
            lambda: f"private String {name}, {other};",
            lambda: f"public void run(int {other}) {{ {_java_statements(rng, depth)} }}",
            lambda: f"Task(long {name}, int... {other}) {{ {_java_statements(rng, depth)} }}",
            lambda: f"{{ {_java_statements(rng, depth)} }}",
        ])())
    return " ".join(members)


def test_generated_java_class_bodies_and_labels():
    """Seeded snippets in the shapes above: the fast path handles every one and equals the visitor."""
    rng = random.Random(17)
    snippets = []
    for _ in range(150):
        body = _java_statements(rng, 3)
        method = f"void m(int a, String b) {{ {body} }}"
        snippets.append(f"class C {{ {_java_members(rng, 1)} {method} }}" if rng.random() < 0.5 else method)
    clean = [code for code in snippets if not parse(code, "java").error_count()]
    assert len(clean) >= 120, len(clean)
    assert check_equal(clean, "java") == len(clean)
