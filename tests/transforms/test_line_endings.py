"""Transformations keep a snippet's line-break convention (see ``metacompress_eval/code/line_breaks.py``).

The property, for every registered transformation T and each of its languages, on real code: with
``crlf(s)`` = ``s`` with every LF as a CRLF (and ``cr(s)`` with every LF as a CR, for the languages
that read a CR as a line break: not Go), ``T(crlf(s))`` has the status of ``T(s)`` (same seed) and,
when applied, is exactly ``crlf(T(s))``: every line break it adds is a CRLF and every byte it copies
keeps its CRs. No exclusion is needed: a multi-line string literal or comment is converted alike on
both sides, and no transformation decides on the spelling of a line break. Snippets without any line
break are left out: they have no convention to keep (new breaks are LF, as for mixed snippets).
"""

from __future__ import annotations

import pytest

from metacompress_eval.attacks.base import Subject, Variant
from metacompress_eval.code.languages import parse
from metacompress_eval.code.line_breaks import line_break
from metacompress_eval.code.refusals import refusal_cause
from metacompress_eval.transforms import get_transformation, list_transformations

from .contract import check_result
from .test_compile_and_execute import C_FUNCTIONS, C_PRELUDE, JAVA_METHODS, PY_FUNCTIONS
from .transform_helpers import (gcc_syntax_errors, go_stdlib_functions, javac_errors, npm_functions, sample_rows,
                                stdlib_functions)

PER_LANGUAGE = 12  # real snippets per language: the property runs every transformation on each, twice

# Small snippets with the shapes that split line breaks before the fix: a trailing line comment (its
# token takes the CR of a CRLF along) ending a Python block or a C line, a comment on the last line.
SHAPES = {
    "c": ["int f(int a) {\n  int b = a; // copy\n  if (a > 0) {\n    b++;\n  }\n  return b;\n}\n",
          "#include <stdio.h>\nint g(int n) {\n  int s = 0;\n  for (int i = 0; i < n; i++)\n    s += i;\n  return s;\n}\n// end"],
    "java": ["int f(int a) {\n  int b = a; // copy\n  switch (a) {\n    case 1:\n      b = 2;\n      break;\n    default:\n      b = 3;\n  }\n  return b;\n}"],
    "python": ["def f(a):\n    if a:\n        b = 1  # one\n    else:\n        b = 2  # two\n    c = b if a else 0\n    return b + c\n"],
    "javascript": ["function f(a) {\n  let b = a; /* a\n  block */\n  while (b > 0) {\n    b--;\n  }\n  return b;\n}\n"],
    "go": ["func f(a int) int {\n\tb := a // copy\n\tfor i := 0; i < a; i++ {\n\t\tb += i\n\t}\n\treturn b\n}\n"],
}
# Backslash continuations (tree-sitter-c reads a backslash before an LF as one, not before a CRLF):
# a string literal, a macro, a line comment and a preprocessor condition in C; their counterparts in
# Python (explicit line joining, a string), JavaScript (string continuations) and Java (a text block).
CONTINUED = {
    "c": ["int f(int a) {\n  const char *msg = \"ab\\\ncd\";\n  if (a > 0) {\n    a = a + msg[0];\n  }\n  return a;\n}\n",
          "#define CLAMP(a) ((a) > 10 ? \\\n  10 : (a))\nint f(int a) {\n  int b = CLAMP(a);\n  for (int i = 0; i < b; i++)\n"
          "    a++;\n  return a;\n}\n",
          "int f(int a) {\n  int b = a; // note \\\n  continued\n  while (b > 0) {\n    b--;\n  }\n  return b;\n}\n",
          "int f(int a) {\n  int b = a;\n#if 1 && \\\n  2\n  b++;\n#endif\n  return b + a;\n}\n",
          "int g(int n) {\n  const wchar_t *w = L\"ab\\\ncd\\\nef\";\n  char c = 'x';\n  return n > 0 ? w[n] : c;\n}\n"],
    "java": ["String f(int a) {\n  String s = \"\"\"\n    ab\\\n    cd\"\"\";\n  if (a > 0) {\n    a++;\n  }\n  return s + a;\n}"],
    "python": ["def f(a):\n    b = a + \\\n        1\n    s = \"ab\\\ncd\"\n    if a and \\\n            b > 1:\n        b += 1\n    return b, s\n"],
    "javascript": ["function f(a) {\n  const s = \"ab\\\ncd\";\n  let t = 'x\\\ny';\n  if (a > 0) {\n    a++;\n  }\n"
                   "  return s + t + a;\n}\n"],
    "go": [],
}


def _real(language: str) -> list[str]:
    if language == "c":
        return sample_rows("juliet-c/functions.jsonl", PER_LANGUAGE)
    if language == "java":
        return sample_rows("bigclonebench/functions.jsonl", PER_LANGUAGE)
    if language == "python":
        return stdlib_functions(PER_LANGUAGE)
    if language == "javascript":
        return npm_functions(PER_LANGUAGE)
    return go_stdlib_functions(PER_LANGUAGE)


def spellings(language: str) -> dict[str, str]:
    return {"crlf": "\r\n", "cr": "\r"} if language != "go" else {"crlf": "\r\n"}


def _only(text: str, newline: str) -> bool:
    """Whether every line break of ``text`` is ``newline`` (no bare LF, no lone CR)."""
    return "\r" not in text.replace(newline, "") and "\n" not in text.replace(newline, "")


@pytest.mark.parametrize("language", ["c", "java", "python", "javascript", "go"])
def test_follow_ups_of_crlf_and_cr_sources_are_those_of_the_lf_source_respelled(language):
    snippets = [s for s in _real(language) + SHAPES[language] + CONTINUED[language] if "\n" in s and "\r" not in s]
    applied = {}
    for transformation in list_transformations(language):
        for seed, source in enumerate(snippets):
            expected = transformation.apply(source, language, seed)
            for spelling, newline in spellings(language).items():
                converted = source.replace("\n", newline)
                result = transformation.apply(converted, language, seed)
                where = (transformation.name, spelling, seed, source)
                check_result(transformation, converted, language, seed, result)
                assert result.status == expected.status, where
                if expected.applied:
                    assert result.code == expected.code.replace("\n", newline), where
                    assert _only(result.code, newline), where
                    applied[transformation.name, spelling] = applied.get((transformation.name, spelling), 0) + 1
    # The property was exercised: most transformations of the language applied in each spelling.
    for spelling in spellings(language):
        names = {name for name, applied_in in applied if applied_in == spelling}
        assert len(names) >= len(list_transformations(language)) // 2, (spelling, sorted(names))


@pytest.mark.parametrize("name", ["dead_code", "brace_style", "unused_declaration", "blank_lines", "comment_insert",
                                  "for_to_while", "comment_remove", "reindent"])
def test_issue_examples_keep_crlf(name):
    source = ("int sum(int *v, int n) {\r\n    int total = 0; // start\r\n    for (int i = 0; i < n; i++) {\r\n"
              "        total += v[i];\r\n    }\r\n\r\n    return total;\r\n}\r\n")
    results = [get_transformation(name).apply(source, "c", seed) for seed in range(6)]
    assert any(r.applied for r in results), name
    for result in results:
        if result.applied:
            assert _only(result.code, "\r\n"), (name, result.code)


def test_cr_only_sources_parse_as_their_lf_spelling():
    for language, code in [("c", "int f(void) {\r  // note\r  return 1;\r}\r"),
                           ("java", "int f() {\r  // note\r  return 1;\r}"),
                           ("python", "def f():\r    x = 1  # note\r    return x\r")]:
        parsed = parse(code, language)
        assert parsed.error_count() == 0, language
        assert str(parsed.root) == str(parse(code.replace("\r", "\n"), language).root)
        assert parsed.data == code.encode() and parsed.newline == "\r"


@pytest.mark.parametrize("language", ["c", "java", "python", "javascript"])
def test_backslash_continued_sources_parse_alike_in_every_spelling(language):
    for source in CONTINUED[language]:
        assert parse(source, language).error_count() == 0, source
        for newline in ("\r\n", "\r"):
            converted = source.replace("\n", newline)
            parsed = parse(converted, language)
            assert parsed.error_count() == 0, (newline, converted)
            assert parsed.data == converted.encode()
            subject = Subject(converted, language)
            assert subject.parse_error is None and subject.symbols, (newline, converted)


def test_line_break_conventions():
    assert line_break("a\r\nb\r\n") == "\r\n"
    assert line_break("a\rb\r", "java") == "\r"
    assert line_break("a\rb\r", "go") == "\n"  # a CR is white space in Go
    assert line_break("a\r\nb\nc") == "\n"  # mixed: new breaks are LF
    assert line_break("a\r\nb\rc") == "\n"
    assert line_break("a b") == "\n"
    # Go: a lone CR is white space, not a line break, so only CRLF against LF decides.
    raw = "s := `a\rb`\r\nreturn s\r\n"
    assert line_break(raw, "go") == "\r\n" and line_break(raw, "c") == "\n"
    assert line_break("a\r\nb\nc`\r`", "go") == "\n"


def test_a_macro_body_continued_after_a_crlf_or_cr_reads_as_after_an_lf():
    from metacompress_eval.code.macros import tokens

    body = "((a) > 10 ? \\\n  10 : (a))"
    assert ("punct", "\\") not in tokens(body)
    for newline in ("\r\n", "\r"):
        assert tokens(body.replace("\n", newline)) == tokens(body)


def test_a_comment_token_never_ends_with_the_cr_of_a_crlf():
    parsed = parse("int f(void) {\r\n  return 1; // one\r\n}\r\n", "c")
    comment = next(n for n in parsed.root.children[0].child_by_field_name("body").children if n.type == "comment")
    assert parsed.text(comment) == "// one"


def test_mixed_sources_keep_their_bytes_and_add_lf():
    source = "int f(int a) {\r\n  int b = a;\n  return b;\r\n}\n"
    for seed in range(4):
        result = get_transformation("comment_insert").apply(source, "c", seed)
        assert result.applied
        inserted = result.sites[0]["replacement"]
        assert inserted.endswith("\n") and not inserted.endswith("\r\n")
        assert result.code.replace(inserted, "", 1) == source


def test_go_reads_a_lone_cr_as_white_space():
    # One logical line to Go: valid, and transformed as Go reads it (new breaks are LF).
    one_line = "func f() int {\r\treturn 1\r}"
    result = get_transformation("dead_code").apply(one_line, "go", 0)
    assert result.applied and result.code.startswith("func f() int {\r\t") and result.code.endswith("return 1\r}")
    assert "\n" not in result.code  # inserted within the line, as in any one-line Go function
    assert get_transformation("comment_insert").apply(one_line, "go", 0).status == "not_applicable"
    # Statements "on separate lines" run together without semicolons: not valid Go, and the cause is named.
    code = "package p\rfunc f() int {\r\tx := 1\r\ty := 2\r\treturn x + y\r}\r"
    parsed = parse(code, "go")
    assert parsed.error_count() and refusal_cause(parsed) == "go_cr_line_breaks"
    # The errors lie in statements of the body, which nothing edits (code/refusals.py): x is not renamed.
    result = get_transformation("rename_variables").apply(code, "go", 0)
    assert result.status == "not_applicable" and "x (spelled in a statement that does not parse)" in result.reason


def test_go_crlf_sources_with_a_lone_cr_in_a_raw_string_add_crlf():
    # Go drops CRs from raw strings: the lone CR is no line break, the source is a CRLF source.
    source = "func f(a int, b int) int {\n\tt := `x\ry`\n\tn := len(t)\n\tfor i := 0; i < a; i++ {\n\t\tn += i\n\t}\n\treturn n\n}\n"
    converted = source.replace("\n", "\r\n")
    applied = 0
    for transformation in list_transformations("go"):
        for seed in range(3):
            expected = transformation.apply(source, "go", seed)
            result = transformation.apply(converted, "go", seed)
            assert result.status == expected.status, (transformation.name, seed)
            if expected.applied:
                applied += 1
                assert result.code == expected.code.replace("\n", "\r\n"), (transformation.name, seed)
    assert applied


def test_language_warning_names_go_cr_line_breaks():
    from metacompress_eval.data import SourceInput
    from metacompress_eval.follow_ups import language_warning

    cr_only = "func f(a int) int {\r\tn := 0\r\tfor i := 0; i < a; i++ {\r\t\tn += i\r\t}\r\treturn n\r}\r"
    warning = language_warning([SourceInput("g1", (cr_only,))], "go")
    assert "lone CR (first: id g1)" in warning and "convert them to LF" in warning
    assert "lone CR" not in language_warning([SourceInput("j1", ("public class A { int f() { return 1; } }",))], "go")
    assert language_warning([SourceInput("g2", (cr_only.replace("\r", "\n"),))], "go") is None


def test_attack_renames_of_a_cr_only_source_keep_its_crs():
    code = "int f(int a) {\r  // note\r  int b = a + 1;\r  return b;\r}\r"
    subject = Subject(code, "c")
    assert subject.parse_error is None and subject.symbols
    rendered = subject.render(Variant(renames=((0, "renamed"),)))
    assert rendered is not None and "renamed" in rendered.code and "\n" not in rendered.code


def test_alerts_masked_text_of_crlf_and_cr_sources_is_that_of_the_lf_source_respelled():
    from metacompress_eval.attacks.naturalness import masked_text

    code = "int f(int a) {\n  int b = a;\nb = b + a;\n  return b;\n}\n"
    for newline in ("\n", "\r\n", "\r"):
        subject = Subject(code.replace("\n", newline), "c")
        symbol = next(s for s in subject.symbols if s.name == "b")
        text = masked_text(subject.parsed.data, symbol.occurrences(), "<mask>")
        assert text == "int f(int a) {\n  int <mask> = a;\n<mask> = <mask> + a;\n  return <mask>;\n}\n".replace("\n", newline)


def _all_follow_ups(code: str, language: str) -> list[str]:
    found = []
    for transformation in list_transformations(language):
        result = transformation.apply(code, language, 0)
        if result.applied:
            found.append(result.code)
    return found


def test_c_and_java_follow_ups_of_crlf_and_cr_sources_compile(tmp_path, need_gcc, need_javac):
    units, classes = [], {}
    for newline in ("\r\n", "\r"):
        for code in C_FUNCTIONS[:2]:
            for follow_up in _all_follow_ups(code.replace("\n", newline), "c"):
                assert _only(follow_up, newline)
                units.append(C_PRELUDE.replace("\n", newline) + follow_up)
        for code in JAVA_METHODS[:2]:
            for follow_up in _all_follow_ups(code.replace("\n", newline), "java"):
                name = f"F{len(classes)}"
                classes[name] = f"class {name} {{{newline}{follow_up}}}{newline}"
    assert len(units) > 20 and len(classes) > 20
    assert gcc_syntax_errors(tmp_path, units) == []
    assert javac_errors(tmp_path, classes) == []


def test_python_follow_ups_of_crlf_and_cr_sources_compile():
    import textwrap

    checked = 0
    for source, _, _ in PY_FUNCTIONS[:2]:
        source = textwrap.dedent(source)
        for newline in ("\r\n", "\r"):
            for follow_up in _all_follow_ups(source.replace("\n", newline), "python"):
                assert _only(follow_up, newline)
                compile(follow_up, "<follow-up>", "exec")
                checked += 1
    assert checked > 10


def test_transform_command_keeps_each_rows_line_endings(tmp_path):
    """End to end: ``transform --transforms all`` on the same rows spelled with LF, CRLF and CR (JSONL
    escapes them; the seeds derive from the row ids, kept alike): every follow-up of the CRLF/CR rows
    is the LF rows' follow-up respelled."""
    import json

    from metacompress_eval.cli import main

    from ..conftest import write_jsonl

    sources = [C_FUNCTIONS[0], SHAPES["c"][0], SHAPES["c"][1]]
    follow_ups = {}
    for spelling, newline in (("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")):
        data, out = tmp_path / f"{spelling}.jsonl", tmp_path / f"{spelling}-out.jsonl"
        write_jsonl(data, [{"id": str(i), "code": code.replace("\n", newline), "label": 0}
                           for i, code in enumerate(sources)])
        assert main(["transform", "--language", "c", "--transforms", "all", "--seed", "5", str(data), str(out),
                     "--quiet"]) == 0
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        follow_ups[spelling] = {(row["source_id"], row["transformation"]): row["code"] for row in rows}
    assert len(follow_ups["lf"]) > 30
    for spelling, newline in (("crlf", "\r\n"), ("cr", "\r")):
        assert follow_ups[spelling] == {key: code.replace("\n", newline) for key, code in follow_ups["lf"].items()}
