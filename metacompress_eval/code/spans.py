"""Subtree and ancestor questions for many nodes of one tree, answered from spans in near-linear time.

Two costs make a per-candidate check superlinear in the size or nesting depth of a snippet:

* a walk of a candidate's subtree (``any(... for n in walk_tree(node))``) costs the subtree's size, so
  a check per nested loop or block costs the square of the nesting depth;
* ``node.parent``: tree-sitter computes it by descending from the root, so one call costs the depth
  of the node and a walk up the ancestors the square of it.

Spans of a tree nest or are disjoint, so both kinds of question can be answered from the nodes of a
few types, found by one query per snippet (:func:`~metacompress_eval.code.languages.nodes_of_types`)
and kept in pre-order:

* :class:`SpanIndex` counts the indexed nodes inside a span by binary search;
* :func:`enclosing` gives every indexed node its innermost indexed ancestor with one stack pass;
* :func:`with_ancestors` moves a single tree cursor through nodes given in pre-order and hands out
  each node's chain of ancestors (every tree edge is crossed at most twice in all), so ``parent``
  and ancestor tests cost nothing per node.

Indexes of a snippet are cached in ``parsed.analyses`` (:func:`type_index`).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Iterable, Iterator

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode, nodes_of_types

_BEFORE_ALL = -(1 << 62)


class SpanIndex:
    """Nodes of one tree (given in pre-order), searchable by the span that contains them."""

    __slots__ = ("nodes", "_keys")

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        # Pre-order of a tree is the order of (start, -end) (same-span runs aside, which keep their order).
        self._keys = [(n.start_byte, -n.end_byte) for n in nodes]

    def range_within(self, start: int, end: int) -> tuple[int, int]:
        """``(lo, hi)``: ``nodes[lo:hi]`` are the indexed nodes whose span lies within
        ``[start, end)`` and starts before ``end`` (empty nodes at ``end`` are left out)."""
        # Nodes starting at ``start`` but ending after ``end`` enclose the span: they sort first.
        lo = bisect_left(self._keys, (start, -end))
        hi = bisect_left(self._keys, (end, _BEFORE_ALL), lo)
        return lo, hi

    def within(self, node: Node) -> list[Node]:
        """The indexed nodes inside ``node``'s subtree, ``node`` itself included if indexed.

        An indexed node with the very same span as ``node`` is counted: it may be an ancestor
        (spans cannot tell), which callers that care rule out with :func:`same_span_is_descendant`.
        """
        lo, hi = self.range_within(node.start_byte, node.end_byte)
        return self.nodes[lo:hi]

    def any_within(self, node: Node, *, proper: bool = False) -> bool:
        """Whether an indexed node lies in ``node``'s subtree (``proper``: other than ``node``)."""
        lo, hi = self.range_within(node.start_byte, node.end_byte)
        if lo >= hi:
            return False
        nodes = self.nodes
        span = (node.start_byte, node.end_byte)
        for i in range(lo, hi):
            found = nodes[i]
            if (found.start_byte, found.end_byte) != span:
                return True  # strictly inside: a proper descendant
            if found.id == node.id:
                if not proper:
                    return True
                continue
            if same_span_is_descendant(node, found):
                return True
        return False


def same_span_is_descendant(node: Node, other: Node) -> bool:
    """Whether ``other`` (a distinct node with the very same span as ``node``) lies below ``node``
    (rare: a chain of single-child nodes). Walks ``node``'s subtree, but only down the children
    that have that very span."""
    span = (node.start_byte, node.end_byte)
    stack = [node]
    while stack:
        current = stack.pop()
        for child in current.children:
            if (child.start_byte, child.end_byte) == span:
                if child.id == other.id:
                    return True
                stack.append(child)
    return False


def type_index(parsed: ParsedCode, types: frozenset[str]) -> SpanIndex:
    """The :class:`SpanIndex` of every node of ``types`` in the snippet's tree (cached per snippet)."""
    key = ("span_index", types)
    index = parsed.analyses.get(key)
    if index is None:
        index = parsed.analyses[key] = SpanIndex(nodes_of_types(parsed.root, parsed.language, types))
    return index


def contains_type(parsed: ParsedCode, node: Node, types: frozenset[str], *, proper: bool = False) -> bool:
    """Whether ``nodes_of_types(node, language, types)`` finds a node (``proper``: other than
    ``node``), by binary search in a per-snippet index instead of a query (or walk) of the subtree.
    As there, a type the grammar has a named node for does not match a keyword token spelled the
    same (JavaScript's ``class``), which a walk comparing ``n.type`` would also find."""
    if not types:
        return False
    return type_index(parsed, types).any_within(node, proper=proper)


def enclosing(nodes: list[Node]) -> list[int]:
    """For ``nodes`` of one tree in pre-order: the index in ``nodes`` of each one's innermost proper
    ancestor among ``nodes`` (``-1`` when none is). One pass with a stack of open spans."""
    parents: list[int] = []
    stack: list[int] = []
    ends = [n.end_byte for n in nodes]
    starts = [n.start_byte for n in nodes]
    for i in range(len(nodes)):
        start, end = starts[i], ends[i]
        # Pre-order: an earlier node still open contains this one exactly when it ends no earlier
        # (spans nest or are disjoint; a disjoint earlier node ends at or before this start).
        while stack and (ends[stack[-1]] < end or (ends[stack[-1]] <= start and start != end)):
            stack.pop()
        parents.append(stack[-1] if stack else -1)
        stack.append(i)
    return parents


def with_ancestors(root: Node, nodes: Iterable[Node]) -> Iterator[tuple[Node, list[Node]]]:
    """Yield ``(node, path)`` for each of ``nodes`` (in pre-order, from ``root``'s tree),
    where ``path`` is the chain of nodes from ``root`` down to ``node`` (``path[-1]`` is ``node``,
    ``path[-2]`` its parent). ``path`` is one list updated in place: copy what must be kept.

    One tree cursor follows the nodes: it climbs to the deepest common ancestor of consecutive
    nodes and descends by byte offset to the next. In pre-order each tree edge is climbed and
    descended at most once, so the whole pass costs the size of the tree at most, however deep it
    is (``node.parent`` costs the depth per call).
    """
    cursor = root.walk()
    path = [root]
    for node in nodes:
        start, end = node.start_byte, node.end_byte
        if start == end:
            # An empty node (an empty block, a missing token) is not found by byte offset: rare,
            # so its ancestors are asked for one by one, leaving the cursor where it is.
            chain = [node]
            while chain[-1].parent is not None:
                chain.append(chain[-1].parent)
            yield node, chain[::-1]
            continue
        # Climb while the cursor's node is neither the target nor above it.
        while len(path) > 1 and not _holds(path[-1], node):
            cursor.goto_parent()
            path.pop()
        # Descend to the child holding the target's first byte until the target is reached.
        while path[-1].id != node.id:
            if cursor.goto_first_child_for_byte(start) is None:
                raise ValueError("node is not in the tree below the cursor (nodes not in pre-order?)")
            current = cursor.node
            if current.start_byte > start or current.end_byte < end:
                raise ValueError("node is not in the tree below the cursor")
            path.append(current)
        yield node, path


def _holds(ancestor: Node, node: Node) -> bool:
    """Whether ``ancestor`` (a node of the cursor's path) is ``node`` or above it."""
    if ancestor.id == node.id:
        return True
    if not (ancestor.start_byte <= node.start_byte and node.end_byte <= ancestor.end_byte):
        return False
    if (ancestor.start_byte, ancestor.end_byte) != (node.start_byte, node.end_byte):
        return True  # spans nest or are disjoint: a strictly larger span holds the node
    return same_span_is_descendant(ancestor, node)


def parents_of(root: Node, nodes: list[Node]) -> dict[int, Node | None]:
    """``{node.id: parent}`` for ``nodes`` (pre-order) in one cursor pass (see :func:`with_ancestors`)."""
    return {node.id: (path[-2] if len(path) > 1 else None) for node, path in with_ancestors(root, nodes)}

