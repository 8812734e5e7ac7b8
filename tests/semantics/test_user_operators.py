"""Kind 7: comparisons whose operands may run user code (Python dunders, JavaScript valueOf and
getters) are not reordered."""

from __future__ import annotations

from metacompress_eval.transforms import get_transformation

from .generators import javascript_user_operator_inputs, python_user_operator_inputs
from .oracles import Case, follow_ups, javascript_differences, python_differences


def test_issue_examples_are_not_swapped():
    python = "def f(a, b):\n    if a < b:\n        return 1\n    return 0\n"
    javascript = "function f(a, b) {\n  if (a < b) {\n    return 1;\n  }\n  return 0;\n}\n"
    for code, language in ((python, "python"), (javascript, "javascript")):
        result = get_transformation("operand_swap").apply(code, language, seed=0)
        assert not result.applied, result.code


def test_comparisons_without_user_code_are_still_swapped():
    cases = [("def f(a):\n    n = len(a)\n    if n < 3:\n        return 1\n    return 0\n", "python"),
             ("def f(a):\n    if a == 3:\n        return 1\n    return 0\n", "python"),
             ("function f(a, b) {\n  if (a === b) {\n    return 1;\n  }\n  return 0;\n}\n", "javascript"),
             ("function f(a) {\n  if (a < 3) {\n    return 1;\n  }\n  return 0;\n}\n", "javascript")]
    for code, language in cases:
        assert get_transformation("operand_swap").apply(code, language, seed=0).applied, code


def test_python_user_operators_keep_their_order():
    cases = []
    for code, context, calls in python_user_operator_inputs():
        for name, result in follow_ups(code, "python", seeds=(0, 1, 2)):
            cases.append(Case.of(code, name, result, context, calls))
    differing = python_differences(cases)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"


def test_javascript_value_of_keeps_its_order(need_node):
    cases = []
    for code, context, calls in javascript_user_operator_inputs():
        for name, result in follow_ups(code, "javascript", seeds=(0, 1, 2)):
            cases.append(Case.of(code, name, result, context, calls))
    differing = javascript_differences(cases)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"
