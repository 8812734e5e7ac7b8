"""C scope analysis: the visitor, and the query-driven fast path for one-function snippets."""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache

from tree_sitter import Node, Query, QueryCursor

from metacompress_eval.code.languages import ParsedCode, ts_language
from metacompress_eval.code.scopes.builder import ScopeBuilder, Visit
from metacompress_eval.code.scopes.core import Scope, ScopeAnalysis, Span, Symbol, register_language, words_in


class CScopeBuilder(ScopeBuilder):
    _PREPROC_OPAQUE = {"preproc_def", "preproc_function_def", "preproc_call", "preproc_include"}
    _PREPROC_COND = {"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else"}
    _DISPATCHED = frozenset(
        {"function_definition", "compound_statement", "for_statement", "declaration", "type_definition",
         "parameter_list", "identifier", "type_identifier", "enumerator", "field_expression", "field_identifier",
         "statement_identifier", "field_designator"} | _PREPROC_OPAQUE | _PREPROC_COND
    )

    def visit_leaf(self, node: Node) -> bool:
        t = node.type
        if t == "identifier":
            self.use(node)
        elif t == "type_identifier":
            self.type_identifier(node)
        else:
            return t in ("field_identifier", "statement_identifier")
        return True

    def visit(self, node: Node) -> Visit:
        t = node.type
        # The branches test distinct types; the most frequent one (``identifier``) goes first.
        if t == "identifier":
            self.use(node)
        elif t == "function_definition":
            yield self.visit_function(node)
        elif t == "compound_statement":
            self.push("block", node)
            yield from self.visit_children(node)
            self.pop()
        elif t == "for_statement":
            self.push("for", node)
            yield from self.visit_children(node)
            self.pop()
        elif t == "declaration":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "declarator":
                    yield self.declarator(child, "local")
                else:
                    yield child
        elif t == "type_definition":
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) != "declarator":
                    yield child
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
                yield value
        elif t == "field_expression":
            argument = node.child_by_field_name("argument")
            if argument is not None:
                yield argument
        elif t in self._PREPROC_OPAQUE:
            # Macro bodies are opaque text that may mention locals by name.
            self.mark_words_unsafe(node, "mentioned in a preprocessor directive")
        elif t in self._PREPROC_COND:
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) in ("name", "condition"):
                    self.mark_words_unsafe(child, "mentioned in a preprocessor directive")
                else:
                    yield child
        elif t in ("field_identifier", "statement_identifier", "field_designator"):
            return
        else:
            yield from self.visit_children(node)

    def visit_function(self, node: Node) -> Visit:
        declarator = node.child_by_field_name("declarator")
        func = declarator
        while func is not None and func.type != "function_declarator":
            func = func.child_by_field_name("declarator")
        if func is not None:
            name = func.child_by_field_name("declarator")
            if name is not None and name.type == "identifier":
                self.declare(name, "function", "function name")
        # K&R definitions, ``int area(w, h) int w; int h; { ... }``: the identifier list names the
        # parameters and the declarations between it and the body give their types. Both spell
        # the same parameter, so both are its declarations (a rename must change both lists).
        knr = [child for child in node.children if child.type == "declaration"]
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) not in ("declarator", "body") and child.type != "declaration":
                yield child
        self.push("function", node)
        if func is not None:
            params = func.child_by_field_name("parameters")
            for param in params.named_children if params is not None else []:
                if param.type == "parameter_declaration":
                    yield param.child_by_field_name("type")
                    inner = param.child_by_field_name("declarator")
                    if inner is not None:
                        yield self.declarator(inner, "parameter")
                elif param.type == "identifier":
                    self.declare(param, "parameter")
        for declaration in knr:
            for index, child in enumerate(declaration.children):
                if declaration.field_name_for_child(index) == "declarator":
                    yield self.declarator(child, "parameter")
                else:
                    yield child
        body = node.child_by_field_name("body")
        if body is not None:
            yield body
        self.pop()

    def declarator(self, node: Node, kind: str) -> Visit:
        t = node.type
        if t == "identifier":
            self.declare(node, kind)
        elif t == "init_declarator":
            yield self.declarator(node.child_by_field_name("declarator"), kind)
            value = node.child_by_field_name("value")
            if value is not None:
                yield value
        elif t == "function_declarator":
            inner = node.child_by_field_name("declarator")
            if inner is not None and inner.type == "identifier":
                self.declare(inner, "function", "function name")
            elif inner is not None:
                yield self.declarator(inner, kind)  # a function pointer variable
        elif t in ("pointer_declarator", "array_declarator", "parenthesized_declarator", "attributed_declarator"):
            for index, child in enumerate(node.children):
                if node.field_name_for_child(index) == "declarator" or child.type.endswith("declarator"):
                    yield self.declarator(child, kind)
                elif child.is_named:
                    yield child
        elif t == "type_identifier":
            return
        else:
            yield from self.visit_children(node)

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


# ---------------------------------------------------------------------------------- fast path
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
# :func:`analyze_c_query` give up (``None``), and the visitor runs instead.

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


def analyze_c_query(parsed: ParsedCode) -> ScopeAnalysis | None:
    """The :class:`CScopeBuilder` result for the common snippet shape, or ``None`` (see above)."""
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


register_language("c", CScopeBuilder, fast_path=analyze_c_query)
