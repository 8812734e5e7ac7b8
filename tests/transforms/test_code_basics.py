"""Parsing (with wrappers), byte edits and the registry."""

import pytest

from metacompress_eval.code.edits import Edit, apply_edits
from metacompress_eval.code.languages import SUPPORTED_LANGUAGES, parse
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.transforms import (
    DEFAULT_TRANSFORMS,
    families,
    get_transformation,
    languages,
    list_transformations,
)


def test_supported_languages():
    assert {"c", "java", "python"} <= set(SUPPORTED_LANGUAGES)


def test_unknown_language_lists_supported():
    with pytest.raises(MetaCompressError, match="supported languages: c, java, python"):
        parse("x", "cobol")


def test_java_constructor_is_wrapped_and_spans_are_in_snippet_coordinates():
    code = "public Foo(int a) { this.a = a; }"
    parsed = parse(code, "java")
    assert parsed.wrapping == "class" and parsed.error_count() == 0
    stack = [parsed.root]
    names = []
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type == "identifier" and parsed.in_snippet(node):
            start, end = parsed.span(node)
            assert code.encode()[start:end].decode() == parsed.text(node)
            names.append(parsed.text(node))
    assert sorted(names) == ["Foo", "a", "a", "a"]


def test_broken_source_counts_errors():
    assert parse("int f( { return ; ", "c").error_count() > 0
    assert parse("def f(:\n  pass\n", "python").error_count() > 0


def test_utf8_byte_offsets():
    code = 'int f(void) { char *s = "héllo"; int n = 1; return n; }'
    result = get_transformation("rename_variables", strategy="placeholder").apply(code, "c", 0)
    assert result.code == 'int f(void) { char *VAR_0 = "héllo"; int VAR_1 = 1; return VAR_1; }'
    data = code.encode()
    for site in result.sites:
        assert data[site["start"] : site["end"]].decode() == site["original"]


def test_apply_edits_sorts_and_inserts():
    data = b"abcdef"
    edits = [Edit(4, 5, "E"), Edit(0, 1, "A"), Edit(2, 2, "+")]
    assert apply_edits(data, edits) == b"Ab+cdEf"


def test_apply_edits_rejects_overlap():
    with pytest.raises(ValueError):
        apply_edits(b"abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])
    with pytest.raises(ValueError):
        apply_edits(b"abc", [Edit(1, 9, "x")])
    with pytest.raises(ValueError):
        Edit(3, 1, "")
    with pytest.raises(ValueError, match="overlapping"):  # two replacements starting at one offset
        apply_edits(b"abcdef", [Edit(2, 4, "x"), Edit(2, 3, "y")], ordered=True)
    # An insertion before a replacement at the same offset, and edits that only touch, are fine.
    assert apply_edits(b"abcdef", [Edit(2, 2, "+"), Edit(2, 4, "Y"), Edit(4, 6, "Z")]) == b"ab+YZ"


def test_registry():
    assert DEFAULT_TRANSFORMS == ("rename_variables", "dead_code", "if_else_swap")
    for name in DEFAULT_TRANSFORMS:
        transformation = get_transformation(name)
        assert transformation.name == name and transformation.family and transformation.description
    python = {t.name for t in list_transformations("python")}
    assert set(DEFAULT_TRANSFORMS) <= python
    assert "switch_to_if" not in python and "brace_style" not in python  # C/Java-only constructs
    for t in list_transformations():
        assert t.name and t.family and t.description and t.languages, t
    assert list_transformations("cobol") == []
    with pytest.raises(MetaCompressError, match="known transformations: .*dead_code, .*rename_variables"):
        get_transformation("nope")
    with pytest.raises(MetaCompressError, match="unknown parameter"):
        get_transformation("rename_variables", colour="red")
    by_family = families()
    assert sorted(name for names in by_family.values() for name in names) == sorted(
        t.name for t in list_transformations())
    assert by_family["renaming"] == ["rename_variables", "rename_function"]
    assert languages()["python"] == [t.name for t in list_transformations("python")]
