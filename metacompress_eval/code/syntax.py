"""Node types of the tree-sitter grammars, each set defined once, and small helpers over them.

Per-language tables map a language to the node types it spells a construct with; the unions below
them serve code that looks at nodes without caring which grammar made them (the type names of
the five grammars do not clash in meaning). Sets that differ by *use* have a name of their own:

* :data:`BLOCKS` are the nodes that are a braced body of a loop, ``if`` or function (Go's
  ``block``, C's ``compound_statement``, ...);
* :data:`STATEMENT_CONTAINERS` are the nodes whose named children are the statements of a block:
  the same, except that Go puts a ``statement_list`` inside its ``block``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Iterator

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode, nodes_of_types, walk_tree


def _union(table: dict[str, frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*table.values())


COMMENT_TYPES: dict[str, frozenset[str]] = {
    "c": frozenset({"comment"}),
    "java": frozenset({"line_comment", "block_comment"}),
    "python": frozenset({"comment"}),
    "javascript": frozenset({"comment"}),
    "go": frozenset({"comment"}),
}
COMMENTS = _union(COMMENT_TYPES)

BLOCK_TYPES: dict[str, frozenset[str]] = {
    "c": frozenset({"compound_statement"}),
    "java": frozenset({"block", "constructor_body"}),
    "python": frozenset({"block"}),
    "javascript": frozenset({"statement_block"}),
    "go": frozenset({"block"}),
}
BLOCKS = _union(BLOCK_TYPES)

STATEMENT_CONTAINER_TYPES: dict[str, frozenset[str]] = {
    **BLOCK_TYPES,
    "go": frozenset({"statement_list"}),  # a Go ``block`` holds one ``statement_list``
}
# The union holds ``block`` (Java, Python): code reading every language skips Go's ``block``.
STATEMENT_CONTAINERS = _union(STATEMENT_CONTAINER_TYPES)

# String-like literals whose text may name a function or variable (reflection, ``eval``).
STRING_LITERAL_TYPES: dict[str, frozenset[str]] = {
    "c": frozenset({"string_literal", "char_literal", "raw_string_literal"}),
    "java": frozenset({"string_literal", "character_literal"}),
    "python": frozenset({"string"}),
    "javascript": frozenset({"string", "template_string"}),
    "go": frozenset({"interpreted_string_literal", "raw_string_literal"}),
}
# Tokens whose bytes are literal text (no whitespace in them may change): the string literals and
# the other literal-text tokens (``#include <...>`` names, regular expressions, rune literals).
LITERAL_TEXT_TYPES: dict[str, frozenset[str]] = {
    language: types | {"c": {"system_lib_string"}, "javascript": {"regex"}, "go": {"rune_literal"}}.get(language, set())
    for language, types in STRING_LITERAL_TYPES.items()
}

# Nodes that start a new function/class: a ``continue``/``break``/``return`` inside them never
# refers to the code around them, and their bodies run at another time.
FUNCTION_LIKE = frozenset(
    {
        "function_definition", "method_declaration", "constructor_declaration", "lambda_expression",
        "arrow_function", "function_expression", "function_declaration", "generator_function",
        "generator_function_declaration", "class_declaration", "class_body", "class", "func_literal",
        "lambda", "class_definition", "method_definition", "interface_declaration",
        "enum_declaration", "record_declaration",
    }
)
IDENTIFIERS = frozenset(
    {"identifier", "field_identifier", "property_identifier", "shorthand_property_identifier",
     "type_identifier", "private_property_identifier"}
)
# Expressions that may run arbitrary code (calls, ``new``, ``await``, ``yield``, channel I/O, ...).
CALLS = frozenset(
    {
        "call_expression", "method_invocation", "object_creation_expression", "new_expression",
        "call", "await_expression", "await", "yield_expression", "yield", "explicit_constructor_invocation",
        "array_creation_expression", "receive_statement", "send_statement", "unary_expression_receive",
        "gnu_asm_expression", "tagged_template_expression", "template_substitution", "interpolation",
        "macro_invocation",
    }
)
# Accesses that are free of side effects but may fail (null pointer, index out of range, getters)
# or observe memory.
MEMORY_ACCESSES = frozenset(
    {"field_expression", "field_access", "member_expression", "attribute", "subscript_expression",
     "array_access", "subscript", "index_expression", "selector_expression", "pointer_expression",
     "slice_expression"}
)
LOOPS = frozenset({"for_statement", "while_statement", "do_statement", "enhanced_for_statement",
                   "for_in_statement", "for_range_loop"})
JUMPS = frozenset({"return_statement", "throw_statement", "break_statement", "continue_statement",
                   "goto_statement", "yield_statement"})


def has_comment(node: Node) -> bool:
    """Whether a comment lies inside ``node``."""
    return any(n.type in COMMENTS for n in walk_tree(node))


class CommentIndex:
    """:func:`has_comment` for many nodes of one tree: a binary search over the comment spans
    instead of a walk of every node's subtree (which made candidate scans quadratic).

    A comment lies inside a node exactly when its span lies inside the node's span (comments are
    leaves, and tree-sitter attaches them to the innermost node whose children surround them).
    """

    def __init__(self, parsed: ParsedCode) -> None:
        comments = nodes_of_types(parsed.root, parsed.language, COMMENTS)
        self._starts = [c.start_byte for c in comments]
        self._ends = [c.end_byte for c in comments]

    def within(self, node: Node) -> bool:
        """Whether a comment lies inside ``node`` (``node`` itself included)."""
        if not self._starts:
            return False
        # Comments do not overlap: only the first one starting inside ``node`` can end inside it.
        i = bisect_left(self._starts, node.start_byte)
        return i < len(self._starts) and self._ends[i] <= node.end_byte


def identifier_nodes(node: Node) -> list[Node]:
    """The ``identifier`` nodes of ``node``'s subtree (``node`` included), found with an explicit
    stack (an expression may nest deeper than Python's recursion limit); the order is that stack's:
    the last child of each node is looked at first."""
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            found.append(current)
        stack.extend(current.children)
    return found


def ancestors(node: Node) -> Iterator[Node]:
    """The proper ancestors of ``node``, innermost first."""
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


def inside_type(parsed: ParsedCode, node: Node, types: frozenset[str]) -> bool:
    """Whether a proper ancestor of ``node`` has one of ``types``.

    Same answer as ``any(a.type in types for a in ancestors(node))``, but tree-sitter computes each
    ``node.parent`` by descending from the root, so that walk costs depth² per node, and a check per
    candidate made whole transformations cubic in the nesting depth (a 500-branch ``else if`` chain).
    Here one query per snippet and ``types`` finds the outermost nodes of ``types`` (disjoint spans,
    since spans of a tree nest or are disjoint) and each check is a binary search among them.
    """
    key = ("outermost_of_types", types)
    index = parsed.analyses.get(key)
    if index is None:
        spans: list[tuple[int, int, int]] = []
        for found in nodes_of_types(parsed.root, parsed.language, types):  # pre-order: outer ones first
            if spans and found.end_byte <= spans[-1][1] and found.start_byte >= spans[-1][0]:
                continue
            spans.append((found.start_byte, found.end_byte, found.id))
        index = parsed.analyses[key] = ([s for s, _, _ in spans], spans)
    starts, spans = index
    at = bisect_right(starts, node.start_byte) - 1
    if at < 0:
        return False
    start, end, outer_id = spans[at]
    if outer_id == node.id:  # ``node`` is itself outermost (an ancestor with its span would come first)
        return False
    if (start, end) == (node.start_byte, node.end_byte):  # rare: which one is the ancestor, spans cannot tell
        return any(a.type in types for a in ancestors(node))
    return node.end_byte <= end


def comparison_parts(node: Node) -> tuple[Node, Node, Node] | None:
    """``(operator, left, right)`` of a binary comparison, or ``None``.

    C-family ``binary_expression`` and Python ``comparison_operator`` (only a single, unchained
    comparison: ``a < b < c``, ``not in`` and ``is not`` give ``None``).
    """
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    elif node.type == "comparison_operator":
        ops = node.children_by_field_name("operators")
        if len(ops) != 1 or len(node.named_children) != 2:
            return None
        op, (left, right) = ops[0], node.named_children
    else:
        return None
    if op is None or left is None or right is None:
        return None
    return op, left, right


def assignment_operator(node: Node) -> Node | None:
    """The unnamed ``...=`` token of an assignment node (for grammars without an ``operator`` field)."""
    for child in node.children:
        if not child.is_named and child.type.endswith("="):
            return child
    return None
