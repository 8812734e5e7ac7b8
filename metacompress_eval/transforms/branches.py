"""Branch transformations (family ``control_flow``): ``else_if_to_nested``, ``nested_to_else_if``,
``switch_to_if`` and ``ternary_to_if``."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, sort_preorder
from metacompress_eval.code.names import FreshNames
from metacompress_eval.code.scopes import words_in
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation
from metacompress_eval.transforms.expressions import (
    BLOCKS,
    COMMENTS,
    FUNCTION_LIKE,
    choose,
    effect_class,
    has_comment,
    walk,
)
from metacompress_eval.transforms.loops import LOOPS

_SWITCHES = frozenset({"switch_statement", "switch_expression"})


def alternative_of(node: Node) -> Node | None:
    """The statement in the else position of an ``if`` (unwrapping C/JS ``else_clause``)."""
    alternative = node.child_by_field_name("alternative")
    if alternative is not None and alternative.type == "else_clause":
        named = [c for c in alternative.named_children if c.type not in COMMENTS]
        return named[-1] if len(named) == 1 else None
    return alternative


def _single_statement(block: Node, language: str) -> Node | None:
    """The only statement of a block when it holds exactly one and no comments."""
    children = block.named_children
    if language == "go" and block.type == "block":
        lists = [c for c in children if c.type == "statement_list"]
        if len(lists) != 1 or len(children) != 1:
            return None
        children = lists[0].named_children
    if len(children) != 1 or children[0].type in COMMENTS:
        return None
    return children[0]


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


def _python_lines_ok(parsed: ParsedCode, start: int, end: int, node: Node) -> bool:
    """Re-indenting the lines of [start, end) is safe: space indentation, no multi-line strings."""
    line = parsed.line_start(start)
    text = parsed.data[line:end]
    for raw in text.split(b"\n"):
        indent = raw[: len(raw) - len(raw.lstrip())]
        if b"\t" in indent:
            return False
    for current in walk(node):
        if current.type in ("string", "concatenated_string") and b"\n" in parsed.data[slice(*parsed.span(current))]:
            return False
    return True


def _line_starts(parsed: ParsedCode, start: int, end: int) -> list[int]:
    """Starts of the lines after the line of ``start`` that begin before ``end``."""
    starts = []
    pos = parsed.data.find(b"\n", start)
    while 0 <= pos < end - 1:
        starts.append(pos + 1)
        pos = parsed.data.find(b"\n", pos + 1)
    return starts


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
        for node in walk(parsed.root):
            if node.type != "if_statement" or not parsed.in_snippet(node):
                continue
            if parsed.language == "python":
                for clause in node.children:
                    if clause.type == "elif_clause":
                        edits = self._python(parsed, node, clause)
                        if edits:
                            candidates.append((parsed.span(clause)[0], edits))
                continue
            inner = alternative_of(node)
            if inner is None or inner.type != "if_statement":
                continue
            start, end = parsed.span(inner)
            candidates.append((start, [Edit(start, start, "{ "), Edit(end, end, " }")]))
        position, edits = choose(parsed, rng, candidates, "no else-if to nest")
        return Proposal(edits, {"position": position, "candidates": len(candidates)})

    @staticmethod
    def _python(parsed: ParsedCode, node: Node, clause: Node) -> list[Edit] | None:
        unit = _python_unit(parsed, node)
        clause_start = parsed.span(clause)[0]
        end = parsed.span(node)[1]
        if unit is None or not parsed.starts_line(clause_start):
            return None
        if not _python_lines_ok(parsed, clause_start, end, node):
            return None
        indent = parsed.data[parsed.line_start(clause_start):clause_start].decode()
        keyword = clause.children[0]
        edits = [Edit(*parsed.span(keyword), f"else:\n{indent}{unit}if")]
        for line in _line_starts(parsed, clause_start, end):
            next_nl = parsed.data.find(b"\n", line)
            content = parsed.data[line: next_nl if next_nl >= 0 else len(parsed.data)]
            if content.strip():
                edits.append(Edit(line, line, unit))
        return edits


class NestedToElseIf(Transformation):
    """``if a {A} else { if b {B} }`` → ``if a {A} else if b {B}`` (the inverse of
    ``else_if_to_nested``).

    Only when the else block holds exactly that one ``if`` and no comments. In C/Java/JS an inner
    ``if`` without ``else`` is only lifted when no enclosing ``if`` could then capture a following
    ``else`` (dangling else). Python: ``else:`` + ``if`` → ``elif``, de-indenting the inner chain,
    with the same indentation safety rules as ``else_if_to_nested``.
    """

    name = "nested_to_else_if"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Turn an else branch that only holds an if into an else-if."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        for node in walk(parsed.root):
            if node.type != "if_statement" or not parsed.in_snippet(node):
                continue
            edits = self._python(parsed, node) if parsed.language == "python" else self._braces(parsed, node)
            if edits:
                candidates.append((parsed.span(node)[0], edits))
        position, edits = choose(parsed, rng, candidates, "no else branch that only holds an if")
        return Proposal(edits, {"position": position, "candidates": len(candidates)})

    def _braces(self, parsed: ParsedCode, node: Node) -> list[Edit] | None:
        block = alternative_of(node)
        if block is None or block.type not in BLOCKS:
            return None
        inner = _single_statement(block, parsed.language)
        if inner is None or inner.type != "if_statement":
            return None
        if parsed.language != "go" and alternative_of(inner) is None and inner.child_by_field_name("alternative") is None:
            if not self._no_dangling_else(node):
                return None
        return [Edit(*parsed.span(block), parsed.text(inner))]

    @staticmethod
    def _no_dangling_else(node: Node) -> bool:
        """No enclosing ``if`` … ``else`` has ``node`` at the end of its then-branch."""
        current = node
        while current.parent is not None and current.parent.type not in BLOCKS and current.parent.type not in FUNCTION_LIKE:
            parent = current.parent
            if parent.type == "if_statement" and parent.child_by_field_name("consequence") == current and \
                    parent.child_by_field_name("alternative") is not None:
                return False
            if parent.type in ("do_statement",):
                return True
            current = parent
        return True

    @staticmethod
    def _python(parsed: ParsedCode, node: Node) -> list[Edit] | None:
        clauses = [c for c in node.children if c.type in ("elif_clause", "else_clause")]
        if not clauses or clauses[-1].type != "else_clause":
            return None
        else_clause = clauses[-1]
        body = else_clause.child_by_field_name("body")
        if body is None or len(body.children) != 1 or body.children[0].type != "if_statement":
            return None
        inner = body.children[0]
        else_start = parsed.span(else_clause)[0]
        inner_start, inner_end = parsed.span(inner)
        if not parsed.starts_line(else_start) or not parsed.starts_line(inner_start):
            return None
        # Nothing but ``else:`` and whitespace before the inner if (a comment would be lost).
        colon = next((c for c in else_clause.children if c.type == ":"), None)
        if colon is None or parsed.data[parsed.span(colon)[1]:inner_start].strip():
            return None
        delta = parsed.column(inner_start) - parsed.column(else_start)
        if delta <= 0 or not _python_lines_ok(parsed, inner_start, inner_end, inner):
            return None
        unit = b" " * delta
        edits = [Edit(else_start, inner_start + 2, "elif")]
        for line in _line_starts(parsed, inner_start, inner_end):
            next_nl = parsed.data.find(b"\n", line)
            content = parsed.data[line: next_nl if next_nl >= 0 else len(parsed.data)]
            if not content.strip():
                continue
            if not content.startswith(unit):
                return None  # a line (e.g. a comment) less indented than the block
            edits.append(Edit(line, line + delta, ""))
        return edits


# --------------------------------------------------------------------------------------------
# switch_to_if
# --------------------------------------------------------------------------------------------

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
        for node in walk(parsed.root):
            if node.type not in _SWITCHES or not parsed.in_snippet(node):
                continue
            try:
                candidates.append((parsed.span(node)[0], node))
                candidates[-1] = (parsed.span(node)[0], self._convert(parsed, node, rng))
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

    def _convert(self, parsed: ParsedCode, node: Node, rng: random.Random) -> tuple[Edit, dict]:
        lang = parsed.language
        if lang == "java" and (node.parent is None or node.parent.type not in BLOCKS | {"labeled_statement"}):
            raise NotApplicable("switch used as an expression")
        if any(n.type.startswith("preproc_") for n in walk(node)):
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
                for inner in walk(statement, LOOPS | _SWITCHES | FUNCTION_LIKE):
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
            temp = FreshNames(words_in(parsed.data), lang, "natural", rng).new()
            prefix = f"{type_name} {temp} = {value_text}; "
            value_text = temp
        elif value.type != "identifier":
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
                    if label.type not in _LABEL_LITERALS and label.type != "identifier":
                        text = f"({text})"
                    tests.append(f"{value_text} == {text}")
            parts.append((" || ".join(tests), body))
        if not parts:
            raise NotApplicable("switch with only a default group")
        def close(body: str) -> str:
            return f"\n{indent}}}" if "\n" in body else " }"

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
        return effect_class(label, "c") == "pure" and not any(n.type == "call_expression" for n in walk(label))

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


# --------------------------------------------------------------------------------------------
# ternary_to_if
# --------------------------------------------------------------------------------------------

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
                    for n in walk(inner):
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
        if parsed.language == "python" or b"?" in parsed.data:
            for ternary in nodes_of_types(parsed.root, parsed.language, _TERNARY):
                parent = ternary.parent
                grand = parent.parent if parent is not None else None
                if grand is not None:
                    statements.setdefault(grand.id, grand)
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
                site = self._braces(parsed, node, types)
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

    def _braces(self, parsed: ParsedCode, node: Node, types: dict[str, set[str]]) -> list[Edit] | None:
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
                if name is None or any(n.type == "type_qualifier" for n in walk(name)):
                    return None
                idents = [n for n in walk(name) if n.type == "identifier"]
                if name.type not in ("identifier", "pointer_declarator") or not idents:
                    return None
                target_node = idents[0]
                if parsed.span(node.parent)[0] == parsed.span(node)[0] or node.parent.type not in BLOCKS:
                    return None  # only local declarations (not file scope, not in a for header)
            elif lang == "java":
                modifiers = [c for c in node.children if c.type == "modifiers"]
                type_node = node.child_by_field_name("type")
                if any("final" in parsed.text(m) for m in modifiers) or type_node is None or \
                        parsed.text(type_node) == "var" or decl.child_by_field_name("dimensions") is not None:
                    return None
                target_node = decl.child_by_field_name("name")
                name = target_node
                if node.parent is None or node.parent.type not in BLOCKS:
                    return None
            else:
                kind = node.children[0].type if node.children else ""
                if kind not in ("let", "var"):
                    return None
                target_node = decl.child_by_field_name("name")
                name = target_node
                if target_node is None or target_node.type != "identifier" or node.parent is None or \
                        node.parent.type not in BLOCKS | {"program"}:
                    return None
            value = decl.child_by_field_name("value")
            if value is None or value.type not in _TERNARY or target_node is None or \
                    not self._arms_ok(parsed, value, types):
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
        text = f"if {cond}:\n{indent}{unit}{target} = {a}\n{indent}else:\n{indent}{unit}{target} = {b}"
        return [Edit(start, end, text)]


__all__ = ["ElseIfToNested", "NestedToElseIf", "SwitchToIf", "TernaryToIf"]
