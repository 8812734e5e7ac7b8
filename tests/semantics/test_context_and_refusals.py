"""The context column (the enclosing file) and inputs with parse errors (issue 12)."""

from __future__ import annotations

import pytest

from metacompress_eval.code.context import parse_context
from metacompress_eval.code.languages import parse
from metacompress_eval.code.refusals import REFUSAL_CAUSES, error_regions, refusal_cause
from metacompress_eval.transforms import get_transformation, list_transformations

ALONE = "int f(int x) {\n    if (x > LOW) {\n        return 1;\n    }\n    return 0;\n}\n"


def test_unknown_macro_is_skipped_for_lack_of_context_and_resolved_with_it():
    swap = get_transformation("operand_swap")
    alone = swap.apply(ALONE, "c", seed=0)
    assert not alone.applied and alone.lacks_context and "context" in alone.reason
    bare = swap.apply(ALONE, "c", seed=0, context="#define LOW 6 & 3\n")
    assert not bare.applied and not bare.lacks_context
    value = swap.apply(ALONE, "c", seed=0, context="#include <stdio.h>\n#define LOW (6 & 3)\nstatic int g;\n")
    assert value.applied and "LOW < x" in value.code and value.provenance()["context"] is True
    global_variable = swap.apply(ALONE, "c", seed=0, context="int LOW = 4;\nint other(void) { return LOW; }\n")
    assert global_variable.applied


def test_context_macros_mentioning_locals_keep_them_and_fresh_names_avoid_context_words():
    code = "int f(int a) {\n    int total = a + 1;\n    int step = 2;\n    return SCALED + step;\n}\n"
    context = "#define SCALED (total * 2)\nint count, value, buffer, index_, result;\n"
    for seed in range(6):
        result = get_transformation("rename_variables").apply(code, "c", seed=seed, context=context)
        assert result.applied
        renamed = {r["old"]: r["new"] for r in result.params["renames"]}
        assert "total" not in renamed and "step" in renamed
        assert not set(renamed.values()) & parse_context(context, "c").words


def test_parse_context_reads_macros_and_top_level_names():
    context = parse_context("#define A 1 + 2\n#define SQ(v) v * v\nint g;\nstatic int h(int x) { return x; }\n"
                            "typedef struct { int q; } T;\nenum { RED, GREEN };\n", "c")
    assert set(context.macros) == {"A", "SQ"} and context.macros["SQ"].params == ("v",)
    assert {"g", "h", "T", "RED", "GREEN"} <= context.names
    assert parse_context("", "c") is None and parse_context(None, "python") is None
    python = parse_context("import os\nLIMIT = 3\ndef helper(x):\n    return x\nclass K:\n    pass\n", "python")
    assert {"os", "LIMIT", "helper", "K"} <= python.names


CASE_RANGE = ("int f(int c, int d) {\n    int r = 0;\n    switch (c) {\n    case 1 ... 5:\n        r = 1;\n"
              "        break;\n    default:\n        r = 2;\n    }\n    if (d > 3) {\n        r = r + d;\n    }\n"
              "    return r;\n}\n")


def test_local_parse_error_lets_transformations_apply_elsewhere():
    parsed = parse(CASE_RANGE, "c")
    regions = error_regions(parsed)
    assert regions and all("case 1 ... 5" in CASE_RANGE[lo:hi] for lo, hi in regions)
    assert refusal_cause(parsed) == "gnu_case_range"
    applied = set()
    for transformation in list_transformations("c"):
        for seed in range(4):
            result = transformation.apply(CASE_RANGE, "c", seed=seed)
            if result.applied:
                applied.add(transformation.name)
                # Nothing inside the statement that does not parse changes.
                for site in result.sites:
                    assert not any(lo < site["end"] and site["start"] < hi for lo, hi in regions), result.code
                assert "case 1 ... 5:\n        r = 1;" in result.code
    assert {"operand_swap", "dead_code", "unused_declaration", "redundant_parentheses"} <= applied
    # ``r`` is spelled in the statement that does not parse: it is never renamed; ``d`` may be.
    for seed in range(4):
        result = get_transformation("rename_variables").apply(CASE_RANGE, "c", seed=seed)
        if result.applied:
            assert "r" not in {r["old"] for r in result.params["renames"]}


@pytest.mark.parametrize("code,cause", [
    ("int f(int a) {\n#ifdef X\n  if (a > 0) {\n#else\n  if (a < 0) {\n#endif\n    a = a + 1;\n  }\n  return a;\n}\n",
     "preprocessor_conditional"),
    ("int f(int a) {\n  int b __attribute__((unused)) = a;\n  return b;\n}\n", "gnu_attribute"),
    ("int f( { if (x) a; else b; int y; ", "other"),
])
def test_inputs_refused_whole_name_their_cause(code, cause):
    result = get_transformation("rename_variables").apply(code, "c", seed=0)
    assert result.status == "not_applicable" and result.refusal == cause and cause in REFUSAL_CAUSES
    assert result.reason.startswith("source has syntax errors")


def test_cause_of_a_local_error_is_named_too():
    code = "int f(int a) {\n  int b = ({ int t = a; t; }) + ;\n  return b;\n}\n"
    assert refusal_cause(parse(code, "c")) == "gnu_statement_expression"
