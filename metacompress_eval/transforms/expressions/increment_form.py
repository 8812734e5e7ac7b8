"""``increment_form``: ``i++`` ↔ ``++i`` ↔ ``i += 1`` ↔ ``i = i + 1`` where the value is unused."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.macros import MacroGuard
from metacompress_eval.code.effects import effect_class
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.spans import with_ancestors
from metacompress_eval.code.static_types import IntegerTypes, declared_type
from metacompress_eval.code.syntax import COMMENTS, CommentIndex, assignment_operator
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


def _value_unused(path: list[Node]) -> bool:
    """Whether the value of expression ``path[-1]`` is discarded (statement or for-update).

    ``path``: the node's ancestors from the root down to it (:func:`~metacompress_eval.code.spans.with_ancestors`);
    climbed without recursion or ``node.parent`` (a long comma list nests as deep as it is long)."""
    at = len(path) - 1
    while at > 0:
        node, parent = path[at], path[at - 1]
        if parent.type == "expression_statement":
            return len([c for c in parent.named_children if c.type not in COMMENTS]) == 1
        if parent.type in ("comma_expression", "sequence_expression"):
            # Only the left element's value is discarded for sure... unless the whole list is.
            at -= 1
            continue
        if parent.type == "for_statement":
            for i, child in enumerate(parent.children):
                if child == node:
                    return parent.field_name_for_child(i) in ("update", "increment")
        return False
    return False


class IncrementForm(Transformation):
    """Change how a ``±1`` update is spelled where its value is unused.

    C/Java/JS: ``i++`` ↔ ``++i`` ↔ ``i += 1`` ↔ ``i = i + 1`` (the last only for plain-identifier
    targets). Go: ``i++`` ↔ ``i += 1`` ↔ ``i = i + 1``. Python: ``i += 1`` ↔ ``i = i + 1``.

    Type rules that keep this exact: Java ``+= 1``/``= i + 1`` only for names declared with a
    numeric primitive type in the snippet (``s += 1`` appends to a String, ``b = b + 1`` does not
    compile for ``byte``); JavaScript only ``++`` prefix/postfix swaps unless the name is certainly
    a number (``s += 1`` concatenates, BigInt rejects mixing); Python only names that certainly
    hold integers (``+=`` mutates lists and arrays in place).
    """

    name = "increment_form"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Rewrite a value-unused i++ / ++i / i += 1 / i = i + 1 in another of these forms."
    default_params: dict = {}

    _JAVA_NUMERIC = frozenset({"int", "long", "float", "double", "Integer", "Long", "Float", "Double"})
    _SITES = frozenset({"inc_statement", "dec_statement", "assignment_statement", "assignment", "augmented_assignment",
                        "update_expression", "assignment_expression", "augmented_assignment_expression"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        ints = IntegerTypes(parsed) if parsed.language in ("javascript", "python") else None
        candidates = []
        comments = CommentIndex(parsed)
        guard = MacroGuard()
        # _site only accepts these node types: find them with a query, not a walk over every node.
        sites = [node for node in nodes_of_types(parsed.root, parsed.language, self._SITES)
                 if parsed.in_snippet(node) and not comments.within(node)]
        # One cursor pass hands out each site's ancestors (``node.parent`` costs the nesting depth).
        for node, path in with_ancestors(parsed.root, sites):
            site = self._site(parsed, node, path)
            if site is None:
                continue
            target, sign, form = site
            if guard.blocks(parsed, target, parent=node):  # C: the target is a field of the site
                continue  # ``P++`` with ``#define P *p`` is ``*p++``; ``++P`` is ``++*p``
            alternatives = self._forms(parsed, target, sign, ints, form) - {form}
            if alternatives:
                start, end = parsed.span(node)
                candidates.append((start, node, target, sign, form, sorted(alternatives)))
        if not candidates:
            raise NotApplicable(guard.explain("no increment/decrement by one whose value is unused"),
                                lacks_context=guard.lacks_context)
        position, node, target, sign, form, alternatives = choose(
            parsed, rng, candidates, "no increment/decrement by one whose value is unused")
        new_form = rng.choice(alternatives)
        t, op = parsed.text(target), sign
        text = {"post": f"{t}{op}{op}", "pre": f"{op}{op}{t}", "compound": f"{t} {op}= 1",
                "expanded": f"{t} = {t} {op} 1"}[new_form]
        start, end = parsed.span(node)
        return Proposal([Edit(start, end, text)], {"position": position, "from": form, "to": new_form,
                                                   "candidates": len(candidates)})

    def _site(self, parsed: ParsedCode, node: Node, path: list[Node]) -> tuple[Node, str, str] | None:
        """``(target, '+' or '-', form)`` when ``node`` (``path[-1]``) is a value-unused increment."""
        lang, t = parsed.language, node.type
        if lang == "go":
            if t in ("inc_statement", "dec_statement"):
                return node.named_children[0], "+" if t == "inc_statement" else "-", "post"
            if t == "assignment_statement":
                left, right, op = (node.child_by_field_name(f) for f in ("left", "right", "operator"))
                if left is None or right is None or len(left.named_children) != 1 or len(right.named_children) != 1:
                    return None
                return self._binary_form(parsed, left.named_children[0], op, right.named_children[0])
            return None
        if lang == "python":
            if t in ("assignment", "augmented_assignment") and len(path) > 1 and \
                    path[-2].type == "expression_statement":
                return self._binary_form(parsed, node.child_by_field_name("left"), node.child_by_field_name("operator")
                                         or assignment_operator(node), node.child_by_field_name("right"))
            return None
        if not _value_unused(path):
            return None
        if t == "update_expression":
            arg = node.child_by_field_name("argument") or node.named_children[0]
            op = next((c for c in node.children if c.type in ("++", "--")), None)
            if op is None or effect_class(arg, lang) == "unsafe":
                return None
            form = "pre" if op.start_byte < arg.start_byte else "post"
            return arg, op.type[0], form
        if t in ("assignment_expression", "augmented_assignment_expression"):
            return self._binary_form(parsed, node.child_by_field_name("left"),
                                     node.child_by_field_name("operator") or assignment_operator(node),
                                     node.child_by_field_name("right"))
        return None

    def _binary_form(self, parsed: ParsedCode, left: Node | None, op: Node | None,
                     right: Node | None) -> tuple[Node, str, str] | None:
        if left is None or op is None or right is None:
            return None
        if op.type in ("+=", "-=") and parsed.text(right) == "1":
            if effect_class(left, parsed.language) == "unsafe":
                return None
            return left, op.type[0], "compound"
        if op.type == "=" and left.type == "identifier" and right.type in ("binary_expression", "binary_operator"):
            r_op = right.child_by_field_name("operator")
            r_left, r_right = right.child_by_field_name("left"), right.child_by_field_name("right")
            if r_op is not None and r_op.type in ("+", "-") and r_left is not None and r_right is not None and \
                    parsed.text(r_left) == parsed.text(left) and r_left.type == "identifier" and \
                    parsed.text(r_right) == "1":
                return left, r_op.type, "expanded"
        return None

    def _forms(self, parsed: ParsedCode, target: Node, sign: str, ints: IntegerTypes | None, form: str) -> set[str]:
        lang = parsed.language
        plain = target.type == "identifier"
        if lang == "python":
            return {"compound", "expanded"} if plain and ints is not None and parsed.text(target) in ints.names else set()
        if lang == "go":
            return {"post", "compound"} | ({"expanded"} if plain else set())
        forms = {"post", "pre"}
        if lang == "c":
            numeric = True
        elif lang == "java":
            numeric = plain and declared_type(parsed, parsed.text(target)) in self._JAVA_NUMERIC
        else:
            numeric = plain and ints is not None and parsed.text(target) in ints.names
        if numeric:
            forms.add("compound")
            if plain:
                forms.add("expanded")
        elif form not in forms:
            return set()  # ``s += 1`` may concatenate a string: it cannot become ``s++``
        return forms
