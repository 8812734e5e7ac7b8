"""The validity shortcut: a follow-up is not re-parsed when its edits provably keep the token
sequence. These tests fail if the shortcut ever accepts an edit that changes tokens."""

import random

import pytest

from metacompress_eval.code.edits import Edit, apply_edits
from metacompress_eval.code.languages import nodes_of_types, parse, plain_identifier, tokens_preserved

C = """int total(int *values, int n) {
    int sum = 0;
    for (int i = 0; i < n; i++) {
        sum += values[i];
    }
    return sum;
}
"""
JAVA = """int total(int[] values, int n) {
    int sum = 0;
    for (int i = 0; i < n; i++) {
        sum += values[i];
    }
    return sum;
}
"""


def _identifier_edit(parsed, name, replacement):
    node = next(n for n in nodes_of_types(parsed.root, parsed.language, ("identifier",))
                if parsed.text(n) == name)
    start, end = parsed.span(node)
    return Edit(start, end, replacement)


@pytest.mark.parametrize("language,code", [("c", C), ("java", JAVA)])
def test_identifier_renames(language, code):
    parsed = parse(code, language)
    assert tokens_preserved(parsed, [_identifier_edit(parsed, "sum", "acc")])
    for bad in ("int", "while", "return", "9lives", "a b", "a+b", ""):
        assert not tokens_preserved(parsed, [_identifier_edit(parsed, "sum", bad)]), bad


def test_named_fixed_tokens_are_not_plain_identifiers():
    assert not plain_identifier("c", "size_t")
    assert not plain_identifier("java", "true") and not plain_identifier("java", "this")
    assert plain_identifier("c", "count") and plain_identifier("java", "count")
    assert not plain_identifier("python", "count")  # the shortcut is C/Java only


def test_whitespace_edits_only_at_line_starts():
    parsed = parse(C, "c")
    line2 = C.index("    int sum")
    assert tokens_preserved(parsed, [Edit(line2, line2 + 4, "\t")])
    inside = C.index("int sum") + 3  # the space between `int` and `sum`
    assert not tokens_preserved(parsed, [Edit(inside, inside + 1, "")])  # would glue `intsum`
    assert not tokens_preserved(parsed, [Edit(line2, line2 + 4, "  x ")])
    assert not tokens_preserved(parse("def f(x):\n    return x\n", "python"), [Edit(9, 13, "  ")])


@pytest.mark.parametrize("language,code", [("c", C), ("java", JAVA)])
def test_shortcut_never_accepts_a_text_that_does_not_parse(language, code):
    """Random identifier replacements (keywords, types, literals, junk among them): whenever the
    shortcut accepts, a full parse must agree that the text is error-free."""
    parsed = parse(code, language)
    identifiers = [parsed.span(n) for n in nodes_of_types(parsed.root, language, ("identifier",))]
    words = ["acc", "int", "if", "size_t", "true", "this", "null", "NULL", "x1", "_x", "for", "class",
             "new", "long", "char", "void", "3", "a-b"]
    rng = random.Random(0)
    accepted = 0
    for _ in range(400):
        start, end = rng.choice(identifiers)
        edit = Edit(start, end, rng.choice(words))
        if tokens_preserved(parsed, [edit]):
            accepted += 1
            text = apply_edits(parsed.data, [edit]).decode()
            assert parse(text, language).error_count() == 0, (edit, text)
    assert accepted > 0
