"""else_if_to_nested, nested_to_else_if, switch_to_if, ternary_to_if, and if_else_swap for JS/Go."""

import textwrap

import pytest

from .test_loops import (
    apply,
    follow_ups,
    java_class,
    need_node,
    node_check_errors,
    run_c_variants,
    run_js_variants,
    run_python_variants,
)
from .transform_helpers import gcc_syntax_errors, javac_errors

# ----- else_if_to_nested / nested_to_else_if --------------------------------------------------


def test_c_family_else_if_round_trip():
    code = "int sign(int a) {\n    if (a > 0) return 1;\n    else if (a < 0) return -1; // neg\n    else return 0;\n}\n"
    nested = apply("else_if_to_nested", code, "c").code
    assert nested == (
        "int sign(int a) {\n    if (a > 0) return 1;\n    else { if (a < 0) return -1; // neg\n    else return 0; }\n}\n"
    )
    assert apply("nested_to_else_if", nested, "c").code == code
    java = "int f(int a) { if (a > 0) { return 1; } else if (a < 0) { return 2; } return 3; }"
    assert apply("else_if_to_nested", java, "java").code == (
        "int f(int a) { if (a > 0) { return 1; } else { if (a < 0) { return 2; } } return 3; }"
    )
    go = "func f(a int) int { if a > 0 { return 1 } else if a < 0 { return -1 } else { return 0 } }"
    nested_go = apply("else_if_to_nested", go, "go").code
    assert nested_go == "func f(a int) int { if a > 0 { return 1 } else { if a < 0 { return -1 } else { return 0 } } }"
    assert apply("nested_to_else_if", nested_go, "go").code == go


def test_nested_to_else_if_respects_dangling_else_and_comments():
    dangling = "void f(int p, int a, int b) { if (p) if (a) x(); else { if (b) y(); } else z(); }"
    assert apply("nested_to_else_if", dangling, "c").status == "not_applicable"
    commented = "void f(int a, int b) { if (a) x(); else { /* why */ if (b) y(); } }"
    assert apply("nested_to_else_if", commented, "c").status == "not_applicable"
    ok = "function f(a, b) { if (a) x(); else { if (b) y(); } }"
    assert apply("nested_to_else_if", ok, "javascript").code == "function f(a, b) { if (a) x(); else if (b) y(); }"


PY_CHAIN = textwrap.dedent(
    """\
    def f(a):
        if a > 2:
            return 1
        elif a < 0:
            # negative
            return -1
        elif a == 0:
            s = '''keep'''
            return 0
        else:
            return 5  # five
    """
)


def test_python_elif_to_nested_reindents_and_back():
    outputs = follow_ups("else_if_to_nested", PY_CHAIN, "python")
    assert textwrap.dedent(
        """\
        def f(a):
            if a > 2:
                return 1
            else:
                if a < 0:
                    # negative
                    return -1
                elif a == 0:
                    s = '''keep'''
                    return 0
                else:
                    return 5  # five
        """
    ) in outputs
    assert len(outputs) == 2
    for nested in outputs:
        compile(nested, "<nested>", "exec")
        assert apply("nested_to_else_if", nested, "python").code == PY_CHAIN


@pytest.mark.parametrize(
    "code",
    [
        "def f(a):\n    if a:\n        x = 1\n    elif b:\n        x = '''two\nlines'''\n",  # multi-line string
        "def f(a):\n\tif a:\n\t\tx = 1\n\telif b:\n\t\tx = 2\n",  # tabs
    ],
)
def test_python_elif_not_applicable(code):
    assert apply("else_if_to_nested", code, "python").status == "not_applicable"


# ----- switch_to_if ---------------------------------------------------------------------------

C_SWITCH = """\
int g(int x) {
    int r = 0;
    switch (x) {
    case 1:
    case 2:
        r = 10; /* small */
        break;
    case 3:
        return 7;
    default:
        r = -1;
        break;
    case 'a' + 1:
        r = 3;
        break;
    }
    return r;
}
"""


def test_c_switch_to_if():
    assert apply("switch_to_if", C_SWITCH, "c").code == (
        "int g(int x) {\n    int r = 0;\n"
        "    if (x == 1 || x == 2) {\n        r = 10; /* small */\n    }"
        " else if (x == 3) {\n        return 7;\n    }"
        " else if (x == ('a' + 1)) {\n        r = 3;\n    }"
        " else {\n        r = -1;\n    }\n    return r;\n}\n"
    )


@pytest.mark.parametrize(
    "code,reason",
    [
        ("int g(int x) { int r = 0; switch (x) { case 1: r = 1; case 2: r++; break; } return r; }", "fallthrough"),
        ("int g(int x) { switch (x) { case 1: if (x) break; x++; break; } return x; }", "break before"),
        ("int g(int x) { switch (x) { case 1: int y = 2; x = y; break; } return x; }", "declaration"),
        ("int g(int *p) { switch (next(p)) { case 1: return 1; } return 0; }", "side effects"),
    ],
)
def test_c_switch_not_applicable(code, reason):
    result = apply("switch_to_if", code, "c")
    assert result.status == "not_applicable" and reason in result.reason


def test_java_string_switch_with_temporary():
    code = 'int g(String s) {\n    switch (s.trim()) {\n    case "a": return 1;\n    case "b": return 2;\n    default: return 0;\n    }\n}\n'
    result = apply("switch_to_if", code, "java")
    temp = result.params["temporary"]
    assert result.code == (
        f'int g(String s) {{\n    {{ String {temp} = s.trim(); if ({temp}.equals("a")) {{ return 1; }}'
        f' else if ({temp}.equals("b")) {{ return 2; }} else {{ return 0; }} }}\n}}\n'
    )
    enum_labels = "void g(Color c) { switch (c) { case RED: x(); break; default: y(); } }"
    assert apply("switch_to_if", enum_labels, "java").status == "not_applicable"


# ----- ternary_to_if --------------------------------------------------------------------------


def test_ternary_to_if_c_java_js_python():
    c = "int m(int a, int b) { int x = a > b ? a : b; x = a < 0 ? a : b; return x; }"
    assert sorted(follow_ups("ternary_to_if", c, "c")) == sorted([
        "int m(int a, int b) { int x; if (a > b) x = a; else x = b; x = a < 0 ? a : b; return x; }",
        "int m(int a, int b) { int x = a > b ? a : b; if (a < 0) x = a; else x = b; return x; }",
    ])
    java = 'String f(boolean ok) { String s = ok ? "yes" : "no"; return s; }'
    assert apply("ternary_to_if", java, "java").code == (
        'String f(boolean ok) { String s; if (ok) s = "yes"; else s = "no"; return s; }'
    )
    js = "function f(a) { let y = a ? 1 : 2; return y; }"
    assert apply("ternary_to_if", js, "javascript").code == "function f(a) { let y; if (a) y = 1; else y = 2; return y; }"
    py = "def f(a, b):\n    x = a if a > b else b  # max\n    return x\n"
    assert apply("ternary_to_if", py, "python").code == (
        "def f(a, b):\n    if a > b:\n        x = a\n    else:\n        x = b  # max\n    return x\n"
    )


@pytest.mark.parametrize(
    "code,language",
    [
        ("int f(int a) { const int x = a ? 1 : 2; return x; }", "c"),
        ("int f(boolean a) { final int x = a ? 1 : 2; return x; }", "java"),
        ("function f(a) { const x = a ? 1 : 2; return x; }", "javascript"),
        ("Object f(boolean a) { Object o; o = a ? 1 : 2.0; return o; }", "java"),  # numeric promotion
        ("int f(int a) { return a ? 1 : 2; }", "c"),
    ],
)
def test_ternary_not_applicable(code, language):
    assert apply("ternary_to_if", code, language).status == "not_applicable"


# ----- if_else_swap in JS and Go --------------------------------------------------------------


def test_if_else_swap_javascript_and_go():
    js = "function f(a) { if (a > 0) { return 1; } else if (a < 0) return 2; else { return 3; } }"
    assert "function f(a) { if (!(a > 0)) { if (a < 0) return 2; else { return 3; } } else { return 1; } }" in (
        follow_ups("if_else_swap", js, "javascript")
    )
    go = "func f(a int) int { if x := a * 2; x > 0 { return 1 } else { return x } }"
    assert apply("if_else_swap", go, "go").code == (
        "func f(a int) int { if x := a * 2; !(x > 0) { return x } else { return 1 } }"
    )


# ----- compile and execution checks -----------------------------------------------------------

BRANCH_TRANSFORMS = ("else_if_to_nested", "nested_to_else_if", "switch_to_if", "ternary_to_if", "if_else_swap")
C_BRANCHY = """\
int classify(int x) {
    int r;
    int big = x > 100 ? 1 : 0;
    switch (x % 4) {
    case 0:
        r = 1;
        break;
    case 1:
    case -1:
        r = big ? 5 : 6;
        break;
    default:
        r = 9;
    }
    if (x < 0) {
        r = -r;
    } else if (x == 0) {
        r = 0;
    } else {
        if (big) r += 100; else r += 10;
    }
    return r;
}
"""


def test_c_branch_follow_ups_compile_and_behave_the_same(tmp_path, need_gcc):
    variants = [C_BRANCHY]
    for transform in BRANCH_TRANSFORMS:
        variants += follow_ups(transform, C_BRANCHY, "c", range(8))
    assert len(variants) >= 8
    assert gcc_syntax_errors(tmp_path, variants) == []
    outputs = run_c_variants(tmp_path, "classify", variants, ["-7", "0", "1", "2", "5", "203", "400"])
    assert all(out == outputs[0] for out in outputs)


JAVA_BRANCHY = """\
    static int f(int x, String s) {
        int r;
        switch (s) {
        case "one": r = 1; break;
        case "two": r = 2; break;
        default: r = x > 3 ? x : 3;
        }
        switch (x) { case 1: case 2: r += 10; break; case 'z': r = 0; break; }
        if (r > 5) { r--; } else if (r < 0) { r++; } else { if (x > 0) r *= 2; }
        int y = r > 2 ? r : x;
        return y;
    }
"""


def test_java_branch_follow_ups_compile(tmp_path, need_javac):
    classes = {}
    for transform in BRANCH_TRANSFORMS:
        for i, variant in enumerate(follow_ups(transform, JAVA_BRANCHY, "java")):
            classes[f"Br_{transform}_{i}"] = java_class(f"Br_{transform}_{i}", [variant])
    assert len(classes) >= 8
    assert javac_errors(tmp_path, classes) == []


JS_BRANCHY = """\
function f(a, b) {
  let m = a > b ? a : b;
  if (m > 10) {
    m = 10;
  } else if (m < 0) {
    m = 0;
  } else {
    if (a === b) m += 1;
  }
  return m;
}
"""


@need_node
def test_javascript_branch_follow_ups_behave_the_same(tmp_path):
    variants = [JS_BRANCHY]
    for transform in BRANCH_TRANSFORMS:
        variants += follow_ups(transform, JS_BRANCHY, "javascript", range(8))
    assert len(variants) >= 5
    assert node_check_errors(tmp_path, variants) == []
    outputs = run_js_variants("f", variants, ["[1, 2]", "[20, 3]", "[-5, -6]", "[4, 4]"])
    assert all(out == outputs[0] for out in outputs)


def test_python_branch_follow_ups_behave_the_same():
    variants = [PY_CHAIN]
    for transform in BRANCH_TRANSFORMS:
        variants += follow_ups(transform, PY_CHAIN, "python")
    variants += follow_ups("if_else_swap", variants[1], "python")  # the nested else can be swapped
    assert len(variants) >= 4
    outputs = run_python_variants("f", variants, [(a,) for a in (-3, 0, 1, 2, 3)])
    assert all(out == outputs[0] for out in outputs)
