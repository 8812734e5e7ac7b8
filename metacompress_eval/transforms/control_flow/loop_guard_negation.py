"""``loop_guard_negation``: loop condition ``i < n`` → ``!(i >= n)`` for integer operands."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.macros import MacroGuard
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.static_types import IntegerTypes
from metacompress_eval.code.syntax import COMMENTS, comparison_parts, has_comment
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_GUARDED_LOOPS = frozenset({"while_statement", "do_statement", "for_statement"})


class _LazyIntegerTypes:
    """:class:`IntegerTypes`, built on the first question: building it scans every declaration,
    which is wasted on the many snippets whose loops compare nothing relationally."""

    def __init__(self, parsed: ParsedCode) -> None:
        self._parsed = parsed
        self._ints: IntegerTypes | None = None

    def is_int(self, node: Node) -> bool:
        if self._ints is None:
            self._ints = IntegerTypes(self._parsed)
        return self._ints.is_int(node)


class LoopGuardNegation(Transformation):
    """Loop condition ``i < n`` → ``!(i >= n)`` (Python: ``not (i >= n)``).

    Only when the condition is a single relational comparison whose operands are both certainly
    integers (see :class:`~metacompress_eval.code.static_types.IntegerTypes`): for floating
    point, ``!(a >= b)`` is true when either side is NaN while ``a < b`` is false, and in JavaScript
    ``undefined`` and non-numeric strings behave like NaN; Python sets are only partially ordered.
    """

    name = "loop_guard_negation"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript", "go", "python"})
    description = "Replace a relational loop condition by the negation of its complement."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        ints = _LazyIntegerTypes(parsed)
        candidates, seen_loop = [], False
        # Only loops have a condition to negate: a query finds them in tree order, no walk.
        for node in nodes_of_types(parsed.root, parsed.language, _GUARDED_LOOPS):
            if not parsed.in_snippet(node):
                continue
            cond = None
            if node.type in ("while_statement", "do_statement"):
                cond = node.child_by_field_name("condition")
            elif node.type == "for_statement" and parsed.language != "go":
                conds = [c for i, c in enumerate(node.children)
                         if node.field_name_for_child(i) == "condition" and c.is_named]
                cond = conds[0] if conds else None
            elif node.type == "for_statement":
                clause = next((c for c in node.named_children if c.type == "for_clause"), None)
                cond = clause.child_by_field_name("condition") if clause is not None else next(
                    (c for c in node.named_children if c.type == "binary_expression"), None)
            elif node.type == "while_statement":
                cond = node.child_by_field_name("condition")
            if cond is None:
                continue
            seen_loop = True
            while cond.type == "parenthesized_expression":
                inner = [c for c in cond.named_children if c.type not in COMMENTS]
                if len(inner) != 1:
                    break
                cond = inner[0]
            site = self._site(parsed, cond, ints)
            if site is not None:
                candidates.append(site)
        if not candidates:
            return NotApplicable("no loop condition comparing two integer-typed operands" if seen_loop
                                 else "no loop with a condition")
        position, edit, operator = choose(parsed, rng, candidates, "")
        return Proposal([edit], {"position": position, "operator": operator, "candidates": len(candidates)})

    @staticmethod
    def _site(parsed: ParsedCode, cond: Node, ints: IntegerTypes):
        if has_comment(cond):
            return None
        parts = comparison_parts(cond)
        if parts is None or parts[0].type not in _NEGATED:
            return None
        op, left, right = parts
        if not (ints.is_int(left) and ints.is_int(right)):
            return None
        if MacroGuard().blocks(parsed, left, right):
            return None  # ``i < M`` with a bare macro M: ``!(i >= M)`` regroups it
        start, end = parsed.span(cond)
        body = f"{parsed.text(left)} {_NEGATED[op.type]} {parsed.text(right)}"
        new = f"not ({body})" if parsed.language == "python" else f"!({body})"
        return start, Edit(start, end, new), op.type
