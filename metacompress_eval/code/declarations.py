"""Names declared or spelled inside a subtree (by identifier nodes, never by text search)."""

from __future__ import annotations

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode, nodes_of_types, walk_tree
from metacompress_eval.code.syntax import FUNCTION_LIKE

# Nodes that declare a name (variables, constants, functions, classes) in any language.
DECLARING = frozenset({"init_declarator", "declaration", "variable_declarator", "short_var_declaration", "var_spec",
                       "const_spec", "function_declaration", "class_declaration"})


def declared_names(parsed: ParsedCode, node: Node, skip: frozenset[str] = FUNCTION_LIKE) -> set[str]:
    """Names declared anywhere inside ``node`` (by default functions and classes are not entered)."""
    names: set[str] = set()
    # Without ``skip`` every declaring node counts: let a query find them instead of a walk.
    nodes = nodes_of_types(node, parsed.language, DECLARING) if not skip else walk_tree(node, skip)
    for current in nodes:
        note_declared(parsed, current, names)
    return names


def note_declared(parsed: ParsedCode, current: Node, names: set[str]) -> None:
    """Add the names that ``current`` itself declares (see :func:`declared_names`) to ``names``."""
    t = current.type
    if t not in DECLARING:
        return
    if t in ("init_declarator",):
        inner = current.child_by_field_name("declarator")
        names.update(parsed.text(n) for n in walk_tree(inner) if n.type == "identifier") if inner else None
    elif t == "declaration":
        for d in current.children_by_field_name("declarator"):
            if d.type != "init_declarator":
                names.update(parsed.text(n) for n in walk_tree(d) if n.type == "identifier")
    elif t == "variable_declarator":
        name = current.child_by_field_name("name")
        if name is not None:
            names.update(parsed.text(n) for n in walk_tree(name) if n.type in ("identifier", "shorthand_property_identifier_pattern"))
    elif t in ("short_var_declaration",):
        left = current.child_by_field_name("left")
        if left is not None:
            names.update(parsed.text(n) for n in left.named_children)
    elif t in ("var_spec", "const_spec"):
        names.update(parsed.text(n) for n in current.children_by_field_name("name"))
    elif t in ("function_declaration", "class_declaration"):
        name = current.child_by_field_name("name")
        if name is not None:
            names.add(parsed.text(name))


def identifiers(parsed: ParsedCode, node: Node | None) -> set[str]:
    """Every identifier spelled inside ``node``."""
    if node is None:
        return set()
    return {parsed.text(n) for n in walk_tree(node) if n.type == "identifier"}
