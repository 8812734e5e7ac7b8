"""Kind 2: names that are data (Python f-string ``=`` and namespace formatting, C ``#``/``##`` and
member-name macro parameters) are never renamed, by the transformations nor by the attacks."""

from __future__ import annotations

from metacompress_eval.attacks.base import Subject
from metacompress_eval.transforms import get_transformation

from .generators import c_data_name_inputs, python_data_name_inputs
from .oracles import Case, c_differences, follow_ups, python_differences

ISSUE_EXAMPLE = 'def f(a, b):\n    total = a + b\n    print(f"{total=}")\n    return total\n'


def test_issue_example_keeps_total():
    # ``total`` is the only local (Python parameters are never renamed: callers may pass them by
    # keyword), so the right output is no rename at all.
    for seed in range(4):
        result = get_transformation("rename_variables").apply(ISSUE_EXAMPLE, "python", seed=seed)
        assert not result.applied and "f-string" in result.reason
    other = ISSUE_EXAMPLE.replace("    return total\n", "    step = total * 2\n    return step\n")
    result = get_transformation("rename_variables").apply(other, "python", seed=0)
    assert result.applied and 'print(f"{total=}")' in result.code and "    total = a + b" in result.code
    assert [r["old"] for r in result.params["renames"]] == ["step"]


def test_attack_renamer_leaves_data_names_alone():
    other = ISSUE_EXAMPLE.replace("    return total\n", "    step = total * 2\n    return step\n")
    assert {s.name for s in Subject(other, "python").symbols} == {"step"}
    stringify = ('#define SHOW(v) printf(#v "=%d\\n", v)\nint f(int a) {\n    int total = a * 2;\n'
                 '    SHOW(total);\n    return total;\n}\n')
    assert "total" not in {s.name for s in Subject(stringify, "c").symbols}


def test_python_data_names_keep_behaviour_under_all_transformations():
    cases = []
    for code, context, calls in python_data_name_inputs():
        for name, result in follow_ups(code, "python"):
            cases.append(Case.of(code, name, result, context, calls))
    assert len(cases) > 50
    differing = python_differences(cases)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"


def test_c_macro_data_names_keep_behaviour_under_all_transformations(need_gcc, tmp_path):
    cases = []
    for code, context, calls in c_data_name_inputs():
        for name, result in follow_ups(code, "c"):
            cases.append(Case.of(code, name, result, context, calls))
    assert len(cases) > 50
    differing = c_differences(cases, tmp_path)
    assert not differing, f"{len(differing)} follow-ups change behaviour; first:\n{differing[0]}"


def test_stringified_local_is_kept_but_others_are_renamed():
    code = ('#define SHOW(v) printf(#v "=%d\\n", v)\nint f(int a) {\n    int total = a * 2;\n'
            '    SHOW(total);\n    return total;\n}\n')
    result = get_transformation("rename_variables").apply(code, "c", seed=0)
    assert result.applied and "SHOW(total)" in result.code and "int total" in result.code
    assert [r["old"] for r in result.params["renames"]] == ["a"]


def test_identifiers_found_from_the_text_are_the_trees():
    """The possible macros are looked up from the words of the text (not a walk of every identifier):
    the same identifier nodes, in the same order, as filtering the tree's, whatever surrounds them -
    comments, strings, number suffixes (``1UL``), identifiers glued to numbers (``1FOO``, invalid C),
    ``$`` or non-ASCII letters in identifiers, error recovery."""
    import random

    from metacompress_eval.code.languages import nodes_of_types, parse
    from metacompress_eval.code.scopes.data_names import macro_like_identifiers
    from metacompress_eval.code.macros import looks_like_macro

    pieces = ["FOO", "BAR_2", "x", "total", "1UL", "1FOO", "0x1FULL", "FOO$", "$FOO", "\u00e9FOO", "FOO\u00e9",
              "/* FOO */", "// BAR_2\n", '"FOO BAR_2"', "'F'", "L\"FOO\"", "#define FOO 1\n", "MAX(FOO, 2)", "a.FOO",
              "p->BAR_2", "(", ")", "+", ";", "{", "}", "int", "\n", " "]
    rng = random.Random(0)
    snippets = ["int f(int a) { return FOO(a) + 1UL + BAR_2; }\n"]
    for _ in range(300):
        body = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        snippets.append(f"int f(int x) {{\n  int total = {body};\n  return total;\n}}\n")
    for code in snippets:
        parsed = parse(code, "c")
        expected = [(n.start_byte, parsed.text(n)) for n in nodes_of_types(parsed.root, "c", frozenset({"identifier"}))
                    if looks_like_macro(parsed.text(n))]
        found = [(n.start_byte, name) for n, name in macro_like_identifiers(parsed, lambda name: True)]
        assert found == expected, code
