"""Kind 5: a dead-code copy resolves every name to the same declaration at its new position
(Java lambda/loop/catch/pattern variables vs. later locals, C shadowing), or is not made."""

from __future__ import annotations

import pytest

from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import analyze
from metacompress_eval.transforms import get_transformation

from ..conftest import BIGCLONEBENCH, JULIET, shared_rows
from .generators import C_SHADOW_CONFLICTS, JAVA_COPY_CONFLICTS
from .oracles import Case, compile_differences

ISSUE_EXAMPLE = JAVA_COPY_CONFLICTS[0]


def _dead_code_cases(codes, language, seeds=range(12)):
    cases = []
    for code in codes:
        for seed in seeds:
            result = get_transformation("dead_code").apply(code, language, seed=seed)
            if result.applied:
                cases.append(Case(code, result.code, f"dead_code seed {seed}"))
    return cases


def test_issue_example_lambda_parameter_is_not_copied_after_the_local(need_javac):
    cases = _dead_code_cases([ISSUE_EXAMPLE], "java")
    for case in cases:
        copy_after_local = case.follow_up.index("int v = 3;") < case.follow_up.rfind("forEach(v ->")
        assert not copy_after_local, case.follow_up
    assert not compile_differences(cases, "java")


def test_java_copies_compile(need_javac):
    cases = _dead_code_cases(JAVA_COPY_CONFLICTS, "java")
    assert len(cases) > 40
    differing = compile_differences(cases, "java")
    assert not differing, f"{len(differing)} follow-ups do not compile; first:\n{differing[0]}"


def _resolutions(code: str, language: str, start: int, end: int, shift_from: int | None = None, shift: int = 0):
    """``(name, declaration)`` of every identifier occurrence in ``code[start:end]``, in order: the
    declaration is ``"self"`` when it lies in that range, its (unshifted) span otherwise, ``None``
    when unresolved."""
    analysis = analyze(parse(code, language))
    found = {}
    for symbol in analysis.symbols:
        first = min(symbol.declarations)
        for span in symbol.occurrences():
            found[span] = first
    for _, span in analysis.unresolved:
        found[span] = None
    out = []
    for span in sorted(found):
        if start <= span[0] and span[1] <= end:
            declaration = found[span]
            if declaration is not None and start <= declaration[0] < end:
                declaration = "self"
            elif declaration is not None and shift_from is not None and declaration[0] >= shift_from:
                declaration = (declaration[0] - shift, declaration[1] - shift)
            out.append((code[span[0]:span[1]], declaration))
    return out


@pytest.mark.parametrize("language,codes", [("c", C_SHADOW_CONFLICTS), ("java", JAVA_COPY_CONFLICTS)])
def test_copies_resolve_every_name_to_the_same_declaration(language, codes):
    checked = 0
    for code in codes:
        for seed in range(12):
            result = get_transformation("dead_code").apply(code, language, seed=seed)
            if not result.applied or result.params["body_kind"] != "copy":
                continue
            copied_from = result.params["copied_from"]
            position, inserted = result.params["position"], result.params["inserted"]
            source_statement = [s for s in _statements(code, language) if s[0] == copied_from][0]
            before = _resolutions(code, language, *source_statement)
            after = _resolutions(result.code, language, position, position + len(inserted), position + len(inserted),
                                 len(inserted))
            assert before == after, (result.code, before, after)
            checked += 1
    assert checked >= 5


def _statements(code: str, language: str):
    parsed = parse(code, language)
    out = []
    stack = [parsed.root]
    while stack:
        node = stack.pop()
        if node.parent is not None and node.parent.type in ("compound_statement", "block"):
            out.append(parsed.span(node))
        stack.extend(node.children)
    return out


def test_c_shadow_conflicts_compile(need_gcc):
    cases = _dead_code_cases(C_SHADOW_CONFLICTS, "c")
    differing = compile_differences(cases, "c")
    assert not differing, differing[0]


def test_dead_code_on_shared_corpora_adds_no_compiler_errors(need_javac, need_gcc):
    java = [r["code"] for r in shared_rows(BIGCLONEBENCH, 60, predicate=lambda c: "->" in c or "catch" in c)]
    c = [r["code"] for r in shared_rows(JULIET, 40)]
    for codes, language in ((java, "java"), (c, "c")):
        cases = _dead_code_cases(codes, language, seeds=range(3))
        differing = compile_differences(cases, language)
        assert not differing, f"{language}: {len(differing)} of {len(cases)}; first:\n{differing[0]}"
