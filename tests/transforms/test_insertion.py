"""unused_declaration, plus compile / execution checks of every new transformation (batched)."""

import subprocess
import textwrap

import pytest

from .test_compile_and_execute import C_FUNCTIONS, C_PRELUDE, JAVA_METHODS, PY_FUNCTIONS, run_function
from .transform_helpers import gcc_syntax_errors, javac_errors
from metacompress_eval.code.languages import parse
from metacompress_eval.transforms import apply_chain, get_transformation

NEW = (
    ("rename_function", {}),
    ("rename_variables", {"strategy": "synonym"}),
    ("rename_variables", {"strategy": "corpus"}),
    ("unused_declaration", {}),
    ("reindent", {}),
    ("brace_style", {}),
    ("blank_lines", {}),
    ("comment_insert", {}),
    ("comment_remove", {}),
)
CHAIN = ["rename_variables", "dead_code", "unused_declaration", "comment_insert", "reindent"]


def unused(code, language, seed=0, **params):
    return get_transformation("unused_declaration", **params).apply(code, language, seed)


@pytest.mark.parametrize(
    "language,code,expected",
    [
        ("c", "int f(int a) {\n    return a;\n}\n", "int f(int a) {\n    int {n} = 0;\n    return a;\n}\n"),
        ("java", "int f(int a) {\n  return a;\n}\n", "int f(int a) {\n  int {n} = 0;\n  return a;\n}\n"),
        ("python", "def f(a):\n    return a\n", "def f(a):\n    {n} = 0\n    return a\n"),
        ("javascript", "function f(a) {\n  return a;\n}\n", "function f(a) {\n  let {n} = 0;\n  return a;\n}\n"),
        ("go", "func f(a int) int {\n\treturn a\n}\n", "func f(a int) int {\n\t{n} := 0\n\t_ = {n}\n\treturn a\n}\n"),
    ],
)
def test_unused_declaration_per_language(language, code, expected):
    result = unused(code, language, placement="start")
    name = result.params["declared"]
    assert result.code == expected.replace("{n}", name)
    assert name not in code


def test_unused_declaration_placement_and_exclusions():
    code = 'def f(x):\n    """Doc."""\n    class K:\n        a = 1\n        b = 2\n    return K\n'
    for seed in range(20):
        out = unused(code, "python", seed).code
        assert out.startswith('def f(x):\n    """Doc."""\n')  # never before the docstring
        assert "        a = 1\n        b = 2\n" in out  # never in a class body
    single = "int f(int a) { if (a) { a++; } return a; }"
    outs = {unused(single, "c", s).code for s in range(20)}
    assert any("{ int " in o for o in outs) and all(parse(o, "c").error_count() == 0 for o in outs)


# --------------------------------------------------------------------------- batched compile checks


def new_follow_ups(code, language, seeds=range(2)):
    out = []
    for name, params in NEW:
        for seed in seeds:
            result = get_transformation(name, **params).apply(code, language, seed)
            if result.applied:
                out.append((name, result.code))
    for seed in seeds:
        result = apply_chain(code, language, CHAIN, seed, k=3)
        if result.applied:
            out.append(("chain", result.code))
    return out


def test_c_new_follow_ups_compile(tmp_path, need_gcc):
    units, applied = [], set()
    for code in C_FUNCTIONS:
        for name, follow_up in new_follow_ups(code, "c"):
            units.append(C_PRELUDE + follow_up)
            applied.add(name)
    assert {"rename_function", "unused_declaration", "brace_style", "reindent", "chain"} <= applied
    assert gcc_syntax_errors(tmp_path, units) == []


def test_java_new_follow_ups_compile(tmp_path, need_javac):
    classes = {}
    for i, code in enumerate(JAVA_METHODS):
        for j, (_, follow_up) in enumerate(new_follow_ups(code, "java")):
            classes[f"New{i}_{j}"] = f"class New{i}_{j} {{\n{follow_up}}}\n"
    assert len(classes) > 20
    assert javac_errors(tmp_path, classes) == []


def test_python_new_follow_ups_compile_and_behave_the_same():
    checked = 0
    for source, name, calls in PY_FUNCTIONS:
        source = textwrap.dedent(source)
        expected = run_function(source, name, calls)
        for transformation, follow_up in new_follow_ups(source, "python"):
            compile(follow_up, "<follow-up>", "exec")
            if transformation == "rename_function" or transformation == "chain" and not follow_up.startswith(f"def {name}("):
                continue  # the entry point has a new name; checked below
            assert run_function(follow_up, name, calls) == expected, (transformation, follow_up)
            checked += 1
        renamed = get_transformation("rename_function").apply(source, "python", 0)
        assert run_function(renamed.code, renamed.params["new"], calls) == expected
    assert checked >= 15


C_HARNESS = """\
#include <stdio.h>
int collatz(int n) {
    int steps = 0;   /* counted */
    while (n != 1) {
        if (n % 2 == 0) {
            n = n / 2;
        } else {
            n = 3 * n + 1;
        }
        steps++;
    }
    return steps;
}

int main(void) {
    int i;
    for (i = 1; i < 30; i++) printf("%d ", collatz(i));
    printf("\\n");
    return 0;
}
"""


def test_c_new_follow_ups_run_the_same(tmp_path, need_gcc):
    function, main = C_HARNESS.split("\nint main", 1)
    programs = [C_HARNESS]
    for name, params in NEW:
        result = get_transformation(name, **params).apply(function + "\n", "c", 1)
        if result.applied:
            new_main = main.replace("collatz(i)", f"{result.params['new']}(i)") if name == "rename_function" else main
            programs.append(result.code + "\nint main" + new_main)
    assert len(programs) >= 8
    outputs = set()
    for i, program in enumerate(programs):
        src, exe = tmp_path / f"p{i}.c", tmp_path / f"p{i}"
        src.write_text(program)
        build = subprocess.run(["gcc", "-O0", "-o", str(exe), str(src)], capture_output=True, text=True, timeout=60)
        assert build.returncode == 0, build.stderr
        outputs.add(subprocess.run([str(exe)], capture_output=True, text=True, timeout=10).stdout)
    assert len(outputs) == 1
