"""The span indexes of ``code/spans.py`` (and the leaf walk of ``tokens_preserved``) give the same
answers as the walks they replace: ``node.parent`` chains, walks of subtrees, one descent from the
root per edit. Checked on generated code of every shape and language, on nodes sampled from the
whole tree (empty nodes included), in a few seconds."""

from __future__ import annotations

import random
import re

import pytest

from metacompress_eval.code.declarations import declared_names, declares_any
from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import SUPPORTED_LANGUAGES, nodes_of_types, parse, tokens_preserved, walk_tree
from metacompress_eval.code.spans import contains_type, enclosing, parents_of, with_ancestors
from metacompress_eval.code.syntax import FUNCTION_LIKE, LOOPS, STATEMENT_CONTAINERS
from tests.robustness.code_shapes import SHAPES

_ARGUMENTS = {"size": 1500, "blocks": 25, "expression": 30, "literals": 1500}
_SNIPPETS = {
    "c": "int f(int n) { for (;;) {} if (n) ; return n; }\n",
    "python": "def f(n):\n    class A:\n        pass\n    return lambda: n\n",
    "javascript": "function f(n) { const g = () => { for (let i = 0; i < n; i++) {} }; return g; }\n",
}


def _inputs():
    for language in SUPPORTED_LANGUAGES:
        for shape, argument in _ARGUMENTS.items():
            yield pytest.param(language, SHAPES[shape](language, argument), id=f"{language}-{shape}")
        if language in _SNIPPETS:
            yield pytest.param(language, _SNIPPETS[language], id=f"{language}-snippet")


def _ancestors(node):
    chain = []
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain[::-1]


@pytest.mark.parametrize("language, code", list(_inputs()))
def test_span_indexes_agree_with_walks(language, code):
    parsed = parse(code, language)
    nodes = list(walk_tree(parsed.root))
    rng = random.Random(len(code))
    sample = [nodes[i] for i in sorted(rng.sample(range(len(nodes)), min(250, len(nodes))))]
    # Ancestors and parents from one cursor pass = the parent chains.
    for node, path in with_ancestors(parsed.root, sample):
        assert [n.id for n in path] == [n.id for n in _ancestors(node)]
    parents = parents_of(parsed.root, sample)
    assert all((parents[n.id].id if parents[n.id] else None) == (n.parent.id if n.parent else None) for n in sample)
    # Innermost enclosing node among the sample = first sampled ancestor.
    ids = {n.id: i for i, n in enumerate(sample)}
    expected = []
    for node in sample:
        above = node.parent
        while above is not None and above.id not in ids:
            above = above.parent
        expected.append(ids[above.id] if above is not None else -1)
    assert enclosing(sample) == expected
    # Subtree questions = a query of the subtree.
    for types in (FUNCTION_LIKE, LOOPS, STATEMENT_CONTAINERS, frozenset({"identifier"})):
        for node in sample:
            found = nodes_of_types(node, language, types)
            for proper in (False, True):
                walked = any(not proper or n != node for n in found)
                assert contains_type(parsed, node, types, proper=proper) == walked, (node.type, sorted(types)[:2])


@pytest.mark.parametrize("language, code", list(_inputs()))
def test_declares_any_agrees_with_declared_names(language, code):
    parsed = parse(code, language)
    names = sorted({parsed.text(n) for n in walk_tree(parsed.root) if n.type == "identifier"})[:40]
    for node in walk_tree(parsed.root):
        if node.type in STATEMENT_CONTAINERS or node.type in LOOPS:
            declared = declared_names(parsed, node)
            for name in names:
                assert declares_any(parsed, node, {name}) == (name in declared), (node.type, name)


@pytest.mark.parametrize("language", ["c", "java"])
@pytest.mark.parametrize("shape", ["size", "blocks", "literals"])
def test_many_edits_checked_like_single_ones(language, shape):
    """``tokens_preserved`` checks more than a few edits against one walk of the leaves: each of
    many non-touching edits is judged as it is alone (identifier renames, whitespace gaps)."""
    parsed = parse(SHAPES[shape](language, _ARGUMENTS[shape]), language)
    data = parsed.data
    edits = []
    for match in re.finditer(rb"[A-Za-z_][A-Za-z0-9_]*|[ \t\r\n]+", data):
        start, end = match.span()
        if edits and start <= edits[-1].end:
            continue
        word = data[start:end][:1].isalpha() or data[start:end][:1] == b"_"
        edits.append(Edit(start, end, "renamed" if word else ("\n" if b"\n" not in data[start:end] else " ")))
    edits = edits[::3]  # non-touching
    assert len(edits) > 40
    singly = [tokens_preserved(parsed, [edit]) for edit in edits]
    assert any(singly) and not all(singly)
    for chunk in range(0, len(edits) - 20, 20):
        batch = edits[chunk:chunk + 20]
        assert tokens_preserved(parsed, batch) == all(singly[chunk:chunk + 20])
