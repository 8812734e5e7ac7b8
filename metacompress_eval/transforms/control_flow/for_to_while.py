"""``for_to_while``: rewrite one C-style ``for`` loop as an equivalent ``while`` loop."""

from __future__ import annotations

import random
from bisect import bisect_left
from typing import Callable

from tree_sitter import Node

from metacompress_eval.code.declarations import declares_any, identifiers
from metacompress_eval.code.edits import Edit, apply_edits
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, preproc_types
from metacompress_eval.code.spans import contains_type, enclosing
from metacompress_eval.code.syntax import BLOCKS, COMMENTS, FUNCTION_LIKE, JUMPS, LOOPS, has_comment
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


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


def own_continues(parsed: ParsedCode, body: Node, label: str | None, *, loop: Node | None = None) -> list[Node]:
    """``continue`` statements in ``body`` that continue THIS loop (the loop whose body it is).

    Unlabelled ones outside nested loops, and labelled ones naming ``label`` at any depth.
    Functions, lambdas and classes are not entered. Answered from a per-snippet index of the
    ``continue`` statements (:class:`_Continues`), not by a walk of the body. ``loop``: the loop
    whose body ``body`` is, when the caller has it (``body.parent`` costs the nesting depth).
    """
    return _Continues.of(parsed).own(body, label, body.parent if loop is None else loop)


class _Continues:
    """Every ``continue`` of a snippet with its innermost enclosing loop and function-like node,
    found by one query and one stack pass (a walk of each loop's body made nested loops quadratic)."""

    _TYPES = LOOPS | FUNCTION_LIKE | frozenset({"continue_statement"})

    def __init__(self, parsed: ParsedCode) -> None:
        nodes = nodes_of_types(parsed.root, parsed.language, self._TYPES)
        parents = enclosing(nodes)
        # Innermost loop and innermost function-like node above each node, as indexes into ``nodes``.
        loop_of: list[int] = []
        function_of: list[int] = []
        self._starts: list[int] = []
        self._items: list[tuple[Node, str | None, int, Node | None]] = []
        for i, node in enumerate(nodes):
            parent = parents[i]
            if parent < 0:
                loop_of.append(-1)
                function_of.append(-1)
            else:
                above = nodes[parent].type
                loop_of.append(parent if above in LOOPS else loop_of[parent])
                function_of.append(parent if above in FUNCTION_LIKE else function_of[parent])
            if node.type == "continue_statement":
                loop = loop_of[i]
                function = function_of[i]
                self._starts.append(node.start_byte)
                self._items.append((node, _label_of(node, parsed), nodes[loop].id if loop >= 0 else -1,
                                    nodes[function] if function >= 0 else None))

    @classmethod
    def of(cls, parsed: ParsedCode) -> "_Continues":
        index = parsed.analyses.get("for_to_while_continues")
        if index is None:
            index = parsed.analyses["for_to_while_continues"] = cls(parsed)
        return index

    def own(self, body: Node, label: str | None, loop: Node | None) -> list[Node]:
        start, end = body.start_byte, body.end_byte
        lo, hi = bisect_left(self._starts, start), bisect_left(self._starts, end)
        found: list[Node] = []
        for node, target, loop_id, function in self._items[lo:hi]:
            if node.end_byte > end:
                continue
            if function is not None and start <= function.start_byte and function.end_byte <= end:
                continue  # inside a function or class of the body: not entered
            if target is None:
                # Outside nested loops: its innermost loop is the one whose body this is (a loop
                # inside the body, the body itself included, would be nested).
                if loop is not None and loop_id == loop.id:
                    found.append(node)
            elif target == label:
                found.append(node)
        return found


def _java_completion(node: Node, memo: dict[int, bool | None] | None = None) -> bool | None:
    """Whether a Java statement can complete normally: True, False, or None when unsure.

    Java rejects statements that are unreachable, so an update appended after a body that cannot
    complete normally would not compile (and would be dead anyway). Evaluated with an explicit
    stack (the last statements of nested blocks form chains as deep as the nesting); ``memo``
    (by node id) is shared by the loops of one snippet, so each statement is judged once.
    """
    memo = {} if memo is None else memo
    stack = [node]
    while stack:
        current = stack[-1]
        if current.id in memo:
            stack.pop()
            continue
        parts = _completion_parts(current)
        missing = [p for p in parts if p.id not in memo]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        memo[current.id] = _completion_of(current, [memo[p.id] for p in parts])
    return memo[node.id]


def _completion_parts(node: Node) -> list[Node]:
    """The statements whose completion decides ``node``'s (see :func:`_completion_of`)."""
    t = node.type
    if t == "block":
        statements = [c for c in node.named_children if c.type not in COMMENTS]
        return statements[-1:]
    if t == "if_statement":
        alternative = node.child_by_field_name("alternative")
        if alternative is None:
            return []
        return [node.child_by_field_name("consequence"), alternative]
    return []


def _completion_of(node: Node, parts: list[bool | None]) -> bool | None:
    t = node.type
    if t in JUMPS:
        return False
    if t == "block":
        return True if not parts else parts[0]
    if t == "if_statement":
        if not parts:
            return True
        a, b = parts
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
        loops = [node for node in nodes_of_types(parsed.root, parsed.language, frozenset({"for_statement"}))
                 if parsed.in_snippet(node)]
        for node in loops:
            try:
                build = self._convert(parsed, node)
            except NotApplicable as exc:
                reasons.append(exc.reason)
                continue
            candidates.append((parsed.span(node)[0], build))
        if not candidates:
            if reasons:
                return NotApplicable("no convertible for loop: " + sorted(set(reasons))[0])
            return NotApplicable("no C-style for loop")
        # Only the chosen loop's text is built: the new text of every loop would cost the square
        # of the nesting depth (each holds the ones inside it).
        position, build = choose(parsed, rng, candidates, "")
        return Proposal([build()], {"position": position, "candidates": len(candidates)})

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

    def _convert(self, parsed: ParsedCode, node: Node) -> Callable[[], Edit]:
        """Check that ``node`` can be converted (else raise :class:`NotApplicable`) and return
        what builds its edit. Every check is answered from per-snippet indexes (``code.spans``,
        ``declares_any``), never by a walk of the loop or of its ancestors."""
        lang = parsed.language
        init_text, cond_text, update_statements, body, update_nodes = self._header(parsed, node)
        if contains_type(parsed, node, preproc_types(lang)):
            raise NotApplicable("preprocessor directive inside the loop")
        update_text = " ".join(update_statements)
        if lang == "go":
            update_text = "; ".join(update_statements)
        update_names = set().union(*(identifiers(parsed, u) for u in update_nodes)) if update_nodes else set()
        if update_names and declares_any(parsed, body, update_names):
            raise NotApplicable("the body declares a variable that the update uses")
        header_init = None
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) in ("initializer", "init"):
                header_init = child
        if lang == "go":
            clause = next(c for c in node.named_children if c.type == "for_clause")
            header_init = clause.child_by_field_name("initializer")
            if contains_type(parsed, parsed.root, frozenset({"goto_statement"})):
                raise NotApplicable("Go code with goto (jumps over declarations are restricted)")
        per_iteration = header_init is not None and (
            (lang == "javascript" and header_init.type == "lexical_declaration")
            or (lang == "go" and header_init.type == "short_var_declaration"))
        if per_iteration and contains_type(parsed, node, FUNCTION_LIKE, proper=True):
            raise NotApplicable("loop variable may be captured by a closure (per-iteration binding)")
        if per_iteration and lang == "go" and _go_loop_variable_escapes(parsed, node, header_init):
            # Go 1.22+ gives each iteration its own variable; a while-style loop has one for all.
            raise NotApplicable("loop variable's address may be taken (per-iteration binding)")
        label_node = _labels(parsed).get(node.id)
        label = _label_of(label_node, parsed) if label_node is not None else None
        if label_node is not None and lang == "c":
            label_node = None  # a C label is a goto target: it stays in front of the new block
        # Should the update be appended at the end of the body?
        append = bool(update_statements)
        statements = [c for c in body.named_children if c.type not in COMMENTS] if body.type in BLOCKS else [body]
        if lang == "go" and body.type == "block":
            lists = [c for c in body.named_children if c.type == "statement_list"]
            statements = [c for c in lists[0].named_children if c.type not in COMMENTS] if lists else []
        last = statements[-1] if statements else None
        if last is not None and last.type in JUMPS:
            append = False  # the update would be unreachable (and Java rejects unreachable code)
        elif last is not None and lang == "java" and append:
            completion = _java_completion(last, parsed.analyses.setdefault("java_completion", {}))
            if completion is None:
                raise NotApplicable("cannot decide whether the end of the loop body is reachable")
            append = completion
        return lambda: self._build(parsed, node, body, init_text, cond_text, update_text, update_statements, append,
                                   last, label, label_node)

    def _build(self, parsed: ParsedCode, node: Node, body: Node, init_text: str, cond_text: str, update_text: str,
               update_statements: list[str], append: bool, last: Node | None, label: str | None,
               label_node: Node | None) -> Edit:
        """The edit replacing loop ``node`` (checked by :meth:`_convert`)."""
        lang = parsed.language
        continues = own_continues(parsed, body, label if lang != "c" else None, loop=node)
        edits = []
        if update_statements:
            for cont in continues:
                text = parsed.text(cont).strip()
                if lang != "go" and not text.endswith(";"):
                    text += ";"
                joiner = "; " if lang == "go" else " "
                edits.append(Edit(*parsed.span(cont), f"{{ {update_text}{joiner}{text} }}"))
        body_start, body_end = parsed.span(body)
        if body.type in BLOCKS:
            close = body_end - 1
            if append:
                if parsed.starts_line(close):
                    if last is not None and parsed.starts_line(parsed.span(last)[0]):
                        indent = parsed.data[parsed.line_start(parsed.span(last)[0]):parsed.span(last)[0]].decode()
                    else:
                        indent = parsed.data[parsed.line_start(close):close].decode() + "    "
                    edits.append(Edit(parsed.line_start(close), parsed.line_start(close), f"{indent}{update_text}{parsed.newline}"))
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
        return Edit(start, end, text)


def _labels(parsed: ParsedCode) -> dict[int, Node]:
    """``{loop id: labeled_statement}`` for the loops that are the statement of a label (what
    ``loop.parent`` would say, without the cost of a descent from the root per loop)."""
    labels = parsed.analyses.get("for_to_while_labels")
    if labels is None:
        labels = parsed.analyses["for_to_while_labels"] = {}
        for statement in nodes_of_types(parsed.root, parsed.language, frozenset({"labeled_statement"})):
            for child in statement.children:
                labels[child.id] = statement
    return labels


_GO_ESCAPE_TYPES = frozenset({"unary_expression", "selector_expression", "slice_expression"})
_GO_OPERAND_CHAIN = frozenset({"selector_expression", "index_expression", "parenthesized_expression",
                               "slice_expression"})


def _go_loop_variable_escapes(parsed: ParsedCode, loop: Node, init: Node) -> bool:
    """Whether a Go loop variable declared by ``init`` (``i := ...``) may outlive its iteration
    other than through a closure: its address taken (``&i``, ``&i.f``, ``&i[k]``), an array
    variable sliced (``i[:]``), or a method called or taken as a value (``i.M()``, ``i.M``: a
    pointer receiver takes its address implicitly; without types a field cannot be told apart)."""
    left = init.child_by_field_name("left")
    names = {parsed.text(n) for n in (left.named_children if left is not None else []) if n.type == "identifier"}
    if not names:
        return False
    escapes = _go_escapes(parsed)
    start, end = loop.start_byte, loop.end_byte
    for name in names:
        positions = escapes.get(name)
        if positions:
            i = bisect_left(positions, start)
            if i < len(positions) and positions[i] < end:
                return True
    return False


def _go_escapes(parsed: ParsedCode) -> dict[str, list[int]]:
    """``{name: sorted start bytes}`` of the expressions through which a variable ``name`` may
    escape its iteration (see :func:`_go_loop_variable_escapes`), for the whole snippet at once."""
    escapes = parsed.analyses.get("go_escapes")
    if escapes is not None:
        return escapes
    escapes = parsed.analyses["go_escapes"] = {}
    bases: dict[int, str | None] = {}  # by node id: the identifier an operand chain starts from

    def base(node: Node | None) -> str | None:
        chain = []
        while node is not None and node.type in _GO_OPERAND_CHAIN and node.id not in bases:
            chain.append(node.id)
            node = node.child_by_field_name("operand") or (node.named_children[0] if node.named_children else None)
        if node is None:
            found = None
        elif node.id in bases:
            found = bases[node.id]
        else:
            found = parsed.text(node) if node.type == "identifier" else None
        for link in chain:
            bases[link] = found
        return found

    for current in reversed(nodes_of_types(parsed.root, "go", _GO_ESCAPE_TYPES)):  # inner chains first
        if current.type == "unary_expression":
            operator = current.child_by_field_name("operator")
            name = base(current.child_by_field_name("operand")) if operator is not None and operator.type == "&" else None
        elif current.type == "slice_expression":
            name = base(current.child_by_field_name("operand"))
        else:
            operand = current.child_by_field_name("operand")
            name = parsed.text(operand) if operand is not None and operand.type == "identifier" else None
        if name is not None:
            escapes.setdefault(name, []).append(current.start_byte)
    for positions in escapes.values():
        positions.sort()
    return escapes
