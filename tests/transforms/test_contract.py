"""The transformation contract (see ``contract.py``) for every registered transformation and each of
its languages: on the snippets the tests are written with, and on samples of real code (Juliet C,
BigCloneBench Java, Python standard library; the shared corpora skip cleanly when absent).

A new transformation is picked up from the registry: it must apply somewhere on the test snippets
of each language it declares, so its own tests must contain such snippets.
"""

import pytest

from metacompress_eval.code.refusals import REFUSAL_CAUSES

from .contract import check_result, run_corpus, test_snippets
from .transform_helpers import sample_rows, stdlib_functions
from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import analyze
from metacompress_eval.transforms import list_transformations

# Known gaps, kept visible: a fix makes the strict xfail fail, and the entry is removed.
NEVER_APPLIES = {
    ("compound_assignment_expansion", "javascript"):
        "its sites miss JavaScript's augmented_assignment_expression (semantic fix: issue 12)",
}


def _cases():
    for transformation in list_transformations():
        for language in sorted(transformation.languages):
            reason = NEVER_APPLIES.get((transformation.name, language))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(transformation.name, language, marks=marks, id=f"{transformation.name}-{language}")


@pytest.mark.parametrize("name,language", list(_cases()))
def test_contract_on_test_snippets(name, language):
    """Applies somewhere; every result keeps the contract; the same seed gives the same result."""
    counts = run_corpus(list(test_snippets(language)), language, [name], repeat=True)[name]
    assert counts["applied"] >= 1, (name, language, dict(counts))


@pytest.mark.parametrize("transformation", list_transformations(), ids=lambda t: t.name)
def test_not_applicable_gives_a_reason_and_no_code(transformation):
    result = transformation.apply("x = 1", "cobol", 0)
    check_result(transformation, "x = 1", "cobol", 0, result)
    assert result.status == "not_applicable" and "cobol" in result.reason
    broken = {"c": "int f( { if (x) a; else b; int y; ", "java": "void f( { int x = ; ",
              "python": "def f(:\n    return (\n", "javascript": "function f( { let = ; ",
              "go": "func f( { x := ; "}
    for language in sorted(transformation.languages):
        code = broken[language]
        assert parse(code, language).error_count()
        result = transformation.apply(code, language, 0)
        check_result(transformation, code, language, 0, result)
        assert result.status == "not_applicable" and result.reason.startswith("source has syntax errors")
        assert result.refusal in REFUSAL_CAUSES


# ----------------------------------------------------------------------------------- real code

# Observed on these seeded samples of 150 (the shared corpora, Python stdlib functions); the
# minimums leave some slack. Python parameters are never renamed, and many stdlib functions have
# no other locals; Juliet functions carry no comments, so comment_remove never applies there.
MIN_RATES = {
    "c": {"rename_variables": 0.8, "dead_code": 0.9, "if_else_swap": 0.15, "for_to_while": 0.08,
          "loop_guard_negation": 0.08, "operand_swap": 0.4, "increment_form": 0.12, "redundant_parentheses": 0.9,
          "swap_statements": 0.35, "switch_to_if": 0.02, "rename_function": 0.9, "unused_declaration": 0.9,
          "reindent": 0.9, "brace_style": 0.9, "blank_lines": 0.9, "comment_insert": 0.9},
    "java": {"rename_variables": 0.8, "dead_code": 0.9, "if_else_swap": 0.1, "for_to_while": 0.08,
             "while_to_for": 0.15, "else_if_to_nested": 0.04, "loop_guard_negation": 0.08, "operand_swap": 0.35,
             "boolean_literal": 0.15, "increment_form": 0.08, "redundant_parentheses": 0.85,
             "swap_statements": 0.12, "rename_function": 0.6, "unused_declaration": 0.9, "reindent": 0.9,
             "brace_style": 0.9, "blank_lines": 0.9, "comment_insert": 0.9},
    "python": {"rename_variables": 0.4, "dead_code": 0.9, "if_else_swap": 0.05, "else_if_to_nested": 0.03,
               "operand_swap": 0.12, "boolean_literal": 0.1, "redundant_parentheses": 0.8, "swap_statements": 0.1,
               "rename_function": 0.3, "unused_declaration": 0.9, "reindent": 0.9, "blank_lines": 0.9,
               "comment_insert": 0.9, "comment_remove": 0.1},
}


def unresolved_names(code, language):
    return sorted(name for name, _ in analyze(parse(code, language)).unresolved)


def check_real_code(snippets, language):
    def extra_check(name, code, follow_up):
        if name == "rename_variables":
            # Free names (globals, functions, macros, fields' owners) are never touched.
            assert unresolved_names(follow_up, language) == unresolved_names(code, language)
        if language == "python":
            compile(follow_up, f"<{name}>", "exec")

    counts = run_corpus(snippets, language, extra_check=extra_check)
    rates = {name: c["applied"] / len(snippets) for name, c in counts.items()}
    for name, c in counts.items():
        print(f"{language} {name}: {dict(c)} applicability={rates[name]:.0%}")
        assert c["rejected"] == 0, (name, dict(c))
    for name, minimum in MIN_RATES[language].items():
        assert rates[name] >= minimum, (name, rates[name])


def test_juliet_c_sample():
    check_real_code(sample_rows("juliet-c/functions.jsonl"), "c")


def test_bigclonebench_java_sample():
    check_real_code(sample_rows("bigclonebench/functions.jsonl"), "java")


def test_python_stdlib_functions():
    check_real_code(stdlib_functions(), "python")
