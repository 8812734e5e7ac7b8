"""Python code that reads its own namespace or prints names: where names are data.

Two ways a Python function turns the NAMES of its variables into behaviour:

* it reads its namespace: ``locals()``, ``vars()`` or ``dir()`` without arguments, ``eval``/``exec``
  (their strings name locals, and they see the namespace), any of these used as a value
  (``getter = locals``, ``builtins.locals()``), ``sys._getframe()`` / ``_getframe()`` /
  ``inspect.currentframe()`` and frame or code attributes (``f_locals``, ``co_varnames``,
  ``__code__``, ...). A name inserted into such a function (even a never-executed one: it is still
  in ``co_varnames``) or renamed in it shows up in the result;
* an f-string ``=`` specifier prints the expression's text: ``f"{total=}"`` prints ``total=12``.

:func:`namespace_reader` tells whether (and why) a scope reads its namespace;
:func:`self_documenting_names` lists the identifiers inside ``=`` interpolations.
"""

from __future__ import annotations

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.syntax import identifier_nodes

NAMESPACE_CALLS = frozenset({"locals", "vars", "dir", "eval", "exec", "globals"})
# ``vars(x)`` / ``dir(x)`` read ``x``'s attributes, not the namespace; these only count bare.
_ONLY_WITHOUT_ARGUMENTS = frozenset({"vars", "dir"})
FRAME_CALLS = frozenset({"_getframe", "currentframe", "stack", "getouterframes", "getframeinfo", "trace"})
FRAME_ATTRIBUTES = frozenset({"f_locals", "f_globals", "f_code", "co_varnames", "co_nlocals", "co_names",
                              "co_cellvars", "co_freevars", "__code__", "tb_frame", "gi_frame", "cr_frame"})
_SCOPES = frozenset({"function_definition", "lambda", "class_definition", "module"})


_BUILTIN_MODULES = frozenset({"builtins", "__builtins__"})
_VALUE_READERS = NAMESPACE_CALLS | {"_getframe", "currentframe"}


def _reference_reason(parsed: ParsedCode, node: Node) -> str | None:
    """A namespace reader used other than by a plain call: ``getter = locals``, ``helper(vars)``,
    ``builtins.locals()``, ``from sys import _getframe; _getframe()`` (the function value may be
    called anywhere, so its mere mention counts)."""
    parent = node.parent
    if node.type == "identifier":
        name = parsed.text(node)
        if name in FRAME_CALLS and name.startswith(("_getframe", "currentframe")):
            return f"inspects its frame ({name})"
        if name not in NAMESPACE_CALLS or parent is None:
            return None
        if parent.type == "call" and parent.child_by_field_name("function") == node:
            return None  # a plain call: judged by _call_reason
        if parent.type in ("attribute", "keyword_argument", "import_from_statement", "dotted_name", "aliased_import",
                           "function_definition", "parameters", "default_parameter"):
            return None  # ``x.eval``, ``f(dir=1)``: another name spelled the same
        return f"uses {name} as a value"
    if node.type == "attribute":
        obj, attribute = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if (obj is not None and attribute is not None and obj.type == "identifier"
                and parsed.text(obj) in _BUILTIN_MODULES and parsed.text(attribute) in NAMESPACE_CALLS):
            return f"uses {parsed.text(node)}"
    return None


def _call_reason(parsed: ParsedCode, call: Node) -> str | None:
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if function is None:
        return None
    if function.type == "identifier":
        name = parsed.text(function)
        if name in NAMESPACE_CALLS:
            if name in _ONLY_WITHOUT_ARGUMENTS and arguments is not None and arguments.named_children:
                return None
            return f"calls {name}()"
        return None
    if function.type == "attribute":
        attribute = function.child_by_field_name("attribute")
        if attribute is not None and parsed.text(attribute) in FRAME_CALLS:
            return f"inspects its frame ({parsed.text(function)})"
    return None


def namespace_readers(parsed: ParsedCode) -> list[tuple[Node, str]]:
    """``(scope node, reason)`` for every scope (function, lambda, class body, module) of a Python
    snippet whose code reads a namespace; the innermost scope of each reading site is reported."""
    if parsed.language != "python":
        return []
    cached = parsed.analyses.get("namespace_readers")
    if cached is not None:
        return cached  # asked once per insertion site: one query per snippet, not per site
    found: list[tuple[Node, str]] = []
    # Identifiers matter only when a reader's name is spelled at all (a byte search is far cheaper
    # than decoding every identifier of the snippet).
    kinds = {"call", "attribute"}
    if any(name.encode() in parsed.data for name in _VALUE_READERS):
        kinds.add("identifier")
    for node in nodes_of_types(parsed.root, "python", frozenset(kinds)):
        reason = None
        if node.type == "call":
            reason = _call_reason(parsed, node)
        elif node.type == "identifier":
            reason = _reference_reason(parsed, node)
        else:
            attribute = node.child_by_field_name("attribute")
            if attribute is not None and parsed.text(attribute) in FRAME_ATTRIBUTES:
                reason = f"reads {parsed.text(attribute)}"
            else:
                reason = _reference_reason(parsed, node)
        if reason is None:
            continue
        scope = node.parent
        while scope is not None and scope.type not in _SCOPES:
            scope = scope.parent
        found.append((scope if scope is not None else parsed.root, reason))
    parsed.analyses["namespace_readers"] = found
    return found


def namespace_reader(parsed: ParsedCode, within: Node | None = None) -> str | None:
    """Why code of the snippet (or of ``within``'s subtree, or of a function enclosing
    ``within``) reads its own namespace; ``None`` when none does."""
    for scope, reason in namespace_readers(parsed):
        if within is None:
            return reason
        if scope.start_byte <= within.start_byte and within.end_byte <= scope.end_byte:
            return reason  # ``within`` lies in the reading scope
        if within.start_byte <= scope.start_byte and scope.end_byte <= within.end_byte:
            return reason  # the reading scope lies in ``within``
    return None


def self_documenting_names(parsed: ParsedCode) -> list[Node]:
    """Identifiers inside f-string interpolations with an ``=`` specifier (``f"{total=}"``): their
    text is printed, so they must keep their names."""
    if parsed.language != "python":
        return []
    found: list[Node] = []
    for node in nodes_of_types(parsed.root, "python", frozenset({"interpolation"})):
        if not any(child.type == "=" for child in node.children):
            continue
        expression = node.child_by_field_name("expression") or (node.named_children[0] if node.named_children else None)
        if expression is None:
            continue
        found.extend(identifier_nodes(expression))
    return found


__all__ = ["FRAME_ATTRIBUTES", "FRAME_CALLS", "NAMESPACE_CALLS", "namespace_reader", "namespace_readers",
           "self_documenting_names"]
