"""Execution check: equivalent code passes, a changed comparison is caught, loops time out."""

import time

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.verify import run_c, run_javascript, run_python

PY = """\
def below(values, limit):
    out = []
    for i in range(len(values)):
        if values[i] < limit:
            out.append(values[i])
    values.append(len(out))
    return out
"""
PY_CALLS = [([1, 5, 3], 4), ([4, 4], 4), ([], 0), (None, 1)]


def test_python_equivalent_passes():
    renamed = PY.replace("out", "kept").replace("i ", "k ").replace("[i]", "[k]")
    result = run_python(PY, renamed, PY_CALLS)
    assert result.ok and result.status == "same", result.mismatches


def test_python_changed_comparison_is_caught():
    result = run_python(PY, PY.replace("<", "<="), PY_CALLS)
    assert result.ok is False and result.status == "different"
    assert result.mismatches and "4" in result.mismatches[0]["input"]


def test_python_exception_type_is_compared():
    result = run_python(PY, PY.replace("len(values)", "len(values) + 1"), [([1], 5)])
    assert result.status == "different"
    assert result.mismatches[0]["follow_up"][:2] == ["raised", "IndexError"]


def test_python_infinite_loop_times_out_cleanly():
    started = time.monotonic()
    result = run_python(PY, PY.replace("    return out", "    while True:\n        pass"), [([1], 2)], timeout=1)
    assert result.status == "timeout" and result.ok is False
    assert time.monotonic() - started < 10
    inconclusive = run_python(PY.replace("    return out", "    while True:\n        pass"), PY, [([1], 2)],
                              timeout=1)
    assert inconclusive.status == "inconclusive" and inconclusive.ok is None


def test_python_snippet_never_runs_in_process(tmp_path):
    marker = tmp_path / "touched"
    code = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\ndef f():\n    return 1\n"
    result = run_python(code, code, [()])
    assert result.ok
    assert marker.exists()  # it ran — in the subprocess, and the parent is unaffected
    with pytest.raises(MetaCompressError):
        run_python(PY, PY, [(object(),)])  # arguments must be literals


C = """\
int count_below(const char *text, int limit) {
    int n = 0;
    for (int i = 0; text[i]; i++) {
        if (text[i] < limit) n++;
    }
    printIntLine(n);
    return n;
}
"""


def test_c_generic_driver(need_gcc):
    inputs = [("abc", 99), ("zz", 200), ("", 0)]
    renamed = C.replace(" n ", " hits ").replace("n++", "hits++").replace("(n)", "(hits)").replace("return n", "return hits")
    assert run_c(C, renamed, inputs=inputs).status == "same"
    broken = run_c(C, C.replace("<", "<="), inputs=[("abc", 98)])
    assert broken.status == "different" and broken.ok is False
    looping = run_c(C, C.replace("i++", "i += 0"), inputs=[("abc", 98)], timeout=1)
    assert looping.status == "timeout"


def test_c_juliet_function_and_custom_driver(need_gcc):
    juliet = "void func()\n{\n    int data = 5;\n    if (globalReturnsTrue()) data++;\n    printIntLine(data);\n}\n"
    assert run_c(juliet, juliet.replace("data", "value")).status == "same"
    assert run_c(juliet, juliet.replace("data++", "data--")).status == "different"
    driver = "int main(void) { func(); func(); return 3; }\n"
    same = run_c(juliet, juliet.replace("data", "value"), driver=driver)
    assert same.ok and same.source.exit_code == 3


def test_c_crash_is_behaviour(need_gcc):
    code = "int get(int i) {\n    int *p = 0;\n    if (i > 1) return *p;\n    return i;\n}\n"
    result = run_c(code, code.replace("i > 1", "i > 10"), inputs=[(5,)])
    assert result.status == "different"
    assert result.source.exit_code < 0  # killed by a signal (SIGSEGV)


JS = "function sumBelow(a, b) {\n  let s = 0;\n  for (let i = 0; i < a.length; i++) if (a[i] < b) s += a[i];\n  return s;\n}\n"


def test_javascript(need_node):
    calls = [[[1, 2, 3], 3], [[], 1]]
    renamed = JS.replace("let s", "let acc").replace("s +=", "acc +=").replace("return s", "return acc")
    assert run_javascript(JS, renamed, calls, function="sumBelow").status == "same"
    assert run_javascript(JS, JS.replace("< b", "<= b"), calls, function="sumBelow").status == "different"
    looping = run_javascript(JS, "function sumBelow(a, b) { for (;;) {} }", calls, function="sumBelow", timeout=1)
    assert looping.status == "timeout"
