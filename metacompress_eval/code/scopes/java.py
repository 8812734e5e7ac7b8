"""Java scope analysis: the visitor, and the query-driven fast path for plain class bodies."""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache

from tree_sitter import Node, Query, QueryCursor

from metacompress_eval.code.languages import ParsedCode, remember_identifiers, ts_language
from metacompress_eval.code.scopes.builder import ScopeBuilder, Visit
from metacompress_eval.code.scopes.core import Scope, ScopeAnalysis, Span, Symbol, register_language


# Modifiers a local variable cannot have: a top-level declaration carrying one is a field.
_MEMBER_MODIFIERS = frozenset({"public", "protected", "private", "static", "transient", "volatile"})


def member_snippet(program: Node) -> bool:
    """Whether a ``program`` root holds bare class members (a method, or a variable declared with
    a member-only modifier) rather than statements.

    tree-sitter-java parses ``private int size; void setSize(int size) {...}`` at the top level,
    its ``size`` as a *local* variable; the snippet compiles only inside a class (``verify`` wraps
    it in one), where ``size`` is a field: part of the class's API, reachable as ``this.size`` or
    ``Main.size``, which a renaming must never touch.
    """
    for child in program.children:
        if child.type == "method_declaration":
            return True
        if child.type == "local_variable_declaration":
            mods = next((c for c in child.children if c.type == "modifiers"), None)
            if mods is not None and any(c.type in _MEMBER_MODIFIERS for c in mods.children):
                return True
    return False


class JavaScopeBuilder(ScopeBuilder):
    _SKIP = {
        "modifiers",
        "annotation",
        "marker_annotation",
        "scoped_identifier",
        "scoped_type_identifier",
        "type_identifier",
        "break_statement",
        "continue_statement",
        "receiver_parameter",
        "type_arguments",
        "type_parameters",
        "throws",
        "package_declaration",
        "import_declaration",
    }
    _CLASS_LIKE = {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    }
    _DISPATCHED = frozenset(
        {"method_declaration", "constructor_declaration", "compact_constructor_declaration", "block",
         "constructor_body", "switch_block", "for_statement", "enhanced_for_statement", "local_variable_declaration",
         "field_declaration", "constant_declaration", "catch_clause", "try_with_resources_statement", "resource",
         "lambda_expression", "class_body", "enum_body", "interface_body", "identifier", "field_access",
         "method_invocation", "method_reference", "labeled_statement", "instanceof_expression", "type_pattern",
         "record_pattern", "object_creation_expression", "element_value_pair", "program"} | _SKIP | _CLASS_LIKE
    )

    def visit_leaf(self, node: Node) -> bool:
        if node.type == "identifier":
            self.use(node)
            return True
        return node.type in self._SKIP

    def visit(self, node: Node) -> Visit:
        t = node.type
        # The branches test distinct types; the most frequent one (``identifier``) goes first.
        if t == "identifier":
            self.use(node)
            return
        if t in self._SKIP:
            return
        if t in ("method_declaration", "constructor_declaration", "compact_constructor_declaration"):
            self.push("method", node)
            params = node.child_by_field_name("parameters")
            if params is not None:
                self.formal_parameters(params, "parameter")
            body = node.child_by_field_name("body")
            if body is not None:
                yield body
            self.pop()
        elif t in ("block", "constructor_body", "switch_block", "for_statement"):
            self.push("block", node)
            yield from self.visit_children(node)
            self.pop()
        elif t == "enhanced_for_statement":
            self.push("for", node)
            yield node.child_by_field_name("value")
            self.declare(node.child_by_field_name("name"), "local")
            yield node.child_by_field_name("body")
            self.pop()
        elif t == "local_variable_declaration":
            for child in node.children:
                if child.type == "variable_declarator":
                    yield self.variable_declarator(child, "local")
                elif child.type not in self._SKIP:
                    yield child
        elif t == "program" and member_snippet(node):
            # Bare class members: the top-level variables are the fields of the class they go in.
            fields = [child for child in node.children if child.type == "local_variable_declaration"]
            for child in fields:
                for sub in child.children:
                    if sub.type == "variable_declarator":
                        self.declare(sub.child_by_field_name("name"), "field", "field")
            for child in node.children:
                if child.type == "local_variable_declaration":
                    for sub in child.children:
                        if sub.type == "variable_declarator" and sub.child_by_field_name("value") is not None:
                            yield sub.child_by_field_name("value")
                elif child.child_count or child.type in self._DISPATCHED:
                    yield child
        elif t == "field_declaration" or t == "constant_declaration":
            for child in node.children:
                if child.type == "variable_declarator":
                    yield self.variable_declarator(child, "field", "field")
        elif t == "catch_clause":
            self.push("catch", node)
            for child in node.named_children:
                if child.type == "catch_formal_parameter":
                    self.declare(child.child_by_field_name("name"), "local")
                else:
                    yield child
            self.pop()
        elif t == "try_with_resources_statement":
            self.push("resources", node)
            yield from self.visit_children(node)
            self.pop()
        elif t == "resource":
            name = node.child_by_field_name("name")
            if name is not None:
                self.declare(name, "local")
                value = node.child_by_field_name("value")
                if value is not None:
                    yield value
            else:
                yield from self.visit_children(node)
        elif t == "lambda_expression":
            self.push("lambda", node)
            params = node.child_by_field_name("parameters")
            if params is not None:
                if params.type == "identifier":
                    self.declare(params, "local")
                elif params.type == "inferred_parameters":
                    for child in params.named_children:
                        self.declare(child, "local")
                else:
                    self.formal_parameters(params, "local")
            yield node.child_by_field_name("body")
            self.pop()
        elif t == "class_body" or t == "enum_body" or t == "interface_body":
            self.push("class", node)
            # Members are visible in the whole body, so declare fields before visiting methods.
            for child in node.named_children:
                if child.type in ("field_declaration", "constant_declaration"):
                    for sub in child.children:
                        if sub.type == "variable_declarator":
                            self.declare(sub.child_by_field_name("name"), "field", "field")
                elif child.type == "enum_constant":
                    self.declare(child.child_by_field_name("name"), "field", "field")
            for child in node.named_children:
                if child.type in ("field_declaration", "constant_declaration"):
                    for sub in child.children:
                        if sub.type == "variable_declarator" and sub.child_by_field_name("value") is not None:
                            yield sub.child_by_field_name("value")
                elif child.type == "enum_constant":
                    for sub in child.named_children:
                        if sub.type in ("argument_list", "class_body"):
                            yield sub
                else:
                    yield child
            self.pop()
        elif t in self._CLASS_LIKE:
            body = node.child_by_field_name("body")
            if body is not None:
                yield body
        elif t == "field_access":
            yield node.child_by_field_name("object")
        elif t == "method_invocation":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "name":
                    yield child
        elif t == "method_reference":
            # ``expr::name`` / ``Type::new``: only the part before ``::`` can denote a variable.
            if node.named_children:
                yield node.named_children[0]
        elif t == "labeled_statement":
            for child in node.named_children[1:]:
                yield child
        elif t == "instanceof_expression":
            yield node.child_by_field_name("left")
            name = node.child_by_field_name("name")
            if name is not None:
                # Flow-sensitive pattern scope: bind it, but do not try to rename it.
                self.declare(name, "pattern", "pattern variable")
            for child in node.named_children:
                if child.type in ("type_pattern", "record_pattern"):
                    self.pattern(child)
        elif t in ("type_pattern", "record_pattern"):
            self.pattern(node)
        elif t == "object_creation_expression":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) not in ("type", "type_arguments"):
                    yield child
        elif t == "element_value_pair":
            return
        else:
            yield from self.visit_children(node)

    def pattern(self, node: Node) -> None:
        # Depth first in source order with an explicit stack: record patterns nest without limit.
        stack = list(reversed(node.named_children))
        while stack:
            child = stack.pop()
            if child.type == "identifier":
                self.declare(child, "pattern", "pattern variable")
            elif child.type in ("type_pattern", "record_pattern", "record_pattern_body", "record_pattern_component"):
                stack.extend(reversed(child.named_children))

    def variable_declarator(self, node: Node, kind: str, unsafe: str | None = None) -> Visit:
        self.declare(node.child_by_field_name("name"), kind, unsafe)
        value = node.child_by_field_name("value")
        if value is not None:
            yield value

    def formal_parameters(self, params: Node, kind: str) -> None:
        for param in params.named_children:
            if param.type == "formal_parameter":
                self.declare(param.child_by_field_name("name"), kind)
            elif param.type == "spread_parameter":
                for child in param.named_children:
                    if child.type == "variable_declarator":
                        self.declare(child.child_by_field_name("name"), kind)


# ---------------------------------------------------------------------------------- fast path
#
# As for C: the :class:`JavaScopeBuilder` result for the common shape of a snippet - methods (and
# constructors) in class bodies (anonymous and local classes included, with or without fields), but
# no enum constants, interfaces, records, patterns or method references - from one query.
# Identifiers inside the subtrees the visitor skips (modifiers, annotations, scoped names, type
# arguments, throws, ...) and at the positions it never visits (method and class names, the field of
# a field access, the name of a method invocation, a statement label) are left out; the others are
# uses, except the declared names (parameters of methods and lambdas, local variables, catch and
# resource variables, for-each variables - these take effect after the iterated expression, as in
# the visitor - and fields, which take effect where their class body opens), declared in the
# innermost scope containing them. Anything else makes :func:`analyze_java_query` give up (``None``).

_JAVA_QUERY = """
(identifier) @id
[(method_declaration) (constructor_declaration) (compact_constructor_declaration)] @method
[(block) (constructor_body) (switch_block) (for_statement)] @block
(enhanced_for_statement) @foreach
(catch_clause) @catch
(try_with_resources_statement) @resources
(lambda_expression) @lambda
(class_body) @class
[(modifiers) (annotation) (marker_annotation) (scoped_identifier) (scoped_type_identifier)
 (break_statement) (continue_statement) (receiver_parameter) (type_arguments) (type_parameters)
 (throws) (package_declaration) (import_declaration)] @skip
(method_declaration name: (identifier) @notvisited)
(constructor_declaration name: (identifier) @notvisited)
(field_access field: (identifier) @notvisited)
(method_invocation name: (identifier) @notvisited)
(class_declaration name: (identifier) @notvisited)
(labeled_statement . (identifier) @notvisited)
(formal_parameter name: (identifier) @formal)
(spread_parameter (variable_declarator name: (identifier) @formal))
(lambda_expression parameters: (identifier) @local)
(lambda_expression parameters: (inferred_parameters (identifier) @local))
(local_variable_declaration declarator: (variable_declarator name: (identifier) @local))
(catch_formal_parameter name: (identifier) @local)
(resource name: (identifier) @local)
(field_declaration declarator: (variable_declarator name: (identifier) @field))
[(constant_declaration) (enum_constant) (enum_body) (interface_body)
 (annotation_type_body) (record_declaration) (type_pattern) (record_pattern) (method_reference)
 (underscore_pattern) (formal_parameters) (ERROR)] @bail
(instanceof_expression name: (_)) @bail
"""
# ``formal_parameters`` are in @bail and checked in Python instead: only those of a method,
# constructor or lambda are allowed (a record's would declare record components). Which of them a
# @formal parameter belongs to decides its kind (a lambda's are locals), also in Python: a pattern
# rooted at the method (``(method_declaration parameters: (formal_parameters ...))``) stays in
# progress while the query cursor walks the whole method, which made the query ~15 % slower.


@lru_cache(maxsize=None)
def _java_query() -> Query:
    return Query(ts_language("java"), _JAVA_QUERY)


_JAVA_PARAMETER_OWNERS = frozenset({"method_declaration", "constructor_declaration", "lambda_expression"})


def analyze_java_query(parsed: ParsedCode) -> ScopeAnalysis | None:
    """The :class:`JavaScopeBuilder` result for the common snippet shape, or ``None`` (see above)."""
    root = parsed.root
    if root.has_error:
        return None
    if root.type == "program" and member_snippet(root) and any(
            child.type == "local_variable_declaration" for child in root.children):
        return None  # bare fields: left to the visitor, which declares them as fields
    caps = QueryCursor(_java_query()).captures(root)
    bail = caps.get("bail", ())
    owners = []  # (start, end, kind of its parameters) of each parameter list, in document order
    for node in bail:
        if node.type != "formal_parameters":
            return None
        parent = node.parent
        if parent is None or parent.type not in _JAVA_PARAMETER_OWNERS:
            return None
        owners.append((node.start_byte, node.end_byte, "local" if parent.type == "lambda_expression" else "parameter"))
    data = parsed.data
    size = len(data)
    offset = parsed.offset
    id_nodes = caps.get("id", ())
    ranges = [n.byte_range for n in id_nodes]
    starts = [start for start, _ in ranges]
    remember_identifiers(parsed, dict(zip(starts, id_nodes)))

    # Identifiers the visitor never reaches: in a skipped subtree (found by binary search over
    # the identifiers, which are leaves with distinct starts), or at a position it does not visit.
    # (Captures come in document order: the sort only makes sure of it.)
    ids = sorted(ranges)
    id_starts = starts if ids == ranges else [start for start, _ in ids]
    hidden = {n.start_byte for n in caps.get("notvisited", ())}
    for node in caps.get("skip", ()):
        first = bisect_left(id_starts, node.start_byte)
        last = bisect_left(id_starts, node.end_byte, first)
        if first < last:
            hidden.update(id_starts[first:last])

    # Events in source order; at one offset: a scope opens (0), a field or for-each variable is
    # declared (1: at the start of its class body; after the iterated value, which the visitor
    # visits first), an identifier (2).
    events = []
    for kind, name in (("method", "method"), ("block", "block"), ("for", "foreach"), ("catch", "catch"),
                       ("resources", "resources"), ("lambda", "lambda"), ("class", "class")):
        events += [(n.start_byte, 0, n.end_byte, kind) for n in caps.get(name, ())]
    for loop in caps.get("foreach", ()):
        name = loop.child_by_field_name("name")
        value = loop.child_by_field_name("value")
        if name is None or value is None or name.type != "identifier":
            return None
        events.append((value.end_byte, 1, name.end_byte, (name.start_byte, "local")))
        hidden.add(name.start_byte)
    for name in caps.get("field", ()):
        # Fields are visible in the whole class body: declared as it opens, before its members.
        body = name.parent.parent.parent  # variable_declarator, field_declaration, class body
        if body is None or body.type != "class_body":
            return None
        events.append((body.start_byte, 1, name.end_byte, (name.start_byte, "field")))
        hidden.add(name.start_byte)
    # Identifiers in the wrapper (outside the snippet) are not events at all.
    snippet_end = offset + size
    events += [(start, 2, end, None) for start, end in ids
               if start not in hidden and start >= offset and end <= snippet_end]
    events.sort()
    kinds = {}
    for node in caps.get("formal", ()):
        start = node.start_byte
        kind = None
        for first, end, owner_kind in owners:  # the innermost list holding it comes last
            if first <= start < end:
                kind = owner_kind
        if kind is None:
            return None
        kinds[start] = kind
    kinds.update((n.start_byte, "local") for n in caps.get("local", ()))

    root_scope = Scope("root", 0, size)
    symbols: list[Symbol] = []
    unresolved: list[tuple[str, Span]] = []
    ends = [float("inf")]
    stack = [root_scope]
    current = root_scope
    declared_names: set[str] = set()
    # An ASCII snippet: byte offsets are character offsets, and slicing the text saves a decode per
    # identifier.
    code = parsed.code
    ascii_text = len(code) == size
    for start, rank, end, extra in events:
        if start >= ends[-1]:
            while start >= ends[-1]:
                ends.pop()
                stack.pop()
            current = stack[-1]
        if rank == 0:
            lo = min(max(start - offset, 0), size)
            hi = min(max(end - offset, 0), size)
            scope = Scope(extra, lo, hi, current)
            current.children.append(scope)
            stack.append(scope)
            ends.append(end)
            current = scope
            continue
        if rank == 1:
            start, kind = extra
            lo, hi = start - offset, end - offset
            if lo < 0 or hi > size:
                continue  # in the wrapper
        else:
            kind = kinds.get(start)
            lo, hi = start - offset, end - offset
        text = code[lo:hi] if ascii_text else data[lo:hi].decode("utf-8", errors="replace")
        if kind is not None:
            symbol = current.symbols.get(text)
            if symbol is None:
                symbol = Symbol(text, current, kind)
                current.symbols[text] = symbol
                symbols.append(symbol)
                declared_names.add(text)
            symbol.declarations.append((lo, hi))
            if kind == "field":
                symbol.mark_unsafe("field")
            continue
        if text not in declared_names:  # declared in no scope yet: the lookup would fail
            unresolved.append((text, (lo, hi)))
            continue
        crossed_class = False
        scope_: Scope | None = current
        found = None
        while scope_ is not None:
            found = scope_.symbols.get(text)
            if found is not None:
                break
            if scope_.kind == "class":
                crossed_class = True
            scope_ = scope_.parent
        if found is None:
            unresolved.append((text, (lo, hi)))
            continue
        found.uses.append((lo, hi))
        if crossed_class and found.kind not in ("field", "function", "type"):
            found.mark_unsafe("referenced from a nested class body")
    return ScopeAnalysis("java", root_scope, symbols, unresolved)


register_language("java", JavaScopeBuilder, fast_path=analyze_java_query)
