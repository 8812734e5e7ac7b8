"""Go scope analysis (block scopes, ``:=`` redeclaration, selectors and keys)."""

from __future__ import annotations

from tree_sitter import Node

from metacompress_eval.code.scopes.builder import ScopeBuilder, Visit
from metacompress_eval.code.scopes.core import ScopeAnalysis, register_language


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


class GoScopeBuilder(ScopeBuilder):
    """Go: block scopes, a declaration takes effect after its spec (``x := x + 1`` reads the outer
    ``x``); ``a, err := ...`` reuses an ``err`` already declared in the SAME scope; parameters,
    results and the top level of the body share one scope."""

    _DISPATCHED = frozenset(
        {"function_declaration", "method_declaration", "func_literal", "block", "type_switch_statement",
         "short_var_declaration", "range_clause", "receive_statement", "var_spec", "const_spec", "type_spec",
         "type_alias", "identifier", "selector_expression", "keyed_element", "labeled_statement"} | _GO_SCOPED
    )

    def visit_leaf(self, node: Node) -> bool:
        if node.type == "identifier":
            if self.p.text(node) != "_":
                self.use(node)
            return True
        return False

    def visit(self, node: Node | None) -> Visit:
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
                                yield sub
            for field_name in ("receiver", "parameters", "result"):
                params = node.child_by_field_name(field_name)
                if params is None:
                    continue
                if params.type != "parameter_list":
                    yield params  # an unnamed result type
                    continue
                for param in params.named_children:
                    for index, sub in enumerate(param.children):
                        if param.field_name_for_child(index) == "name":
                            self.declare_name(sub, "parameter" if field_name != "result" else "result")
                        elif sub.is_named:
                            yield sub
            body = node.child_by_field_name("body")
            if body is not None:
                yield from self.visit_children(body)  # same scope as the parameters
            self.pop()
        elif t == "block":
            self.push("block", node)
            yield from self.visit_children(node)
            self.pop()
        elif t in _GO_SCOPED:
            self.push("block", node)
            yield from self.visit_children(node)
            self.pop()
        elif t == "type_switch_statement":
            self.push("block", node)
            yield node.child_by_field_name("initializer")
            yield node.child_by_field_name("value")
            alias = node.child_by_field_name("alias")
            for child in alias.named_children if alias is not None else []:
                self.declare_name(child, "local")
            for child in node.named_children:
                if child.type in ("type_case", "default_case"):
                    yield child
            self.pop()
        elif t in ("short_var_declaration", "range_clause", "receive_statement"):
            left = node.child_by_field_name("left")
            yield node.child_by_field_name("right")
            defines = any(child.type == ":=" for child in node.children)
            for child in left.named_children if left is not None else []:
                if defines and child.type == "identifier":
                    name = self.p.text(child)
                    if name in self.current.symbols:
                        self.use(child)  # redeclaration in the same scope = assignment
                    else:
                        self.declare_name(child, "local")
                else:
                    yield child
        elif t in ("var_spec", "const_spec"):
            names = []
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "name":
                    names.append(child)
                elif child.is_named:
                    yield child
            for name in names:
                self.declare_name(name, "local")
        elif t == "type_spec" or t == "type_alias":
            yield node.child_by_field_name("type")
        elif t == "identifier":
            if self.p.text(node) != "_":
                self.use(node)
        elif t == "selector_expression":
            yield node.child_by_field_name("operand")
        elif t == "keyed_element":
            yield self.keyed_element(node)
        elif t in ("labeled_statement",):
            for child in node.named_children:
                if child.type != "label_name":
                    yield child
        else:
            yield from self.visit_children(node)

    def declare_name(self, node: Node, kind: str) -> None:
        if self.p.text(node) != "_":
            self.declare(node, kind)

    def keyed_element(self, node: Node) -> Visit:
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
            yield key
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) != "key" and child.is_named:
                yield child

    def finish(self) -> ScopeAnalysis:
        for symbol in self.symbols:
            if symbol.scope is self.root:
                symbol.mark_unsafe("package-level name")
        return super().finish()


register_language("go", GoScopeBuilder)
