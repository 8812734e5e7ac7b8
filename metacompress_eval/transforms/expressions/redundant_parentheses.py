"""``redundant_parentheses``: wrap one simple sub-expression in an extra pair of parentheses."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.macros import MacroGuard
from metacompress_eval.code.syntax import COMMENTS, CommentIndex, inside_type
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


_SIMPLE_EXPRESSIONS = frozenset(
    {"identifier", "number_literal", "string_literal", "char_literal", "true", "false", "null_literal",
     "decimal_integer_literal", "hex_integer_literal", "decimal_floating_point_literal", "character_literal",
     "string", "number", "integer", "float", "int_literal", "float_literal", "interpreted_string_literal",
     "rune_literal", "binary_expression", "binary_operator", "comparison_operator", "boolean_operator",
     "call_expression", "method_invocation", "call", "field_expression", "field_access", "member_expression",
     "attribute", "subscript_expression", "array_access", "subscript", "index_expression",
     "selector_expression", "unary_expression", "not_operator", "cast_expression", "pointer_expression"}
)

_ARGUMENT_LISTS = frozenset({"argument_list"})


class RedundantParentheses(Transformation):
    """Wrap one simple expression in an extra pair of parentheses.

    Sites: the right-hand side of an assignment or initialised declaration, a returned value, or an
    operand of a binary ``if``/``while`` condition. Only "simple" expressions are wrapped
    (identifiers, literals, calls, accesses, unary/binary operators): never Python tuples,
    generator expressions, ``yield``/``lambda``/starred expressions, JS arrow functions, nor
    anything inside a C macro argument list (a macro may stringify or paste its argument).
    """

    name = "redundant_parentheses"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Put an extra pair of parentheses around one simple expression."
    default_params: dict = {}

    _SITES = frozenset({"assignment_expression", "assignment", "augmented_assignment_expression", "augmented_assignment",
                        "init_declarator", "variable_declarator", "assignment_statement", "short_var_declaration",
                        "return_statement", "if_statement", "while_statement"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        comments = CommentIndex(parsed)
        guard = MacroGuard()
        # _targets only finds sites under these node types: query them instead of walking every node.
        for node in nodes_of_types(parsed.root, parsed.language, self._SITES):
            if not parsed.in_snippet(node):
                continue
            for target, site in self._targets(parsed, node):
                if target.type not in _SIMPLE_EXPRESSIONS or comments.within(target) or not parsed.in_snippet(target):
                    continue
                if parsed.language == "c" and inside_type(parsed, target, _ARGUMENT_LISTS):
                    continue
                if parsed.language == "python" and target.type == "string" and "\n" in parsed.text(target):
                    continue
                if guard.blocks(parsed, target):
                    continue  # ``(LOW)`` with ``#define LOW 6 & 3`` regroups what ``x > LOW`` meant
                start, end = parsed.span(target)
                candidates.append((start, Edit(start, end, f"({parsed.text(target)})"), site))
        if not candidates:
            raise NotApplicable(guard.explain("no simple expression to parenthesise"), lacks_context=guard.lacks_context)
        position, edit, site = choose(parsed, rng, candidates, "no simple expression to parenthesise")
        return Proposal([edit], {"position": position, "site": site, "candidates": len(candidates)})

    @staticmethod
    def _targets(parsed: ParsedCode, node: Node) -> list[tuple[Node, str]]:
        t, lang = node.type, parsed.language
        found: list[tuple[Node, str]] = []
        if t in ("assignment_expression", "assignment", "augmented_assignment_expression", "augmented_assignment"):
            right = node.child_by_field_name("right")
            if right is not None:
                found.append((right, "assignment"))
        elif t in ("init_declarator", "variable_declarator"):
            value = node.child_by_field_name("value")
            if value is not None and value.type not in ("initializer_list", "array_initializer"):
                found.append((value, "initializer"))
        elif t in ("assignment_statement", "short_var_declaration"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None and len(left.named_children) == len(right.named_children):
                found.extend((r, "assignment") for r in right.named_children)
        elif t == "return_statement":
            values = [c for c in node.named_children if c.type not in COMMENTS]
            if len(values) == 1 and values[0].type == "expression_list" and lang == "go":
                if len(values[0].named_children) == 1:
                    found.append((values[0].named_children[0], "return"))
            elif len(values) == 1:
                found.append((values[0], "return"))
        elif t in ("if_statement", "while_statement"):
            cond = node.child_by_field_name("condition")
            if cond is not None and cond.type == "parenthesized_expression":
                inner = [c for c in cond.named_children if c.type not in COMMENTS]
                cond = inner[0] if len(inner) == 1 else None
            if cond is not None and cond.type in ("binary_expression", "comparison_operator", "boolean_operator"):
                operands = [c for c in cond.named_children if c.type not in COMMENTS]
                found.extend((o, "condition_operand") for o in operands)
        return found
