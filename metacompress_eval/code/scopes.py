"""Scope analysis: which identifier occurrences denote which local variable.

Renaming must never be a text substitution: ``p->count`` and a local ``count`` are different
things, an inner block may redeclare a name, a Python comprehension has its own scope. This module
builds a scope tree per language, records every declaration (parameters, locals, loop variables,
catch/except variables, lambda and comprehension variables, ...) and resolves each identifier
*use* to the declaration it denotes, following that language's rules:

* C and Java are block-scoped and a declaration takes effect where it appears; the tree is walked
  in source order, so a use before an inner redeclaration still resolves to the outer variable.
* JavaScript hoists: ``var`` belongs to the function, ``let``/``const``/``class`` to the block,
  and every declaration is visible in its whole scope, so uses are resolved after all declarations
  are collected. Shorthand properties (``{x}``) are recorded so a rename can keep the key.
* Go is block-scoped like C, with ``:=`` reusing a name already declared in the same scope;
  selectors, struct-literal keys and labels are never variables.
* Python is function-scoped: a name bound anywhere in a function is local to the whole function;
  comprehensions, lambdas and nested functions are scopes of their own, class bodies are skipped
  when resolving free names from nested functions (as Python does).

Each :class:`Symbol` says whether it is safe to rename and, if not, why (a parameter whose name is
part of a Python keyword-call interface, a name listed in ``global``, a function using ``locals()``,
a variable referenced from an anonymous class body, ...). Names that cannot be resolved (globals,
external functions, macros, builtins) are reported as unresolved and never renamed.

All spans are byte offsets into the original snippet.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from tree_sitter import Node, Query, QueryCursor

from metacompress_eval.code.languages import ParsedCode, ts_language

Span = tuple[int, int]


@dataclass(eq=False)
class Scope:
    """A region of code that can hold declarations."""

    kind: str
    start: int
    end: int
    parent: Scope | None = None
    children: list[Scope] = field(default_factory=list)
    symbols: dict[str, Symbol] = field(default_factory=dict)


@dataclass(eq=False)
class Symbol:
    """One declared entity (a variable, parameter, function name, ...) and every occurrence of it.

    Attributes:
        name: the identifier.
        scope: scope that declares it.
        kind: ``"local"``, ``"parameter"``, ``"varargs"``, ``"function"``, ``"field"``, ...
        declarations: spans of the identifier at each declaration (several for merged redeclarations
            in the same scope, e.g. in two ``#ifdef`` branches or repeated Python assignments).
        uses: spans of identifier occurrences resolved to this symbol.
        unsafe_reason: why renaming it could change behaviour; ``None`` when it is safe.
        shorthand: the subset of occurrences that are JavaScript shorthand properties (``{x}`` in an
            object literal or pattern); renaming ``x`` there must write ``x: new`` so the property
            key keeps its name.
    """

    name: str
    scope: Scope
    kind: str
    declarations: list[Span] = field(default_factory=list)
    uses: list[Span] = field(default_factory=list)
    unsafe_reason: str | None = None
    shorthand: list[Span] = field(default_factory=list)

    @property
    def renamable(self) -> bool:
        """Whether the symbol may be renamed."""
        return self.unsafe_reason is None

    def occurrences(self) -> list[Span]:
        """Sorted, de-duplicated spans of all declarations and uses."""
        return sorted(set(self.declarations) | set(self.uses))

    def mark_unsafe(self, reason: str) -> None:
        """Forbid renaming (keeps the first reason)."""
        if self.unsafe_reason is None:
            self.unsafe_reason = reason


@dataclass
class ScopeAnalysis:
    """Result of :func:`analyze`: the scope tree, all symbols and the unresolved names."""

    language: str
    root: Scope
    symbols: list[Symbol]
    unresolved: list[tuple[str, Span]]

    def renamable_symbols(self) -> list[Symbol]:
        """Symbols safe to rename, ordered by their first declaration."""
        found = [s for s in self.symbols if s.renamable and s.declarations]
        return sorted(found, key=lambda s: min(s.declarations))

    def symbol_at(self, start: int) -> Symbol | None:
        """The symbol having an occurrence that starts at byte ``start``, if any."""
        for symbol in self.symbols:
            if any(span[0] == start for span in symbol.occurrences()):
                return symbol
        return None


_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def words_in(data: bytes) -> set[str]:
    """Every identifier-like word in ``data`` (used to reject names occurring anywhere)."""
    # Deduplicate the matches in C before decoding each distinct word once.
    return {word.decode() for word in set(_WORD.findall(data))}


class _Builder:
    """Shared machinery: a scope stack, declaration and use recording."""

    def __init__(self, parsed: ParsedCode) -> None:
        self.p = parsed
        self.root = Scope("root", 0, len(parsed.data))
        self.current = self.root
        self.symbols: list[Symbol] = []
        self.unresolved: list[tuple[str, Span]] = []
        self.unsafe_names: dict[str, str] = {}

    def push(self, kind: str, node: Node) -> Scope:
        start, end = self.p.span(node)
        scope = Scope(kind, start, end, self.current)
        self.current.children.append(scope)
        self.current = scope
        return scope

    def pop(self) -> None:
        assert self.current.parent is not None
        self.current = self.current.parent

    def _name_span(self, node: Node) -> tuple[str, Span] | None:
        """``(text, span)`` of ``node`` when it lies in the snippet, else ``None``.

        Same as ``in_snippet`` + ``text`` + ``span`` of :class:`ParsedCode`, computed once: inside
        the snippet the span needs no clamping. This runs for every identifier.
        """
        offset = self.p.offset
        start = node.start_byte - offset
        end = node.end_byte - offset
        if start < 0 or end > len(self.p.data):
            return None
        return self.p.data[start:end].decode("utf-8", errors="replace"), (start, end)

    def declare(self, node: Node, kind: str, unsafe: str | None = None, scope: Scope | None = None) -> Symbol | None:
        found = self._name_span(node)
        if found is None:
            return None
        name, span = found
        scope = scope or self.current
        symbol = scope.symbols.get(name)
        if symbol is None:
            symbol = Symbol(name, scope, kind)
            scope.symbols[name] = symbol
            self.symbols.append(symbol)
        symbol.declarations.append(span)
        if unsafe:
            symbol.mark_unsafe(unsafe)
        return symbol

    def lookup(self, name: str, scope: Scope) -> tuple[Symbol | None, bool]:
        """Find ``name`` from ``scope`` outwards; also report whether a class body was crossed."""
        crossed_class = False
        current: Scope | None = scope
        while current is not None:
            symbol = current.symbols.get(name)
            if symbol is not None:
                return symbol, crossed_class
            if current.kind == "class":
                crossed_class = True
            current = current.parent
        return None, crossed_class

    def use(self, node: Node) -> Symbol | None:
        found = self._name_span(node)
        if found is None:
            return None
        name, span = found
        symbol, crossed_class = self.lookup(name, self.current)
        if symbol is None:
            self.unresolved.append((name, span))
            return None
        symbol.uses.append(span)
        if crossed_class and symbol.kind not in ("field", "function", "type"):
            # An inherited field of the anonymous/local class could capture a renamed variable.
            symbol.mark_unsafe("referenced from a nested class body")
        return symbol

    def mark_words_unsafe(self, node: Node, reason: str) -> None:
        for word in words_in(self.p.data[slice(*self.p.span(node))]):
            self.unsafe_names.setdefault(word, reason)

    def finish(self) -> ScopeAnalysis:
        for symbol in self.symbols:
            if symbol.name in self.unsafe_names:
                symbol.mark_unsafe(self.unsafe_names[symbol.name])
        return ScopeAnalysis(self.p.language, self.root, self.symbols, self.unresolved)

    # Node types with a branch of their own in ``visit``; ``None``: not listed for this language.
    # A leaf child of any other type would only fall through to ``visit_children`` (a no-op), so
    # it is not visited at all: about half of all nodes are such leaves (punctuation, keywords,
    # literals), and a Python-level visit per node dominates the analysis.
    _DISPATCHED: frozenset[str] | None = None

    def visit_children(self, node: Node) -> None:
        dispatched = self._DISPATCHED
        if dispatched is None:
            for child in node.children:
                self.visit(child)
            return
        for child in node.children:
            if child.child_count or child.type in dispatched:
                self.visit(child)

    def visit(self, node: Node) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


# --------------------------------------------------------------------------------------------- C


class _CBuilder(_Builder):
    _PREPROC_OPAQUE = {"preproc_def", "preproc_function_def", "preproc_call", "preproc_include"}
    _PREPROC_COND = {"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else"}
    _DISPATCHED = frozenset(
        {"function_definition", "compound_statement", "for_statement", "declaration", "type_definition",
         "parameter_list", "identifier", "type_identifier", "enumerator", "field_expression", "field_identifier",
         "statement_identifier", "field_designator"} | _PREPROC_OPAQUE | _PREPROC_COND
    )

    def visit(self, node: Node) -> None:
        t = node.type
        # The branches test distinct types; the most frequent one (``identifier``) goes first.
        if t == "identifier":
            self.use(node)
        elif t == "function_definition":
            self.visit_function(node)
        elif t == "compound_statement":
            self.push("block", node)
            self.visit_children(node)
            self.pop()
        elif t == "for_statement":
            self.push("for", node)
            self.visit_children(node)
            self.pop()
        elif t == "declaration":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "declarator":
                    self.declarator(child, "local")
                else:
                    self.visit(child)
        elif t == "type_definition":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "declarator":
                    self.visit(child)
        elif t == "parameter_list":
            # Parameter names of a prototype have prototype scope: nothing to bind or use.
            return
        elif t == "type_identifier":
            self.type_identifier(node)
        elif t == "enumerator":
            name = node.child_by_field_name("name")
            if name is not None:
                self.declare(name, "enum_constant", "enumeration constant")
            value = node.child_by_field_name("value")
            if value is not None:
                self.visit(value)
        elif t == "field_expression":
            argument = node.child_by_field_name("argument")
            if argument is not None:
                self.visit(argument)
        elif t in self._PREPROC_OPAQUE:
            # Macro bodies are opaque text that may mention locals by name.
            self.mark_words_unsafe(node, "mentioned in a preprocessor directive")
        elif t in self._PREPROC_COND:
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) in ("name", "condition"):
                    self.mark_words_unsafe(child, "mentioned in a preprocessor directive")
                else:
                    self.visit(child)
        elif t in ("field_identifier", "statement_identifier", "field_designator"):
            return
        else:
            self.visit_children(node)

    def visit_function(self, node: Node) -> None:
        declarator = node.child_by_field_name("declarator")
        func = declarator
        while func is not None and func.type != "function_declarator":
            func = func.child_by_field_name("declarator")
        if func is not None:
            name = func.child_by_field_name("declarator")
            if name is not None and name.type == "identifier":
                self.declare(name, "function", "function name")
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) not in ("declarator", "body"):
                self.visit(child)
        self.push("function", node)
        if func is not None:
            params = func.child_by_field_name("parameters")
            for param in params.named_children if params is not None else []:
                if param.type == "parameter_declaration":
                    self.visit(param.child_by_field_name("type"))
                    inner = param.child_by_field_name("declarator")
                    if inner is not None:
                        self.declarator(inner, "parameter")
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.pop()

    def declarator(self, node: Node, kind: str) -> None:
        t = node.type
        if t == "identifier":
            self.declare(node, kind)
        elif t == "init_declarator":
            self.declarator(node.child_by_field_name("declarator"), kind)
            value = node.child_by_field_name("value")
            if value is not None:
                self.visit(value)
        elif t == "function_declarator":
            inner = node.child_by_field_name("declarator")
            if inner is not None and inner.type == "identifier":
                self.declare(inner, "function", "function name")
            elif inner is not None:
                self.declarator(inner, kind)  # a function pointer variable
        elif t in ("pointer_declarator", "array_declarator", "parenthesized_declarator", "attributed_declarator"):
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "declarator" or child.type.endswith("declarator"):
                    self.declarator(child, kind)
                elif child.is_named:
                    self.visit(child)
        elif t == "type_identifier":
            return
        else:
            self.visit_children(node)

    def type_identifier(self, node: Node) -> None:
        if not self.p.in_snippet(node):
            return
        name = self.p.text(node)
        symbol, _ = self.lookup(name, self.current)
        if symbol is None or symbol.kind in ("function", "enum_constant"):
            return
        parent = node.parent
        grand = parent.parent if parent is not None else None
        if (
            parent is not None
            and parent.type == "type_descriptor"
            and len(parent.named_children) == 1
            and grand is not None
            and grand.type in ("sizeof_expression", "cast_expression", "alignof_expression")
        ):
            # ``sizeof(x)`` with a variable ``x`` is parsed as ``sizeof(type)``.
            symbol.uses.append(self.p.span(node))
        else:
            symbol.mark_unsafe("also used where a type name is expected")


# ------------------------------------------------------------------------------------------ Java


class _JavaBuilder(_Builder):
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
         "record_pattern", "object_creation_expression", "element_value_pair"} | _SKIP | _CLASS_LIKE
    )

    def visit(self, node: Node) -> None:
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
                self.visit(body)
            self.pop()
        elif t in ("block", "constructor_body", "switch_block", "for_statement"):
            self.push("block", node)
            self.visit_children(node)
            self.pop()
        elif t == "enhanced_for_statement":
            self.push("for", node)
            self.visit(node.child_by_field_name("value"))
            self.declare(node.child_by_field_name("name"), "local")
            self.visit(node.child_by_field_name("body"))
            self.pop()
        elif t == "local_variable_declaration":
            for child in node.children:
                if child.type == "variable_declarator":
                    self.variable_declarator(child, "local")
                elif child.type not in self._SKIP:
                    self.visit(child)
        elif t == "field_declaration" or t == "constant_declaration":
            for child in node.children:
                if child.type == "variable_declarator":
                    self.variable_declarator(child, "field", "field")
        elif t == "catch_clause":
            self.push("catch", node)
            for child in node.named_children:
                if child.type == "catch_formal_parameter":
                    self.declare(child.child_by_field_name("name"), "local")
                else:
                    self.visit(child)
            self.pop()
        elif t == "try_with_resources_statement":
            self.push("resources", node)
            self.visit_children(node)
            self.pop()
        elif t == "resource":
            name = node.child_by_field_name("name")
            if name is not None:
                self.declare(name, "local")
                value = node.child_by_field_name("value")
                if value is not None:
                    self.visit(value)
            else:
                self.visit_children(node)
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
            self.visit(node.child_by_field_name("body"))
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
                            self.visit(sub.child_by_field_name("value"))
                elif child.type == "enum_constant":
                    for sub in child.named_children:
                        if sub.type in ("argument_list", "class_body"):
                            self.visit(sub)
                else:
                    self.visit(child)
            self.pop()
        elif t in self._CLASS_LIKE:
            body = node.child_by_field_name("body")
            if body is not None:
                self.visit(body)
        elif t == "field_access":
            self.visit(node.child_by_field_name("object"))
        elif t == "method_invocation":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "name":
                    self.visit(child)
        elif t == "method_reference":
            # ``expr::name`` / ``Type::new``: only the part before ``::`` can denote a variable.
            if node.named_children:
                self.visit(node.named_children[0])
        elif t == "labeled_statement":
            for child in node.named_children[1:]:
                self.visit(child)
        elif t == "instanceof_expression":
            self.visit(node.child_by_field_name("left"))
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
                    self.visit(child)
        elif t == "element_value_pair":
            return
        else:
            self.visit_children(node)

    def pattern(self, node: Node) -> None:
        for child in node.named_children:
            if child.type == "identifier":
                self.declare(child, "pattern", "pattern variable")
            elif child.type in ("type_pattern", "record_pattern", "record_pattern_body", "record_pattern_component"):
                self.pattern(child)

    def variable_declarator(self, node: Node, kind: str, unsafe: str | None = None) -> None:
        self.declare(node.child_by_field_name("name"), kind, unsafe)
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value)

    def formal_parameters(self, params: Node, kind: str) -> None:
        for param in params.named_children:
            if param.type == "formal_parameter":
                self.declare(param.child_by_field_name("name"), kind)
            elif param.type == "spread_parameter":
                for child in param.named_children:
                    if child.type == "variable_declarator":
                        self.declare(child.child_by_field_name("name"), kind)


# ---------------------------------------------------------------------------------------- Python

_PY_DYNAMIC = {"locals", "vars", "eval", "exec", "dir", "globals"}
_PY_FUNCTION_SCOPES = {"function_definition", "lambda"}
_PY_COMPREHENSIONS = {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
_PY_TARGET_CONTAINERS = {
    "pattern_list",
    "tuple_pattern",
    "list_pattern",
    "tuple",
    "list",
    "parenthesized_expression",
    "list_splat_pattern",
    "expression_list",
    "as_pattern_target",
}


@dataclass(eq=False)
class _PyScope:
    scope: Scope
    bindings: dict[str, list[tuple[Span, str]]] = field(default_factory=dict)
    loads: list[tuple[str, Span]] = field(default_factory=list)
    declared_global: set[str] = field(default_factory=set)
    dynamic: bool = False


class _PythonBuilder(_Builder):
    """Two passes: collect bindings per scope, then resolve loads with Python's LEGB rules."""

    def __init__(self, parsed: ParsedCode) -> None:
        super().__init__(parsed)
        self.py: dict[int, _PyScope] = {}
        self.stack: list[_PyScope] = []
        root = _PyScope(self.root)
        self.py[id(self.root)] = root
        self.stack.append(root)

    # -- pass 1 -----------------------------------------------------------------------------
    def push_py(self, kind: str, node: Node) -> _PyScope:
        scope = self.push(kind, node)
        info = _PyScope(scope)
        self.py[id(scope)] = info
        self.stack.append(info)
        return info

    def pop_py(self) -> None:
        self.stack.pop()
        self.pop()

    def bind(self, node: Node, kind: str, info: _PyScope | None = None) -> None:
        if not self.p.in_snippet(node):
            return
        info = info or self.stack[-1]
        info.bindings.setdefault(self.p.text(node), []).append((self.p.span(node), kind))

    def load(self, node: Node) -> None:
        if self.p.in_snippet(node):
            self.stack[-1].loads.append((self.p.text(node), self.p.span(node)))

    def function_scope_for_walrus(self) -> _PyScope:
        for info in reversed(self.stack):
            if info.scope.kind != "comprehension":
                return info
        return self.stack[0]

    def target(self, node: Node, kind: str, walrus: bool = False) -> None:
        """Bind the names in an assignment target; attributes/subscripts are loads."""
        t = node.type
        if t == "identifier":
            if walrus:
                self.bind(node, kind, self.function_scope_for_walrus())
            else:
                self.bind(node, kind)
        elif t in _PY_TARGET_CONTAINERS:
            for child in node.named_children:
                self.target(child, kind, walrus)
        else:
            self.visit(node)

    def visit(self, node: Node) -> None:
        t = node.type
        if t == "function_definition":
            self.function(node)
        elif t == "lambda":
            self.lambda_(node)
        elif t == "class_definition":
            name = node.child_by_field_name("name")
            self.bind(name, "class")
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) not in ("name", "body"):
                    self.visit(child)
            self.push_py("class", node)
            self.visit(node.child_by_field_name("body"))
            self.pop_py()
        elif t == "decorated_definition":
            self.visit_children(node)
        elif t in _PY_COMPREHENSIONS:
            self.comprehension(node)
        elif t == "identifier":
            self.load(node)
        elif t == "attribute":
            self.visit(node.child_by_field_name("object"))
        elif t == "keyword_argument":
            self.visit(node.child_by_field_name("value"))
        elif t == "assignment":
            left = node.child_by_field_name("left")
            if left is not None:
                self.target(left, "local")
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "left":
                    self.visit(child)
        elif t == "augmented_assignment":
            left = node.child_by_field_name("left")
            if left is not None:
                self.target(left, "local")
                if left.type == "identifier":
                    self.load(left)
            self.visit(node.child_by_field_name("right"))
        elif t in ("for_statement", "for_in_clause"):
            left = node.child_by_field_name("left")
            self.target(left, "local")
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "left":
                    self.visit(child)
        elif t == "as_pattern":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "alias":
                    self.target(child, "local")
                else:
                    self.visit(child)
        elif t == "named_expression":
            self.target(node.child_by_field_name("name"), "local", walrus=True)
            self.visit(node.child_by_field_name("value"))
        elif t == "delete_statement":
            for child in node.named_children:
                self.target(child, "local")
        elif t in ("import_statement", "import_from_statement", "future_import_statement"):
            self.imports(node)
        elif t in ("global_statement", "nonlocal_statement"):
            for child in node.named_children:
                if child.type == "identifier":
                    name = self.p.text(child)
                    self.stack[-1].declared_global.add(name)
                    self.unsafe_names.setdefault(name, f"declared {t.split('_')[0]}")
        elif t == "call":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "identifier" and self.p.text(function) in _PY_DYNAMIC:
                for info in self.stack:
                    info.dynamic = True
            self.visit_children(node)
        elif t in ("match_statement", "case_clause", "case_pattern"):
            # Pattern captures have subtle binding rules; bind conservatively and never rename.
            if t == "case_pattern":
                for sub in _descendants(node, "identifier"):
                    parent = sub.parent
                    if parent is not None and parent.type in ("dotted_name",) and parent.named_children[0] != sub:
                        continue
                    self.bind(sub, "pattern")
                    self.load(sub)
            else:
                self.visit_children(node)
        else:
            self.visit_children(node)

    def imports(self, node: Node) -> None:
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) != "name":
                continue
            if child.type == "aliased_import":
                self.bind(child.child_by_field_name("alias"), "import")
            elif child.type == "dotted_name" and child.named_children:
                self.bind(child.named_children[0], "import")

    def parameters(self, params: Node, function: _PyScope, outer_visit) -> None:
        for param in params.named_children:
            t = param.type
            if t == "identifier":
                self.bind(param, "parameter", function)
            elif t in ("list_splat_pattern", "dictionary_splat_pattern"):
                for child in param.named_children:
                    if child.type == "identifier":
                        self.bind(child, "varargs", function)
            elif t in ("default_parameter", "typed_default_parameter", "typed_parameter"):
                name = param.child_by_field_name("name")
                if name is None:  # typed *args / **kwargs
                    for child in param.named_children:
                        if child.type in ("list_splat_pattern", "dictionary_splat_pattern"):
                            for sub in child.named_children:
                                if sub.type == "identifier":
                                    self.bind(sub, "varargs", function)
                        elif child.type == "identifier":
                            self.bind(child, "parameter", function)
                else:
                    self.bind(name, "parameter", function)
                # Defaults and annotations are evaluated in the enclosing scope.
                for field_name in ("value", "type"):
                    sub = param.child_by_field_name(field_name)
                    if sub is not None:
                        outer_visit(sub)
            elif t == "tuple_pattern":
                for sub in _descendants(param, "identifier"):
                    self.bind(sub, "parameter", function)

    def function(self, node: Node) -> None:
        self.bind(node.child_by_field_name("name"), "function")
        outer = self.stack[-1]
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) == "return_type":
                self.visit(child)
        info = self.push_py("function", node)
        params = node.child_by_field_name("parameters")

        def outer_visit(sub: Node) -> None:
            self.stack.append(outer)
            self.visit(sub)
            self.stack.pop()

        if params is not None:
            self.parameters(params, info, outer_visit)
        self.visit(node.child_by_field_name("body"))
        self.pop_py()

    def lambda_(self, node: Node) -> None:
        outer = self.stack[-1]
        info = self.push_py("lambda", node)

        def outer_visit(sub: Node) -> None:
            self.stack.append(outer)
            self.visit(sub)
            self.stack.pop()

        params = node.child_by_field_name("parameters")
        if params is not None:
            self.parameters(params, info, outer_visit)
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.pop_py()

    def comprehension(self, node: Node) -> None:
        clauses = [c for c in node.named_children if c.type == "for_in_clause"]
        first_iterable = clauses[0].child_by_field_name("right") if clauses else None
        if first_iterable is not None:
            self.visit(first_iterable)  # evaluated in the enclosing scope
        self.push_py("comprehension", node)
        for child in node.named_children:
            if clauses and child == clauses[0]:
                self.target(child.child_by_field_name("left"), "local")
                for index, sub in enumerate(child.children):
                    if child.field_name_for_child(index) not in ("left", "right"):
                        self.visit(sub)
            else:
                self.visit(child)
        self.pop_py()

    # -- pass 2 -----------------------------------------------------------------------------
    def resolve(self) -> None:
        for info in self.py.values():
            for name, spans in info.bindings.items():
                if info.scope is self.root:
                    continue  # module-level names are globals
                kinds = {kind for _, kind in spans}
                kind = next(k for k in ("parameter", "function", "class", "import", "pattern", "varargs", "local") if k in kinds)
                symbol = Symbol(name, info.scope, kind, [span for span, _ in spans])
                info.scope.symbols[name] = symbol
                self.symbols.append(symbol)
                if name in info.declared_global:
                    symbol.mark_unsafe("declared global/nonlocal")
                elif kind == "parameter":
                    symbol.mark_unsafe("parameter (callers may pass it by keyword)")
                elif kind in ("function", "class", "import"):
                    symbol.mark_unsafe(f"{kind} name")
                elif kind == "pattern":
                    symbol.mark_unsafe("match-pattern capture")
                elif info.scope.kind == "class":
                    symbol.mark_unsafe("class attribute")
                elif info.dynamic:
                    symbol.mark_unsafe("scope calls locals/vars/eval/exec/dir")
                elif name.startswith("__"):
                    symbol.mark_unsafe("name-mangled identifier")
        for info in self.py.values():
            for name, span in info.loads:
                symbol = self.resolve_load(name, info)
                if symbol is None:
                    self.unresolved.append((name, span))
                else:
                    symbol.uses.append(span)

    def resolve_load(self, name: str, info: _PyScope) -> Symbol | None:
        scope: Scope | None = info.scope
        first = True
        while scope is not None and scope is not self.root:
            current = self.py[id(scope)]
            if name in current.declared_global:
                return None
            # Class bodies are visible only to code directly inside them, not to nested scopes.
            if (first or scope.kind != "class") and name in scope.symbols:
                symbol = scope.symbols[name]
                if not first and info.scope.kind == "class":
                    symbol.mark_unsafe("referenced from a class body")
                return symbol
            first = False
            scope = scope.parent
        return None


def _descendants(node: Node, node_type: str) -> list[Node]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == node_type:
            found.append(current)
        stack.extend(reversed(current.children))
    return found


# ------------------------------------------------------------------------------------ JavaScript

_JS_FUNCTIONS = {
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "generator_function",
    "arrow_function",
    "method_definition",
}
_JS_SKIP = {
    "property_identifier",
    "private_property_identifier",
    "statement_identifier",
    "break_statement",
    "continue_statement",
    "comment",
    "regex",
    "hash_bang_line",
}


class _JavaScriptBuilder(_Builder):
    """JavaScript: ``var`` is hoisted to the function, ``let``/``const``/``class`` to their block.

    Every declaration of a scope is visible in the whole scope (hoisting; the temporal dead zone
    does not change *which* binding a name denotes), so declarations are collected first and uses
    are resolved afterwards. Parameters live in a scope of their own around the body: a default
    value sees earlier parameters and the enclosing scope, never the body's ``var``s.
    """

    def __init__(self, parsed: ParsedCode) -> None:
        super().__init__(parsed)
        self.pending: list[tuple[str, Span, Scope, bool]] = []
        self.var_decls: list[tuple[Symbol, Scope]] = []
        self.dynamic: str | None = None

    def function_scope(self) -> Scope:
        scope = self.current
        while scope.kind not in ("function", "root"):
            assert scope.parent is not None
            scope = scope.parent
        return scope

    def defer_use(self, node: Node, shorthand: bool = False) -> None:
        if self.p.in_snippet(node):
            self.pending.append((self.p.text(node), self.p.span(node), self.current, shorthand))

    def bind(self, node: Node, kind: str, scope: Scope | None = None, shorthand: bool = False,
             unsafe: str | None = None) -> None:
        symbol = self.declare(node, kind, unsafe, scope)
        if symbol is not None and shorthand:
            symbol.shorthand.append(self.p.span(node))
        if symbol is not None and scope is not None:  # ``var``: remember where it was written
            self.var_decls.append((symbol, self.current))

    def pattern(self, node: Node | None, kind: str | None, scope: Scope | None = None) -> None:
        """Bind (``kind`` given) or assign (``kind`` None) the names of a destructuring pattern."""
        if node is None:
            return
        t = node.type
        if t == "identifier":
            if kind is None:
                self.defer_use(node)
            else:
                self.bind(node, kind, scope)
        elif t == "shorthand_property_identifier_pattern":
            if kind is None:
                self.defer_use(node, shorthand=True)
            else:
                self.bind(node, kind, scope, shorthand=True)
        elif t in ("object_pattern", "array_pattern", "rest_pattern"):
            for child in node.named_children:
                self.pattern(child, kind, scope)
        elif t == "pair_pattern":
            key = node.child_by_field_name("key")
            if key is not None and key.type == "computed_property_name":
                self.visit(key)
            self.pattern(node.child_by_field_name("value"), kind, scope)
        elif t in ("assignment_pattern", "object_assignment_pattern"):
            self.pattern(node.child_by_field_name("left"), kind, scope)
            self.visit(node.child_by_field_name("right"))
        else:
            self.visit(node)  # member/subscript targets, defaults

    def visit(self, node: Node | None) -> None:
        if node is None:
            return
        t = node.type
        if t in _JS_SKIP:
            return
        if t in ("function_declaration", "generator_function_declaration"):
            name = node.child_by_field_name("name")
            if name is not None:
                # Inner function declarations are block-scoped in strict code and var-like in sloppy
                # code (Annex B); never rename them.
                self.bind(name, "function", unsafe="function name")
            self.function(node)
        elif t in _JS_FUNCTIONS:
            self.function(node)
        elif t in ("class_declaration", "class"):
            name = node.child_by_field_name("name")
            if name is not None and t == "class_declaration":
                self.bind(name, "class", unsafe="class name")
            self.push("classbody", node)
            if name is not None and t == "class":
                self.bind(name, "class", unsafe="class name")
            for child in node.named_children:
                if child != name:
                    self.visit(child)
            self.pop()
        elif t == "class_body":
            for child in node.named_children:
                if child.type == "field_definition":
                    prop = child.child_by_field_name("property")
                    if prop is not None and prop.type == "computed_property_name":
                        self.visit(prop)
                    value = child.child_by_field_name("value")
                    if value is not None:
                        self.push("function", value)  # an initializer runs like a method body
                        self.visit(value)
                        self.pop()
                else:
                    self.visit(child)
        elif t == "statement_block":
            self.push("block", node)
            self.visit_children(node)
            self.pop()
        elif t in ("for_statement", "for_in_statement"):
            self.push("for", node)
            if t == "for_in_statement":
                kind = node.child_by_field_name("kind")
                left = node.child_by_field_name("left")
                kind_text = self.p.text(kind) if kind is not None else None
                self.visit(node.child_by_field_name("right"))
                if kind_text == "var":
                    self.pattern(left, "local", self.function_scope())
                elif kind_text in ("let", "const"):
                    self.pattern(left, "local")
                else:
                    self.pattern(left, None)
                self.visit(node.child_by_field_name("body"))
            else:
                self.visit_children(node)
            self.pop()
        elif t == "catch_clause":
            self.push("catch", node)
            self.pattern(node.child_by_field_name("parameter"), "local")
            self.visit(node.child_by_field_name("body"))
            self.pop()
        elif t in ("variable_declaration", "lexical_declaration"):
            scope = self.function_scope() if t == "variable_declaration" else None
            for child in node.named_children:
                if child.type == "variable_declarator":
                    self.pattern(child.child_by_field_name("name"), "local", scope)
                    self.visit(child.child_by_field_name("value"))
        elif t in ("assignment_expression", "augmented_assignment_expression"):
            self.pattern(node.child_by_field_name("left"), None)
            self.visit(node.child_by_field_name("right"))
        elif t == "identifier":
            self.defer_use(node)
        elif t == "shorthand_property_identifier":
            self.defer_use(node, shorthand=True)
        elif t == "member_expression":
            self.visit(node.child_by_field_name("object"))
        elif t == "pair":
            key = node.child_by_field_name("key")
            if key is not None and key.type == "computed_property_name":
                self.visit(key)
            self.visit(node.child_by_field_name("value"))
        elif t == "labeled_statement":
            self.visit(node.child_by_field_name("body"))
        elif t == "with_statement":
            self.dynamic = "snippet uses `with`"
            self.visit_children(node)
        elif t == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "identifier" and self.p.text(function) == "eval":
                self.dynamic = "snippet calls eval"
            self.visit_children(node)
        else:
            self.visit_children(node)

    def function(self, node: Node) -> None:
        self.push("params", node)
        if node.type in ("function_expression", "function", "generator_function"):
            name = node.child_by_field_name("name")
            if name is not None:
                self.bind(name, "function", unsafe="function name")
        params = node.child_by_field_name("parameters")
        if params is not None:
            for param in params.named_children:
                self.pattern(param, "parameter")
        single = node.child_by_field_name("parameter")  # ``x => ...``
        if single is not None:
            self.pattern(single, "parameter")
        body = node.child_by_field_name("body")
        if body is not None:
            self.push("function", body)
            if body.type == "statement_block":
                self.visit_children(body)
            else:
                self.visit(body)
            self.pop()
        self.pop()

    def finish(self) -> ScopeAnalysis:
        for name, span, scope, shorthand in self.pending:
            symbol, _ = self.lookup(name, scope)
            if symbol is None:
                self.unresolved.append((name, span))
                continue
            symbol.uses.append(span)
            if shorthand:
                symbol.shorthand.append(span)
        for symbol, declared_in in self.var_decls:
            # ``var x`` inside ``catch (x)`` assigns the catch parameter; ``var p`` in a body whose
            # parameter is ``p`` is the parameter. Either way one name denotes two bindings.
            scope: Scope | None = declared_in
            while scope is not None and scope is not symbol.scope:
                other = scope.symbols.get(symbol.name)
                if other is not None:
                    other.mark_unsafe("var redeclares a parameter or catch variable")
                    symbol.mark_unsafe("var redeclares a parameter or catch variable")
                scope = scope.parent
            if symbol.scope.parent is not None:
                param = symbol.scope.parent.symbols.get(symbol.name)
                if param is not None and symbol.scope.kind == "function":
                    param.mark_unsafe("var redeclares a parameter")
                    symbol.mark_unsafe("var redeclares a parameter")
        for symbol in self.symbols:
            if symbol.scope is self.root:
                symbol.mark_unsafe("top-level (global) name")
            if self.dynamic:
                symbol.mark_unsafe(self.dynamic)
        return super().finish()


# -------------------------------------------------------------------------------------------- Go

_GO_SCOPED = {
    "if_statement",
    "for_statement",
    "expression_switch_statement",
    "select_statement",
    "expression_case",
    "default_case",
    "type_case",
    "communication_case",
}


class _GoBuilder(_Builder):
    """Go: block scopes, a declaration takes effect after its spec (``x := x + 1`` reads the outer
    ``x``); ``a, err := ...`` reuses an ``err`` already declared in the SAME scope; parameters,
    results and the top level of the body share one scope."""

    def visit(self, node: Node | None) -> None:
        if node is None:
            return
        t = node.type
        if t in ("function_declaration", "method_declaration", "func_literal"):
            name = node.child_by_field_name("name")
            if t == "function_declaration" and name is not None:
                self.declare(name, "function", "function name")
            self.push("function", node)
            for child in node.named_children:
                if child.type == "type_parameter_list":
                    for decl in child.named_children:
                        for index, sub in enumerate(decl.children):
                            if decl.field_name_for_child(index) == "name":
                                self.declare(sub, "type", "type parameter")
                            elif sub.is_named:
                                self.visit(sub)
            for field_name in ("receiver", "parameters", "result"):
                params = node.child_by_field_name(field_name)
                if params is None:
                    continue
                if params.type != "parameter_list":
                    self.visit(params)  # an unnamed result type
                    continue
                for param in params.named_children:
                    for index, sub in enumerate(param.children):
                        if param.field_name_for_child(index) == "name":
                            self.declare_name(sub, "parameter" if field_name != "result" else "result")
                        elif sub.is_named:
                            self.visit(sub)
            body = node.child_by_field_name("body")
            if body is not None:
                self.visit_children(body)  # same scope as the parameters
            self.pop()
        elif t == "block":
            self.push("block", node)
            self.visit_children(node)
            self.pop()
        elif t in _GO_SCOPED:
            self.push("block", node)
            self.visit_children(node)
            self.pop()
        elif t == "type_switch_statement":
            self.push("block", node)
            self.visit(node.child_by_field_name("initializer"))
            self.visit(node.child_by_field_name("value"))
            alias = node.child_by_field_name("alias")
            for child in alias.named_children if alias is not None else []:
                self.declare_name(child, "local")
            for child in node.named_children:
                if child.type in ("type_case", "default_case"):
                    self.visit(child)
            self.pop()
        elif t in ("short_var_declaration", "range_clause", "receive_statement"):
            left = node.child_by_field_name("left")
            self.visit(node.child_by_field_name("right"))
            defines = any(child.type == ":=" for child in node.children)
            for child in left.named_children if left is not None else []:
                if defines and child.type == "identifier":
                    name = self.p.text(child)
                    if name in self.current.symbols:
                        self.use(child)  # redeclaration in the same scope = assignment
                    else:
                        self.declare_name(child, "local")
                else:
                    self.visit(child)
        elif t in ("var_spec", "const_spec"):
            names = []
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "name":
                    names.append(child)
                elif child.is_named:
                    self.visit(child)
            for name in names:
                self.declare_name(name, "local")
        elif t == "type_spec" or t == "type_alias":
            self.visit(node.child_by_field_name("type"))
        elif t == "identifier":
            if self.p.text(node) != "_":
                self.use(node)
        elif t == "selector_expression":
            self.visit(node.child_by_field_name("operand"))
        elif t == "keyed_element":
            self.keyed_element(node)
        elif t in ("labeled_statement",):
            for child in node.named_children:
                if child.type != "label_name":
                    self.visit(child)
        else:
            self.visit_children(node)

    def declare_name(self, node: Node, kind: str) -> None:
        if self.p.text(node) != "_":
            self.declare(node, kind)

    def keyed_element(self, node: Node) -> None:
        key = node.child_by_field_name("key")
        literal = node.parent.parent if node.parent is not None else None
        literal_type = literal.child_by_field_name("type") if literal is not None and literal.type == "composite_literal" else None
        expression_keys = literal_type is not None and literal_type.type in ("map_type", "slice_type", "array_type")
        if key is not None and not expression_keys and len(key.named_children) == 1 and key.named_children[0].type == "identifier":
            # ``T{Name: v}``: Name is a struct field when T is a struct type, an expression when T
            # is a map; the type is often declared elsewhere, so never rename a local spelled so.
            ident = key.named_children[0]
            symbol, _ = self.lookup(self.p.text(ident), self.current)
            if symbol is not None:
                symbol.mark_unsafe("spelled like a composite-literal key")
        else:
            self.visit(key)
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) != "key" and child.is_named:
                self.visit(child)

    def finish(self) -> ScopeAnalysis:
        for symbol in self.symbols:
            if symbol.scope is self.root:
                symbol.mark_unsafe("package-level name")
        return super().finish()


_BUILDERS = {
    "c": _CBuilder,
    "java": _JavaBuilder,
    "python": _PythonBuilder,
    "javascript": _JavaScriptBuilder,
    "go": _GoBuilder,
}


# ----------------------------------------------------------------------------- C, query-driven
#
# The visitor above makes a Python call per node. For the common shape of a C snippet - ONE
# top-level function definition without typedefs, enumerators, function pointers, prototypes,
# K&R parameters or #define/#include lines - its result follows from a flat, source-ordered list
# of identifiers and scope-opening nodes that one query returns: every ``identifier`` the visitor
# visits is a use, except the function's name and the declared names (the identifier in the
# ``declarator`` field of a declaration, init/pointer/array declarator or parameter declaration),
# which are declared in the innermost scope (function, block, ``for``) containing them, in source
# order, exactly when the visitor declares them; names in ``#if``/``#ifdef`` conditions are
# marked unsafe and skipped as there; a ``type_identifier`` naming a visible variable (rare:
# ``sizeof(x)`` parsed as a type, or a real conflict) and every construct listed above make
# :func:`_analyze_c_query` give up (``None``), and the visitor runs instead.

_C_QUERY = """
(identifier) @id
(type_identifier) @tid
(compound_statement) @block
(for_statement) @for
(function_definition) @func
(parameter_list) @params
(function_declarator) @fdecl
(declaration declarator: (identifier) @decl)
(init_declarator declarator: (identifier) @decl)
(pointer_declarator declarator: (identifier) @decl)
(array_declarator declarator: (identifier) @decl)
(parameter_declaration declarator: (identifier) @decl)
[(preproc_if) (preproc_ifdef) (preproc_elif) (preproc_else)] @cond
[(type_definition) (enumerator) (parenthesized_declarator) (attributed_declarator) (preproc_def)
 (preproc_function_def) (preproc_call) (preproc_include) (ERROR)] @bail
"""
_C_COND_TYPES = ("preproc_elifdef",)  # in the grammar but not in every version: checked below


@lru_cache(maxsize=None)
def _c_query() -> Query:
    lang = ts_language("c")
    text = _C_QUERY
    extra = [t for t in _C_COND_TYPES if lang.id_for_node_kind(t, True) is not None]
    if extra:
        text += "[" + " ".join(f"({t})" for t in extra) + "] @cond\n"
    return Query(lang, text)


_C_PARAM_EXTRAS = frozenset({"type_qualifier", "storage_class_specifier", "comment"})


def _analyze_c_query(parsed: ParsedCode) -> ScopeAnalysis | None:
    """The :class:`_CBuilder` result for the common snippet shape, or ``None`` (see above)."""
    root = parsed.root
    if parsed.offset or root.has_error:
        return None
    caps = QueryCursor(_c_query()).captures(root)
    if "bail" in caps:
        return None
    funcs = caps.get("func", ())
    if len(funcs) != 1 or len(caps.get("params", ())) != 1 or len(caps.get("fdecl", ())) != 1:
        return None
    func = funcs[0]
    parent = func.parent
    if parent is None or parent.type != "translation_unit":
        return None
    if any(child.type == "declaration" for child in func.named_children):
        return None  # K&R parameter declarations
    node = func.child_by_field_name("declarator")
    while node is not None and node.type == "pointer_declarator":
        inner = node.child_by_field_name("declarator")
        if any(c.type not in ("type_qualifier", "comment") and c != inner for c in node.named_children):
            return None
        node = inner
    if node is None or node.type != "function_declarator":
        return None
    name = node.child_by_field_name("declarator")
    params = node.child_by_field_name("parameters")
    if name is None or name.type != "identifier" or params is None:
        return None
    if any(c.type != "comment" and c != name and c != params for c in node.named_children):
        return None
    for param in params.named_children:
        if param.type == "parameter_declaration":
            for index, child in enumerate(param.children):
                if child.is_named and child.type not in _C_PARAM_EXTRAS and \
                        param.field_name_for_child(index) not in ("type", "declarator"):
                    return None
        elif param.type not in ("variadic_parameter", "comment"):
            return None

    data = parsed.data
    size = len(data)
    unsafe_names: dict[str, str] = {}
    skip: list[tuple[int, int]] = []
    for cond in caps.get("cond", ()):
        for index, child in enumerate(cond.children):
            if cond.field_name_for_child(index) in ("name", "condition"):
                lo, hi = child.start_byte, child.end_byte
                skip.append((lo, hi))
                for word in words_in(data[lo:hi]):
                    unsafe_names.setdefault(word, "mentioned in a preprocessor directive")

    # Events in source order; at one offset a scope opens before the leaf that starts it. The
    # function's name is declared with the function scope; names in conditions are not visited.
    name_start = name.start_byte
    leaves = [(n.start_byte, 1, n.end_byte, None) for n in caps.get("id", ())]
    leaves += [(n.start_byte, 2, n.end_byte, None) for n in caps.get("tid", ())]
    if skip:
        leaves.sort()
        starts = [leaf[0] for leaf in leaves]
        hidden = {name_start}
        for lo, hi in skip:
            first = bisect_left(starts, lo)
            hidden.update(starts[first : bisect_left(starts, hi, first)])
        events = [leaf for leaf in leaves if leaf[0] not in hidden]
    else:
        events = [leaf for leaf in leaves if leaf[0] != name_start]
    events += [(n.start_byte, 0, n.end_byte, "block") for n in caps.get("block", ())]
    events += [(n.start_byte, 0, n.end_byte, "for") for n in caps.get("for", ())]
    events.append((func.start_byte, 0, func.end_byte, "function"))
    events.sort()
    declared = {n.start_byte for n in caps.get("decl", ())}
    params_start, params_end = params.start_byte, params.end_byte

    root_scope = Scope("root", 0, size)
    symbols: list[Symbol] = []
    unresolved: list[tuple[str, Span]] = []
    current = root_scope
    ends = [size + 1]
    stack = [root_scope]
    declared_names: set[str] = set()
    for start, rank, end, kind in events:
        if start >= ends[-1]:
            while start >= ends[-1]:
                ends.pop()
                stack.pop()
            current = stack[-1]
        if rank == 0:
            if kind == "function":
                # As the visitor: the name is declared in the enclosing scope first.
                fname = data[name_start : name.end_byte].decode("utf-8", errors="replace")
                symbol = current.symbols.get(fname)
                if symbol is None:
                    symbol = Symbol(fname, current, "function")
                    current.symbols[fname] = symbol
                    symbols.append(symbol)
                    declared_names.add(fname)
                symbol.declarations.append((name_start, name.end_byte))
                symbol.mark_unsafe("function name")
            scope = Scope(kind, min(start, size), min(end, size), current)
            current.children.append(scope)
            stack.append(scope)
            ends.append(end)
            current = scope
            continue
        text = data[start:end].decode("utf-8", errors="replace")
        if rank == 1 and start in declared:
            symbol = current.symbols.get(text)
            if symbol is None:
                symbol = Symbol(text, current, "parameter" if params_start <= start < params_end else "local")
                current.symbols[text] = symbol
                symbols.append(symbol)
                declared_names.add(text)
            symbol.declarations.append((start, end))
            continue
        if text not in declared_names:  # declared in no scope yet: the lookup would fail
            if rank == 1:
                unresolved.append((text, (start, end)))
            continue
        scope_: Scope | None = current
        found = None
        while scope_ is not None:
            found = scope_.symbols.get(text)
            if found is not None:
                break
            scope_ = scope_.parent
        if rank == 2:
            if found is not None and found.kind not in ("function", "enum_constant"):
                return None  # a type name that is also a variable: the visitor decides
            continue
        if found is None:
            unresolved.append((text, (start, end)))
        else:
            found.uses.append((start, end))
    for symbol in symbols:
        if symbol.name in unsafe_names:
            symbol.mark_unsafe(unsafe_names[symbol.name])
    return ScopeAnalysis("c", root_scope, symbols, unresolved)


# -------------------------------------------------------------------------- Java, query-driven
#
# As for C: the :class:`_JavaBuilder` result for the common shape of a snippet - methods (and
# constructors) in ONE class body, without fields, enum constants, nested or anonymous classes,
# patterns, method references or labels - from one query. Identifiers inside the subtrees the
# visitor skips (modifiers, annotations, scoped names, type arguments, throws, ...) and at the
# positions it never visits (method and class names, the field of a field access, the name of a
# method invocation) are left out; the others are uses, except the declared names (parameters of
# methods and lambdas, local variables, catch and resource variables, for-each variables - these
# take effect after the iterated expression, as in the visitor), declared in the innermost scope
# containing them. Anything else makes :func:`_analyze_java_query` give up (``None``).

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
(method_declaration parameters: (formal_parameters (formal_parameter name: (identifier) @parameter)))
(constructor_declaration parameters: (formal_parameters (formal_parameter name: (identifier) @parameter)))
(method_declaration parameters: (formal_parameters (spread_parameter (variable_declarator name: (identifier) @parameter))))
(constructor_declaration parameters: (formal_parameters (spread_parameter (variable_declarator name: (identifier) @parameter))))
(lambda_expression parameters: (formal_parameters (formal_parameter name: (identifier) @local)))
(lambda_expression parameters: (formal_parameters (spread_parameter (variable_declarator name: (identifier) @local))))
(lambda_expression parameters: (identifier) @local)
(lambda_expression parameters: (inferred_parameters (identifier) @local))
(local_variable_declaration declarator: (variable_declarator name: (identifier) @local))
(catch_formal_parameter name: (identifier) @local)
(resource name: (identifier) @local)
[(field_declaration) (constant_declaration) (enum_constant) (enum_body) (interface_body)
 (annotation_type_body) (record_declaration) (type_pattern) (record_pattern) (method_reference)
 (labeled_statement) (underscore_pattern) (formal_parameters) (ERROR)] @bail
(instanceof_expression name: (_)) @bail
"""
# ``formal_parameters`` are in @bail and checked in Python instead: only those of a method,
# constructor or lambda are allowed (a record's would declare record components).


@lru_cache(maxsize=None)
def _java_query() -> Query:
    return Query(ts_language("java"), _JAVA_QUERY)


_JAVA_PARAMETER_OWNERS = frozenset({"method_declaration", "constructor_declaration", "lambda_expression"})


def _analyze_java_query(parsed: ParsedCode) -> ScopeAnalysis | None:
    """The :class:`_JavaBuilder` result for the common snippet shape, or ``None`` (see above)."""
    root = parsed.root
    if root.has_error:
        return None
    caps = QueryCursor(_java_query()).captures(root)
    bail = caps.get("bail", ())
    for node in bail:
        if node.type != "formal_parameters":
            return None
        parent = node.parent
        if parent is None or parent.type not in _JAVA_PARAMETER_OWNERS:
            return None
    if len(caps.get("class", ())) > 1:
        return None
    data = parsed.data
    size = len(data)
    offset = parsed.offset

    # Identifiers the visitor never reaches: in a skipped subtree (found by binary search over
    # the identifiers, which are leaves with distinct starts), or at a position it does not visit.
    ids = sorted((n.start_byte, n.end_byte) for n in caps.get("id", ()))
    id_starts = [start for start, _ in ids]
    hidden = {n.start_byte for n in caps.get("notvisited", ())}
    for node in caps.get("skip", ()):
        first = bisect_left(id_starts, node.start_byte)
        last = bisect_left(id_starts, node.end_byte, first)
        if first < last:
            hidden.update(id_starts[first:last])

    # Events in source order; at one offset: a scope opens (0), a for-each variable is declared
    # (1: the visitor visits the iterated value first), an identifier (2).
    events = []
    for kind, name in (("method", "method"), ("block", "block"), ("for", "foreach"), ("catch", "catch"),
                       ("resources", "resources"), ("lambda", "lambda"), ("class", "class")):
        events += [(n.start_byte, 0, n.end_byte, kind) for n in caps.get(name, ())]
    for loop in caps.get("foreach", ()):
        name = loop.child_by_field_name("name")
        value = loop.child_by_field_name("value")
        if name is None or value is None or name.type != "identifier":
            return None
        events.append((value.end_byte, 1, name.end_byte, name.start_byte))
        hidden.add(name.start_byte)
    events += [(start, 2, end, None) for start, end in ids if start not in hidden]
    events.sort()
    kinds = {n.start_byte: "parameter" for n in caps.get("parameter", ())}
    kinds.update((n.start_byte, "local") for n in caps.get("local", ()))

    root_scope = Scope("root", 0, size)
    symbols: list[Symbol] = []
    unresolved: list[tuple[str, Span]] = []
    ends = [float("inf")]
    stack = [root_scope]
    current = root_scope
    declared_names: set[str] = set()
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
            start, kind = extra, "local"
        else:
            kind = kinds.get(start)
        lo, hi = start - offset, end - offset
        if lo < 0 or hi > size:
            continue  # in the wrapper
        text = data[lo:hi].decode("utf-8", errors="replace")
        if kind is not None:
            symbol = current.symbols.get(text)
            if symbol is None:
                symbol = Symbol(text, current, kind)
                current.symbols[text] = symbol
                symbols.append(symbol)
                declared_names.add(text)
            symbol.declarations.append((lo, hi))
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


_QUERY_ANALYSERS = {"c": _analyze_c_query, "java": _analyze_java_query}


def analyze(parsed: ParsedCode) -> ScopeAnalysis:
    """Build the scope tree of ``parsed`` and resolve every identifier use.

    Raises:
        KeyError: if the language has no scope analyser.
    """
    fast = _QUERY_ANALYSERS.get(parsed.language)
    if fast is not None:
        result = fast(parsed)
        if result is not None:
            return result
    builder = _BUILDERS[parsed.language](parsed)
    builder.visit(parsed.root)
    if isinstance(builder, _PythonBuilder):
        builder.resolve()
    return builder.finish()


def has_scope_analysis(language: str) -> bool:
    """Whether :func:`analyze` supports ``language``."""
    return language in _BUILDERS
