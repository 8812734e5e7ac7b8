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
        chains: dict[int, tuple[int, bool]] = {}
        for node in walk_tree(parsed.root):
            if node.type != "if_statement" or not parsed.in_snippet(node):
                continue
            if parsed.language == "python":
                # Only the chosen clause gets its edits (re-indenting the rest of the chain): building
                # them for every clause, and checking the chain's lines per clause, was quadratic in
                # the length of an elif chain (800 clauses: 3.4 s; 2,000: hundreds of MB).
                for clause in node.children:
                    if clause.type == "elif_clause" and self._python_ok(parsed, node, clause, chains):
                        candidates.append((parsed.span(clause)[0], node, clause))
                continue
            inner = alternative_of(node)
            if inner is None or inner.type != "if_statement":
                continue
            start, end = parsed.span(inner)
            candidates.append((start, [Edit(start, start, "{ "), Edit(end, end, " }")]))
        chosen = choose(parsed, rng, candidates, "no else-if to nest")
        position = chosen[0]
        edits = chosen[1] if len(chosen) == 2 else self._python(parsed, *chosen[1:])
        return Proposal(edits, {"position": position, "candidates": len(candidates)})

    @staticmethod
    def _python_ok(parsed: ParsedCode, node: Node, clause: Node, chains: dict[int, tuple[int, bool]]) -> bool:
        """What :meth:`_python` checks (same answer), with the chain's facts computed once per chain:
        the start of its last tab-indented line and whether it holds a multi-line string."""
        clause_start = parsed.span(clause)[0]
        if _python_unit(parsed, node) is None or not parsed.starts_line(clause_start):
            return False
        if node.id not in chains:
            first, end = parsed.line_start(parsed.span(node)[0]), parsed.span(node)[1]
            last_tab, offset = -1, first
            for raw in parsed.data[first:end].split(b"\n"):
                if b"\t" in raw[: len(raw) - len(raw.lstrip())]:
                    last_tab = offset
                offset += len(raw) + 1
            chains[node.id] = (last_tab, python_lines_ok(parsed, end, end, node))
        last_tab, strings_ok = chains[node.id]
        return strings_ok and last_tab < parsed.line_start(clause_start)

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
        edits = [Edit(*parsed.span(keyword), f"else:{parsed.newline}{indent}{unit}if")]
        for line in line_starts_after(parsed, clause_start, end):
            next_nl = parsed.data.find(b"\n", line)
            content = parsed.data[line: next_nl if next_nl >= 0 else len(parsed.data)]
            if content.strip():
                edits.append(Edit(line, line, unit))
        return edits
