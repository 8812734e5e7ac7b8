"""``if_else_swap``: negate an ``if`` condition and swap its two branches."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.syntax import BLOCK_TYPES, COMMENTS
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation


def _else_branch_c_family(node: Node) -> Node | None:
    alternative = node.child_by_field_name("alternative")
    if alternative is None:
        return None
    if alternative.type == "else_clause":  # tree-sitter-c wraps the branch, tree-sitter-java does not
        named = [c for c in alternative.named_children if c.type not in COMMENTS]
        return named[-1] if named else None
    return alternative


class IfElseSwap(Transformation):
    """``if (c) A else B`` → ``if (!(c)) B else A`` (Python: ``if not (c):``).

    C/Java/JavaScript branches that are not blocks are wrapped in braces, so an ``else if`` moved
    into the then-position cannot capture the ``else`` (dangling else). Go conditions are not
    parenthesised (``if x > 0 {`` → ``if !(x > 0) {``; an initializer statement stays in front of
    the condition, its variables remain in scope of both branches) and an ``else if`` moved into
    the then-position becomes a block. Python is handled only without
    ``elif`` and when both bodies start on their own lines at the same indentation; the whole
    body text, comments included, is swapped.
    """

    name = "if_else_swap"
    family = "control_flow"
    languages = frozenset({"c", "java", "python", "javascript", "go"})
    description = "Negate the condition of an if/else and swap the two branches."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        stack = [parsed.root]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            if node.type == "if_statement" and parsed.in_snippet(node):
                edits = self._python_edits(parsed, node) if parsed.language == "python" else self._c_edits(parsed, node)
                if edits:
                    candidates.append((parsed.span(node)[0], edits))
        if not candidates:
            return NotApplicable("no if statement with an else branch that can be swapped")
        candidates.sort(key=lambda item: item[0])
        position, edits = rng.choice(candidates)
        return Proposal(edits, {"position": position, "candidates": len(candidates)})

    def _c_edits(self, parsed: ParsedCode, node: Node) -> list[Edit] | None:
        condition = node.child_by_field_name("condition")
        then_branch = node.child_by_field_name("consequence")
        else_branch = _else_branch_c_family(node)
        if condition is None or then_branch is None or else_branch is None:
            return None
        go = parsed.language == "go"
        if condition.type != "parenthesized_expression" and not go:
            return None
        blocks = BLOCK_TYPES[parsed.language]

        def as_block(branch: Node) -> str:
            text = parsed.text(branch)
            return text if branch.type in blocks else "{ " + text + " }"

        cond_start, cond_end = parsed.span(condition)
        if go:
            negated = f"!({parsed.data[cond_start:cond_end].decode('utf-8')})"
        else:
            negated = f"(!({parsed.data[cond_start + 1 : cond_end - 1].decode('utf-8')}))"
        then_span, else_span = parsed.span(then_branch), parsed.span(else_branch)
        return [
            Edit(cond_start, cond_end, negated),
            Edit(*then_span, as_block(else_branch)),
            Edit(*else_span, as_block(then_branch)),
        ]

    def _python_edits(self, parsed: ParsedCode, node: Node) -> list[Edit] | None:
        condition = node.child_by_field_name("condition")
        then_block = node.child_by_field_name("consequence")
        alternatives = [c for c in node.children if c.type in ("elif_clause", "else_clause")]
        if condition is None or then_block is None or len(alternatives) != 1:
            return None
        else_clause = alternatives[0]
        if else_clause.type != "else_clause":
            return None
        else_block = else_clause.child_by_field_name("body")
        if else_block is None:
            return None
        then_region = self._body_region(parsed, node, then_block)
        else_region = self._body_region(parsed, else_clause, else_block)
        if then_region is None or else_region is None:
            return None
        if parsed.column(parsed.span(then_block)[0]) != parsed.column(parsed.span(else_block)[0]):
            return None  # moving a body to a different indentation would need re-indenting
        cond_start, cond_end = parsed.span(condition)
        cond_text = parsed.data[cond_start:cond_end].decode("utf-8")
        then_text = parsed.data[slice(*then_region)].decode("utf-8")
        else_text = parsed.data[slice(*else_region)].decode("utf-8")
        return [
            Edit(cond_start, cond_end, f"not ({cond_text})"),
            Edit(*then_region, else_text),
            Edit(*else_region, then_text),
        ]

    @staticmethod
    def _body_region(parsed: ParsedCode, clause: Node, block: Node) -> tuple[int, int] | None:
        """From the line after the clause's ``:`` to the end of its block (leading comments included)."""
        colon = None
        for child in clause.children:
            if child.type == ":":
                colon = child
            if child == block:
                break
        if colon is None:
            return None
        colon_end = parsed.span(colon)[1]
        newline = parsed.data.find(b"\n", colon_end)
        block_start, block_end = parsed.span(block)
        if newline < 0 or newline >= block_start or not parsed.starts_line(block_start):
            return None  # ``if x: y`` on one line
        return newline + 1, block_end
