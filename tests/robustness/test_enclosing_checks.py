"""Checks of the kind "is this node inside a node of type X" stay linear in the nesting depth.

tree-sitter computes ``node.parent`` by descending from the root, so walking a node's ancestors costs
depth² and a per-candidate walk made transformations cubic on an ``else if`` chain (a 500-branch C chain
took 7 s in ``redundant_parentheses``, 1,600 branches — still under the default size cap — minutes), and
``else_if_to_nested`` re-checked and re-indented the whole Python ``elif`` chain for every clause.
"""

from __future__ import annotations

import random

import pytest

from metacompress_eval.code.languages import parse, walk_tree
from metacompress_eval.code.syntax import ancestors, inside_type
from metacompress_eval.transforms.registry import get_transformation

from .costs import growth, measure


def else_if_chain(language: str, branches: int) -> str:
    """One function whose body is an ``else if`` chain of ``branches`` arms (each arm nests one level)."""
    arms = [f"if (a == {i}) {{ r = {i}; }}" for i in range(branches)]
    if language == "python":
        body = "".join(f"    {'if' if i == 0 else 'elif'} a == {i}:\n        r = {i}\n" for i in range(branches))
        return f"def f(a):\n    r = 0\n{body}    return r\n"
    if language == "go":
        chain = " else ".join(f"if a == {i} {{ r = {i} }}" for i in range(branches))
        return f"func f(a int) int {{ r := 0\n {chain}\n return r }}"
    chain = " else ".join(arms)
    return {"c": f"int f(int a) {{ int r = 0; {chain} return r; }}",
            "java": f"int f(int a) {{ int r = 0; {chain} return r; }}",
            "javascript": f"function f(a) {{ let r = 0; {chain} return r; }}"}[language]


CASES = [(name, lang) for name in ("redundant_parentheses", "boolean_literal", "swap_statements", "else_if_to_nested")
         for lang in ("c", "java", "javascript", "python", "go")
         if lang in get_transformation(name).languages]


@pytest.mark.parametrize("name,language", CASES)
def test_cost_grows_linearly_with_else_if_depth(name, language):
    transformation = get_transformation(name)
    small, large = (measure(lambda n=n: transformation.apply(else_if_chain(language, n), language, seed=0),
                            memory=False) for n in (60, 240))
    # 4x the branches: linear work grows about 4x; the ancestor walks grew it 10-16x.
    assert growth(small, large)["operations"] < 6, (name, language, small, large)


@pytest.mark.parametrize("language", ["c", "java", "javascript", "python", "go"])
def test_inside_type_matches_the_ancestor_walk(language):
    rng = random.Random(language)
    code = else_if_chain(language, 12)
    parsed = parse(code, language)
    nodes = list(walk_tree(parsed.root))
    kinds = sorted({n.type for n in nodes if n.is_named})
    for _ in range(20):
        types = frozenset(rng.sample(kinds, k=min(len(kinds), rng.randint(1, 4))))
        for node in nodes:
            expected = any(a.type in types for a in ancestors(node))
            assert inside_type(parsed, node, types) == expected, (types, node.type, node.start_byte)
