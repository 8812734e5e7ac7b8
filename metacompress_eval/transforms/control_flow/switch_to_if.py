"""``switch_to_if``: rewrite one classic ``switch`` without fallthrough as an if/else-if chain."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.context import taken_names
from metacompress_eval.code.edits import Edit
from metacompress_eval.code.effects import effect_class
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, preproc_types, walk_tree
from metacompress_eval.code.macros import bare_macro_within, table_for
from metacompress_eval.code.names import FreshNames
from metacompress_eval.code.spans import contains_type, with_ancestors
from metacompress_eval.code.syntax import BLOCKS, COMMENTS, FUNCTION_LIKE, LOOPS, has_comment
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


_SWITCHES = frozenset({"switch_statement", "switch_expression"})


_JAVA_METHOD_TYPES = {
    "charAt": "char", "length": "int", "size": "int", "indexOf": "int", "lastIndexOf": "int", "ordinal": "int",
    "hashCode": "int", "intValue": "int", "compareTo": "int", "toLowerCase": "String", "toUpperCase": "String",
    "trim": "String", "strip": "String", "substring": "String", "intern": "String",
}
_C_FUNCTION_TYPES = {"strlen": "size_t", "strcmp": "int", "strncmp": "int", "toupper": "int", "tolower": "int",
                     "getchar": "int", "fgetc": "int", "getc": "int", "abs": "int", "atoi": "int", "rand": "int"}
_LABEL_LITERALS = frozenset({"number_literal", "char_literal", "decimal_integer_literal", "hex_integer_literal",
                             "octal_integer_literal", "binary_integer_literal", "character_literal",
                             "string_literal"})


class SwitchToIf(Transformation):
    """Classic ``switch`` → ``if``/``else if``/``else`` chain (C, Java).

    Accepted: ``case X:`` groups (several labels per group become ``||``), each non-final group
    ending in ``break`` (removed), ``return``, ``throw``, ``continue`` or ``goto``; empty groups fall
    through to the next one; no other ``break`` of the switch inside a group, no declaration at a
    group's top level (it could be used by a later case), no nested ``case`` labels, goto labels
    or preprocessor directives, constant labels (C: literals/identifiers/constant expressions;
    Java: int/char literals, or string literals compared with ``.equals`` on the switch value,
    which throws on ``null`` exactly like the switch). ``default`` becomes the final ``else``.

    The switch value is evaluated once: a side-effect-free expression is repeated in each
    condition (no group body runs between two tests); otherwise it is stored in a fresh temporary
    when its type is evident (cast, a well-known library call), else the switch is skipped.
    """

    name = "switch_to_if"
    family = "control_flow"
    languages = frozenset({"c", "java"})
    description = "Rewrite one classic switch statement without fallthrough as an if/else-if chain."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates, reasons = [], []
        switches = [node for node in nodes_of_types(parsed.root, parsed.language, _SWITCHES) if parsed.in_snippet(node)]
        # Each switch's parent from one cursor pass (``node.parent`` costs the nesting depth per call).
        for node, path in with_ancestors(parsed.root, switches):
            parent = path[-2] if len(path) > 1 else None
            try:
                candidates.append((parsed.span(node)[0], node))
                candidates[-1] = (parsed.span(node)[0], self._convert(parsed, node, rng, parent))
            except NotApplicable as exc:
                candidates.pop()
                reasons.append(exc.reason)
        if not candidates:
            return NotApplicable(("no convertible switch: " + reasons[0]) if reasons else "no switch statement")
        position, (edit, params) = choose(parsed, rng, candidates, "")
        return Proposal([edit], {"position": position, "candidates": len(candidates), **params})

    def _groups(self, parsed: ParsedCode, node: Node) -> list[dict]:
        body = node.child_by_field_name("body")
        if body is None:
            raise NotApplicable("switch without body")
        groups: list[dict] = []
        pending: list[Node] = []
        pending_default = False
        for child in body.named_children:
            if child.type in COMMENTS:
                raise NotApplicable("comment between case groups")
            if parsed.language == "c":
                if child.type != "case_statement":
                    raise NotApplicable("statement outside a case group")
                value = child.child_by_field_name("value")
                colon = next((c for c in child.children if c.type == ":"), None)
                labels = [value] if value is not None else []
                is_default = value is None
                statements = [c for c in child.named_children if c != value and c.type not in COMMENTS]
                region_start = parsed.span(colon)[1] if colon is not None else None
            else:
                if child.type != "switch_block_statement_group":
                    raise NotApplicable("arrow-form or unusual switch")
                labels, is_default, colon = [], False, None
                for c in child.children:
                    if c.type == "switch_label":
                        values = [v for v in c.named_children if v.type not in COMMENTS]
                        if not values:
                            is_default = True
                        labels.extend(values)
                    elif c.type == ":":
                        colon = c
                statements = [c for c in child.named_children if c.type not in ("switch_label",) and c.type not in COMMENTS]
                region_start = parsed.span(colon)[1] if colon is not None else None
            if region_start is None:
                raise NotApplicable("unusual case label")
            pending.extend(labels)
            pending_default = pending_default or is_default
            if not statements:
                continue
            groups.append({"labels": pending, "default": pending_default, "statements": statements,
                           "start": region_start, "end": parsed.span(child)[1], "node": child})
            pending, pending_default = [], False
        if pending or pending_default:
            groups.append({"labels": pending, "default": pending_default, "statements": [],
                           "start": None, "end": None, "node": None})
        return groups

    def _convert(self, parsed: ParsedCode, node: Node, rng: random.Random, parent: Node | None) -> tuple[Edit, dict]:
        """``parent``: ``node.parent``, known to the caller."""
        lang = parsed.language
        if lang == "java" and (parent is None or parent.type not in BLOCKS | {"labeled_statement"}):
            raise NotApplicable("switch used as an expression")
        if contains_type(parsed, node, preproc_types(lang)):
            raise NotApplicable("preprocessor directive inside the switch")
        groups = self._groups(parsed, node)
        if not any(g["labels"] for g in groups):
            raise NotApplicable("switch without case labels")
        strings = False
        for index, group in enumerate(groups):
            for label in group["labels"]:
                strings = strings or label.type == "string_literal"
                if not self._constant_label(parsed, label):
                    raise NotApplicable("non-constant or enum case label")
            statements = group["statements"]
            for statement in statements:
                if statement.type in ("declaration", "local_variable_declaration", "class_declaration",
                                      "labeled_statement"):
                    raise NotApplicable("declaration or label at the top level of a case group")
            final = statements[-1] if statements else None
            ends = final is not None and final.type in ("break_statement", "return_statement", "throw_statement",
                                                        "continue_statement", "goto_statement")
            if final is not None and final.type == "break_statement" and final.named_children:
                ends = False  # ``break label;`` leaves more than the switch
            if not ends and index != len(groups) - 1:
                raise NotApplicable("fallthrough between case groups")
            for statement in statements:
                for inner in walk_tree(statement, LOOPS | _SWITCHES | FUNCTION_LIKE):
                    if inner.type == "break_statement" and inner != final and not inner.named_children:
                        raise NotApplicable("break before the end of a case group")
                    if inner.type in ("case_statement", "switch_label", "labeled_statement", "yield_statement"):
                        raise NotApplicable("nested case label, goto label or yield")
        cond = node.child_by_field_name("condition")
        if cond is None or cond.type != "parenthesized_expression" or has_comment(cond):
            raise NotApplicable("unusual switch condition")
        inner_nodes = [c for c in cond.named_children if c.type not in COMMENTS]
        if len(inner_nodes) != 1:
            raise NotApplicable("unusual switch condition")
        value = inner_nodes[0]
        value_text = parsed.text(value)
        prefix, temp = "", None
        if value.type != "identifier" and effect_class(value, lang) == "unsafe":
            type_name = self._value_type(parsed, value)
            if type_name is None:
                raise NotApplicable("switch value has side effects and its type is not evident")
            temp = FreshNames(taken_names(parsed), lang, "natural", rng).new()
            prefix = f"{type_name} {temp} = {value_text}; "
            value_text = temp
        elif value.type != "identifier":
            value_text = f"({value_text})"
        elif lang == "c" and table_for(parsed).is_macro(value_text):
            # The value is tested once per case afterwards: a macro must be a pure value.
            if table_for(parsed).opaque(value_text):
                raise NotApplicable("the switch value is a macro that may have side effects or a bare body",
                                    lacks_context=value_text not in table_for(parsed).definitions)
            value_text = f"({value_text})"
        indent = parsed.data[parsed.line_start(parsed.span(node)[0]):parsed.span(node)[0]].decode()
        if indent.strip():
            indent = ""
        parts = []
        default_body = None
        for group in groups:
            body = self._body(parsed, group)
            if group["default"]:
                default_body = body
                continue
            tests = []
            for label in group["labels"]:
                text = parsed.text(label)
                if label.type == "string_literal" and lang == "java":
                    tests.append(f"{value_text}.equals({text})")
                else:
                    if label.type not in _LABEL_LITERALS and (label.type != "identifier"
                                                              or bare_macro_within(parsed, label)):
                        # ``case M:`` means M's whole expansion: ``x == (M)``, never ``x == M``.
                        text = f"({text})"
                    tests.append(f"{value_text} == {text}")
            parts.append((" || ".join(tests), body))
        if not parts:
            raise NotApplicable("switch with only a default group")
        def close(body: str) -> str:
            return f"{parsed.newline}{indent}}}" if "\n" in body else " }"

        text = ""
        for i, (test, body) in enumerate(parts):
            text += ("if" if i == 0 else " else if") + f" ({test}) {{{body}{close(body)}"
        if default_body is not None:
            text += f" else {{{default_body}{close(default_body)}"
        if prefix:
            text = "{ " + prefix + text + " }"
        start, end = parsed.span(node)
        return Edit(start, end, text), {"groups": len(groups), "temporary": temp, "string_labels": strings}

    @staticmethod
    def _body(parsed: ParsedCode, group: dict) -> str:
        if group["start"] is None:
            return ""
        start, end = group["start"], group["end"]
        final = group["statements"][-1]
        if final.type == "break_statement":
            b_start, b_end = parsed.span(final)
            text = parsed.data[start:b_start] + parsed.data[b_end:end]
        else:
            text = parsed.data[start:end]
        return text.decode("utf-8").rstrip()

    @staticmethod
    def _constant_label(parsed: ParsedCode, label: Node) -> bool:
        lang = parsed.language
        if lang == "java":
            if label.type in _LABEL_LITERALS:
                return True
            if label.type == "unary_expression":
                arg = label.named_children[-1] if label.named_children else None
                return arg is not None and arg.type in _LABEL_LITERALS and arg.type != "string_literal"
            return False
        return effect_class(label, "c") == "pure" and not any(n.type == "call_expression" for n in walk_tree(label))

    @staticmethod
    def _value_type(parsed: ParsedCode, value: Node) -> str | None:
        if value.type == "cast_expression":
            type_node = value.child_by_field_name("type")
            if type_node is not None:
                return parsed.text(type_node)
        if parsed.language == "c" and value.type == "call_expression":
            fn = value.child_by_field_name("function")
            return _C_FUNCTION_TYPES.get(parsed.text(fn)) if fn is not None else None
        if parsed.language == "java" and value.type == "method_invocation":
            name = value.child_by_field_name("name")
            obj = value.child_by_field_name("object")
            if name is not None and obj is not None:
                return _JAVA_METHOD_TYPES.get(parsed.text(name))
        return None
