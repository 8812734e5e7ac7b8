"""Kind 2 beyond the issue's examples: names (and orders) a program observes at run time.

JavaScript bindings that name the anonymous function they hold (``handler.name``), shorthand
properties that are a key and a variable at once, the order of a Python class body (dataclass
fields, ``vars()``, Enum members), and the snippet's own function whose name the code reads
(``f.__name__``, frames, ``__func__``, stack traces): found by auditing issue 12 with inputs of
each kind that its first tests did not hold.
"""

from __future__ import annotations

import pytest

from metacompress_eval.attacks.base import Subject
from metacompress_eval.transforms import get_transformation

from .generators import (FUNCTION_NAME_DATA, javascript_data_name_inputs, python_class_body_inputs)
from .oracles import Case, follow_ups, javascript_differences, python_differences


def test_javascript_function_names_and_shorthands_keep_behaviour(need_node):
    cases = []
    for code, context, calls in javascript_data_name_inputs():
        for name, result in follow_ups(code, "javascript"):
            cases.append(Case.of(code, name, result, context, calls))
    assert len(cases) > 40
    differing = javascript_differences(cases)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"


def test_attack_renamer_keeps_a_function_binding_whose_value_escapes():
    escapes = "function f(a) {\n  const handler = () => a;\n  return handler.name;\n}\n"
    called = "function f(a) {\n  const handler = () => a;\n  return handler() + 1;\n}\n"
    assert "handler" not in {s.name for s in Subject(escapes, "javascript").symbols}
    assert "handler" in {s.name for s in Subject(called, "javascript").symbols}


def test_shorthand_property_is_a_use_for_swap_statements():
    code = "function f(a, b) {\n  const total = a + b;\n  const o = {total, a};\n  return o;\n}\n"
    for seed in range(4):
        result = get_transformation("swap_statements").apply(code, "javascript", seed=seed)
        assert not result.applied, result.code


def test_python_class_bodies_keep_their_order():
    cases = []
    for code, context, calls in python_class_body_inputs():
        for seed in range(4):
            result = get_transformation("swap_statements").apply(code, "python", seed=seed)
            assert not result.applied, result.code
        for name, result in follow_ups(code, "python"):
            cases.append(Case.of(code, name, result, context, calls))
    differing = python_differences(cases)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"


@pytest.mark.parametrize("language", sorted(FUNCTION_NAME_DATA))
def test_rename_function_refuses_functions_whose_name_is_data(language):
    for code in FUNCTION_NAME_DATA[language]:
        for seed in range(3):
            result = get_transformation("rename_function").apply(code, language, seed=seed)
            assert not result.applied, result.code
            assert "name is data" in result.reason or "string literal" in result.reason, result.reason


def test_rename_function_behaviour_where_it_still_applies(need_node):
    context = "import sys, inspect\n"
    plain = {"python": "def f(a, b):\n    return f(a - 1, b) if a > 0 else b\n",
             "javascript": "function f(a, b) {\n  return a > 0 ? f(a - 1, b) : b;\n}\n"}
    for language, code in plain.items():
        assert get_transformation("rename_function").apply(code, language, seed=0).applied
    py = [Case.of(code, "rename_function", result, context, ["f(1, 2)"])
          for code in FUNCTION_NAME_DATA["python"] + [plain["python"]]
          for _, result in follow_ups(code, "python", only={"rename_function"})]
    js = [Case.of(code, "rename_function", result, "", ["f(1, 2)"])
          for code in FUNCTION_NAME_DATA["javascript"] + [plain["javascript"]]
          for _, result in follow_ups(code, "javascript", only={"rename_function"})]
    assert py and js
    differing = python_differences(py) + javascript_differences(js)
    assert not differing, differing[0]


def test_printed_crash_diagnostics_do_not_stop_rename_function():
    # printStackTrace (15% of BigCloneBench's methods) prints line numbers too: not a promise.
    java = "int f(int a) {\n    try {\n        return 10 / a;\n    } catch (ArithmeticException e) {\n        e.printStackTrace();\n    }\n    return 0;\n}\n"
    assert get_transformation("rename_function").apply(java, "java", seed=0).applied


def test_c_func_and_java_stack_traces_keep_the_function_name():
    c = 'int f(int a) {\n    printf("%s %d\\n", __func__, a);\n    return a;\n}\n'
    java = "int f(int a) {\n    System.out.println(new Throwable().getStackTrace()[0].getMethodName());\n    return a;\n}\n"
    for code, language in ((c, "c"), (java, "java")):
        result = get_transformation("rename_function").apply(code, language, seed=0)
        assert not result.applied and "name is data" in result.reason, result.code


def test_assert_messages_keep_the_expression(need_gcc, tmp_path):
    # glibc's assert prints "prog: file:line: f: Assertion `total < 10' failed." on failure. (The
    # line and function name are positions, like a stack trace's: layout transformations and
    # rename_function may change them, so only the renamers of variables are checked here.)
    import subprocess

    code = "#include <assert.h>\nint f(int a) {\n    int total = a * 2;\n    int step = a + 1;\n    assert(total < 10);\n    return total + step;\n}\n"
    assert {s.name for s in Subject(code, "c").symbols} == {"a", "step"}
    outputs = []
    for name, result in [("source", None)] + list(follow_ups(code, "c", only={"rename_variables"})):
        text = code if result is None else result.code
        (tmp_path / "u.c").write_text(text + "int main(void) { return f(7); }\n")
        subprocess.run(["gcc", "-w", "u.c", "-o", "u"], cwd=tmp_path, check=True)
        run = subprocess.run(["./u"], cwd=tmp_path, capture_output=True, text=True)
        outputs.append((name, run.returncode, run.stderr.replace("\n", " ").split(":", 1)[-1]))
    assert len(outputs) > 1 and all(o[1:] == outputs[0][1:] for o in outputs), outputs
