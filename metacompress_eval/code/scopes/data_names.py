"""Names that are data: symbols whose NAME the program observes, so no renamer may touch them.

Run by :func:`metacompress_eval.code.scopes.analyze` after every language's analysis, so the
transformations and the attacks (which share the renamer) see the same verdicts:

* Python: identifiers in an f-string ``=`` interpolation (``f"{total=}"`` prints ``total=``), and
  every variable of a function that reads its own namespace (``locals()``, ``vars()``, ``dir()``,
  ``eval``/``exec``, frame and code objects; see :mod:`metacompress_eval.code.introspection`) or
  of a function enclosing one (a closure's free variables appear in its ``locals()``);
* C: arguments a macro stringifies (``#p``, and ``assert``'s expression), pastes (``p ## q``), uses as a member name (``s.p``)
  or declares (``int p``); names that token pasting forms (``CAT(tot, al)`` is ``total``); words
  of context macros the snippet invokes (a ``#define`` in the enclosing file may mention a local);
  and, without a context, every identifier passed to an ALL_CAPS macro the snippet does not define
  (it could be any of the above) — recorded as *without context*;
* JavaScript: a binding that names the anonymous function or class it is initialised with
  (``const handler = () => 1`` has ``handler.name == "handler"``) when the value is used other
  than by calling it;
* every language: names spelled in statements that do not parse (their uses are invisible).
"""

from __future__ import annotations

import re
from typing import Callable

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.scopes.core import ScopeAnalysis, Symbol, words_in
from metacompress_eval.code.syntax import identifier_nodes

# Standard macros that stringify their argument: ``assert(total > 0)`` prints "Assertion `total > 0'
# failed". (The message also holds the line and the function's name; line numbers change under
# layout transformations anyway, so rename_function does not refuse for it: see _OWN_NAME_WORDS there.)
STRINGIFYING_LIBRARY_MACROS = frozenset({"assert"})

# Unsafe reasons that a context (the enclosing file) would settle start with this text.
WITHOUT_CONTEXT = "without context: "


class _BySpan:
    """The symbol of each occurrence span, indexed on the first lookup (most snippets need none)."""

    def __init__(self, analysis: ScopeAnalysis) -> None:
        self._analysis = analysis
        self._index: dict[tuple[int, int], Symbol] | None = None

    def get(self, span: tuple[int, int]) -> Symbol | None:
        if self._index is None:
            self._index = {}
            for symbol in self._analysis.symbols:
                for occurrence in symbol.occurrences():
                    self._index[occurrence] = symbol
        return self._index.get(span)


def _mark_names(analysis: ScopeAnalysis, names: set[str], reason: str) -> None:
    if names:
        for symbol in analysis.symbols:
            if symbol.name in names:
                symbol.mark_unsafe(reason)


def _python(parsed: ParsedCode, analysis: ScopeAnalysis, index: _BySpan) -> None:
    from metacompress_eval.code.introspection import namespace_readers, self_documenting_names

    for node in self_documenting_names(parsed):
        symbol = index.get(parsed.span(node))
        if symbol is not None:
            symbol.mark_unsafe("printed by an f-string '=' specifier")
    for scope_node, reason in namespace_readers(parsed):
        lo, hi = parsed.span(scope_node)
        for symbol in analysis.symbols:
            scope = symbol.scope
            if (lo <= scope.start and scope.end <= hi) or (scope.start <= lo and hi <= scope.end):
                symbol.mark_unsafe(f"the function reads its own namespace ({reason})")


def _c(parsed: ParsedCode, analysis: ScopeAnalysis, index: _BySpan) -> None:
    from metacompress_eval.code.macros import KNOWN_FUNCTION_MACROS, local_names, table_for

    table = table_for(parsed)
    declared = local_names(parsed)
    context = parsed.context
    invoked_from_context: set[str] = set()
    context_macros = getattr(context, "macros", {}) if context is not None else {}
    if context_macros:
        for node in nodes_of_types(parsed.root, "c", frozenset({"identifier"})):
            name = parsed.text(node)
            if name in context_macros and table.definition(name) is not None:
                invoked_from_context.add(name)
    for call in nodes_of_types(parsed.root, "c", frozenset({"call_expression"})):
        function = call.child_by_field_name("function")
        arguments = call.child_by_field_name("arguments")
        if function is None or function.type != "identifier" or arguments is None:
            continue
        name = parsed.text(function)
        args = [a for a in arguments.named_children if a.type != "comment"]
        definition = table.definition(name)
        if definition is None and name in STRINGIFYING_LIBRARY_MACROS and name not in declared:
            for argument in args:
                for node in identifier_nodes(argument):
                    symbol = index.get(parsed.span(node))
                    if symbol is not None:
                        symbol.mark_unsafe(f"stringified by {name} (its failure message prints the expression)")
            continue
        if definition is not None and definition.params is not None:
            for position in table.data_parameters(name):
                targets = args[position:] if definition.params[position] == "__VA_ARGS__" else args[position:position + 1]
                for argument in targets:
                    for node in identifier_nodes(argument):
                        symbol = index.get(parsed.span(node))
                        if symbol is not None:
                            symbol.mark_unsafe(f"used as a name by macro {name}")
            _mark_names(analysis, definition.pasted_names([parsed.text(a) for a in args]),
                        f"formed by token pasting in macro {name}")
        elif definition is None and name not in declared and name not in KNOWN_FUNCTION_MACROS \
                and table.is_macro(name):
            for argument in args:
                for node in identifier_nodes(argument):
                    symbol = index.get(parsed.span(node))
                    if symbol is not None:
                        symbol.mark_unsafe(f"{WITHOUT_CONTEXT}argument of {name}, a macro the snippet does not "
                                           "define (it may stringify or paste it)")
                    elif node.parent is None or node.parent.type != "call_expression":
                        # A word no declaration explains is likely pasted into a longer name
                        # (``CAT(tot, al)`` is ``total``): any local containing it may be meant.
                        word = parsed.text(node)
                        for other in analysis.symbols:
                            if word in other.name and other.name != word:
                                other.mark_unsafe(f"{WITHOUT_CONTEXT}may be formed by macro {name} from {word!r}")
    # A macro nobody defines may mention any local visible where it is used (Juliet's
    # ``CHAR_ARRAY_SIZE`` is ``(3 * sizeof(data) + 2)``): without the enclosing file such locals
    # cannot be renamed safely. Locals declared later or in other blocks can.
    if not table.complete:
        for node, name in macro_like_identifiers(parsed, lambda name: not (
                name in declared or table.definition(name) is not None or not table.is_macro(name))):
            parent = node.parent
            if parent is not None and parent.type == "call_expression" and name in KNOWN_FUNCTION_MACROS:
                continue
            if parent is not None and (parent.type.startswith("preproc_") or parent.type == "preproc_defined"):
                continue  # ``#ifdef X`` / ``defined(X)`` test a name; nothing is expanded there
            at = parsed.span(node)[0]
            for symbol in analysis.symbols:
                scope = symbol.scope
                if scope.start <= at < scope.end and symbol.declarations and min(symbol.declarations)[0] < at:
                    symbol.mark_unsafe(f"{WITHOUT_CONTEXT}visible where {name}, which may be a macro mentioning "
                                       "it, is used")
    # Macros of the context that the snippet invokes may mention its locals by name (transitively).
    pending = list(invoked_from_context)
    seen: set[str] = set()
    words: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        definition = table.definition(name)
        if definition is None:
            continue
        body_words = definition.words()
        words |= body_words
        pending.extend(w for w in body_words if table.definition(w) is not None)
    _mark_names(analysis, words, "mentioned by a macro of the context")


# Whole runs of word characters that look like macro names (capitals, digits, _), and runs that
# start with a digit and hold a capital or _ somewhere (an identifier may be glued to a number).
_CAPITAL_RUN = re.compile(rb"(?<![A-Za-z0-9_])[A-Z_][A-Z0-9_]+(?![A-Za-z0-9_])")
_NUMBER_RUN = re.compile(rb"(?<![A-Za-z0-9_])[0-9][A-Za-z0-9_]*[A-Z_][A-Za-z0-9_]*")
_WORD_START = re.compile(rb"[A-Za-z_]")


def macro_like_identifiers(parsed: ParsedCode, test: Callable[[str], bool]) -> list[tuple[Node, str]]:
    """The identifier nodes of ``parsed`` (in pre-order) whose name looks like a macro's
    (:func:`~metacompress_eval.code.macros.looks_like_macro`) and passes ``test`` (a function of the
    name only, asked once per distinct name), with their names.

    The text is searched instead of the tree, so that the other identifiers never become Python
    objects: an identifier is the longest token there is, so one spelled in capitals is a whole run
    of word characters, or - glued to a number before it (``1UL``, ``1FOO``) - the end of a run
    from one of its letters. Each such word that passes is looked up in the tree and kept if it is
    an identifier node (not a comment, a string, a number suffix or a piece of a longer identifier).
    """
    from metacompress_eval.code.macros import looks_like_macro

    def passes(text: str) -> bool:
        return looks_like_macro(text) and test(text)

    if parsed.offset:  # (C snippets are parsed without a wrapper) every identifier, from the tree
        return [(node, name) for node in nodes_of_types(parsed.root, parsed.language, frozenset({"identifier"}))
                if passes(name := parsed.text(node))]
    data = parsed.data
    words = [(m.start(), m.end()) for m in _CAPITAL_RUN.finditer(data)]
    for run in _NUMBER_RUN.finditer(data):
        start, end = run.span()
        words += [(start + m.start(), end) for m in _WORD_START.finditer(run.group())]
    words.sort()
    verdicts: dict[bytes, bool] = {}
    found = []
    at = parsed.root.descendant_for_byte_range
    for start, end in words:
        word = data[start:end]
        ok = verdicts.get(word)
        if ok is None:
            ok = verdicts[word] = passes(word.decode("ascii"))
        if not ok:
            continue
        node = at(start, end)
        if node is not None and node.start_byte == start and node.end_byte == end and node.type == "identifier":
            found.append((node, word.decode("ascii")))
    return found


_JS_ANONYMOUS = frozenset({"function_expression", "function", "arrow_function", "class", "generator_function"})


def _javascript(parsed: ParsedCode, analysis: ScopeAnalysis, index: _BySpan) -> None:
    # ``const handler = function () {}`` names the function ``handler`` (its ``.name``, what
    # console.log and stack traces show). Renaming the binding renames the function; that is only
    # observable where the value escapes: any use other than a call ``handler(...)``.
    named: dict[int, Symbol] = {}
    for node in nodes_of_types(parsed.root, "javascript", frozenset({"variable_declarator", "assignment_expression"})):
        target = node.child_by_field_name("name") or node.child_by_field_name("left")
        value = node.child_by_field_name("value") or node.child_by_field_name("right")
        if target is None or value is None or target.type != "identifier" or value.type not in _JS_ANONYMOUS:
            continue
        if value.child_by_field_name("name") is not None:
            continue  # ``function inner() {}`` keeps its own name
        symbol = index.get(parsed.span(target))
        if symbol is not None:
            named[id(symbol)] = symbol
    if not named:
        return
    for node in nodes_of_types(parsed.root, "javascript", frozenset({"identifier"})):
        symbol = index.get(parsed.span(node))
        if symbol is None or id(symbol) not in named:
            continue
        parent = node.parent
        if parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == node:
            continue
        if parent is not None and parent.type in ("variable_declarator", "assignment_expression") and (
                parent.child_by_field_name("name") == node or parent.child_by_field_name("left") == node):
            continue
        symbol.mark_unsafe("names the anonymous function it holds (its .name), and the function value escapes")


def mark_data_names(parsed: ParsedCode, analysis: ScopeAnalysis) -> ScopeAnalysis:
    """Mark the symbols of ``analysis`` whose names are data as unsafe to rename (in place)."""
    index = _BySpan(analysis)
    if parsed.language == "python":
        _python(parsed, analysis, index)
    elif parsed.language == "c":
        _c(parsed, analysis, index)
    elif parsed.language == "javascript":
        _javascript(parsed, analysis, index)
    for lo, hi in parsed.error_regions:
        _mark_names(analysis, words_in(parsed.data[lo:hi]), "spelled in a statement that does not parse")
    return analysis


__all__ = ["STRINGIFYING_LIBRARY_MACROS", "WITHOUT_CONTEXT", "macro_like_identifiers", "mark_data_names"]
