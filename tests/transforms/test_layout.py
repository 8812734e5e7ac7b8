"""Layout transformations: reindent, brace_style, blank_lines, comment_insert, comment_remove."""

from metacompress_eval.transforms import get_transformation

PY = '''\
def render(rows):
    """Render rows.

        Indented docstring line stays exactly as it is.
    """
    text = """first
    second"""  # trailing comment
    # a whole-line comment
    out = [r
           for r in rows]  # type: ignore
    if out:

        return text + "# not a comment"
    return ""
'''


def layout(name, code, language, seed=0, **params):
    return get_transformation(name, **params).apply(code, language, seed)


def string_values(code):
    import ast

    return [n.value for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_python_reindent_keeps_strings_and_compiles():
    result = layout("reindent", PY, "python", unit="  ")
    assert result.code.startswith('def render(rows):\n  """Render rows.\n\n        Indented docstring line')
    assert '  text = """first\n    second"""' in result.code  # inside the string: untouched
    assert "  out = [r\n       for r in rows]" in result.code  # continuation: 11 = 2*4+3 -> 2*2+3
    assert "\n    return text" in result.code
    assert string_values(result.code) == string_values(PY)
    assert layout("reindent", PY, "python", unit="\t").status == "not_applicable"


def test_c_reindent_tabs_and_block_comment_alignment():
    code = "int f(int a) {\n    /* doc\n     * more\n     */\n    if (a) {\n        a++;\n    }\n    return a;\n}\n"
    result = layout("reindent", code, "c", unit="\t")
    assert result.code == "int f(int a) {\n\t/* doc\n\t * more\n\t */\n\tif (a) {\n\t\ta++;\n\t}\n\treturn a;\n}\n"


def test_brace_style_both_directions_and_comments():
    kr = "int f(int a) {\n    if (a) { // keep\n        a++;\n    }\n    return a;\n}\n"
    allman = layout("brace_style", kr, "c").code
    assert allman == "int f(int a)\n{\n    if (a)\n    { // keep\n        a++;\n    }\n    return a;\n}\n"
    assert layout("brace_style", allman, "c").code == kr
    commented = "void f(void) // note\n{\n    g();\n}\n"
    assert layout("brace_style", commented, "c", direction="kr").status == "not_applicable"
    js = "function f(a) {\n  return {x: a};\n}\n"
    assert layout("brace_style", js, "javascript").code == "function f(a)\n{\n  return {x: a};\n}\n"
    assert not get_transformation("brace_style").supports("go")


def test_blank_lines_insert_and_remove():
    removed = layout("blank_lines", PY, "python", mode="remove")
    assert removed.code == PY.replace("    if out:\n\n", "    if out:\n")
    for seed in range(10):
        inserted = layout("blank_lines", PY, "python", seed, mode="insert")
        compile(inserted.code, "<x>", "exec")
        assert string_values(inserted.code) == string_values(PY)


def test_comment_insert_and_remove():
    for seed in range(10):
        out = layout("comment_insert", PY, "python", seed).code
        compile(out, "<x>", "exec")
        assert out.count("\n") == PY.count("\n") + 1
    removed = layout("comment_remove", PY, "python").code
    assert "# a whole-line comment" not in removed and "# trailing comment" not in removed
    assert "# type: ignore" in removed and '"# not a comment"' in removed
    shebang = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\ndef f():\n    return 1  # one\n"
    assert layout("comment_remove", shebang, "python").code == "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\ndef f():\n    return 1\n"
    js = "function f(a) {\n  return /* multi\n  line */ a;\n}\n"
    assert layout("comment_remove", js, "javascript").code == "function f(a) {\n  return \n a;\n}\n"
    go = "func f() int {\n\t//go:noinline\n\treturn 1 // one\n}\n"
    assert layout("comment_remove", go, "go").code == "func f() int {\n\t//go:noinline\n\treturn 1\n}\n"
    c = "int f(int a) {\n    return a/**/+1; /* x */ /* y */\n}\n"
    assert layout("comment_remove", c, "c").code == "int f(int a) {\n    return a +1;\n}\n"
