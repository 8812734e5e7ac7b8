"""``else_if_to_nested``: turn one else-if into an else branch holding a nested if."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, walk_tree
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose
from metacompress_eval.transforms.control_flow.if_chains import alternative_of, line_starts_after, python_lines_ok


def _python_unit(parsed: ParsedCode, node: Node) -> str | None:
    """Indentation step of a Python ``if`` (its body column minus its own column), spaces only."""
    body = node.child_by_field_name("consequence")
    if body is None:
        return None
    head_col = parsed.column(parsed.span(node)[0])
    body_start = parsed.span(body)[0]
    if not parsed.starts_line(body_start):
        return None
    step = parsed.column(body_start) - head_col
    return " " * step if step > 0 else None


class ElseIfToNested(Transformation):
    """``if a {A} else if b {B} else {C}`` → ``if a {A} else { if b {B} else {C} }``.

    Python: ``elif b:`` → ``else:`` + a nested ``if b:``, re-indenting the rest of the chain by the
    chain's own indentation step (only with space indentation and no multi-line strings in it,
    since re-indenting would change their value). Comments move with the lines they are on.
    """

    name = "else_if_to_nested"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Turn one else-if into an else branch holding a nested if."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        for node in walk_tree(parsed.root):
            if node.type != "if_statement" or not parsed.in_snippet(node):
                continue
            if parsed.language == "python":
                for clause in node.children:
                    if clause.type == "elif_clause":
                        edits = self._python(parsed, node, clause)
                        if edits:
                            candidates.append((parsed.span(clause)[0], edits))
                continue
            inner = alternative_of(node)
            if inner is None or inner.type != "if_statement":
                continue
            start, end = parsed.span(inner)
            candidates.append((start, [Edit(start, start, "{ "), Edit(end, end, " }")]))
        position, edits = choose(parsed, rng, candidates, "no else-if to nest")
        return Proposal(edits, {"position": position, "candidates": len(candidates)})

    @staticmethod
    def _python(parsed: ParsedCode, node: Node, clause: Node) -> list[Edit] | None:
        unit = _python_unit(parsed, node)
        clause_start = parsed.span(clause)[0]
        end = parsed.span(node)[1]
        if unit is None or not parsed.starts_line(clause_start):
            return None
        if not python_lines_ok(parsed, clause_start, end, node):
            return None
        indent = parsed.data[parsed.line_start(clause_start):clause_start].decode()
        keyword = clause.children[0]
        edits = [Edit(*parsed.span(keyword), f"else:\n{indent}{unit}if")]
        for line in line_starts_after(parsed, clause_start, end):
            next_nl = parsed.data.find(b"\n", line)
            content = parsed.data[line: next_nl if next_nl >= 0 else len(parsed.data)]
            if content.strip():
                edits.append(Edit(line, line, unit))
        return edits
