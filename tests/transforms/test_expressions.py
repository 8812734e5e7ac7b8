"""operand_swap, boolean_literal, increment_form, compound_assignment_expansion, redundant_parentheses."""

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


def test_operand_swap():
    assert apply("operand_swap", "int f(int a, int b) { return a <= b + 1; }", "c").code == (
        "int f(int a, int b) { return b + 1 >= a; }"
    )
    assert apply("operand_swap", "boolean f(int[] a, int i) { return a[i] != i; }", "java").code == (
        "boolean f(int[] a, int i) { return i != a[i]; }"
    )
    assert apply("operand_swap", "def f(a, b):\n    return a == 3\n", "python").code == (
        "def f(a, b):\n    return 3 == a\n"
    )
    # Two objects: ``b == a`` would call ``b.__eq__`` first (issue 12).
    assert not apply("operand_swap", "def f(a, b):\n    return a == b\n", "python").applied
    # A comparison operand is parenthesised so it cannot re-associate.
    assert apply("operand_swap", "int f(int a, int b, int c) { return (a < b) == c; }", "c").code in {
        "int f(int a, int b, int c) { return c == ((a < b)); }",
        "int f(int a, int b, int c) { return (b > a) == c; }",
    }


@pytest.mark.parametrize(
    "code,language",
    [
        ("int f(int x) { return g() < x; }", "c"),  # call
        ("int f(int x) { return x++ < x; }", "c"),  # update
        ("boolean f(int[] a, int[] b) { return a[0] < b[0]; }", "java"),  # two accesses may throw differently
        ("def f(a, b, c):\n    return a < b < c\n", "python"),  # chained
        ("def f(a, b):\n    return a in b\n", "python"),
    ],
)
def test_operand_swap_not_applicable(code, language):
    assert apply("operand_swap", code, language).status == "not_applicable"


def test_boolean_literal():
    assert apply("boolean_literal", "boolean f() { return true; }", "java").code == "boolean f() { return !false; }"
    assert apply("boolean_literal", "def f(x):\n    return x == True\n", "python").code == (
        "def f(x):\n    return x == (not False)\n"
    )
    assert apply("boolean_literal", "func f() bool { return false }", "go").code == "func f() bool { return !true }"
    assert apply("boolean_literal", "int f() { return true; }", "c").status == "not_applicable"
    match = "def f(x):\n    match x:\n        case True:\n            return 1\n"
    assert apply("boolean_literal", match, "python").status == "not_applicable"


def test_increment_form():
    java = "void f(int n) { for (int i = 0; i < n; i++) n--; }"
    assert set(follow_ups("increment_form", java, "java")) == {
        "void f(int n) { for (int i = 0; i < n; ++i) n--; }",
        "void f(int n) { for (int i = 0; i < n; i += 1) n--; }",
        "void f(int n) { for (int i = 0; i < n; i = i + 1) n--; }",
        "void f(int n) { for (int i = 0; i < n; i++) --n; }",
        "void f(int n) { for (int i = 0; i < n; i++) n -= 1; }",
        "void f(int n) { for (int i = 0; i < n; i++) n = n - 1; }",
    }
    # Value used: untouched. byte: no expanded form. String: no += 1 rewrite.
    assert apply("increment_form", "int f(int i) { return i++; }", "c").status == "not_applicable"
    assert set(follow_ups("increment_form", "void f(byte b) { b++; }", "java")) == {
        "void f(byte b) { ++b; }"
    }
    assert apply("increment_form", "void f(String s) { s += 1; }", "java").status == "not_applicable"
    # JS: only prefix/postfix unless the name certainly holds a number.
    assert set(follow_ups("increment_form", "function f(s) { s++; }", "javascript")) == {"function f(s) { ++s; }"}
    py = "def f():\n    i = 0\n    i += 1\n    return i\n"
    assert apply("increment_form", py, "python").code == py.replace("i += 1", "i = i + 1")
    assert apply("increment_form", "def f(xs):\n    xs += 1\n", "python").status == "not_applicable"
    assert set(follow_ups("increment_form", "func f(i int) { i++ }", "go")) == {
        "func f(i int) { i += 1 }", "func f(i int) { i = i + 1 }"
    }


def test_compound_assignment_expansion():
    assert apply("compound_assignment_expansion", "int f(int a, int b) { a <<= b + 1; return a; }", "c").code == (
        "int f(int a, int b) { a = a << (b + 1); return a; }"
    )
    assert apply("compound_assignment_expansion", "int f(int a, int b) { a *= b - 1; return a; }", "java").code == (
        "int f(int a, int b) { a = a * (b - 1); return a; }"
    )
    assert apply("compound_assignment_expansion", "String f(String s, Object o) { s += o; return s; }",
                 "java").code == "String f(String s, Object o) { s = s + (o); return s; }"
    py = "def f(k):\n    total = 0\n    total += k * 2\n    return total\n"
    assert apply("compound_assignment_expansion", py, "python").status == "not_applicable"  # k may be anything
    py_ok = "def f():\n    total = 0\n    total += 3\n    return total\n"
    assert apply("compound_assignment_expansion", py_ok, "python").code == py_ok.replace("total += 3",
                                                                                       "total = total + (3)")


@pytest.mark.parametrize(
    "code,language",
    [
        ("void f(byte b) { b += 1; }", "java"),  # implicit narrowing cast
        ("void f(int a, double d) { a += d; }", "java"),
        ("void f(int *p) { p[0] += 1; }", "c"),  # not a plain identifier
        ("def f(xs):\n    xs += [1]\n", "python"),  # in-place for lists
    ],
)
def test_compound_assignment_not_applicable(code, language):
    assert apply("compound_assignment_expansion", code, language).status == "not_applicable"


def test_redundant_parentheses():
    assert apply("redundant_parentheses", "def f(a, b):\n    return a + b\n", "python").code == (
        "def f(a, b):\n    return (a + b)\n"
    )
    outputs = follow_ups("redundant_parentheses", "int f(int a) { int x = a * 2; if (x > a) x = a; return x; }", "c")
    assert "int f(int a) { int x = (a * 2); if (x > a) x = a; return x; }" in outputs
    assert "int f(int a) { int x = a * 2; if ((x) > a) x = a; return x; }" in outputs
    assert apply("redundant_parentheses", "def f(a):\n    return a, 1\n", "python").status == "not_applicable"
    assert apply("redundant_parentheses", "void f(int a) { FOO(a = 1); }", "c").status == "not_applicable"


EXPRESSION_TRANSFORMS = ("operand_swap", "boolean_literal", "increment_form", "compound_assignment_expansion",
                         "redundant_parentheses")

C_EXPR = """\
unsigned checksum(const char *s, int n) {
    unsigned h = 7;
    int i = 0;
    while (i < n && s[i] != '\\0') {
        h ^= (unsigned)s[i];
        h *= 31u;
        h += i % 3;
        i++;
    }
    if (h % 2 == 0) h >>= 1;
    return h;
}
"""


def test_c_expression_follow_ups_compile_and_behave_the_same(tmp_path, need_gcc):
    variants = [C_EXPR]
    for transform in EXPRESSION_TRANSFORMS:
        variants += follow_ups(transform, C_EXPR, "c", range(10))
    assert len(variants) >= 12
    assert gcc_syntax_errors(tmp_path, variants) == []
    outputs = run_c_variants(tmp_path, "checksum", variants, ['"hello", 5', '"hello", 2', '"", 3', '"abcdefgh", 99'])
    assert all(out == outputs[0] for out in outputs)


JAVA_EXPR = """\
    static long f(int[] a, String s) {
        long total = 0;
        int count = 0;
        boolean seen = false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] > count) { count += a[i] % 7; seen = true; }
            total += count;
        }
        s += "!";
        count -= s.length();
        return seen == true ? total : count;
    }
"""


def test_java_expression_follow_ups_compile(tmp_path, need_javac):
    classes = {}
    for transform in EXPRESSION_TRANSFORMS:
        for i, variant in enumerate(follow_ups(transform, JAVA_EXPR, "java")):
            classes[f"Ex_{transform}_{i}"] = java_class(f"Ex_{transform}_{i}", [variant])
    assert len(classes) >= 15
    assert javac_errors(tmp_path, classes) == []


JS_EXPR = """\
function f(a, s) {
  let total = 0;
  let seen = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > total) { total += a[i] % 7; seen = true; }
    s += i;
  }
  return [seen === true, total, s];
}
"""


@need_node
def test_javascript_expression_follow_ups_behave_the_same(tmp_path):
    variants = [JS_EXPR]
    for transform in EXPRESSION_TRANSFORMS:
        variants += follow_ups(transform, JS_EXPR, "javascript", range(10))
    assert len(variants) >= 10
    assert node_check_errors(tmp_path, variants) == []
    outputs = run_js_variants("f", variants, ["[[1, 9, 3], 'x']", "[[], 5]", "[[20, 40], '']"])
    assert all(out == outputs[0] for out in outputs)


PY_EXPR = """\
def f(xs, flag=True):
    count = 0
    acc = []
    for x in xs:
        if x > count and flag == True:
            count += 1
        acc += [x]
    return count, len(acc) <= count
"""


def test_python_expression_follow_ups_behave_the_same():
    variants = [PY_EXPR]
    for transform in EXPRESSION_TRANSFORMS:
        variants += follow_ups(transform, PY_EXPR, "python", range(10))
    assert len(variants) >= 8
    assert not any("acc = acc +" in v for v in variants)  # list += is in-place: never expanded
    outputs = run_python_variants("f", variants, [([3, 1, 4, 1, 5],), ([],), ([0, 0], False)])
    assert all(out == outputs[0] for out in outputs)
