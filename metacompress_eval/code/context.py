"""The context of a snippet: the file or translation unit it was cut from.

Datasets hold functions alone; what they refer to (a macro, a global, a sibling function, an
``import``) lives in the enclosing file. Given that file, transformations stop guessing:

* C: every ``#define`` (object-like and function-like, with its body) is known, so a macro is a
  value or a bare expression for sure (:mod:`metacompress_eval.code.macros`), and ALL_CAPS names
  that are globals, functions or enumerators are not mistaken for macros;
* every language: the names the file declares at top level (globals, functions, types, imports)
  and every word it spells, so fresh names avoid them too (a macro body or a sibling function could
  otherwise be captured by a renamed local).

A context is optional: :func:`parse_context` returns ``None`` for ``None`` or empty text, and
transformations fall back to their conservative rules, counting what they refused *for lack of
context*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from metacompress_eval.code.macros import MacroDefinition, definitions_in

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Top-level node types that declare names, per language (their ``name``/``declarator`` fields).
_TOP_LEVEL = {
    "c": frozenset({"declaration", "function_definition", "type_definition", "struct_specifier", "enum_specifier",
                    "union_specifier"}),
    "java": frozenset({"field_declaration", "method_declaration", "class_declaration", "interface_declaration",
                       "enum_declaration", "record_declaration", "constructor_declaration"}),
    "python": frozenset({"function_definition", "class_definition", "assignment", "import_statement",
                         "import_from_statement"}),
    "javascript": frozenset({"function_declaration", "class_declaration", "variable_declarator",
                             "import_specifier", "import_clause"}),
    "go": frozenset({"function_declaration", "method_declaration", "type_spec", "var_spec", "const_spec",
                     "import_spec"}),
}


@dataclass(frozen=True)
class Context:
    """What a snippet's enclosing file tells.

    Attributes:
        language: the language of the file.
        text: the file itself.
        macros: C ``#define``s by name.
        names: names the file declares (globals, functions, types, enumerators, imports).
        words: every identifier-like word of the file (fresh names avoid them).
    """

    language: str
    text: str
    macros: dict[str, MacroDefinition] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()


def _declared_names(parsed, language: str) -> set[str]:
    from metacompress_eval.code.languages import nodes_of_types

    names: set[str] = set()
    for node in nodes_of_types(parsed.root, language, _TOP_LEVEL[language] | {"enumerator"}):
        for field_name in ("name", "declarator", "left", "alias"):
            for child in node.children_by_field_name(field_name):
                current = child
                while current is not None and current.type not in ("identifier", "type_identifier",
                                                                     "field_identifier", "dotted_name",
                                                                     "package_identifier"):
                    inner = current.child_by_field_name("declarator") or current.child_by_field_name("name")
                    if inner is None:
                        words = [c for c in current.named_children if c.type == "identifier"]
                        current = words[0] if words else None
                    else:
                        current = inner
                if current is not None:
                    names.add(current.text.decode("utf-8", "replace").split(".")[0])
    return names


def parse_context(text: str | None, language: str) -> Context | None:
    """Read the enclosing file ``text`` of a snippet in ``language`` (``None`` when there is none)."""
    if text is None or not str(text).strip():
        return None
    from metacompress_eval.code.languages import parse

    text = str(text)
    parsed = parse(text, language)
    macros = definitions_in(parsed) if language == "c" else {}
    names = _declared_names(parsed, language)
    return Context(language, text, macros, frozenset(names), frozenset(_WORD.findall(text)))


__all__ = ["Context", "parse_context"]


def taken_names(parsed) -> set[str]:
    """Words a fresh name must avoid: every word of the snippet and, with a context, of its
    enclosing file (a macro or sibling there could otherwise be captured by a new local)."""
    from metacompress_eval.code.scopes import words_in

    words = words_in(parsed.data)
    if parsed.context is not None:
        words |= set(parsed.context.words)
    return words
