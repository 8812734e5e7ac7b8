"""Python scope analysis (function scopes, comprehensions, class bodies; two passes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.scopes.builder import ScopeBuilder, Visit
from metacompress_eval.code.scopes.core import Scope, ScopeAnalysis, Span, Symbol, register_language


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


class PythonScopeBuilder(ScopeBuilder):
    """Two passes: collect bindings per scope, then resolve loads with Python's LEGB rules."""

    _DISPATCHED = frozenset(
        {"function_definition", "lambda", "class_definition", "identifier", "attribute", "keyword_argument",
         "assignment", "augmented_assignment", "for_statement", "for_in_clause", "as_pattern", "named_expression",
         "delete_statement", "import_statement", "import_from_statement", "future_import_statement",
         "global_statement", "nonlocal_statement", "call", "case_pattern"} | _PY_COMPREHENSIONS
    )

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

    def target(self, node: Node, kind: str, walrus: bool = False) -> Visit:
        """Bind the names in an assignment target; attributes/subscripts are loads."""
        t = node.type
        if t == "identifier":
            if walrus:
                self.bind(node, kind, self.function_scope_for_walrus())
            else:
                self.bind(node, kind)
        elif t in _PY_TARGET_CONTAINERS:
            for child in node.named_children:
                yield self.target(child, kind, walrus)
        else:
            yield node

    def visit_leaf(self, node: Node) -> bool:
        if node.type == "identifier":
            self.load(node)
            return True
        return False

    def visit(self, node: Node) -> Visit:
        t = node.type
        if t == "function_definition":
            yield self.function(node)
        elif t == "lambda":
            yield self.lambda_(node)
        elif t == "class_definition":
            name = node.child_by_field_name("name")
            self.bind(name, "class")
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) not in ("name", "body"):
                    yield child
            self.push_py("class", node)
            yield node.child_by_field_name("body")
            self.pop_py()
        elif t == "decorated_definition":
            yield from self.visit_children(node)
        elif t in _PY_COMPREHENSIONS:
            yield self.comprehension(node)
        elif t == "identifier":
            self.load(node)
        elif t == "attribute":
            yield node.child_by_field_name("object")
        elif t == "keyword_argument":
            yield node.child_by_field_name("value")
        elif t == "assignment":
            left = node.child_by_field_name("left")
            if left is not None:
                yield self.target(left, "local")
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "left":
                    yield child
        elif t == "augmented_assignment":
            left = node.child_by_field_name("left")
            if left is not None:
                yield self.target(left, "local")
                if left.type == "identifier":
                    self.load(left)
            yield node.child_by_field_name("right")
        elif t in ("for_statement", "for_in_clause"):
            left = node.child_by_field_name("left")
            yield self.target(left, "local")
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "left":
                    yield child
        elif t == "as_pattern":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "alias":
                    yield self.target(child, "local")
                else:
                    yield child
        elif t == "named_expression":
            yield self.target(node.child_by_field_name("name"), "local", walrus=True)
            yield node.child_by_field_name("value")
        elif t == "delete_statement":
            for child in node.named_children:
                yield self.target(child, "local")
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
            yield from self.visit_children(node)
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
                yield from self.visit_children(node)
        else:
            yield from self.visit_children(node)

    def imports(self, node: Node) -> None:
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) != "name":
                continue
            if child.type == "aliased_import":
                self.bind(child.child_by_field_name("alias"), "import")
            elif child.type == "dotted_name" and child.named_children:
                self.bind(child.named_children[0], "import")

    def parameters(self, params: Node, function: _PyScope, outer_visit) -> Visit:
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
                        yield outer_visit(sub)
            elif t == "tuple_pattern":
                for sub in _descendants(param, "identifier"):
                    self.bind(sub, "parameter", function)

    def function(self, node: Node) -> Visit:
        self.bind(node.child_by_field_name("name"), "function")
        outer = self.stack[-1]
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) == "return_type":
                yield child
        info = self.push_py("function", node)
        params = node.child_by_field_name("parameters")

        def outer_visit(sub: Node) -> Visit:
            self.stack.append(outer)
            yield sub
            self.stack.pop()

        if params is not None:
            yield self.parameters(params, info, outer_visit)
        yield node.child_by_field_name("body")
        self.pop_py()

    def lambda_(self, node: Node) -> Visit:
        outer = self.stack[-1]
        info = self.push_py("lambda", node)

        def outer_visit(sub: Node) -> Visit:
            self.stack.append(outer)
            yield sub
            self.stack.pop()

        params = node.child_by_field_name("parameters")
        if params is not None:
            yield self.parameters(params, info, outer_visit)
        body = node.child_by_field_name("body")
        if body is not None:
            yield body
        self.pop_py()

    def comprehension(self, node: Node) -> Visit:
        clauses = [c for c in node.named_children if c.type == "for_in_clause"]
        first_iterable = clauses[0].child_by_field_name("right") if clauses else None
        if first_iterable is not None:
            yield first_iterable  # evaluated in the enclosing scope
        self.push_py("comprehension", node)
        for child in node.named_children:
            if clauses and child == clauses[0]:
                yield self.target(child.child_by_field_name("left"), "local")
                for index, sub in enumerate(child.children):
                    if child.field_name_for_child(index) not in ("left", "right"):
                        yield sub
            else:
                yield child
        self.pop_py()

    # -- pass 2 -----------------------------------------------------------------------------
    def build(self) -> ScopeAnalysis:
        """Collect bindings (the visit), then resolve every load."""
        self.run(self.visit(self.p.root))
        self.resolve()
        return self.finish()

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


register_language("python", PythonScopeBuilder)
