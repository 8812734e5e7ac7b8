"""``rename_variables`` never renames class members (fields, static fields, enum constants,
interface constants), neither their declarations nor their uses: they are the class's API and
reachable as ``this.x`` / ``Main.x`` / ``Outer.this.x`` / ``obj.x``, which the scope analysis does not
resolve. Bare member snippets (``private int size; void f() {...}``, parsed at the top level by
tree-sitter-java) are the case that used to break; both the fast path and the visitor are checked.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile

import pytest

from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import analyze
from metacompress_eval.code.scopes.java import JavaScopeBuilder, analyze_java_query, member_snippet
from metacompress_eval.transforms.registry import get_transformation

TESTER_CASES = [
    "class Main { private int size; void setSize(int size){ int old=this.size; this.size=size; } }",
    "class Main { static int count=3; static int shadow(int a){ int count = a + Main.count; return count; } }",
    "private int size; void setSize(int size){ int old=this.size; this.size=size; }",
    "static int count = 3; static int shadow(int a){ int count = a + Main.count; return count; }",
]


def generated_cases() -> list[str]:
    """Fields named like locals/params, static fields used as ``Main.x``, inner classes reaching
    outer fields, anonymous classes with fields, enum and interface constants; bare and in a class."""
    members = []
    for field, mods in itertools.product(("size", "count", "value"), ("private ", "static ", "")):
        qual = "Main." if mods == "static " else "this."
        members.append(
            f"{mods}int {field} = 1; int total;\n"
            f"{'static ' if mods == 'static ' else ''}int get(int {field}) {{ int r = {qual}{field} + {field}; return r; }}\n"
            f"{'static ' if mods == 'static ' else ''}int peek() {{ int x = {field}; return x + {qual}{field}; }}\n"
        )
    members.append(
        "int size = 2;\n"
        "class Inner { int grow(int k) { int size = k; return Main.this.size + size; } }\n"
        "Object anon() { return new Object() { int size = 5; public int hashCode() { int h = this.size; return h; } }; }\n"
    )
    members.append("enum Color { RED, GREEN; int shade; int mix(int RED) { return RED + shade + this.shade; } }\n"
                   "interface Limits { int MAX = 9; }\n"
                   "int clamp(int MAX) { return Math.min(MAX, Limits.MAX); }\n")
    cases = []
    for body in members:
        cases.append(body)  # bare members, as a dataset row may hold them
        cases.append("class Main {\n" + body + "}\n")
    return cases


CASES = TESTER_CASES + generated_cases()


def member_names(code: str) -> list[str]:
    """Declared names of every field, enum constant and constant, in order (bare top-level
    variables of a member snippet included)."""
    parsed = parse(code, "java")
    found = []
    stack = [parsed.root]
    while stack:
        node = stack.pop()
        declarator_parent = node.type in ("field_declaration", "constant_declaration") or (
            node.type == "local_variable_declaration" and node.parent is not None
            and node.parent.type == "program" and member_snippet(node.parent))
        if declarator_parent:
            found += [parsed.text(c.child_by_field_name("name")) for c in node.children if c.type == "variable_declarator"]
        elif node.type == "enum_constant":
            found.append(parsed.text(node.child_by_field_name("name")))
        stack.extend(reversed(node.children))
    return found


@pytest.mark.parametrize("code", CASES)
def test_no_member_is_renamed(code: str) -> None:
    transform = get_transformation("rename_variables")
    for seed in (0, 1, 2):
        result = transform.apply(code, "java", seed=seed)
        assert result.applied, result.reason
        assert member_names(result.code) == member_names(code)
        assert all(r["kind"] != "field" for r in result.params["renames"])


@pytest.mark.parametrize("code", CASES)
def test_fast_path_equals_visitor_on_member_snippets(code: str) -> None:
    parsed = parse(code, "java")
    fast = analyze_java_query(parsed)
    slow = JavaScopeBuilder(parsed).build()
    if fast is not None:
        key = lambda a: sorted((s.name, s.kind, s.declarations, s.uses, s.unsafe_reason) for s in a.symbols)  # noqa: E731
        assert key(fast) == key(slow)
    fields = {s.name for s in analyze(parsed).symbols if s.kind == "field"}
    assert set(member_names(code)) <= fields


def test_parameter_shadowing_a_field_is_still_renamed() -> None:
    result = get_transformation("rename_variables").apply(TESTER_CASES[2], "java", seed=0)
    renamed = {r["old"]: r["kind"] for r in result.params["renames"]}
    assert renamed == {"size": "parameter", "old": "local"}
    assert "this.size=" in result.code and "private int size;" in result.code


def test_statement_snippets_keep_renaming_top_level_locals() -> None:
    result = get_transformation("rename_variables").apply("int n = 3; n += 1;", "java", seed=0)
    assert result.applied and "n" not in {w for w in result.code.replace(";", " ").split()}


@pytest.mark.skipif(shutil.which("javac") is None, reason="javac not installed")
def test_sources_and_follow_ups_compile() -> None:
    transform = get_transformation("rename_variables")
    units = []
    for code in CASES:
        units.append(code)
        units += [transform.apply(code, "java", seed=seed).code for seed in (0, 1)]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, code in enumerate(units):
            if not code.lstrip().startswith("class Main"):
                code = "class Main {\n" + code + "\n}\n"
            # One javac call for all: each unit in a package of its own, so the classes Main differ.
            path = os.path.join(tmp, f"p{i}", "Main.java")
            os.mkdir(os.path.dirname(path))
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(f"package p{i};\n{code}")
            files.append(path)
        proc = subprocess.run(["javac", "-proc:none", "-d", os.path.join(tmp, "out"), *files],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("language, code, kept", [
    ("javascript", "class A { size = 1; set(size){ const old = this.size; this.size = size; return old; } }",
     ["size = 1;", "this.size", "this.size ="]),
    ("go", "type S struct { size int }\nfunc (s *S) Set(size int) int { old := s.size; s.size = size; return old }",
     ["struct { size int }", ".size;", ".size = "]),
    ("python", "class A:\n    size = 1\n    def set(self, size):\n        old = self.size\n        self.size = size\n"
     "        return old\n", ["size = 1", "= self.size", "self.size = "]),
])
def test_other_languages_keep_member_names(language: str, code: str, kept: list[str]) -> None:
    """The same kind in JavaScript class fields, Go struct fields and Python attributes."""
    result = get_transformation("rename_variables").apply(code, language, seed=0)
    assert result.applied, result.reason
    for text in kept:
        assert text in result.code, (text, result.code)
