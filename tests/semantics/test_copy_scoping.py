"""Kind 5: a dead-code copy resolves every name to the same declaration at its new position
(Java lambda/loop/catch/pattern variables vs. later locals, C shadowing), or is not made."""

from __future__ import annotations

from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import analyze
from metacompress_eval.transforms import get_transformation

from .conftest import BIGCLONEBENCH, JULIET, shared_rows
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


def _resolution(code: str, language: str) -> dict[str, list[tuple]]:
    """For every identifier occurrence: the text of the declaration it resolves to, in order."""
    parsed = parse(code, language)
    analysis = analyze(parsed)
    found = {}
    for symbol in analysis.symbols:
        first = min(symbol.declarations)
        line = code[: first[0]].count("\n")
        declaration = code.splitlines()[line].strip()
        for span in symbol.uses:
            found.setdefault(code[span[0]:span[1]], []).append((span[0], declaration))
    return {name: [d for _, d in sorted(v)] for name, v in found.items()}


def test_c_copies_keep_their_declarations():
    for code in C_SHADOW_CONFLICTS:
        for seed in range(12):
            result = get_transformation("dead_code").apply(code, "c", seed=seed)
            if not result.applied or result.params["body_kind"] != "copy":
                continue
            copied = code[result.params["copied_from"]:].split("\n", 1)[0].strip()
            position = result.params["position"]
            # Every name the copy uses resolves, at the insertion point, to the declaration it
            # resolved to where it was copied from: no declaration of it between the two.
            between = code[result.params["copied_from"] + len(copied):position]
            parsed = parse(copied if copied.endswith(";") else copied + ";", "c")
            names = {n.text.decode() for n in _identifiers(parsed.root)}
            for name in names:
                assert f" {name} =" not in between and f" {name};" not in between, (name, result.code)


def _identifiers(node):
    if node.type in ("identifier", "type_identifier"):
        yield node
    for child in node.children:
        yield from _identifiers(child)


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
