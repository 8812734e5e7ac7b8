"""Names declared or spelled inside a subtree (by identifier nodes, never by text search)."""

from __future__ import annotations

from bisect import bisect_left

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


def declares_any(parsed: ParsedCode, node: Node, names: set[str]) -> bool:
    """Whether ``declared_names(parsed, node) & names`` is not empty, from a per-snippet index of the
    declarations (one query; a walk of ``node`` per question made nested loops quadratic)."""
    index = parsed.analyses.get("declarations_by_name")
    if index is None:
        index = parsed.analyses["declarations_by_name"] = _declarations_by_name(parsed)
    start, end = node.start_byte, node.end_byte
    for name in names:
        entries = index.get(name)
        if not entries:
            continue
        for at in range(bisect_left(entries, (start,)), len(entries)):
            found_start, found_end, function = entries[at]
            if found_start >= end:
                break
            if found_end > end:
                continue  # an enclosing declaration
            # Inside a function or class that lies below ``node``: declared_names does not enter it.
            if function is not None and function.id != node.id and start <= function.start_byte \
                    and function.end_byte <= end:
                continue
            return True
    return False


def _declarations_by_name(parsed: ParsedCode) -> dict[str, list[tuple[int, int, Node | None]]]:
    """``{name: [(start, end, innermost enclosing function-like node), ...]}`` of every declaring
    node, in pre-order."""
    from metacompress_eval.code.spans import enclosing

    nodes = nodes_of_types(parsed.root, parsed.language, DECLARING | FUNCTION_LIKE)
    parents = enclosing(nodes)
    function_of: list[int] = []
    index: dict[str, list[tuple[int, int, Node | None]]] = {}
    for i, node in enumerate(nodes):
        parent = parents[i]
        function_of.append(-1 if parent < 0 else parent if nodes[parent].type in FUNCTION_LIKE else function_of[parent])
        if node.type in DECLARING:
            declared: set[str] = set()
            note_declared(parsed, node, declared)
            function = nodes[function_of[i]] if function_of[i] >= 0 else None
            for name in declared:
                index.setdefault(name, []).append((node.start_byte, node.end_byte, function))
    return index


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


_TOP_DECLARATION_PARTS = frozenset({"init_declarator", "var_spec", "const_spec", "type_spec", "type_alias",
                                    "variable_declarator", "var_spec_list", "const_spec_list", "enumerator_list",
                                    "enumerator", "enum_specifier", "struct_specifier", "union_specifier",
                                    "type_definition"})


def block_level_names(parsed: ParsedCode, statement: Node) -> set[str]:
    """Names a statement declares into the block that holds it (C ``declaration`` and
    ``typedef``, with struct/union/enum tags and enumerators; Java local variables and local
    classes; Go ``:=``, ``var``, ``const`` and ``type``). Declarations nested in its own blocks or
    headers (a ``for`` variable, a lambda parameter) go out of scope with it and are not listed."""
    t = statement.type
    names: set[str] = set()
    if t not in ("declaration", "type_definition", "local_variable_declaration", "class_declaration",
                 "short_var_declaration", "var_declaration", "const_declaration", "type_declaration",
                 "enum_declaration", "record_declaration", "interface_declaration"):
        return names
    stack = [statement]
    while stack:
        current = stack.pop()
        note_declared(parsed, current, names)
        if current.type in ("type_spec", "type_alias", "class_declaration", "enum_declaration",
                            "record_declaration", "interface_declaration", "struct_specifier",
                            "union_specifier", "enum_specifier"):
            name = current.child_by_field_name("name")
            if name is not None:
                names.add(parsed.text(name))
        elif current.type == "type_definition":
            for declarator in current.children_by_field_name("declarator"):
                names.update(parsed.text(n) for n in walk_tree(declarator) if n.type == "type_identifier")
        elif current.type == "enumerator":
            name = current.child_by_field_name("name")
            if name is not None:
                names.add(parsed.text(name))
        for child in current.named_children:
            if current == statement or child.type in _TOP_DECLARATION_PARTS:
                if child.type not in FUNCTION_LIKE:
                    stack.append(child)
    return names


def spelled_names(parsed: ParsedCode, node: Node) -> set[str]:
    """Every identifier and type name spelled inside ``node`` (what a copy of it refers to)."""
    return {parsed.text(n) for n in walk_tree(node) if n.type in ("identifier", "type_identifier")}
