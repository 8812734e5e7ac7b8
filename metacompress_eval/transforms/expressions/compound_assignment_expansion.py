"""``compound_assignment_expansion``: ``a += b`` → ``a = a + (b)`` for plain-identifier targets."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.macros import MacroGuard
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.static_types import INT_OPS, IntegerTypes, declared_type
from metacompress_eval.code.syntax import COMMENTS, assignment_operator
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


_COMPOUND = {"+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^="}
_PY_COMPOUND = _COMPOUND | {"//=", "**="}
_GO_COMPOUND = _COMPOUND | {"&^="}


class CompoundAssignmentExpansion(Transformation):
    """``a op= b`` → ``a = a op (b)`` for a plain-identifier target ``a``.

    C, JavaScript and Go define compound assignment exactly this way (the target is evaluated once,
    which does not matter for a plain name). Java compound assignment casts implicitly, so it is
    only expanded when ``a`` is declared ``int`` and ``b`` is visibly int-typed, ``a`` is
    declared ``long`` and ``b`` is visibly integral, or ``a`` is a ``String`` and the operator is
    ``+=`` (string concatenation needs no cast). Python ``+=`` is in-place for mutable objects,
    so only names that certainly hold integers are expanded.
    """

    name = "compound_assignment_expansion"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Expand one compound assignment a op= b into a = a op (b)."
    default_params: dict = {}

    _ASSIGNMENTS = frozenset({"assignment_expression", "augmented_assignment", "assignment_statement"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        lang = parsed.language
        ints = IntegerTypes(parsed) if lang in ("java", "python") else None
        candidates = []
        guard = MacroGuard()
        for node in nodes_of_types(parsed.root, lang, self._ASSIGNMENTS):
            if not parsed.in_snippet(node):
                continue
            if node.type in ("assignment_expression", "augmented_assignment", "assignment_statement"):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                op = node.child_by_field_name("operator") or assignment_operator(node)
            else:
                continue
            if left is None or right is None or op is None:
                continue
            if lang == "go":
                if len(left.named_children) != 1 or len(right.named_children) != 1:
                    continue
                left, right = left.named_children[0], right.named_children[0]
            allowed = _PY_COMPOUND if lang == "python" else _GO_COMPOUND if lang == "go" else _COMPOUND
            if op.type not in allowed or left.type != "identifier":
                continue
            name = parsed.text(left)
            if lang == "java":
                declared = declared_type(parsed, name)
                if not ((declared == "int" and _java_int_expr(parsed, right, ints, {"int", "short", "byte", "char"}))
                        or (declared == "long" and ints is not None and ints.is_int(right))
                        or (declared == "String" and op.type == "+=")):
                    continue
            if lang == "python" and (ints is None or name not in ints.names):
                continue
            if guard.blocks(parsed, left, right, parent=node):  # C only: both are fields of node
                continue  # ``r += M`` with ``#define M 7, 2`` is not ``r = r + (7, 2)``
            start, end = parsed.span(node)
            right_text = parsed.text(right)
            operator = op.type[:-1]
            new = f"{name} = {name} {operator} ({right_text})"
            edit_start = parsed.span(left)[0]
            candidates.append((start, Edit(edit_start, parsed.span(right)[1], new), op.type))
        reason = "no compound assignment to a plain variable that can be expanded safely"
        if not candidates:
            raise NotApplicable(guard.explain(reason), lacks_context=guard.lacks_context)
        position, edit, operator = choose(parsed, rng, candidates, reason)
        return Proposal([edit], {"position": position, "operator": operator, "candidates": len(candidates)})


def _java_int_expr(parsed: ParsedCode, node: Node, ints: IntegerTypes | None, types: set[str]) -> bool:
    """Whether a Java expression is certainly of type int (not long): int literals, names declared
    int/short/byte/char, ``.length``, ``.length()``/``.size()`` and int arithmetic of these."""
    t = node.type
    if t == "decimal_integer_literal" or t == "hex_integer_literal" or t == "octal_integer_literal" or \
            t == "binary_integer_literal":
        return not parsed.text(node).lower().endswith("l")
    if t == "character_literal":
        return True
    if t == "identifier":
        return declared_type(parsed, parsed.text(node)) in types
    if t == "parenthesized_expression":
        inner = [c for c in node.named_children if c.type not in COMMENTS]
        return len(inner) == 1 and _java_int_expr(parsed, inner[0], ints, types)
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return op is not None and op.type in INT_OPS | {"/"} and left is not None and right is not None and \
            _java_int_expr(parsed, left, ints, types) and _java_int_expr(parsed, right, ints, types)
    if t in ("field_access", "method_invocation"):
        return ints is not None and ints.is_int(node)
    return False
