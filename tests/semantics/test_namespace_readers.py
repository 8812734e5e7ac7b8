"""Kind 4: Python functions that read their own namespace get no inserted names and no renames."""

from __future__ import annotations

from metacompress_eval.transforms import get_transformation

from .generators import python_namespace_inputs
from .oracles import Case, follow_ups, python_differences

ISSUE_EXAMPLE = "def f(a):\n    b = a + 1\n    c = b * 2\n    return sorted(locals())\n"


def test_issue_example_gets_no_unused_declaration():
    for seed in range(4):
        result = get_transformation("unused_declaration").apply(ISSUE_EXAMPLE, "python", seed=seed)
        assert not result.applied
        assert "locals()" in result.reason


def test_no_insertion_of_a_new_name_in_namespace_readers():
    for code, _, _ in python_namespace_inputs():
        for seed in range(6):
            result = get_transformation("dead_code").apply(code, "python", seed=seed)
            assert not (result.applied and result.params["body_kind"] == "neutral"), result.code


def test_namespace_readers_keep_behaviour_under_all_transformations():
    cases = []
    for code, context, calls in python_namespace_inputs():
        for name, result in follow_ups(code, "python", seeds=(0, 1, 2, 3)):
            cases.append(Case.of(code, name, result, context, calls))
    assert len(cases) > 40
    differing = python_differences(cases)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"


def test_plain_functions_still_get_declarations():
    code = "def f(a):\n    b = a + 1\n    c = b * 2\n    return c\n"
    assert get_transformation("unused_declaration").apply(code, "python", seed=0).applied
