"""dead_code: one unreachable branch inserted before a statement."""

import textwrap

import pytest

from metacompress_eval.code.languages import parse
from metacompress_eval.transforms import get_transformation


def dead(code, language, seed=0):
    return get_transformation("dead_code").apply(code, language, seed)


def all_outputs(code, language, seeds=range(40)):
    results = [dead(code, language, s) for s in seeds]
    assert all(r.status == "applied" for r in results)
    return {r.code for r in results}


def test_c_copy_of_preceding_statement_with_matching_indent():
    code = "int f(int a) {\n    int b = a * 2;\n    b += 1;\n    return b;\n}\n"
    outputs = all_outputs(code, "c")
    assert "int f(int a) {\n    int b = a * 2;\n    if (0) {\n        int b = a * 2;\n    }\n    b += 1;\n    return b;\n}\n" in outputs
    # Never after the return: every insertion precedes an existing statement.
    assert all(out.rstrip().endswith("return b;\n}") for out in outputs)
    # First statement: nothing precedes it, so a fresh unused variable is declared.
    first = [o for o in outputs if o.startswith("int f(int a) {\n    if (0) {\n        int ")]
    assert first and all("= 0;\n    }\n    int b = a * 2;" in o for o in first)


def test_c_switch_body_and_labels_are_avoided():
    code = textwrap.dedent(
        """\
        void f(int x) {
            switch (x) {
            case 1:
                g(1);
                break;
            default:
                g(2);
            }
        retry:
            x--;
            if (x > 0) goto retry;
        }
        """
    )
    for seed in range(40):
        result = dead(code, "c", seed)
        out, inserted = result.code, result.params["inserted"]
        assert "retry:" not in inserted and "case" not in inserted  # labels are never copied
        assert out.count("case 1:") == 1
        switch_start = out.index("switch (x) {")
        switch_body = out[switch_start : out.index("\n    }\n", switch_start)]
        assert "if (0)" not in switch_body


def test_java_never_copies_declarations():
    code = "int f(int a) {\n    int b = a;\n    final int c;\n    c = 3;\n    return b + c;\n}\n"
    for out in all_outputs(code, "java"):
        inserted = out[out.index("if (false)") :].split("}")[0]
        assert "int b" not in inserted and "c = 3" not in inserted


def test_python_docstring_and_single_line_blocks():
    code = textwrap.dedent(
        '''\
        def f(x):
            """Docstring stays first."""
            if x: return 1
            y = x + 1
            return y
        '''
    )
    outputs = all_outputs(code, "python")
    for out in outputs:
        assert out.startswith('def f(x):\n    """Docstring stays first."""\n') or out.startswith("if False:")
        assert "if x: return 1" in out  # the single-line block is left alone
        compile(out, "<follow-up>", "exec")
    assert textwrap.dedent(
        '''\
        def f(x):
            """Docstring stays first."""
            if x: return 1
            if False:
                if x: return 1
            y = x + 1
            return y
        '''
    ) in outputs


def test_python_multiline_copy_is_reindented():
    code = "def f(xs):\n    for x in xs:\n        print(x)\n    return len(xs)\n"
    outputs = all_outputs(code, "python")
    assert (
        "def f(xs):\n    for x in xs:\n        print(x)\n    if False:\n        for x in xs:\n            print(x)\n"
        "    return len(xs)\n" in outputs
    )


def test_determinism_and_provenance():
    code = "int f(int a) {\n    a++;\n    a--;\n    a *= 2;\n    return a;\n}\n"
    assert dead(code, "c", 7).code == dead(code, "c", 7).code
    assert len({dead(code, "c", s).code for s in range(10)}) > 1
    result = dead(code, "c", 7)
    assert result.params["body_kind"] in ("copy", "neutral")
    assert result.sites[0]["start"] == result.sites[0]["end"] == result.params["position"]


@pytest.mark.parametrize(
    "language,code",
    [("c", "int f(void);"), ("java", "abstract void f();"), ("python", "def f(): return 1\n")],
)
def test_not_applicable_without_statements(language, code):
    result = dead(code, language)
    assert result.status == "not_applicable" and result.reason and result.code is None


def test_follow_ups_parse():
    code = "void f(int n) { for (int i = 0; i < n; i++) { g(i); h(i); } }"
    for out in all_outputs(code, "c"):
        assert parse(out, "c").error_count() == 0
