"""``nested_to_else_if``: turn an else branch that only holds an if into an else-if."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, walk_tree
from metacompress_eval.code.spans import with_ancestors
from metacompress_eval.code.syntax import BLOCKS, COMMENTS, FUNCTION_LIKE
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose
from metacompress_eval.transforms.control_flow.if_chains import alternative_of, line_starts_after, python_lines_ok


def _single_statement(block: Node, language: str) -> Node | None:
    """The only statement of a block when it holds exactly one and no comments."""
    children = block.named_children
    if language == "go" and block.type == "block":
        lists = [c for c in children if c.type == "statement_list"]
        if len(lists) != 1 or len(children) != 1:
            return None
        children = lists[0].named_children
    if len(children) != 1 or children[0].type in COMMENTS:
        return None
    return children[0]


class NestedToElseIf(Transformation):
    """``if a {A} else { if b {B} }`` → ``if a {A} else if b {B}`` (the inverse of
    ``else_if_to_nested``).

    Only when the else block holds exactly that one ``if`` and no comments. In C/Java/JS an inner
    ``if`` without ``else`` is only lifted when no enclosing ``if`` could then capture a following
    ``else`` (dangling else). Python: ``else:`` + ``if`` → ``elif``, de-indenting the inner chain,
    with the same indentation safety rules as ``else_if_to_nested``.
    """

    name = "nested_to_else_if"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Turn an else branch that only holds an if into an else-if."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        for node in walk_tree(parsed.root):
            if node.type != "if_statement" or not parsed.in_snippet(node):
                continue
            edits = self._python(parsed, node) if parsed.language == "python" else self._braces(parsed, node)
            if edits:
                candidates.append((parsed.span(node)[0], edits))
        position, edits = choose(parsed, rng, candidates, "no else branch that only holds an if")
        return Proposal(edits, {"position": position, "candidates": len(candidates)})

    def _braces(self, parsed: ParsedCode, node: Node) -> list[Edit] | None:
        block = alternative_of(node)
        if block is None or block.type not in BLOCKS:
            return None
        inner = _single_statement(block, parsed.language)
        if inner is None or inner.type != "if_statement":
            return None
        if parsed.language != "go" and alternative_of(inner) is None and inner.child_by_field_name("alternative") is None:
            if not self._no_dangling_else(parsed, node):
                return None
        return [Edit(*parsed.span(block), parsed.text(inner))]

    @staticmethod
    def _no_dangling_else(parsed: ParsedCode, node: Node) -> bool:
        """No enclosing ``if`` … ``else`` has ``node`` at the end of its then-branch."""
        # The ancestors in one descent from the root (``node.parent`` costs the depth per step).
        path = next(with_ancestors(parsed.root, [node]))[1]
        at = len(path) - 1
        while at > 0 and path[at - 1].type not in BLOCKS and path[at - 1].type not in FUNCTION_LIKE:
            current, parent = path[at], path[at - 1]
            if parent.type == "if_statement" and parent.child_by_field_name("consequence") == current and \
                    parent.child_by_field_name("alternative") is not None:
                return False
            if parent.type in ("do_statement",):
                return True
            at -= 1
        return True

    @staticmethod
    def _python(parsed: ParsedCode, node: Node) -> list[Edit] | None:
        clauses = [c for c in node.children if c.type in ("elif_clause", "else_clause")]
        if not clauses or clauses[-1].type != "else_clause":
            return None
        else_clause = clauses[-1]
        body = else_clause.child_by_field_name("body")
        if body is None or len(body.children) != 1 or body.children[0].type != "if_statement":
            return None
        inner = body.children[0]
        else_start = parsed.span(else_clause)[0]
        inner_start, inner_end = parsed.span(inner)
        if not parsed.starts_line(else_start) or not parsed.starts_line(inner_start):
            return None
        # Nothing but ``else:`` and whitespace before the inner if (a comment would be lost).
        colon = next((c for c in else_clause.children if c.type == ":"), None)
        if colon is None or parsed.data[parsed.span(colon)[1]:inner_start].strip():
            return None
        delta = parsed.column(inner_start) - parsed.column(else_start)
        if delta <= 0 or not python_lines_ok(parsed, inner_start, inner_end, inner):
            return None
        unit = b" " * delta
        edits = [Edit(else_start, inner_start + 2, "elif")]
        for line in line_starts_after(parsed, inner_start, inner_end):
            next_nl = parsed.data.find(b"\n", line)
            content = parsed.data[line: next_nl if next_nl >= 0 else len(parsed.data)]
            if not content.strip():
                continue
            if not content.startswith(unit):
                return None  # a line (e.g. a comment) less indented than the block
            edits.append(Edit(line, line + delta, ""))
        return edits
