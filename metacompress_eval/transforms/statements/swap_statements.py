"""``swap_statements``: swap two adjacent statements that do not depend on each other."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

from tree_sitter import Node

from metacompress_eval.code.declarations import DECLARING, note_declared
from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, ts_language, walk_tree
from metacompress_eval.code.macros import local_names, table_for
from metacompress_eval.code.spans import parents_of
from metacompress_eval.code.syntax import CALLS, COMMENTS, FUNCTION_LIKE, MEMORY_ACCESSES, STATEMENT_CONTAINERS, inside_type
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


_SIMPLE_STATEMENTS = {
    "c": frozenset({"expression_statement", "declaration"}),
    "java": frozenset({"expression_statement", "local_variable_declaration"}),
    "javascript": frozenset({"expression_statement", "lexical_declaration", "variable_declaration"}),
    "python": frozenset({"expression_statement"}),
    "go": frozenset({"assignment_statement", "short_var_declaration", "inc_statement", "dec_statement",
                     "var_declaration"}),
}
_FORBIDDEN = CALLS | FUNCTION_LIKE | frozenset(
    {"return_statement", "break_statement", "continue_statement", "goto_statement", "throw_statement",
     "yield_statement", "labeled_statement", "comma_expression", "sequence_expression", "delete_statement",
     "global_statement", "nonlocal_statement", "switch_expression", "conditional_expression",
     "ternary_expression", "list_comprehension", "generator_expression", "set_comprehension",
     "dictionary_comprehension", "instanceof_expression", "spread_element", "await_expression"})
_WRITES = frozenset({"assignment_expression", "update_expression", "augmented_assignment", "assignment",
                     "augmented_assignment_expression", "assignment_statement", "inc_statement", "dec_statement"})
_TARGET_FIELDS = ("left", "argument")
_LOCAL_NAME_NODES = frozenset(
    {"parameter_declaration", "formal_parameter", "spread_parameter", "parameters", "formal_parameters",
     "lambda_parameters", "assignment", "augmented_assignment", "global_statement", "nonlocal_statement",
     "pointer_expression", "declaration"}
)


# Node types the loop of :meth:`SwapStatements._facts` reacts to (besides ``preproc_*`` and
# ``ERROR``); any other node (punctuation, literals, most expressions) is passed over at once.
_FACT_TYPES = DECLARING | _FORBIDDEN | MEMORY_ACCESSES | _WRITES | frozenset(
    {"unary_expression", "storage_class_specifier", "type_qualifier", "modifiers", "identifier",
     "field_identifier", "property_identifier", "cast_expression", "binary_expression", "binary_operator"})
# A JavaScript shorthand property (``{total}``, ``const {total} = o``) reads or declares the name it
# spells, exactly as an identifier does.
_NAME_NODES = frozenset({"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"})
_FACT_TYPES = _FACT_TYPES | _NAME_NODES


_TRY_TYPES = frozenset({"try_statement", "try_with_resources_statement"})


@lru_cache(maxsize=None)
def _has_try_types(language: str) -> bool:
    lang = ts_language(language)
    return any(lang.id_for_node_kind(t, True) is not None for t in _TRY_TYPES)


@dataclass
class _Facts:
    """What one statement reads, writes and declares (by name)."""

    names: set[str] = field(default_factory=set)  # every identifier spelled in it
    declared: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)  # base names of every write target
    memory_write: bool = False  # writes through a pointer/field/element or to a non-local name
    memory_access: bool = False  # reads or writes any field/element/dereference
    may_fail: bool = False  # division, cast or access that can raise or trap


def _targets(node: Node) -> list[Node]:
    """Write targets of an assignment/update node."""
    if node.type in ("inc_statement", "dec_statement"):
        return node.named_children[:1]
    targets = []
    for name in _TARGET_FIELDS:
        child = node.child_by_field_name(name)
        if child is not None:
            targets.append(child)
    if node.type == "update_expression" and not targets and node.named_children:
        targets.append(node.named_children[0])
    result = []
    for target in targets:
        if target.type in ("expression_list", "pattern_list", "tuple_pattern", "tuple", "list_pattern", "list"):
            result.extend(target.named_children)
        else:
            result.append(target)
    return result


def _base_names(parsed: ParsedCode, node: Node) -> set[str]:
    return {parsed.text(n) for n in walk_tree(node) if n.type == "identifier"}


class SwapStatements(Transformation):
    """Swap two adjacent, independent simple statements of one block.

    Both must be expression statements or declarations without calls (a call may have any side
    effect), jumps, labels, closures, ``new`` or ``await``. They are independent when neither
    declares a name the other mentions, no name written by one is mentioned by the other, and
    memory is not involved on both sides: a write through a pointer, field or element (or to a
    name that is not a local of the snippet, or whose address is taken in C) conflicts with any
    memory access or non-local name in the other statement. Names are compared by identifier
    nodes of the tree (not by text search). When either statement may raise (division, cast,
    access) the pair is skipped if the other one writes memory or the block is inside a ``try``, since
    the exception would otherwise expose a different partial state. Comments between the two
    statements stay where they are.
    """

    name = "swap_statements"
    family = "statements"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Swap two adjacent statements that do not depend on each other."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        lang = parsed.language
        # One query for the blocks and for every node the local-name analysis looks at (each query
        # costs a walk of the whole tree inside tree-sitter).
        found = nodes_of_types(parsed.root, lang, STATEMENT_CONTAINERS | DECLARING | _LOCAL_NAME_NODES)
        locals_ = self._local_names(parsed, found)
        candidates = []
        facts: dict[int, _Facts | None] = {}  # by node id: a statement is the second of one pair and the first of the next

        simple = _SIMPLE_STATEMENTS[lang]

        def facts_of(statement: Node) -> _Facts | None:
            if statement.id not in facts:
                # Only simple statements have facts: the type test comes before the macro check,
                # which walks the statement (a compound one holds every statement nested in it).
                facts[statement.id] = None if statement.type not in simple or self._hides_effects(
                    parsed, statement) else self._facts(parsed, statement, locals_)
            return facts[statement.id]

        has_try = _has_try_types(lang)
        # Candidates are sorted by position (choose), so blocks may come in any order: query them.
        blocks = [block for block in found if block.type in STATEMENT_CONTAINERS and parsed.in_snippet(block)
                  and not (lang == "go" and block.type == "block")]  # Go: its statement_list is visited instead
        parents = parents_of(parsed.root, blocks)  # ``block.parent`` costs the nesting depth per call
        for block in blocks:
            parent = parents[block.id]
            if lang == "python" and parent is not None and parent.type == "class_definition":
                continue  # a class body's order is data: dataclass/Enum fields, __init__ parameters, vars()
            if parent is not None and parent.type in ("switch_statement",):
                continue
            # Grammars without these node types (C) need no walk up the ancestors.
            in_try = has_try and inside_type(parsed, block, _TRY_TYPES)
            statements = [c for c in block.named_children if c.type not in COMMENTS]
            for first, second in zip(statements, statements[1:]):
                if not (parsed.in_snippet(first) and parsed.in_snippet(second)):
                    continue
                a = facts_of(first)  # facts are pure: the second one is only needed when a is not None
                if a is None:
                    continue
                b = facts_of(second)
                if b is None or not self._independent(a, b, in_try):
                    continue
                if lang == "python" and not self._python_layout_ok(parsed, first, second):
                    continue
                candidates.append((parsed.span(first)[0], first, second))
        position, first, second = choose(parsed, rng, candidates, "no two adjacent independent statements")
        edits = [Edit(*parsed.span(first), parsed.text(second)), Edit(*parsed.span(second), parsed.text(first))]
        return Proposal(edits, {"position": position, "second": parsed.span(second)[0], "candidates": len(candidates)})

    @staticmethod
    def _hides_effects(parsed: ParsedCode, statement: Node) -> bool:
        """C: whether the statement names a macro that may read or write anything (a macro the
        snippet or its context defines with a call, assignment or increment in its body, or an
        ALL_CAPS name nobody defines): ``BUMP;`` may be ``count++;``."""
        if parsed.language != "c":
            return False
        table = table_for(parsed)
        declared = local_names(parsed)
        for node in walk_tree(statement):
            if node.type == "identifier":
                name = parsed.text(node)
                if name in declared or not table.is_macro(name):
                    continue
                definition = table.definition(name)
                if definition is None or not definition.pure:
                    return True
        return False

    @staticmethod
    def _python_layout_ok(parsed: ParsedCode, first: Node, second: Node) -> bool:
        a, b = parsed.span(first)[0], parsed.span(second)[0]
        return parsed.starts_line(a) and parsed.starts_line(b) and parsed.column(a) == parsed.column(b)

    def _local_names(self, parsed: ParsedCode, found: list[Node] | None = None) -> set[str]:
        """Names declared in the snippet whose storage cannot be reached through memory.

        ``found``: the nodes of (at least) the types in ``DECLARING | _LOCAL_NAME_NODES``, in
        pre-order, when the caller has queried them already.
        """
        if found is None:
            found = nodes_of_types(parsed.root, parsed.language, DECLARING | _LOCAL_NAME_NODES)
        # As declared_names(parsed, parsed.root, frozenset()), from the same query's nodes.
        names: set[str] = set()
        typed = [(node.type, node) for node in found]  # each ``type`` access builds a string
        for t, node in typed:
            if t in DECLARING:
                note_declared(parsed, node, names)
        for t, node in typed:
            if t in ("parameter_declaration", "formal_parameter", "spread_parameter"):
                declarator = node.child_by_field_name("declarator") or node.child_by_field_name("name")
                if declarator is not None:
                    ids = [n for n in walk_tree(declarator) if n.type == "identifier"]
                    if ids:
                        names.add(parsed.text(ids[0]))
                for n in node.children_by_field_name("name"):
                    names.add(parsed.text(n))
            elif t in ("parameters", "formal_parameters", "lambda_parameters") and parsed.language in ("python", "javascript"):
                names.update(parsed.text(n) for n in node.named_children if n.type == "identifier")
            elif t in ("assignment", "augmented_assignment") and parsed.language == "python":
                left = node.child_by_field_name("left")
                if left is not None:
                    names.update(parsed.text(n) for n in walk_tree(left) if n.type == "identifier" and n.parent.type in (
                        "assignment", "augmented_assignment", "pattern_list", "tuple_pattern"))
            elif t in ("global_statement", "nonlocal_statement"):
                for n in walk_tree(node):
                    if n.type == "identifier":
                        names.discard(parsed.text(n))
        if parsed.language == "c":
            for t, node in typed:
                if t == "pointer_expression" and node.child_count and node.child(0).type == "&":
                    names -= {parsed.text(n) for n in walk_tree(node) if n.type == "identifier"}
                if t == "declaration" and any(
                        c.type == "storage_class_specifier" and parsed.text(c) in ("static", "extern")
                        for c in node.children):
                    names -= {parsed.text(n) for n in walk_tree(node) if n.type == "identifier"}
        return names

    def _facts(self, parsed: ParsedCode, statement: Node, locals_: set[str]) -> _Facts | None:
        lang = parsed.language
        if statement.type not in _SIMPLE_STATEMENTS[lang]:
            return None
        named = [c for c in statement.named_children if c.type not in COMMENTS]
        if statement.type == "expression_statement":
            if len(named) != 1 or named[0].type in ("string", "string_literal", "concatenated_string"):
                return None  # docstrings / "use strict" directives
            if lang in ("python", "javascript", "java", "c") and named[0].type not in _WRITES:
                return None  # a bare expression has no effect worth moving (and may be a directive)

        facts = _Facts()
        declared: set[str] = set()
        fact_types = _FACT_TYPES
        names = facts.names
        # The statement lies in the snippet (see propose), so its nodes' text needs no clamping.
        data, offset = parsed.data, parsed.offset
        # A pre-order walk of the statement (as ``walk``), inlined: it runs for every node.
        cursor = statement.walk()
        node = statement
        depth = 0
        while True:
            if node is None:
                if cursor.goto_first_child():
                    depth += 1
                else:
                    while not cursor.goto_next_sibling():
                        cursor.goto_parent()
                        depth -= 1
                        if depth <= 0:
                            break
                    if depth <= 0:
                        break
                node = cursor.node
            t = node.type
            if t not in fact_types and t != "ERROR" and not (t[0] == "p" and t.startswith("preproc_")):
                node = None
                continue
            if t in _NAME_NODES:  # the most frequent relevant types; nothing else applies to them
                names.add(data[node.start_byte - offset : node.end_byte - offset].decode("utf-8", errors="replace"))
                node = None
                continue
            # Declarations are collected in this same walk (declared_names would skip function-like
            # nodes, but those are forbidden here anyway); the type test first saves a call per node.
            if t in DECLARING:
                note_declared(parsed, node, declared)
            if t in _FORBIDDEN or t.startswith("preproc_") or t == "ERROR":
                return None
            if t == "unary_expression":
                op = node.child_by_field_name("operator")
                if op is not None and op.type in ("delete", "void", "typeof", "<-"):
                    return None
            if t in ("storage_class_specifier", "type_qualifier", "modifiers"):
                return None  # static/volatile/final: initialised once, observable, or immutable
            if t == "identifier":
                facts.names.add(parsed.text(node))
            elif t in ("field_identifier", "property_identifier"):
                facts.names.add(parsed.text(node))
            if t in MEMORY_ACCESSES:
                facts.memory_access = True
                facts.may_fail = True
            if t in ("cast_expression",):
                facts.may_fail = True
            if t in ("binary_expression", "binary_operator"):
                op = node.child_by_field_name("operator")
                if op is not None and (op.type in ("/", "%", "//") or lang == "python"):
                    facts.may_fail = True
            if t in _WRITES:
                for target in _targets(node):
                    facts.written |= _base_names(parsed, target)
                    if target.type != "identifier" or parsed.text(target) not in locals_:
                        facts.memory_write = True
            node = None
        facts.declared = declared
        if lang == "go" and statement.type == "short_var_declaration":
            left = statement.child_by_field_name("left")
            facts.declared |= {parsed.text(n) for n in left.named_children} if left is not None else set()
        if lang == "python":
            facts.declared |= facts.written & {parsed.text(n) for n in walk_tree(statement) if n.type == "identifier"}
        facts.non_local = facts.names - locals_  # type: ignore[attr-defined]
        return facts

    @staticmethod
    def _independent(a: _Facts, b: _Facts, in_try: bool) -> bool:
        if a.declared & b.names or b.declared & a.names:
            return False
        if a.written & b.names or b.written & a.names:
            return False
        for x, y in ((a, b), (b, a)):
            if x.memory_write and (y.memory_access or y.non_local or y.memory_write):  # type: ignore[attr-defined]
                return False
        # A failure in one statement must not expose (or hide) the other's write to memory; inside
        # a ``try`` even local writes are visible to the handler.
        if (a.may_fail and b.memory_write) or (b.may_fail and a.memory_write):
            return False
        if in_try and (a.may_fail or b.may_fail):
            return False
        return True
