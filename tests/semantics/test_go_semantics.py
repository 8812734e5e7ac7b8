"""Kind 3: Go beyond syntax: dead-code copies stay type-correct, loop rewrites respect
per-iteration loop variables, and follow-ups pass the real Go check (``go build`` + ``go vet``)."""

from __future__ import annotations

from metacompress_eval.transforms import get_transformation

from .generators import GO_COPY_CONFLICTS, GO_LOOP_VARIABLE_CAPTURES
from .oracles import Case, compile_differences, follow_ups

ISSUE_EXAMPLE = GO_COPY_CONFLICTS[0]


def test_issue_example_dead_code_never_copies_across_the_shadowing_declaration():
    for seed in range(12):
        result = get_transformation("dead_code").apply(ISSUE_EXAMPLE, "go", seed=seed)
        if result.applied and result.params["body_kind"] == "copy":
            inserted = result.params["inserted"]
            after_shadow = result.params["position"] > ISSUE_EXAMPLE.index("s := fmt.Sprint(n)")
            # A copy of the whole block holds its own shadowing declaration and is fine.
            assert not ("s = n * 2" in inserted and "s := fmt.Sprint" not in inserted and after_shadow), result.code


def test_copy_conflicts_compile_with_go(need_go):
    cases = []
    for code in GO_COPY_CONFLICTS:
        for seed in range(10):
            result = get_transformation("dead_code").apply(code, "go", seed=seed)
            if result.applied:
                cases.append(Case(code, result.code, "dead_code"))
    assert len(cases) >= 20
    differing = compile_differences(cases, "go")
    assert not differing, f"{len(differing)} follow-ups do not compile; first:\n{differing[0]}"


def test_all_transformations_of_go_inputs_pass_go_build_and_vet(need_go):
    cases = []
    for code in GO_COPY_CONFLICTS + GO_LOOP_VARIABLE_CAPTURES:
        context = "type point struct{ x, y int }\n" if "point" in code else ""
        for name, result in follow_ups(code, "go", seeds=(0, 1, 2, 3)):
            cases.append(Case.of(code, name, result, context))
    assert len(cases) > 80
    differing = compile_differences(cases, "go")
    assert not differing, f"{len(differing)} follow-ups fail the Go check; first:\n{differing[0]}"


def test_loop_variables_with_address_taken_or_captured_are_not_rewritten():
    for code in GO_LOOP_VARIABLE_CAPTURES:
        for seed in range(4):
            result = get_transformation("for_to_while").apply(code, "go", seed=seed)
            assert not result.applied, result.code
            assert "per-iteration" in result.reason


def test_plain_go_loops_are_still_rewritten():
    code = "func f(n int) int {\n\ttotal := 0\n\tfor i := 0; i < n; i++ {\n\t\ttotal += i\n\t}\n\treturn total\n}\n"
    result = get_transformation("for_to_while").apply(code, "go", seed=0)
    assert result.applied and "for i < n {" in result.code
