"""What ``else_if_to_nested`` and ``nested_to_else_if`` share: the else branch of an ``if``, and safe re-indentation of Python lines."""

from __future__ import annotations

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode, walk_tree
from metacompress_eval.code.syntax import COMMENTS


def alternative_of(node: Node) -> Node | None:
    """The statement in the else position of an ``if`` (unwrapping C/JS ``else_clause``)."""
    alternative = node.child_by_field_name("alternative")
    if alternative is not None and alternative.type == "else_clause":
        named = [c for c in alternative.named_children if c.type not in COMMENTS]
        return named[-1] if len(named) == 1 else None
    return alternative


def python_lines_ok(parsed: ParsedCode, start: int, end: int, node: Node) -> bool:
    """Re-indenting the lines of [start, end) is safe: space indentation, no multi-line strings."""
    line = parsed.line_start(start)
    text = parsed.data[line:end]
    for raw in text.split(b"\n"):
        indent = raw[: len(raw) - len(raw.lstrip())]
        if b"\t" in indent:
            return False
    for current in walk_tree(node):
        if current.type in ("string", "concatenated_string") and b"\n" in parsed.data[slice(*parsed.span(current))]:
            return False
    return True


def line_starts_after(parsed: ParsedCode, start: int, end: int) -> list[int]:
    """Starts of the lines after the line of ``start`` that begin before ``end``."""
    starts = []
    pos = parsed.data.find(b"\n", start)
    while 0 <= pos < end - 1:
        starts.append(pos + 1)
        pos = parsed.data.find(b"\n", pos + 1)
    return starts
