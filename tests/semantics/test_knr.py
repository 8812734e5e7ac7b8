"""Kind 6: K&R C definitions: renaming renames the identifier list and the declaration list."""

from __future__ import annotations

from metacompress_eval.transforms import get_transformation

from .generators import INT_CALLS, KNR_INPUTS
from .oracles import Case, c_differences, compile_differences, follow_ups

ISSUE_EXAMPLE = KNR_INPUTS[0]


def test_issue_example_renames_both_lists():
    result = get_transformation("rename_variables").apply(ISSUE_EXAMPLE, "c", seed=0)
    assert result.applied
    renames = {r["old"]: r["new"] for r in result.params["renames"]}
    w, h = renames["w"], renames["h"]
    assert result.code == f"int area({w}, {h}) int {w}; int {h}; {{ return {w} * {h}; }}\n"


def test_knr_parameters_are_parameters():
    result = get_transformation("rename_variables").apply(KNR_INPUTS[2], "c", seed=0)
    kinds = {r["old"]: r["kind"] for r in result.params["renames"]}
    assert kinds["a"] == kinds["b"] == "parameter"


def test_knr_inputs_compile_and_behave_the_same(need_gcc, tmp_path):
    cases = []
    for code in KNR_INPUTS:
        for name, result in follow_ups(code, "c", seeds=(0, 1, 2, 3)):
            calls = [(1, 2), (3, 4)] if "char *s" not in code else []
            cases.append(Case.of(code, name, result, calls=calls))
    assert len(cases) > 30
    assert not compile_differences(cases, "c")
    runnable = [c for c in cases if c.calls]
    differing = c_differences(runnable, tmp_path)
    assert not differing, differing[0]
