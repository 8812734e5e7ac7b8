"""JavaScript scope analysis (hoisting: declarations first, uses resolved afterwards)."""

from __future__ import annotations

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.scopes.builder import ScopeBuilder, Visit
from metacompress_eval.code.scopes.core import Scope, ScopeAnalysis, Span, Symbol, register_language


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


class JavaScriptScopeBuilder(ScopeBuilder):
    """JavaScript: ``var`` is hoisted to the function, ``let``/``const``/``class`` to their block.

    Every declaration of a scope is visible in the whole scope (hoisting; the temporal dead zone
    does not change *which* binding a name denotes), so declarations are collected first and uses
    are resolved afterwards. Parameters live in a scope of their own around the body: a default
    value sees earlier parameters and the enclosing scope, never the body's ``var``s.
    """

    _DISPATCHED = frozenset(
        {"function_declaration", "generator_function_declaration", "class_declaration", "class", "class_body",
         "statement_block", "for_statement", "for_in_statement", "catch_clause", "variable_declaration",
         "lexical_declaration", "assignment_expression", "augmented_assignment_expression", "identifier",
         "shorthand_property_identifier", "member_expression", "pair", "labeled_statement", "with_statement",
         "call_expression"} | _JS_FUNCTIONS | _JS_SKIP
    )

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

    def pattern(self, node: Node | None, kind: str | None, scope: Scope | None = None) -> Visit:
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
                yield self.pattern(child, kind, scope)
        elif t == "pair_pattern":
            key = node.child_by_field_name("key")
            if key is not None and key.type == "computed_property_name":
                yield key
            yield self.pattern(node.child_by_field_name("value"), kind, scope)
        elif t in ("assignment_pattern", "object_assignment_pattern"):
            yield self.pattern(node.child_by_field_name("left"), kind, scope)
            yield node.child_by_field_name("right")
        else:
            yield node  # member/subscript targets, defaults

    def visit_leaf(self, node: Node) -> bool:
        t = node.type
        if t == "identifier":
            self.defer_use(node)
        elif t == "shorthand_property_identifier":
            self.defer_use(node, shorthand=True)
        else:
            return t in _JS_SKIP
        return True

    def visit(self, node: Node | None) -> Visit:
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
            yield self.function(node)
        elif t in _JS_FUNCTIONS:
            yield self.function(node)
        elif t in ("class_declaration", "class"):
            name = node.child_by_field_name("name")
            if name is not None and t == "class_declaration":
                self.bind(name, "class", unsafe="class name")
            self.push("classbody", node)
            if name is not None and t == "class":
                self.bind(name, "class", unsafe="class name")
            for child in node.named_children:
                if child != name:
                    yield child
            self.pop()
        elif t == "class_body":
            for child in node.named_children:
                if child.type == "field_definition":
                    prop = child.child_by_field_name("property")
                    if prop is not None and prop.type == "computed_property_name":
                        yield prop
                    value = child.child_by_field_name("value")
                    if value is not None:
                        self.push("function", value)  # an initializer runs like a method body
                        yield value
                        self.pop()
                else:
                    yield child
        elif t == "statement_block":
            self.push("block", node)
            yield from self.visit_children(node)
            self.pop()
        elif t in ("for_statement", "for_in_statement"):
            self.push("for", node)
            if t == "for_in_statement":
                kind = node.child_by_field_name("kind")
                left = node.child_by_field_name("left")
                kind_text = self.p.text(kind) if kind is not None else None
                yield node.child_by_field_name("right")
                if kind_text == "var":
                    yield self.pattern(left, "local", self.function_scope())
                elif kind_text in ("let", "const"):
                    yield self.pattern(left, "local")
                else:
                    yield self.pattern(left, None)
                yield node.child_by_field_name("body")
            else:
                yield from self.visit_children(node)
            self.pop()
        elif t == "catch_clause":
            self.push("catch", node)
            yield self.pattern(node.child_by_field_name("parameter"), "local")
            yield node.child_by_field_name("body")
            self.pop()
        elif t in ("variable_declaration", "lexical_declaration"):
            scope = self.function_scope() if t == "variable_declaration" else None
            for child in node.named_children:
                if child.type == "variable_declarator":
                    yield self.pattern(child.child_by_field_name("name"), "local", scope)
                    yield child.child_by_field_name("value")
        elif t in ("assignment_expression", "augmented_assignment_expression"):
            yield self.pattern(node.child_by_field_name("left"), None)
            yield node.child_by_field_name("right")
        elif t == "identifier":
            self.defer_use(node)
        elif t == "shorthand_property_identifier":
            self.defer_use(node, shorthand=True)
        elif t == "member_expression":
            yield node.child_by_field_name("object")
        elif t == "pair":
            key = node.child_by_field_name("key")
            if key is not None and key.type == "computed_property_name":
                yield key
            yield node.child_by_field_name("value")
        elif t == "labeled_statement":
            yield node.child_by_field_name("body")
        elif t == "with_statement":
            self.dynamic = "snippet uses `with`"
            yield from self.visit_children(node)
        elif t == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "identifier" and self.p.text(function) == "eval":
                self.dynamic = "snippet calls eval"
            yield from self.visit_children(node)
        else:
            yield from self.visit_children(node)

    def function(self, node: Node) -> Visit:
        self.push("params", node)
        if node.type in ("function_expression", "function", "generator_function"):
            name = node.child_by_field_name("name")
            if name is not None:
                self.bind(name, "function", unsafe="function name")
        params = node.child_by_field_name("parameters")
        if params is not None:
            for param in params.named_children:
                yield self.pattern(param, "parameter")
        single = node.child_by_field_name("parameter")  # ``x => ...``
        if single is not None:
            yield self.pattern(single, "parameter")
        body = node.child_by_field_name("body")
        if body is not None:
            self.push("function", body)
            if body.type == "statement_block":
                yield from self.visit_children(body)
            else:
                yield body
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


register_language("javascript", JavaScriptScopeBuilder)
