"""``rename_function``: rename the snippet's own function (or method) and its recursive calls."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.context import taken_names
from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, preproc_types, walk_tree
from metacompress_eval.code.names import FreshNames, case_style, corpus_summary
from metacompress_eval.code.scopes import Symbol, analyze, words_in
from metacompress_eval.code.spans import enclosing
from metacompress_eval.code.syntax import STRING_LITERAL_TYPES
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation


_JAVA_METHOD_DECLARATIONS = frozenset({"method_declaration"})
_JAVA_CALLS = frozenset({"method_reference", "method_invocation"})


# Java methods that override / implement a library method even without ``@Override``: renaming
# them would silently stop the override.
_JAVA_OVERRIDABLE = {
    "equals", "hashCode", "toString", "clone", "finalize", "compareTo", "compare", "run", "call",
    "close", "iterator", "hasNext", "next", "remove", "get", "apply", "accept", "test", "size",
    "actionPerformed", "onCreate", "onClick", "doGet", "doPost", "handle", "execute", "init",
    "start", "stop", "destroy", "service", "paint", "paintComponent", "main", "length", "charAt",
    "read", "write", "flush", "getMessage", "uncaughtException", "invoke",
}
_GO_SPECIAL_PREFIXES = ("Test", "Benchmark", "Example", "Fuzz")

# Words by which code reads the name of the function it runs in AS A VALUE (its frame, a stack
# element's method name, the compiler's ``__func__``): the name is then data, and renaming the
# function changes what it computes. Printed crash diagnostics (``printStackTrace``, Python
# tracebacks, ``assert`` failures, Go ``debug.PrintStack``, JavaScript ``.stack``) are left out on
# purpose: they also carry line numbers, which every layout transformation changes, so follow-ups
# never promise to keep them (and BigCloneBench alone has ``printStackTrace`` in 15% of methods).
# Python and JavaScript name them as attributes/properties (``inspect.stack`` is a namespace reader,
# see code/introspection.py), since such words are common local names there.
_OWN_NAME_WORDS = {
    "c": frozenset({"__func__", "__FUNCTION__", "__PRETTY_FUNCTION__"}),
    "java": frozenset({"getStackTrace", "getEnclosingMethod", "StackWalker", "getMethodName"}),
    "go": frozenset({"Caller", "Callers", "FuncForPC"}),
}
_OWN_NAME_ATTRIBUTES = {
    "python": ("attribute", "attribute", frozenset({"__name__", "__qualname__", "co_name", "__code__", "f_code"})),
    "javascript": ("member_expression", "property", frozenset({"callee"})),
}
# Languages whose function values carry their name (``f.__name__``, ``f.name``, what printing the
# function shows): any use of the function other than calling it may read it.
_NAMED_FUNCTION_VALUES = frozenset({"python", "javascript"})
_CALLS_BY_LANGUAGE = {"python": "call", "javascript": "call_expression"}


def own_name_observed(parsed: ParsedCode, old: str, spans) -> str | None:
    """Why renaming the snippet's function ``old`` (its occurrences at ``spans``, the definition
    first) would change what the program does, or ``None``: the code reads the name of the running
    function (``__func__``, stack traces, frames), a Python class nested in it carries the name in its
    ``__qualname__`` (shown by reprs), or a Python/JavaScript function value escapes
    (anything but a call: ``f.__name__``, ``g = f``, ``String(f)``)."""
    language = parsed.language
    readers = set(_OWN_NAME_WORDS.get(language, frozenset()) & words_in(parsed.data))
    if language in _OWN_NAME_ATTRIBUTES:
        node_type, field_name, names = _OWN_NAME_ATTRIBUTES[language]
        for node in nodes_of_types(parsed.root, language, frozenset({node_type})):
            attribute = node.child_by_field_name(field_name)
            if attribute is not None and parsed.text(attribute) in names:
                readers.add(parsed.text(attribute))
    if readers:
        return f"the code may read the running function's name ({', '.join(sorted(readers))})"
    if language == "python":
        from metacompress_eval.code.introspection import namespace_reader

        reason = namespace_reader(parsed)
        if reason is not None:
            return f"the code reads a namespace or frame ({reason})"
        for node in nodes_of_types(parsed.root, "python", frozenset({"class_definition"})):
            if parsed.in_snippet(node) and any(a.type == "function_definition" for a in _ancestors(node)):
                return "a class nested in it carries the name in its __qualname__ (and reprs)"
    if language in _NAMED_FUNCTION_VALUES:
        call = _CALLS_BY_LANGUAGE[language]
        for start, end in sorted(set(spans))[1:]:
            node = parsed.root.descendant_for_byte_range(start + parsed.offset, end + parsed.offset)
            parent = node.parent if node is not None else None
            if parent is not None and parent.type in ("attribute", "member_expression") and node in (
                    parent.child_by_field_name("attribute"), parent.child_by_field_name("property")):
                node, parent = parent, parent.parent  # ``self.name(...)``: the call's function is the attribute
            if parent is None or parent.type != call or parent.child_by_field_name("function") != node:
                if parent is not None and parent.type in ("function_definition", "function_declaration",
                                                          "generator_function_declaration"):
                    continue
                return "the function is used as a value (its name can be read)"
    return None


def _ancestors(node: Node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


class RenameFunction(Transformation):
    """Rename the snippet's own function (or method) and its recursive calls.

    Only the definition and the references that resolve to it are renamed (scope analysis for
    C, Python, JavaScript and Go; for Java, unqualified or ``this.``-qualified invocations with a
    matching argument count). Skipped: ``main``/``init``, constructors, Java methods annotated
    ``@Override`` or named like a well-known library method, overloaded names, decorated or
    dunder Python functions, Go methods (they may implement an interface), JavaScript code using
    ``eval``/``with``, names mentioned in a string literal (reflection) or a C preprocessor line,
    and functions whose name is data (:func:`own_name_observed`: ``__func__``, frames and stack
    traces, ``f.__name__``/``f.name`` or any other use of the function as a value, Python classes
    nested in it).

    Parameters:
        strategy: as for ``rename_variables`` (placeholder names are ``FUNC_0``; natural names are
            verbs such as ``compute``/``process_items`` in the style of the original name).
        corpus: for ``strategy="corpus"``: a ``{name: count}`` table of function names.
    """

    name = "rename_function"
    family = "renaming"
    languages = frozenset({"c", "java", "python", "javascript", "go"})
    description = "Rename the snippet's own function and its recursive calls to a fresh name."
    default_params = {"strategy": "natural", "corpus": None}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        string_types = STRING_LITERAL_TYPES[parsed.language]
        if parsed.language == "c":
            # One query for the literals and the preprocessor lines (each query walks the tree).
            queried = nodes_of_types(parsed.root, "c", string_types | preproc_types("c"))
            found = self._find_c(parsed, [n for n in queried if n.type.startswith("preproc_")])
            literals = [n for n in queried if n.type in string_types]
        else:
            found = getattr(self, f"_find_{parsed.language}")(parsed)
            literals = None
        if isinstance(found, NotApplicable):
            return found
        old, spans, shorthand = found
        if old in ("main", "init"):
            return NotApplicable(f"function {old!r} is an entry point")
        observed = own_name_observed(parsed, old, spans)
        if observed is not None:
            return NotApplicable(f"the function's name is data: {observed}")
        # Literals found by a query, not a walk over every node.
        if literals is None:
            literals = nodes_of_types(parsed.root, parsed.language, string_types)
        for node in literals:
            if old in words_in(parsed.data[slice(*parsed.span(node))]):
                return NotApplicable(f"{old!r} is mentioned in a string literal (reflection?)")
        style = case_style(old)
        style = {"lower": None, "upper": None}.get(style, style)
        if parsed.language == "python" and style is None:
            style = "snake"
        fresh = FreshNames(
            taken_names(parsed), parsed.language, self.params["strategy"], rng, role="function",
            corpus=self.params.get("corpus") if self.params.get("corpus") is not None else None,
            style=style,
        )
        if self.params["strategy"] == "corpus" and self.params.get("corpus") is None:
            # The built-in tables hold variable names; natural verbs suit a function better.
            fresh.strategy = "natural"
        new = fresh.new(old)
        edits = []
        for start, end in sorted(set(spans)):
            if parsed.data[start:end].decode("utf-8", errors="replace") != old:
                return NotApplicable(f"internal: occurrence of {old!r} at {start} does not match")
            edits.append(Edit(start, end, f"{old}: {new}" if (start, end) in shorthand else new))
        params = {"old": old, "new": new, "occurrences": len(edits), "recursive_calls": len(edits) - 1}
        return Proposal(edits, {**params, **corpus_summary(self.params.get("corpus"))})

    # -- per language: return (name, spans, shorthand spans) ----------------------------------

    @staticmethod
    def _root_symbol(parsed: ParsedCode, name_node: Node) -> Symbol | NotApplicable:
        analysis = analyze(parsed)
        span = parsed.span(name_node)
        for symbol in analysis.symbols:
            if span in symbol.declarations:
                return symbol
        return NotApplicable("internal: function name not found by the scope analysis")

    def _find_c(self, parsed: ParsedCode, preproc: list[Node] | None = None):
        """``preproc``: the preprocessor nodes in pre-order, when the caller has queried them."""
        for node in parsed.root.named_children:
            if node.type != "function_definition" or not parsed.in_snippet(node):
                continue
            func = node.child_by_field_name("declarator")
            while func is not None and func.type != "function_declarator":
                func = func.child_by_field_name("declarator")
            name = func.child_by_field_name("declarator") if func is not None else None
            if name is None or name.type != "identifier":
                continue
            old = parsed.text(name)
            if preproc is None:
                preproc = nodes_of_types(parsed.root, parsed.language, preproc_types(parsed.language))
            for other in preproc:
                if other.type.startswith("preproc_") and other.type not in ("preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif"):
                    if old in words_in(parsed.data[slice(*parsed.span(other))]):
                        return NotApplicable(f"{old!r} is mentioned in a preprocessor directive")
                if other.type in ("preproc_if", "preproc_ifdef", "preproc_elif"):
                    cond = other.child_by_field_name("condition") or other.child_by_field_name("name")
                    if cond is not None and old in words_in(parsed.data[slice(*parsed.span(cond))]):
                        return NotApplicable(f"{old!r} is mentioned in a preprocessor directive")
            if parsed.data.count(old.encode("utf-8")) == 1:
                # The name is spelled nowhere else in the snippet, so the scope analysis can only
                # find this declaration: every other occurrence of its symbol would spell it too.
                return old, [parsed.span(name)], set()
            symbol = self._root_symbol(parsed, name)
            if isinstance(symbol, NotApplicable):
                return symbol
            return old, symbol.occurrences(), set()
        return NotApplicable("no function definition")

    def _find_javascript(self, parsed: ParsedCode):
        for node in walk_tree(parsed.root):
            if node.type == "with_statement" or (
                node.type == "identifier" and parsed.text(node) == "eval"
            ):
                return NotApplicable("snippet uses eval/with")
        for node in parsed.root.named_children:
            if node.type in ("function_declaration", "generator_function_declaration") and parsed.in_snippet(node):
                name = node.child_by_field_name("name")
                symbol = self._root_symbol(parsed, name)
                if isinstance(symbol, NotApplicable):
                    return symbol
                return symbol.name, symbol.occurrences(), set(symbol.shorthand)
        return NotApplicable("no top-level function declaration")

    def _find_go(self, parsed: ParsedCode):
        for node in parsed.root.named_children:
            if node.type == "method_declaration" and parsed.in_snippet(node):
                return NotApplicable("Go method (renaming could break an interface implementation)")
            if node.type == "function_declaration" and parsed.in_snippet(node):
                name = node.child_by_field_name("name")
                old = parsed.text(name)
                if old.startswith(_GO_SPECIAL_PREFIXES):
                    return NotApplicable(f"{old!r} is found by the test tool by name")
                symbol = self._root_symbol(parsed, name)
                if isinstance(symbol, NotApplicable):
                    return symbol
                return old, symbol.occurrences(), set()
        return NotApplicable("no function declaration")

    def _find_python(self, parsed: ParsedCode):
        target = None
        for node in walk_tree(parsed.root):
            if node.type == "function_definition" and parsed.in_snippet(node):
                target = node
                break
        if target is None:
            return NotApplicable("no function definition")
        if target.parent is not None and target.parent.type == "decorated_definition":
            return NotApplicable("decorated function (a decorator may depend on the name)")
        name = target.child_by_field_name("name")
        old = parsed.text(name)
        if old.startswith("__") and old.endswith("__"):
            return NotApplicable("special method")
        for node in walk_tree(parsed.root):
            if node.type == "call":
                function = node.child_by_field_name("function")
                if function is not None and function.type == "identifier" and parsed.text(function) in (
                    "locals", "vars", "eval", "exec", "globals", "getattr", "setattr", "hasattr", "super",
                ):
                    return NotApplicable(f"snippet calls {parsed.text(function)}()")
        spans = [parsed.span(name)]
        params = target.child_by_field_name("parameters")
        first = params.named_children[0] if params is not None and params.named_children else None
        is_method = parsed.wrapping != "none" or (
            first is not None and first.type == "identifier" and parsed.text(first) in ("self", "cls")
        )
        if is_method:
            # A method is reached through ``self.name``/``cls.name``; a bare ``name`` would be a
            # global, not the method.
            receiver = parsed.text(first) if first is not None and first.type == "identifier" else None
            for node in walk_tree(target):
                if node.type == "attribute":
                    obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
                    if attr is not None and parsed.text(attr) == old:
                        if obj is None or obj.type != "identifier" or parsed.text(obj) != receiver:
                            return NotApplicable(f"{old!r} is accessed on another object")
                        spans.append(parsed.span(attr))
            return old, spans, set()
        analysis = analyze(parsed)
        # The def binds a module-level name: references to it are the loads that resolve to no
        # local (the analysis leaves module-level names unresolved).
        spans += [span for ref, span in analysis.unresolved if ref == old]
        # Every other identifier spelled ``old`` must be something else for sure (a local that
        # shadows it, a keyword-argument name); another module-level binding or a ``global old``
        # would be missed by the rename.
        allowed = set(spans)
        for symbol in analysis.symbols:
            if symbol.name == old:
                allowed |= set(symbol.occurrences())
        for node in walk_tree(parsed.root):
            if node.type == "attribute":
                attr = node.child_by_field_name("attribute")
                if attr is not None and parsed.text(attr) == old:
                    return NotApplicable(f"{old!r} is also used as an attribute")
            elif node.type == "keyword_argument":
                allowed.add(parsed.span(node.child_by_field_name("name")))
        for node in walk_tree(parsed.root):
            if node.type == "identifier" and parsed.in_snippet(node) and parsed.text(node) == old:
                if parsed.span(node) not in allowed:
                    return NotApplicable(f"{old!r} is also bound or declared global elsewhere")
        return old, spans, set()

    def _find_java(self, parsed: ParsedCode):
        methods = [n for n in nodes_of_types(parsed.root, "java", _JAVA_METHOD_DECLARATIONS) if parsed.in_snippet(n)]
        if not methods:
            return NotApplicable("no method declaration (constructors are never renamed)")
        target = methods[0]
        name = target.child_by_field_name("name")
        old = parsed.text(name)
        if old in _JAVA_OVERRIDABLE:
            return NotApplicable(f"{old!r} may override a library method")
        for child in target.named_children:
            if child.type == "modifiers" and "Override" in words_in(parsed.data[slice(*parsed.span(child))]):
                return NotApplicable("annotated @Override")
        if any(parsed.text(m.child_by_field_name("name")) == old for m in methods[1:]):
            return NotApplicable(f"{old!r} is overloaded in the snippet")
        params = target.child_by_field_name("parameters")
        arity = len([p for p in params.named_children if p.type == "formal_parameter"]) if params is not None else 0
        varargs = params is not None and any(p.type == "spread_parameter" for p in params.named_children)
        spans = [parsed.span(name)]
        # For each call, its innermost enclosing class body or ``target`` (whichever is closer), from
        # one query and one stack pass: a walk up each call's ancestors costs the depth squared.
        found = nodes_of_types(parsed.root, "java", _JAVA_CALLS | {"class_body", target.type})
        parents = enclosing(found)
        guard: list[Node | None] = []
        for i, node in enumerate(found):
            above = parents[i]
            if above < 0:
                guard.append(None)
            else:
                holder = found[above]
                guard.append(holder if holder.type == "class_body" or holder.id == target.id else guard[above])
        for node, nearest in zip(found, guard):
            if node.type not in _JAVA_CALLS:
                continue
            if node.type == "method_reference" and old in words_in(parsed.data[slice(*parsed.span(node))]):
                return NotApplicable(f"{old!r} is used in a method reference")
            if node.type != "method_invocation":
                continue
            call_name = node.child_by_field_name("name")
            if call_name is None or parsed.text(call_name) != old:
                continue
            obj = node.child_by_field_name("object")
            if obj is not None and obj.type != "this":
                return NotApplicable(f"{old!r} is called on another object")
            args = node.child_by_field_name("arguments")
            count = len(args.named_children) if args is not None else 0
            count -= sum(1 for a in (args.named_children if args is not None else []) if a.type in ("line_comment", "block_comment"))
            if varargs or count != arity:
                return NotApplicable(f"call of {old!r} with {count} arguments (overload outside the snippet?)")
            if nearest is not None and nearest.type == "class_body":
                # A class body between the call and ``target``, or around a call outside ``target``.
                return NotApplicable(f"{old!r} is called from a nested class body")
            spans.append(parsed.span(call_name))
        return old, spans, set()
