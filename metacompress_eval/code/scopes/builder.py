"""The shared builder of the scope visitors: a scope stack, declarations, uses, unsafe names.

The visitors are written as if they recursed — ``visit`` handles one node and hands over the
nodes to visit next — but nothing recurses: ``visit`` and its helpers are generators that *yield*
a child node (visit it now, then come back) or a helper generator (run it now, then come back),
and :meth:`ScopeBuilder.run` drives them with an explicit stack. The order of every declaration
and use is exactly that of the recursive form, and a snippet nested ten thousand levels deep costs
ten thousand stack entries in a list, not ten thousand Python frames (``RecursionError``).
"""

from __future__ import annotations

from typing import Any, Iterator

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.scopes.core import Scope, ScopeAnalysis, Span, Symbol, words_in

#: What ``visit`` and the visiting helpers return: a generator yielding nodes to visit and helper
#: generators to run, in order (``None`` is skipped: an absent optional child).
Visit = Iterator[Any]


class ScopeBuilder:
    """Shared machinery of the per-language visitors: a scope stack, declaration and use recording.

    A language subclasses it, implements :meth:`visit` (a generator, see the module docstring) and
    may extend :meth:`finish`; :meth:`build` runs both.
    """

    def __init__(self, parsed: ParsedCode) -> None:
        self.p = parsed
        self.root = Scope("root", 0, len(parsed.data))
        self.current = self.root
        self.symbols: list[Symbol] = []
        self.unresolved: list[tuple[str, Span]] = []
        self.unsafe_names: dict[str, str] = {}
        # Every name declared so far in any scope: a name declared nowhere (a library call, a
        # macro) is looked up without walking the scope chain, which costs the nesting depth.
        self._declared: set[str] = set()

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
            self._declared.add(name)
        symbol.declarations.append(span)
        if unsafe:
            symbol.mark_unsafe(unsafe)
        return symbol

    def lookup(self, name: str, scope: Scope) -> tuple[Symbol | None, bool]:
        """Find ``name`` from ``scope`` outwards; also report whether a class body was crossed
        (only meaningful when the name is found). Symbols enter scopes through :meth:`declare`."""
        if name not in self._declared:
            return None, False
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

    def run(self, task: Visit) -> None:
        """Drive ``task`` and everything it yields to completion, depth first, without recursion."""
        stack = [task]
        visit, leaf, children, dispatched = self.visit, self.visit_leaf, self.visit_children, self._DISPATCHED
        while stack:
            try:
                item = next(stack[-1])
            except StopIteration:
                stack.pop()
                continue
            if item is None:
                continue
            if isinstance(item, Node):
                if not item.child_count:
                    # Most visited nodes are identifiers: handled at once, without a generator.
                    if leaf(item):
                        continue
                elif dispatched is not None and item.type not in dispatched:
                    stack.append(children(item))  # what visit's default branch would do
                    continue
                item = visit(item)
            stack.append(item)

    def build(self) -> ScopeAnalysis:
        """Visit the whole tree and return the analysis."""
        self.run(self.visit(self.p.root))
        return self.finish()

    def finish(self) -> ScopeAnalysis:
        for symbol in self.symbols:
            if symbol.name in self.unsafe_names:
                symbol.mark_unsafe(self.unsafe_names[symbol.name])
        return ScopeAnalysis(self.p.language, self.root, self.symbols, self.unresolved)

    # Node types with a branch of their own in ``visit``; ``None``: not listed for this language.
    # A leaf child of any other type would only fall through to ``visit_children`` (a no-op), so
    # it is not visited at all: about half of all nodes are such leaves (punctuation, keywords,
    # literals), and a Python-level visit per node dominates the analysis. An inner node of any
    # other type has its children visited directly by :meth:`run`, as the default branch would.
    _DISPATCHED: frozenset[str] | None = None

    def visit_children(self, node: Node) -> Iterator[Node]:
        """The children of ``node`` worth visiting, for ``yield from`` in :meth:`visit`."""
        dispatched = self._DISPATCHED
        if dispatched is None:
            yield from node.children
            return
        for child in node.children:
            if child.child_count or child.type in dispatched:
                yield child

    def visit(self, node: Node) -> Visit:  # pragma: no cover - overridden
        raise NotImplementedError

    def visit_leaf(self, node: Node) -> bool:
        """Handle a childless ``node`` exactly as :meth:`visit` would and return ``True``, or return
        ``False`` to let :meth:`visit` do it. A speed-up only: identifiers are most of the nodes."""
        return False
