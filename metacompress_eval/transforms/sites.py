"""Where code may be inserted: the statement sites shared by every insertion-like transformation
(``dead_code``, ``unused_declaration``, and the layout ones that add lines before statements), so
that they all follow the same placement rules."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Node

from metacompress_eval.code.declarations import block_level_names, spelled_names
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, preproc_types
from metacompress_eval.code.refusals import overlaps
from metacompress_eval.code.spans import with_ancestors
from metacompress_eval.code.syntax import COMMENT_TYPES, COMMENTS, STATEMENT_CONTAINER_TYPES


_PREPROC_PREFIX = "preproc_"


@dataclass(frozen=True)
class _CopyRules:
    """Per language: statements that may not be copied into inserted code (``dead_code``)."""

    never_copy: frozenset[str]  # statement types that must not be duplicated
    never_copy_inside: frozenset[str]  # ... nor any statement containing one of these


_COPY_RULES = {
    "c": _CopyRules(
        never_copy=frozenset({"labeled_statement", "case_statement"}) | COMMENT_TYPES["c"],
        never_copy_inside=frozenset({"labeled_statement", "case_statement"}),
    ),
    "java": _CopyRules(
        # Java forbids redeclaring a local that is in scope, so top-level declarations are out.
        never_copy=frozenset(
            {
                "labeled_statement",
                "local_variable_declaration",
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "explicit_constructor_invocation",
                "yield_statement",
            }
        ) | COMMENT_TYPES["java"],
        never_copy_inside=frozenset({"labeled_statement", "yield_statement"}),
    ),
    "javascript": _CopyRules(
        # Function/class declarations in blocks have version-dependent hoisting (Annex B); a
        # duplicated label in a nested statement is a SyntaxError.
        never_copy=frozenset(
            {"labeled_statement", "function_declaration", "generator_function_declaration", "class_declaration",
             "import_statement", "export_statement"}
        ) | COMMENT_TYPES["javascript"],
        never_copy_inside=frozenset({"labeled_statement"}),
    ),
    "go": _CopyRules(
        # A copied top-level declaration would be unused in the dead branch ("declared and not
        # used"); ``a, err := f()`` would even declare a new ``err``. ``goto`` may jump over
        # declarations, labels must be unique.
        never_copy=frozenset(
            {"labeled_statement", "short_var_declaration", "var_declaration", "const_declaration",
             "type_declaration", "goto_statement", "fallthrough_statement"}
        ) | COMMENT_TYPES["go"],
        never_copy_inside=frozenset({"labeled_statement", "goto_statement", "fallthrough_statement"}),
    ),
    "python": _CopyRules(
        # ``global x`` after a use of ``x`` is a SyntaxError.
        never_copy=frozenset({"global_statement", "nonlocal_statement", "future_import_statement"})
        | COMMENT_TYPES["python"],
        never_copy_inside=frozenset(),
    ),
}


def _mark_ancestors(path: list[Node], ids: set[int], include_self: bool = False) -> None:
    """Add the ids of the ancestors of ``path[-1]`` (and of ``path[-1]`` itself if
    ``include_self``) to ``ids``; ``path``: its ancestors from the root down, as
    :func:`~metacompress_eval.code.spans.with_ancestors` gives them."""
    at = len(path) - 1
    if include_self:
        if path[at].id in ids:
            return
        ids.add(path[at].id)
    at -= 1
    while at >= 0 and path[at].id not in ids:  # an ancestor already in: so are its ancestors
        ids.add(path[at].id)
        at -= 1


def _is_docstring(node: Node) -> bool:
    return node.type == "expression_statement" and len(node.named_children) == 1 and node.named_children[0].type in (
        "string",
        "concatenated_string",
    )


_JAVA_LOCALS = frozenset({"local_variable_declaration"})
_JAVA_WRITES = frozenset({"assignment_expression", "update_expression"})


def _java_blank_locals(nodes: list[Node], parsed: ParsedCode) -> set[str]:
    """Names of locals declared without an initializer (``nodes``: candidate declarations).

    Assigning one of them a second time, even in dead code, breaks definite unassignment: a blank
    ``final`` no longer compiles and an effectively final variable captured by a lambda or an inner
    class stops being effectively final.
    """
    names: set[str] = set()
    for node in nodes:
        if node.type == "local_variable_declaration":
            for child in node.children:
                if child.type == "variable_declarator" and child.child_by_field_name("value") is None:
                    names.add(parsed.text(child.child_by_field_name("name")))
    return names


def _assigns(node: Node, parsed: ParsedCode, names: set[str]) -> bool:
    """Whether the assignment/update ``node`` writes one of ``names`` (as a direct identifier child)."""
    return any(child.type == "identifier" and parsed.text(child) in names for child in node.named_children)


def indent_unit(parsed: ParsedCode, statement: Node) -> str:
    """One indentation level as the snippet writes it: the extra indentation of ``statement``
    over the line that opens its block (``"  "``, ``"    "``, ``"\t"``), else four spaces/a tab."""
    start = parsed.span(statement)[0]
    indent = parsed.data[parsed.line_start(start) : start].decode("utf-8")
    # The ancestors in one descent from the root (``node.parent`` costs the depth per step).
    ancestors = next(with_ancestors(parsed.root, [statement]))[1][-2::-1]
    block = ancestors[0] if ancestors else None
    at = 0
    while block is not None and parsed.in_snippet(block) and parsed.line_start(parsed.span(block)[0]) == parsed.line_start(start):
        at += 1
        block = ancestors[at] if at < len(ancestors) else None
    if block is not None and parsed.in_snippet(block):
        outer_pos = parsed.span(block)[0]
        line = parsed.data[parsed.line_start(outer_pos) : outer_pos]
        outer = line[: len(line) - len(line.lstrip())].decode("utf-8")
        if indent.startswith(outer) and len(indent) > len(outer) and indent[len(outer):].strip() == "":
            return indent[len(outer):]
    return "\t" if "\t" in indent else "    "


def _can_precede(parsed: ParsedCode, statement: Node, index: int, in_prologue: bool) -> bool:
    t = statement.type
    if t.startswith(_PREPROC_PREFIX) or t in ("case_statement", "explicit_constructor_invocation"):
        return False
    if parsed.language == "python":
        start = parsed.span(statement)[0]
        if not parsed.starts_line(start):
            return False  # single-line block or ``a; b`` on one line
        if index == 0 and _is_docstring(statement):
            return False
        if t == "future_import_statement":
            return False
    if parsed.language == "javascript" and in_prologue:
        return False  # ``"use strict"`` only counts in the directive prologue
    return True


def _is_directive(node: Node) -> bool:
    return node.type == "expression_statement" and len(node.named_children) == 1 and node.named_children[0].type == "string"


def statement_site_types(language: str) -> frozenset[str]:
    """Node types :func:`statement_sites` looks at (to merge its query with a caller's own)."""
    return (STATEMENT_CONTAINER_TYPES[language] | _COPY_RULES[language].never_copy_inside | preproc_types(language)
            | (_JAVA_LOCALS | _JAVA_WRITES if language == "java" else frozenset()))


class _Block:
    """What :class:`EarlierCopies` reads of one block: its statements (those that parse, in order),
    the positions of the copyable ones, and (C, Java, Go) the names each statement declares."""

    __slots__ = ("parsed", "statements", "copyable", "copyable_set", "declared")

    def __init__(self, parsed: ParsedCode, statements: list[Node], sequential: bool):
        self.parsed = parsed
        self.statements = statements
        self.copyable: list[int] = []
        self.copyable_set: set[int] = set()
        self.declared: list[set[str]] | None = [] if sequential else None


class EarlierCopies(Sequence):
    """The earlier statements of a block that may be copied before one site, in block order.

    Worked out when first read: a transformation reads the list of the one site it picked, and a
    list per site made up front would cost the square of the block's length (a 5 MB function took
    gigabytes). Reading it costs one pass back over the block from the site.
    """

    __slots__ = ("_block", "_end", "_items")

    def __init__(self, block: _Block, end: int):
        self._block, self._end = block, end
        self._items: list[Node] | None = None

    def _resolve(self) -> list[Node]:
        if self._items is None:
            block, end = self._block, self._end
            if block.declared is None:
                self._items = [block.statements[i] for i in block.copyable[:bisect_left(block.copyable, end)]]
            else:
                # A statement may be copied unless a name it spells is declared between it and the site.
                kept, declared = [], set()
                for i in range(end - 1, -1, -1):
                    if i in block.copyable_set:
                        statement = block.statements[i]
                        if not (declared and declared & spelled_names(block.parsed, statement)):
                            kept.append(statement)
                    declared |= block.declared[i]
                kept.reverse()
                self._items = kept
        return self._items

    def __len__(self) -> int:
        if self._items is None and self._block.declared is None:
            return bisect_left(self._block.copyable, self._end)
        return len(self._resolve())

    def __getitem__(self, index):
        return self._resolve()[index]


def statement_sites(parsed: ParsedCode, found: list[Node] | None = None) -> list[tuple[Node, EarlierCopies]]:
    """Statements before which code may be inserted, each with the earlier statements of its block
    that are safe to copy, sorted by position.

    Shared by every insertion-like transformation (``dead_code``, ``unused_declaration``, the
    layout ones), so they all follow the same placement rules: only inside blocks of the snippet
    (not its top level), never in a ``switch`` body, never before a ``case`` label, a Java
    ``this(...)``/``super(...)`` call, a preprocessor line, a Python docstring or a JavaScript
    directive, never in a single-line Python block, never in a statement that does not parse.

    A copy keeps its meaning only if every name in it resolves to the same declaration where it is
    inserted. In the block-scoped languages where a declaration takes effect where it stands (C,
    Java, Go), a statement is therefore offered for copying before a later statement only when no
    name it spells is declared in the block between the two: a C or Go declaration there would
    shadow what the copy refers to (``s = n * 2`` copied after ``s := fmt.Sprint(n)`` no longer
    compiles), and Java rejects a lambda parameter, loop or ``catch`` variable named like a local
    in scope.

    ``found``: the nodes of the tree whose type is in :func:`statement_site_types` (more types
    are fine), in pre-order, when the caller already ran a query for them and more.
    """
    return _sites(parsed, found, copyable=True)


def insertion_points(parsed: ParsedCode, found: list[Node] | None = None) -> list[Node]:
    """The statements of :func:`statement_sites` (same rules, same order), without the earlier
    statements that may be copied: for callers that insert code of their own (the layout ones,
    ``unused_declaration``) and need not pay for deciding what may be copied."""
    return [statement for statement, _ in _sites(parsed, found, copyable=False)]


def _sites(parsed: ParsedCode, found: list[Node] | None, copyable: bool) -> list[tuple[Node, Sequence[Node]]]:
    """:func:`statement_sites`; without ``copyable`` every list of earlier statements is empty."""
    language = parsed.language
    rules = _COPY_RULES[language]
    java = language == "java"
    never_inside = rules.never_copy_inside | preproc_types(language)
    if found is None:
        # One query finds every node the rules look at (blocks, node types a copied statement must
        # not contain, Java declarations and writes); a query runs over the whole tree, so one.
        found = nodes_of_types(parsed.root, language, statement_site_types(language))
    # Statements that must not be copied, found from below: ids of the proper ancestors of a node
    # of a never_copy_inside/preprocessor type, and of every Java assignment/update of a blank
    # local and its ancestors (instead of a walk of every statement's subtree).
    containing: set[int] = set()
    if copyable:
        for node, path in with_ancestors(parsed.root, [node for node in found if node.type in never_inside]):
            _mark_ancestors(path, containing)
    blank_locals = _java_blank_locals(found, parsed) if java and copyable else set()
    assigning: set[int] = set()
    if blank_locals:
        writes = [node for node in found if node.type in _JAVA_WRITES and _assigns(node, parsed, blank_locals)]
        for node, path in with_ancestors(parsed.root, writes):
            _mark_ancestors(path, assigning, include_self=True)
    # Go: the ``statement_list`` of a block (case clauses hold one directly and are skipped below).
    blocks = STATEMENT_CONTAINER_TYPES[language]
    never_copy = rules.never_copy
    in_snippet = parsed.in_snippet
    # Python and JavaScript have extra, per-statement rules; C/Java/Go only need the type checks.
    simple = language not in ("python", "javascript")
    sequential = language in ("c", "java", "go")  # declarations take effect where they stand
    regions = parsed.error_regions
    targets: list[tuple[Node, Sequence[Node]]] = []
    # The targets are sorted by position below, so the order blocks are visited in is free.
    # One cursor pass hands out each block's ancestors (``node.parent`` costs the nesting depth).
    for node, path in with_ancestors(parsed.root, [node for node in found if node.type in blocks and in_snippet(node)]):
        parent = path[-2] if len(path) > 1 else None
        if language == "go" and (parent is None or parent.type != "block"):
            continue  # case clauses: a copy before ``fallthrough`` would break it
        above = path[-3] if language == "go" and len(path) > 2 else parent if language != "go" else None
        if above is None or not in_snippet(above):
            continue  # the body of a wrapper, i.e. top level of the snippet
        if parent is not None and parent.type == "switch_statement":
            continue
        statements = [c for c in node.named_children if c.type not in COMMENTS and in_snippet(c)]
        # Whether a statement may be copied does not depend on the insertion point: decided once per
        # statement; each site's list of earlier copies is worked out only when read (EarlierCopies).
        block = _Block(parsed, statements, sequential and copyable)
        in_prologue = language == "javascript"
        for index, statement in enumerate(statements):
            t = statement.type
            in_prologue = in_prologue and _is_directive(statement)
            if regions and overlaps(regions, statement.start_byte - parsed.offset, statement.end_byte - parsed.offset):
                if block.declared is not None:
                    block.declared.append(set())  # it does not parse: neither a site nor a copy
                continue
            if simple:
                precede = not t.startswith(_PREPROC_PREFIX) and t not in ("case_statement",
                                                                        "explicit_constructor_invocation")
            else:
                precede = _can_precede(parsed, statement, index, in_prologue)
            if precede:
                targets.append((statement, EarlierCopies(block, index) if copyable else ()))
            if block.declared is not None:
                block.declared.append(block_level_names(parsed, statement))
            if (
                copyable
                and t not in never_copy
                and not t.startswith(_PREPROC_PREFIX)
                and statement.id not in containing
                and statement.id not in assigning
                and not (language == "javascript" and _is_directive(statement))
                and (language != "python" or parsed.starts_line(parsed.span(statement)[0]))
            ):
                block.copyable.append(index)
                block.copyable_set.add(index)
    # In-snippet statements: their start byte orders them like their span does.
    targets.sort(key=lambda item: item[0].start_byte)
    return targets
