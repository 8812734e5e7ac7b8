"""``ternary_to_if``: rewrite an assignment of a conditional expression as an if/else statement."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.macros import MacroGuard
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, sort_preorder, walk_tree
from metacompress_eval.code.spans import with_ancestors
from metacompress_eval.code.syntax import BLOCKS, COMMENTS, has_comment
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


_TERNARY = frozenset({"conditional_expression", "ternary_expression"})


def _static_kind(parsed: ParsedCode, node: Node, types: dict[str, set[str]]) -> str | None:
    """A coarse static type of a literal or a declared name, for comparing the two ternary arms."""
    t = node.type
    text = parsed.text(node)
    if t == "parenthesized_expression":
        inner = [c for c in node.named_children if c.type not in COMMENTS]
        return _static_kind(parsed, inner[0], types) if len(inner) == 1 else None
    if t in ("decimal_integer_literal", "hex_integer_literal", "octal_integer_literal", "binary_integer_literal"):
        return "long" if text.lower().endswith("l") else "int"
    if t == "number_literal":
        return "int" if text.isdigit() else None
    if t == "char_literal":
        return "int"  # 'a' has type int in C
    if t == "character_literal":
        return "char"
    if t == "string_literal":
        return "string"
    if t in ("true", "false"):
        return "boolean"
    if t == "identifier":
        found = types.get(text)
        return next(iter(found)) if found is not None and len(found) == 1 else None
    return None


_TYPED_DECLARATIONS = frozenset({"declaration", "parameter_declaration", "local_variable_declaration",
                                 "formal_parameter", "field_declaration"})


def _declared_types(parsed: ParsedCode) -> dict[str, set[str]]:
    """name -> set of spelled types (pointer/array declarators included in the spelling)."""
    types: dict[str, set[str]] = {}
    # Only declarations matter: a query finds them (in tree order) instead of a walk of every node.
    for node in nodes_of_types(parsed.root, parsed.language, _TYPED_DECLARATIONS):
        if node.type in _TYPED_DECLARATIONS:
            type_node = node.child_by_field_name("type")
            if type_node is None:
                continue
            base = parsed.text(type_node)
            for decl in node.children_by_field_name("declarator") or [node]:
                if parsed.language == "java":
                    name = decl.child_by_field_name("name")
                    dims = decl.child_by_field_name("dimensions")
                    if name is not None:
                        types.setdefault(parsed.text(name), set()).add(base + (parsed.text(dims) if dims else ""))
                    continue
                inner = decl.child_by_field_name("declarator") if decl.type == "init_declarator" else decl
                if inner is None:
                    continue
                if inner.type == "identifier":
                    types.setdefault(parsed.text(inner), set()).add(base)
                else:
                    for n in walk_tree(inner):
                        if n.type == "identifier":
                            types.setdefault(parsed.text(n), set()).add(f"{base} {inner.type}")
                            break
    return types


class TernaryToIf(Transformation):
    """``x = c ? a : b;`` → ``if (c) x = a; else x = b;`` (Python: ``x = a if c else b`` →
    an ``if``/``else`` statement).

    Only where the conditional is the whole right-hand side of a plain ``=`` to a plain variable
    in an expression statement, or the initializer of a single-variable declaration
    (``T x = c ? a : b;`` → ``T x; if (c) x = a; else x = b;``). Declarations that cannot be split
    are skipped: C ``const``/``static``/qualified declarators, Java ``final`` and ``var``, JS
    ``const``. In C and Java the conditional has its own type (the arms are promoted to a common
    type before the assignment converts them), so the arms must visibly have the same type
    (literals of one kind, or names declared with the same type).
    """

    name = "ternary_to_if"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript", "python"})
    description = "Rewrite an assignment of a conditional expression as an if/else statement."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        # Every site is a statement whose child (assignment / declarator) has the conditional as a
        # child: the grandparents of the conditionals are the only nodes worth looking at, so find
        # the conditionals with a query (and skip even that when the text has no ``?``) instead of
        # walking every node. They are visited in tree order, as a walk would.
        statements: dict[int, Node] = {}
        above: dict[int, Node | None] = {}  # each statement's parent
        if parsed.language == "python" or b"?" in parsed.data:
            # Ancestors from one cursor pass (``node.parent`` costs the nesting depth per call).
            for ternary, path in with_ancestors(parsed.root, nodes_of_types(parsed.root, parsed.language, _TERNARY)):
                if len(path) > 2:
                    statements.setdefault(path[-3].id, path[-3])
                    above[path[-3].id] = path[-4] if len(path) > 3 else None
        ordered = sort_preorder(list(statements.values()))
        # The type table needs a walk of all declarations: only worth it when there is a site.
        types = _declared_types(parsed) if ordered and parsed.language in ("c", "java") else {}
        candidates = []
        for node in ordered:
            if not parsed.in_snippet(node):
                continue
            if parsed.language == "python":
                site = self._python(parsed, node)
            else:
                site = self._braces(parsed, node, types, above[node.id])
            if site is not None:
                candidates.append((parsed.span(node)[0], site))
        position, edits = choose(parsed, rng, candidates, "no assignment of a conditional expression to a variable")
        return Proposal(edits, {"position": position, "candidates": len(candidates)})

    def _arms_ok(self, parsed: ParsedCode, ternary: Node, types: dict[str, set[str]]) -> bool:
        if has_comment(ternary):
            return False
        a, b = ternary.child_by_field_name("consequence"), ternary.child_by_field_name("alternative")
        if a is None or b is None or ternary.child_by_field_name("condition") is None:
            return False
        if parsed.language in ("c", "java"):
            ka, kb = _static_kind(parsed, a, types), _static_kind(parsed, b, types)
            return ka is not None and ka == kb
        return True

    def _if_text(self, parsed: ParsedCode, target: str, ternary: Node) -> str:
        cond = ternary.child_by_field_name("condition")
        a, b = ternary.child_by_field_name("consequence"), ternary.child_by_field_name("alternative")
        cond_text = parsed.text(cond)
        if cond.type != "parenthesized_expression":
            cond_text = f"({cond_text})"
        return f"if {cond_text} {target} = {parsed.text(a)}; else {target} = {parsed.text(b)};"

    def _braces(self, parsed: ParsedCode, node: Node, types: dict[str, set[str]],
                parent: Node | None) -> list[Edit] | None:
        """``parent``: ``node.parent``, known to the caller."""
        lang = parsed.language
        if node.type == "expression_statement":
            exprs = [c for c in node.named_children if c.type not in COMMENTS]
            if len(exprs) != 1 or exprs[0].type != "assignment_expression":
                return None
            assign = exprs[0]
            left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
            op = assign.child_by_field_name("operator") or next((c for c in assign.children if c.type == "="), None)
            if left is None or right is None or left.type != "identifier" or right.type not in _TERNARY:
                return None
            if op is None or op.type != "=" or not self._arms_ok(parsed, right, types):
                return None
            if MacroGuard().blocks(parsed, *right.named_children):
                return None  # a bare macro in the condition or an arm could regroup once moved
            return [Edit(*parsed.span(node), self._if_text(parsed, parsed.text(left), right))]
        if node.type in ("declaration", "local_variable_declaration", "lexical_declaration", "variable_declaration"):
            declarators = [c for c in node.named_children if c.type in ("init_declarator", "variable_declarator")]
            if len(declarators) != 1:
                return None
            decl = declarators[0]
            if lang == "c":
                if any(c.type in ("storage_class_specifier", "type_qualifier") for c in node.children):
                    return None
                name = decl.child_by_field_name("declarator")
                if name is None or any(n.type == "type_qualifier" for n in walk_tree(name)):
                    return None
                idents = [n for n in walk_tree(name) if n.type == "identifier"]
                if name.type not in ("identifier", "pointer_declarator") or not idents:
                    return None
                target_node = idents[0]
                if parsed.span(parent)[0] == parsed.span(node)[0] or parent.type not in BLOCKS:
                    return None  # only local declarations (not file scope, not in a for header)
            elif lang == "java":
                modifiers = [c for c in node.children if c.type == "modifiers"]
                type_node = node.child_by_field_name("type")
                if any("final" in parsed.text(m) for m in modifiers) or type_node is None or \
                        parsed.text(type_node) == "var" or decl.child_by_field_name("dimensions") is not None:
                    return None
                target_node = decl.child_by_field_name("name")
                name = target_node
                if parent is None or parent.type not in BLOCKS:
                    return None
            else:
                kind = node.children[0].type if node.children else ""
                if kind not in ("let", "var"):
                    return None
                target_node = decl.child_by_field_name("name")
                name = target_node
                if target_node is None or target_node.type != "identifier" or parent is None or \
                        parent.type not in BLOCKS | {"program"}:
                    return None
            value = decl.child_by_field_name("value")
            if value is None or value.type not in _TERNARY or target_node is None or \
                    not self._arms_ok(parsed, value, types):
                return None
            if MacroGuard().blocks(parsed, *value.named_children):
                return None
            name_end = parsed.span(name)[1]
            node_end = parsed.span(node)[1]
            if parsed.data[parsed.span(value)[1]:node_end].strip() not in (b";", b""):
                return None
            return [Edit(name_end, parsed.span(value)[1], ""),
                    Edit(node_end, node_end, " " + self._if_text(parsed, parsed.text(target_node), value))]
        return None

    @staticmethod
    def _python(parsed: ParsedCode, node: Node) -> list[Edit] | None:
        if node.type != "expression_statement" or len(node.named_children) != 1:
            return None
        assign = node.named_children[0]
        if assign.type != "assignment" or assign.child_by_field_name("type") is not None:
            return None
        left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier" or right.type != "conditional_expression":
            return None
        start, end = parsed.span(node)
        if not parsed.starts_line(start) or b"\n" in parsed.data[start:end] or has_comment(right):
            return None
        rest_nl = parsed.data.find(b"\n", end)
        rest = parsed.data[end: rest_nl if rest_nl >= 0 else len(parsed.data)].strip()
        if rest and not rest.startswith(b"#"):
            return None  # ``x = ...; y = ...`` on one line
        parts = [c for c in right.named_children if c.type not in COMMENTS]
        if len(parts) != 3:
            return None
        a, cond, b = (parsed.text(p) for p in parts)
        indent = parsed.data[parsed.line_start(start):start].decode()
        unit = "\t" if "\t" in indent else "    "
        target = parsed.text(left)
        nl = parsed.newline
        text = f"if {cond}:{nl}{indent}{unit}{target} = {a}{nl}{indent}else:{nl}{indent}{unit}{target} = {b}"
        return [Edit(start, end, text)]
