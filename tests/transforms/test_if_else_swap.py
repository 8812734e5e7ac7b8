"""if_else_swap: negated condition, swapped branches."""

import textwrap

import pytest

from metacompress_eval.transforms import get_transformation


def swap(code, language, seed=0):
    return get_transformation("if_else_swap").apply(code, language, seed)


def test_c_blocks_with_comments():
    code = "int f(int a) {\n    if (a > 0) {\n        /* positive */\n        return 1;\n    } else {\n        return -1; // other\n    }\n}\n"
    result = swap(code, "c")
    assert result.code == (
        "int f(int a) {\n    if (!(a > 0)) {\n        return -1; // other\n    } else {\n"
        "        /* positive */\n        return 1;\n    }\n}\n"
    )


def test_c_else_if_chain_is_wrapped_in_braces():
    code = "int sign(int a) {\n    if (a > 0) return 1;\n    else if (a < 0) return -1;\n    else return 0;\n}\n"
    outputs = {swap(code, "c", s).code for s in range(20)}
    assert outputs == {
        "int sign(int a) {\n    if (!(a > 0)) { if (a < 0) return -1;\n    else return 0; }\n    else { return 1; }\n}\n",
        "int sign(int a) {\n    if (a > 0) return 1;\n    else if (!(a < 0)) { return 0; }\n    else { return -1; }\n}\n",
    }


def test_java_swap():
    code = "String f(boolean ok, int n) {\n    if (ok && n > 1) return \"a\"; else { return \"b\"; }\n}\n"
    assert swap(code, "java").code == (
        "String f(boolean ok, int n) {\n    if (!(ok && n > 1)) { return \"b\"; } else { return \"a\"; }\n}\n"
    )


def test_python_swap_keeps_comments():
    code = textwrap.dedent(
        """\
        def f(x):
            if x > 3 and x < 10:  # header comment stays
                # first branch
                y = 1
            else:
                # second branch
                y = 2
                y += 1
            return y
        """
    )
    assert swap(code, "python").code == textwrap.dedent(
        """\
        def f(x):
            if not (x > 3 and x < 10):  # header comment stays
                # second branch
                y = 2
                y += 1
            else:
                # first branch
                y = 1
            return y
        """
    )


@pytest.mark.parametrize(
    "code,why",
    [
        ("def f(x):\n    if x:\n        a()\n    elif x > 1:\n        b()\n    else:\n        c()\n", "elif"),
        ("def f(x):\n    if x: a()\n    else:\n        b()\n", "single-line"),
        ("def f(x):\n    if x:\n        a()\n", "no else"),
        ("def f(x):\n    if x:\n      a()\n    else:\n        b()\n", "different indentation"),
    ],
)
def test_python_not_applicable(code, why):
    result = swap(code, "python")
    assert result.status == "not_applicable", why
    assert result.reason and result.code is None


def test_c_not_applicable_without_else():
    result = swap("void f(int a) { if (a) g(); while (a) a--; }", "c")
    assert result.status == "not_applicable" and "else" in result.reason


def test_nested_ifs_determinism():
    code = "void f(int a, int b) {\n    if (a) { if (b) x(); else y(); } else { z(); }\n}\n"
    outputs = [swap(code, "c", s).code for s in range(10)]
    assert outputs == [swap(code, "c", s).code for s in range(10)]
    assert len(set(outputs)) == 2
