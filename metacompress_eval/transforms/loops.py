"""Loop transformations (family ``control_flow``): ``for_to_while``, ``while_to_for`` and
``loop_guard_negation``."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit, apply_edits
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation
from metacompress_eval.transforms.expressions import (
    BLOCKS,
    COMMENTS,
    FUNCTION_LIKE,
    IntegerTypes,
    choose,
    comparison_parts,
    has_comment,
    walk,
)

LOOPS = frozenset({"for_statement", "while_statement", "do_statement", "enhanced_for_statement",
                   "for_in_statement", "for_range_loop"})
_JUMPS = frozenset({"return_statement", "throw_statement", "break_statement", "continue_statement",
                    "goto_statement", "yield_statement"})
_TRUE = {"c": "1", "java": "true", "javascript": "true"}


def rewrite_region(parsed: ParsedCode, start: int, end: int, edits: list[Edit]) -> str:
    """Text of ``data[start:end]`` with ``edits`` (original offsets inside the region) applied."""
    shifted = [Edit(e.start - start, e.end - start, e.replacement) for e in edits]
    return apply_edits(parsed.data[start:end], shifted).decode("utf-8")


def _label_of(node: Node, parsed: ParsedCode) -> str | None:
    """Label of a ``continue``/``break``, or of a labelled statement."""
    for child in node.named_children:
        if child.type in ("identifier", "statement_identifier", "label_name"):
            return parsed.text(child)
    return None


def own_continues(parsed: ParsedCode, body: Node, label: str | None) -> list[Node]:
    """``continue`` statements in ``body`` that continue THIS loop.

    Unlabelled ones outside nested loops, and labelled ones naming ``label`` at any depth.
    Functions, lambdas and classes are not entered.
    """
    found: list[Node] = []

    def visit(node: Node, nested: bool) -> None:
        if node.type == "continue_statement":
            target = _label_of(node, parsed)
            if (target is None and not nested) or (target is not None and target == label):
                found.append(node)
            return
        if node.type in FUNCTION_LIKE:
            return
        inner = nested or node.type in LOOPS
        for child in node.children:
            visit(child, inner)

    visit(body, False)
    return found


_DECLARING = frozenset({"init_declarator", "declaration", "variable_declarator", "short_var_declaration", "var_spec",
                        "const_spec", "function_declaration", "class_declaration"})


def declared_names(parsed: ParsedCode, node: Node, skip: frozenset[str] = FUNCTION_LIKE) -> set[str]:
    """Names declared anywhere inside ``node`` (by default functions and classes are not entered)."""
    names: set[str] = set()
    # Without ``skip`` every declaring node counts: let a query find them instead of a walk.
    nodes = nodes_of_types(node, parsed.language, _DECLARING) if not skip else walk(node, skip)
    for current in nodes:
        note_declared(parsed, current, names)
    return names


def note_declared(parsed: ParsedCode, current: Node, names: set[str]) -> None:
    """Add the names that ``current`` itself declares (see :func:`declared_names`) to ``names``."""
    t = current.type
    if t not in _DECLARING:
        return
    if t in ("init_declarator",):
        inner = current.child_by_field_name("declarator")
        names.update(parsed.text(n) for n in walk(inner) if n.type == "identifier") if inner else None
    elif t == "declaration":
        for d in current.children_by_field_name("declarator"):
            if d.type != "init_declarator":
                names.update(parsed.text(n) for n in walk(d) if n.type == "identifier")
    elif t == "variable_declarator":
        name = current.child_by_field_name("name")
        if name is not None:
            names.update(parsed.text(n) for n in walk(name) if n.type in ("identifier", "shorthand_property_identifier_pattern"))
    elif t in ("short_var_declaration",):
        left = current.child_by_field_name("left")
        if left is not None:
            names.update(parsed.text(n) for n in left.named_children)
    elif t in ("var_spec", "const_spec"):
        names.update(parsed.text(n) for n in current.children_by_field_name("name"))
    elif t in ("function_declaration", "class_declaration"):
        name = current.child_by_field_name("name")
        if name is not None:
            names.add(parsed.text(name))


def identifiers(parsed: ParsedCode, node: Node | None) -> set[str]:
    """Every identifier spelled inside ``node``."""
    if node is None:
        return set()
    return {parsed.text(n) for n in walk(node) if n.type == "identifier"}


def _java_completion(node: Node) -> bool | None:
    """Whether a Java statement can complete normally: True, False, or None when unsure.

    Java rejects statements that are unreachable, so an update appended after a body that cannot
    complete normally would not compile (and would be dead anyway).
    """
    t = node.type
    if t in _JUMPS:
        return False
    if t == "block":
        statements = [c for c in node.named_children if c.type not in COMMENTS]
        return True if not statements else _java_completion(statements[-1])
    if t == "if_statement":
        alternative = node.child_by_field_name("alternative")
        if alternative is None:
            return True
        a, b = _java_completion(node.child_by_field_name("consequence")), _java_completion(alternative)
        if a is True or b is True:
            return True
        return None if a is None or b is None else False
    if t in ("expression_statement", "local_variable_declaration", "empty_statement", "assert_statement",
             "enhanced_for_statement"):
        return True
    if t in ("while_statement", "for_statement"):
        cond = node.child_by_field_name("condition")
        if cond is None:
            return None
        text = cond.text.decode() if cond.text else ""
        return None if text.strip("() ") == "true" else True
    return None


class ForToWhile(Transformation):
    """``for (init; cond; update) body`` → ``{ init; while (cond) { body update; } }``.

    Every ``continue`` of this loop (unlabelled ones outside nested loops, and labelled ones naming
    it) becomes ``{ update; continue; }`` so the update still runs. The enclosing braces keep the
    scope of ``init`` declarations; a label on the loop moves onto the ``while`` (Java/JS/Go labels
    must name a loop for ``continue L``). Go: ``for init; cond; post { }`` → ``{ init; for cond {
    ...; post } }``. Missing conditions become ``1``/``true`` (Go: a bare ``for``).

    Not applicable when: the body declares a name the update mentions (the appended update would
    see the inner variable), a JS ``let``/``const`` or Go ``:=`` loop variable could be captured by a
    closure (those languages create one variable per iteration), Go code uses ``goto``, the header
    contains comments or preprocessor directives, or (Java) the body's end may be unreachable in a
    way that cannot be decided syntactically.
    """

    name = "for_to_while"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript", "go"})
    description = "Rewrite one C-style for loop as an equivalent while loop."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates, reasons = [], []
        for node in walk(parsed.root):
            if node.type != "for_statement" or not parsed.in_snippet(node):
                continue
            try:
                edit = self._convert(parsed, node)
            except NotApplicable as exc:
                reasons.append(exc.reason)
                continue
            candidates.append((parsed.span(node)[0], edit))
        if not candidates:
            if reasons:
                return NotApplicable("no convertible for loop: " + sorted(set(reasons))[0])
            return NotApplicable("no C-style for loop")
        position, edit = choose(parsed, rng, candidates, "")
        return Proposal([edit], {"position": position, "candidates": len(candidates)})

    def _header(self, parsed: ParsedCode, node: Node) -> tuple[str, str, list[str], Node, list[Node]]:
        """``(init text, cond text, update statements, body, update nodes)``."""
        lang = parsed.language
        body = node.child_by_field_name("body")
        if body is None:
            raise NotApplicable("for loop without body")
        if lang == "go":
            clause = next((c for c in node.named_children if c.type == "for_clause"), None)
            if clause is None:
                raise NotApplicable("Go for loop without a for clause")
            if has_comment(clause):
                raise NotApplicable("comment inside the loop header")
            init, cond, update = (clause.child_by_field_name(f) for f in ("initializer", "condition", "update"))
            init_text = parsed.text(init) + "; " if init is not None else ""
            cond_text = parsed.text(cond) if cond is not None else ""
            updates = [update] if update is not None else []
            return init_text, cond_text, [parsed.text(u) for u in updates], body, updates
        inits, conds, updates = [], [], []
        for i, child in enumerate(node.children):
            field = node.field_name_for_child(i)
            if child.type in COMMENTS or child.type.startswith("preproc_"):
                if child.start_byte < body.start_byte:
                    raise NotApplicable("comment inside the loop header")
            if field in ("initializer", "init") and child.type != "empty_statement":
                inits.append(child)
            elif field == "condition" and child.is_named and child.type != "empty_statement":
                conds.append(child)
            elif field in ("update", "increment"):
                updates.append(child)
        init_parts = []
        for init in inits:
            text = parsed.text(init).strip()
            init_parts.append(text if text.endswith(";") else text + ";")
        init_text = " ".join(init_parts) + (" " if init_parts else "")
        if len(conds) > 1:
            raise NotApplicable("unexpected loop condition")
        cond_text = parsed.text(conds[0]) if conds else _TRUE[lang]
        if conds and conds[0].type == "expression_statement":
            cond_text = cond_text.rstrip().rstrip(";")
        return init_text, cond_text, [parsed.text(u) + ";" for u in updates], body, updates

    def _convert(self, parsed: ParsedCode, node: Node) -> Edit:
        lang = parsed.language
        init_text, cond_text, update_statements, body, update_nodes = self._header(parsed, node)
        if any(n.type.startswith("preproc_") for n in walk(node)):
            raise NotApplicable("preprocessor directive inside the loop")
        update_text = " ".join(update_statements)
        if lang == "go":
            update_text = "; ".join(update_statements)
        update_names = set().union(*(identifiers(parsed, u) for u in update_nodes)) if update_nodes else set()
        if update_names & declared_names(parsed, body):
            raise NotApplicable("the body declares a variable that the update uses")
        header_init = None
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) in ("initializer", "init"):
                header_init = child
        if lang == "go":
            clause = next(c for c in node.named_children if c.type == "for_clause")
            header_init = clause.child_by_field_name("initializer")
            if any(n.type == "goto_statement" for n in walk(parsed.root)):
                raise NotApplicable("Go code with goto (jumps over declarations are restricted)")
        per_iteration = header_init is not None and (
            (lang == "javascript" and header_init.type == "lexical_declaration")
            or (lang == "go" and header_init.type == "short_var_declaration"))
        if per_iteration and any(n.type in FUNCTION_LIKE for n in walk(node) if n != node):
            raise NotApplicable("loop variable may be captured by a closure (per-iteration binding)")
        label_node = node.parent if node.parent is not None and node.parent.type == "labeled_statement" else None
        label = _label_of(label_node, parsed) if label_node is not None else None
        if label_node is not None and lang == "c":
            label_node = None  # a C label is a goto target: it stays in front of the new block
        continues = own_continues(parsed, body, label if lang != "c" else None)
        sep = "" if lang == "go" else ";"
        edits = []
        if update_statements:
            for cont in continues:
                text = parsed.text(cont).strip()
                if lang != "go" and not text.endswith(";"):
                    text += ";"
                joiner = "; " if lang == "go" else " "
                edits.append(Edit(*parsed.span(cont), f"{{ {update_text}{joiner}{text} }}"))
        # Should the update be appended at the end of the body?
        append = bool(update_statements)
        statements = [c for c in body.named_children if c.type not in COMMENTS] if body.type in BLOCKS else [body]
        if lang == "go" and body.type == "block":
            lists = [c for c in body.named_children if c.type == "statement_list"]
            statements = [c for c in lists[0].named_children if c.type not in COMMENTS] if lists else []
        last = statements[-1] if statements else None
        if last is not None and last.type in _JUMPS:
            append = False  # the update would be unreachable (and Java rejects unreachable code)
        elif last is not None and lang == "java" and append:
            completion = _java_completion(last)
            if completion is None:
                raise NotApplicable("cannot decide whether the end of the loop body is reachable")
            append = completion
        body_start, body_end = parsed.span(body)
        if body.type in BLOCKS:
            close = body_end - 1
            if append:
                if parsed.starts_line(close):
                    if last is not None and parsed.starts_line(parsed.span(last)[0]):
                        indent = parsed.data[parsed.line_start(parsed.span(last)[0]):parsed.span(last)[0]].decode()
                    else:
                        indent = parsed.data[parsed.line_start(close):close].decode() + "    "
                    edits.append(Edit(parsed.line_start(close), parsed.line_start(close), f"{indent}{update_text}\n"))
                else:
                    space = "" if parsed.data[close - 1:close].isspace() else " "
                    prefix = "; " if lang == "go" else space
                    edits.append(Edit(close, close, f"{prefix}{update_text} "))
            new_body = rewrite_region(parsed, body_start, body_end, edits)
        else:
            inner = rewrite_region(parsed, body_start, body_end, edits)
            if body.type == "continue_statement" and edits:
                new_body = inner
            else:
                new_body = "{ " + inner + (" " + update_text if append else "") + " }"
        keyword = "for" if lang == "go" else "while"
        head = f"{keyword} {cond_text} " if lang == "go" else f"while ({cond_text}) "
        if lang == "go" and not cond_text:
            head = "for "
        label_prefix = f"{label}: " if label_node is not None else ""
        loop = f"{label_prefix}{head}{new_body}"
        replaced = label_node if label_node is not None else node
        start, end = parsed.span(replaced)
        if init_text or label_node is not None or lang != "go":
            text = f"{{ {init_text}{loop} }}"
        else:
            text = loop
        del sep
        return Edit(start, end, text)


class WhileToFor(Transformation):
    """``while (c) body`` → ``for (; c; ) body`` (C, Java, JavaScript). Body and label are untouched."""

    name = "while_to_for"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript"})
    description = "Rewrite one while loop as a for loop with empty init and update."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        for node in walk(parsed.root):
            if node.type != "while_statement" or not parsed.in_snippet(node):
                continue
            cond = node.child_by_field_name("condition")
            if cond is None or cond.type != "parenthesized_expression":
                continue
            start, cond_end = parsed.span(node)[0], parsed.span(cond)[1]
            if any(c.type in COMMENTS for c in node.children if c.end_byte <= cond.start_byte):
                continue
            inner = parsed.data[parsed.span(cond)[0] + 1: cond_end - 1].decode("utf-8")
            candidates.append((start, Edit(start, cond_end, f"for (;{inner}; )" if inner.startswith(" ")
                                           else f"for (; {inner}; )")))
        position, edit = choose(parsed, rng, candidates, "no while loop")
        return Proposal([edit], {"position": position, "candidates": len(candidates)})


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
    integers (see :class:`~metacompress_eval.transforms.expressions.IntegerTypes`): for floating
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
        start, end = parsed.span(cond)
        body = f"{parsed.text(left)} {_NEGATED[op.type]} {parsed.text(right)}"
        new = f"not ({body})" if parsed.language == "python" else f"!({body})"
        return start, Edit(start, end, new), op.type


__all__ = ["ForToWhile", "LoopGuardNegation", "WhileToFor"]
