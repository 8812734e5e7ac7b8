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


def _leaves(parsed):
    """Grammar symbol and text of every leaf (comment and string texts left out)."""
    out = []
    stack = [parsed.root]
    while stack:
        node = stack.pop()
        if node.child_count == 0:
            text = b"" if "comment" in node.type or "string" in node.type else parsed.data[
                max(node.start_byte - parsed.offset, 0):node.end_byte - parsed.offset]
            out.append((node.grammar_name, text))
        stack.extend(reversed(node.children))
    return out


def _gaps(data: bytes) -> list[tuple[int, int]]:
    """Maximal runs of whitespace with a non-whitespace byte on both sides."""
    gaps, i = [], 0
    while i < len(data):
        if data[i] in b" \t\r\n":
            j = i
            while j < len(data) and data[j] in b" \t\r\n":
                j += 1
            if i > 0 and j < len(data):
                gaps.append((i, j))
            i = j
        else:
            i += 1
    return gaps


GAPPY = {
    "java": 'int f(int a) {\n  String s = "x  y"; // note  \n  char c = \' \';\n  /* a  b */ return a +  s.length();\n}\n',
    "c": 'int f(int a) {\n  char *s = "x  y"; // note  \n  char c = \' \';\n  /* a  b */ return a +  (int) c;\n}\n',
}


@pytest.mark.parametrize("language", ["c", "java"])
def test_whole_gaps_between_tokens(language):
    code = GAPPY[language]
    parsed = parse(code, language)
    assert parsed.error_count() == 0
    plus = code.index("+  ") + 1  # the two spaces between `+` and the next token
    assert tokens_preserved(parsed, [Edit(plus, plus + 2, "\n    ")])
    assert not tokens_preserved(parsed, [Edit(plus, plus + 2, "")])  # whitespace removed: not handled
    assert not tokens_preserved(parsed, [Edit(plus, plus + 1, "\n")])  # only part of the gap
    inside = code.index("x  y") + 1
    assert not tokens_preserved(parsed, [Edit(inside, inside + 2, "\n")])  # inside a string
    after_comment = code.index("// note") + len("// note")
    assert not tokens_preserved(parsed, [Edit(after_comment, code.index("char c"), " ")])  # would comment out
    char = code.index("' '") + 1
    assert not tokens_preserved(parsed, [Edit(char, char + 1, "\t")])  # inside a character literal
    if language == "c":
        with_directive = parse("#define N 1\n" + code, "c")
        shift = len("#define N 1\n")
        assert not tokens_preserved(with_directive, [Edit(plus + shift, plus + shift + 2, " ")])


@pytest.mark.parametrize("language,code", [("c", C), ("java", JAVA), ("c", GAPPY["c"]), ("java", GAPPY["java"])])
def test_whole_gap_shortcut_keeps_every_token(language, code):
    """Random whitespace for random gaps (several at once): whenever the shortcut accepts, a full
    parse has no error and the very same leaves."""
    parsed = parse(code, language)
    gaps = _gaps(parsed.data)
    rng = random.Random(1)
    accepted = 0
    for _ in range(300):
        chosen = sorted(rng.sample(gaps, rng.randint(1, 3)))
        edits = [Edit(s, e, rng.choice([" ", "\n", "\t\t", " \n  \n", ""])) for s, e in chosen]
        if tokens_preserved(parsed, edits):
            accepted += 1
            new = parse(apply_edits(parsed.data, edits).decode(), language)
            assert new.error_count() == 0 and _leaves(new) == _leaves(parsed), edits
    assert accepted > 0


@pytest.mark.parametrize("language,code", [("c", C), ("java", JAVA)])
def test_identifier_checks_by_descent_and_by_leaf_index_agree(language, code, monkeypatch):
    """Many identifier edits at once are checked by a descent each in small trees and by the leaf
    index in large ones: both answer the same (forced here through the size threshold)."""
    from metacompress_eval.code import languages

    code = code * 3  # more identifiers than the edits needed for either index
    parsed = parse(code, language)
    identifiers = [parsed.span(n) for n in nodes_of_types(parsed.root, language, ("identifier",))]
    assert len(identifiers) > 2 * languages._LEAF_INDEX_MIN_EDITS and not parsed.error_count()
    # Spans that are not one identifier leaf: a keyword, a literal, part of a name, two tokens.
    others = [(0, 3), (1, 3), (len(code) - 3, len(code) - 1)]
    words = ["acc", "int", "x1", "_x", "class", "3", "a-b"]
    rng = random.Random(2)
    answers = {True: 0, False: 0}
    for _ in range(150):
        bad = rng.random() < 0.5  # some span or replacement that is not identifier for identifier
        pool = identifiers + others if bad else identifiers
        spans = sorted(set(rng.sample(pool, k=30)))
        kept = [s for i, s in enumerate(spans) if i == 0 or s[0] >= spans[i - 1][1]]
        edits = [Edit(s, e, rng.choice(words) if bad and rng.random() < 0.2 else "acc") for s, e in kept]
        results = []
        for threshold in (0, 10**9):
            monkeypatch.setattr(languages, "_LEAF_INDEX_MIN_NODES", threshold)
            results.append(tokens_preserved(parsed, edits))
        assert results[0] == results[1], edits
        answers[results[0]] += 1
    assert answers[True] and answers[False]
