"""Comparisons whose evaluation can run user code, and when mirroring them keeps that code's order.

Mirroring ``a < b`` into ``b > a`` is exact only when the order of the code the comparison runs
cannot be observed:

* **Python** dispatches ``a < b`` to ``a.__lt__(b)`` first and ``b.__gt__(a)`` only when that
  returns ``NotImplemented``; ``b > a`` tries ``b.__gt__(a)`` first. With two objects of
  user-defined classes, mirroring calls another method (or the same ones in another order). It is
  exact when one operand is an ``int`` or ``str`` literal (or a name that certainly holds an int):
  ``int.__gt__`` / ``str.__gt__`` answer only for their own type, where no user method is involved
  (a subclass of ``int``/``str`` that overrides the reflected method is tried first by Python's
  subclass rule, in both orders), and return ``NotImplemented`` for anything else, so the other
  operand's same method runs exactly once either way. Float and bool literals do not qualify:
  ``1.5 > x`` compares an ``int`` subclass ``x`` numerically without calling its ``__lt__``.
* **JavaScript** ``a < b`` converts ``a`` then ``b`` with ``ToPrimitive`` (``valueOf``/``toString``);
  ``b > a`` converts ``b`` first. Mirroring is exact when one operand is a primitive literal (only
  one conversion can run user code) or both certainly are numbers. ``===``/``!==`` never convert;
  ``==``/``!=`` convert at most one operand, so they are always exact.
* C, Java and Go comparisons never call user code.

:func:`mirror_is_exact` is what ``operand_swap`` asks; side effects of the operands themselves are
judged separately (:func:`metacompress_eval.code.effects.independent_operands`).
"""

from __future__ import annotations

from tree_sitter import Node

_PY_EXACT_LITERALS = frozenset({"integer", "string", "concatenated_string"})
_JS_PRIMITIVE_LITERALS = frozenset({"number", "string", "true", "false", "null", "undefined", "template_string"})
_JS_NEVER_CONVERTS = frozenset({"===", "!==", "==", "!="})


def _unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression" and len(node.named_children) == 1:
        node = node.named_children[0]
    return node


def _python_exact_operand(node: Node, is_int) -> bool:
    node = _unwrap(node)
    if node.type in _PY_EXACT_LITERALS:
        if node.type == "string":
            # f-strings run code and are str anyway; bytes literals are not str
            text = node.text.decode("utf-8", "replace") if node.text else ""
            prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))].lower()
            return "b" not in prefix and "f" not in prefix
        return True
    if node.type == "unary_operator":
        operand = node.child_by_field_name("argument")
        return operand is not None and _unwrap(operand).type == "integer"
    return is_int is not None and is_int(node)


def mirror_is_exact(language: str, operator: str, left: Node, right: Node, is_int=None) -> bool:
    """Whether ``left OP right`` → ``right MIRROR(OP) left`` runs the same user code in the same
    order (see the module docstring). ``is_int``: optional ``node -> bool`` telling operands that
    certainly hold integers (names proven integer by :class:`~metacompress_eval.code.static_types.IntegerTypes`)."""
    if language == "python":
        return _python_exact_operand(left, is_int) or _python_exact_operand(right, is_int)
    if language == "javascript":
        if operator in _JS_NEVER_CONVERTS:
            return True
        if _unwrap(left).type in _JS_PRIMITIVE_LITERALS or _unwrap(right).type in _JS_PRIMITIVE_LITERALS:
            return True
        return is_int is not None and is_int(left) and is_int(right)
    return True


__all__ = ["mirror_is_exact"]
