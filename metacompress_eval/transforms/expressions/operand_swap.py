"""``operand_swap``: ``a < b`` → ``b > a`` when evaluation order cannot matter."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.effects import independent_operands
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.macros import MacroGuard
from metacompress_eval.code.operators import mirror_is_exact
from metacompress_eval.code.static_types import IntegerTypes
from metacompress_eval.code.syntax import CommentIndex, comparison_parts
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "===": "===", "!==": "!=="}
# Operand node kinds that bind tighter than any comparison in every supported language.
_TIGHT_BINARY = frozenset({"+", "-", "*", "/", "%", "<<", ">>", ">>>"})


class OperandSwap(Transformation):
    """Mirror one comparison: ``a < b`` → ``b > a``, ``a == b`` → ``b == a``.

    Only when neither operand can have side effects and at most one of them may fail or call user
    code (field/array access, dereference, cast, overloadable operator), so that the order of
    evaluation cannot be observed. Python chained comparisons (``a < b < c``) are skipped. An
    operand that is itself a comparison/bitwise/logical expression is parenthesised, since moving
    it to the other side could otherwise re-associate it.

    Also skipped: comparisons whose operator could run user code in another order once mirrored
    (Python ``__lt__``/``__gt__`` dispatch between two objects, JavaScript ``valueOf`` of two
    non-primitive operands; see :mod:`metacompress_eval.code.operators`), and C comparisons with an
    operand holding a macro whose body is not parenthesised (``#define LOW 6 & 3``: ``x > LOW`` is
    ``(x > 6) & 3``, ``LOW < x`` is ``6 & (3 < x)``; see :mod:`metacompress_eval.code.macros`).
    Without the enclosing file an undefined ALL_CAPS name counts as such a macro (and the result
    says it lacks context).
    """

    name = "operand_swap"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Swap the operands of one comparison and mirror its operator."
    default_params: dict = {}

    _COMPARISONS = frozenset({"binary_expression", "comparison_operator"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        comments = CommentIndex(parsed)
        guard = MacroGuard()
        integers: list[IntegerTypes] = []
        dispatch = 0

        def is_int(node: Node) -> bool:
            if not integers:
                integers.append(IntegerTypes(parsed))
            return integers[0].is_int(node)

        # Only comparisons can be candidates: find them with a query, not a walk over every node.
        for node in nodes_of_types(parsed.root, parsed.language, self._COMPARISONS):
            if not parsed.in_snippet(node) or comments.within(node):
                continue
            parts = comparison_parts(node)
            if parts is None or parts[0].type not in _MIRROR:
                continue
            op, left, right = parts
            if not independent_operands(left, right, parsed.language):
                continue
            if not mirror_is_exact(parsed.language, op.type, left, right, is_int):
                dispatch += 1
                continue
            if guard.blocks(parsed, left, right, parent=node):  # C only: both are fields of node
                continue
            new = f"{self._operand(parsed, right)} {_MIRROR[op.type]} {self._operand(parsed, left)}"
            start, end = parsed.span(node)
            candidates.append((start, Edit(start, end, new), op.type))
        if not candidates:
            reason = "no comparison whose operands are free of side effects"
            if dispatch:
                reason += f" ({dispatch} may call user-defined comparison methods in another order)"
            raise NotApplicable(guard.explain(reason), lacks_context=guard.lacks_context and not dispatch)
        position, edit, operator = choose(parsed, rng, candidates, "no comparison whose operands are free of side effects")
        return Proposal([edit], {"position": position, "operator": operator, "candidates": len(candidates)})

    @staticmethod
    def _operand(parsed: ParsedCode, node: Node) -> str:
        text = parsed.text(node)
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is None or op.type not in _TIGHT_BINARY:
                return f"({text})"
        if node.type in ("conditional_expression", "ternary_expression", "assignment_expression", "comma_expression"):
            return f"({text})"
        return text
