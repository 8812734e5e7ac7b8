"""Kind 1: C identifiers that are macros with unparenthesised bodies are opaque to reordering
and regrouping (issue 12)."""

from __future__ import annotations

import re

from metacompress_eval.transforms import get_transformation

from ..conftest import JULIET, shared_rows
from .generators import macro_inputs
from .oracles import Case, c_differences, compile_differences, follow_ups

ISSUE_EXAMPLE = "#define LOW 6 & 3\nint f(int x) {\n    if (x > LOW) {\n        return 1;\n    }\n    return 0;\n}\n"


def test_issue_example_operand_swap_leaves_the_macro_comparison_alone():
    for code in (ISSUE_EXAMPLE, ISSUE_EXAMPLE.split("\n", 1)[1]):  # with and without the #define
        for seed in range(4):
            result = get_transformation("operand_swap").apply(code, "c", seed=seed)
            assert not result.applied, result.code
            assert "macro" in result.reason


def test_issue_example_redundant_parentheses_never_regroups_the_macro():
    for code in (ISSUE_EXAMPLE, ISSUE_EXAMPLE.split("\n", 1)[1]):
        for seed in range(8):
            result = get_transformation("redundant_parentheses").apply(code, "c", seed=seed)
            if result.applied:
                assert all("LOW" not in site["original"] for site in result.sites), result.code


def test_parenthesised_macro_bodies_and_lowercase_locals_still_swap():
    code = "#define LOW (6 & 3)\nint f(int x) {\n    if (x > LOW) {\n        return 1;\n    }\n    return 0;\n}\n"
    result = get_transformation("operand_swap").apply(code, "c", seed=0)
    assert result.applied and "LOW < x" in result.code
    plain = "int f(int x, int low) {\n    if (x > low) {\n        return 1;\n    }\n    return 0;\n}\n"
    assert get_transformation("operand_swap").apply(plain, "c", seed=0).applied


def test_macro_used_inside_brackets_of_an_operand_is_not_regrouped():
    code = "#define LOW 6 & 3\nint f(int x, int *v) {\n    if (x > v[LOW]) {\n        return 1;\n    }\n    return 0;\n}\n"
    result = get_transformation("operand_swap").apply(code, "c", seed=0)
    assert result.applied and "v[LOW] < x" in result.code


def test_generated_macro_inputs_keep_their_behaviour_under_all_transformations(need_gcc, tmp_path):
    cases = []
    for code, context, calls in macro_inputs(seed=0, count=28) + macro_inputs(seed=1, count=12):
        for name, result in follow_ups(code, "c", seeds=(0, 1, 2)):
            cases.append(Case.of(code, name, result, context, calls))
    assert len(cases) > 300
    differing = c_differences(cases, tmp_path)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"


# Transformations whose edit replaces an expression (and so could regroup a macro inside it).
REGROUPING = {"operand_swap", "redundant_parentheses", "loop_guard_negation", "compound_assignment_expansion",
              "increment_form"}


def test_juliet_functions_with_injected_bare_macros(need_gcc):
    # Real functions: the bound of one comparison becomes a macro with a bare body defined in the
    # input. No reordering/regrouping edit may include the macro (renaming, insertions and layout
    # edits may: they do not move operators around it), and no follow-up may add compiler errors.
    pattern = re.compile(r"(<|>|<=|>=|==|!=) (\d+)\)")
    rows = shared_rows(JULIET, 20, predicate=lambda c: pattern.search(c) is not None)
    cases = []
    for row in rows:
        literal = pattern.search(row["code"]).group(2)
        code = f"#define MC_BOUND {literal} | 0\n" + pattern.sub(lambda m: f"{m.group(1)} MC_BOUND)", row["code"], count=1)
        for name, result in follow_ups(code, "c", seeds=(0,)):
            if name in REGROUPING:
                for site in result.sites:
                    assert "MC_BOUND" not in site["original"], (name, site, result.code)
            cases.append(Case.of(code, name, result))
    assert len(cases) > 50
    differing = compile_differences(cases, "c")
    assert not differing, differing[0]
