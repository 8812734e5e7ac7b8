"""swap_statements: which pairs of statements it swaps, and that the swaps compile and behave the same."""

import pytest

from .test_loops import apply, follow_ups, java_class, run_c_variants, run_python_variants
from .transform_helpers import gcc_syntax_errors, javac_errors


def test_swap_independent_declarations_keeps_comments():
    code = "int f(int a, int b) {\n    int x = a + 1; /* first */\n    // between\n    int y = b * 2;\n    x = x + y;\n    return x;\n}\n"
    assert follow_ups("swap_statements", code, "c") == [
        "int f(int a, int b) {\n    int y = b * 2; /* first */\n    // between\n    int x = a + 1;\n    x = x + y;\n    return x;\n}\n"
    ]


@pytest.mark.parametrize(
    "code,language,why",
    [
        ("void f(int a) { int x = a; int y = x; }", "c", "declares a name the other uses"),
        ("void f(int a, int b) { a = 1; b = a; }", "c", "written name is read"),
        ("void f(int a) { a++; a = 3; }", "c", "both write"),
        ("void f(int *p, int *q) { *p = 1; int y = *q; }", "c", "memory write vs memory read"),
        ("void f(int *p, int a) { int x = 0; *p = 1; x = a; int *r = &x; }", "c", "address taken"),
        ("void f(int a) { log(a); int y = 2; }", "c", "call"),
        ("int f(int a) { int y = 2; return a; }", "c", "return"),
        ("void f(int[] arr, int d) { arr[0] = 1; int q = 10 / d; }", "java", "may throw after a memory write"),
        ("def f(self):\n    self.x = 1\n    y = self.x\n", "python", "attribute write then read"),
        ('def f():\n    """doc"""\n    x = 1\n', "python", "docstring"),
    ],
)
def test_swap_not_applicable(code, language, why):
    result = apply("swap_statements", code, language)
    assert result.status == "not_applicable", why


def test_swap_other_languages():
    assert apply("swap_statements", "void f(int[] a, int x) { a[0] = 1; x = 2; }", "java").code == (
        "void f(int[] a, int x) { x = 2; a[0] = 1; }"
    )
    assert apply("swap_statements", "function f(a) { let x = 1; let y = a; return x + y; }", "javascript").code == (
        "function f(a) { let y = a; let x = 1; return x + y; }"
    )
    assert apply("swap_statements", "def f(a):\n    x = 1\n    y = a\n    return x, y\n", "python").code == (
        "def f(a):\n    y = a\n    x = 1\n    return x, y\n"
    )
    assert apply("swap_statements", "func f(a int) int { x := 1; y := a; return x + y }", "go").code == (
        "func f(a int) int { y := a; x := 1; return x + y }"
    )


C_STMTS = """\
int mix(int a, int b) {
    int x = a * 3;
    int y = b - 2;
    int buf[4];
    buf[0] = x;
    y = y * 2;
    buf[1] = y;
    x += 1;
    b = a;
    return buf[0] + buf[1] + x + b;
}
"""


def test_c_swaps_compile_and_behave_the_same(tmp_path, need_gcc):
    variants = [C_STMTS] + follow_ups("swap_statements", C_STMTS, "c", range(15))
    assert len(variants) >= 4
    assert gcc_syntax_errors(tmp_path, variants) == []
    outputs = run_c_variants(tmp_path, "mix", variants, ["1, 2", "-5, 7", "0, 0"])
    assert all(out == outputs[0] for out in outputs)


def test_java_and_python_swaps(tmp_path, need_javac):
    java = "    static int f(int a, int[] arr) { int x = a + 1; int y = 2; arr[0] = y; x = x * 2; return x + arr[0]; }\n"
    classes = {f"Sw_{i}": java_class(f"Sw_{i}", [v]) for i, v in enumerate(follow_ups("swap_statements", java, "java"))}
    assert len(classes) >= 2
    assert javac_errors(tmp_path, classes) == []
    py = "def f(a, b):\n    x = a * 2\n    y = b + 1\n    z = x - y\n    w = a\n    return z, w\n"
    variants = [py] + follow_ups("swap_statements", py, "python")
    assert len(variants) >= 3
    outputs = run_python_variants("f", variants, [(1, 2), (5, -3)])
    assert all(out == outputs[0] for out in outputs)
