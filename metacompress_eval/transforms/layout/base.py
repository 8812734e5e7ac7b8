"""Shared machinery of the layout family: line bookkeeping (which line starts are protected by a
string literal or a continuation) and the base class that checks Python follow-ups still compile.

Every layout transformation edits only whitespace and comments, never a token, and never a byte
inside a string literal (a multi-line Python docstring, a Java text block, a JS template or a Go
raw string keeps its exact value). Lines that continue a previous line ending in ``\\`` (C macro
bodies, Python explicit joins) are never touched either. Python follow-ups are additionally
checked with ``compile()`` when the source compiles."""

from __future__ import annotations

import random
import re
from bisect import bisect_left

from tree_sitter import Node

from metacompress_eval.code.edits import apply_edits
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.syntax import COMMENTS, LITERAL_TEXT_TYPES
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation


ALL_LANGUAGES = frozenset({"c", "java", "python", "javascript", "go"})


def string_spans(parsed: ParsedCode) -> list[tuple[int, int]]:
    """Spans of every string literal in the snippet (original offsets)."""
    spans = []
    outer_end = -1
    # Pre-order, so a literal nested in another one (inside a substitution) comes right after
    # it and lies inside its span: it is left out, as it is inside the literal anyway.
    for node in nodes_of_types(parsed.root, parsed.language, LITERAL_TEXT_TYPES[parsed.language]):
        if node.end_byte <= outer_end:
            continue
        outer_end = node.end_byte
        spans.append(parsed.span(node))
    return spans


def comment_nodes(parsed: ParsedCode) -> list[Node]:
    """Comment nodes that lie in the snippet, in source order."""
    return [n for n in nodes_of_types(parsed.root, parsed.language, COMMENTS) if parsed.in_snippet(n)]


_CONTINUATION = re.compile(rb"\\\r*\n")


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    pos = data.find(b"\n")
    while 0 <= pos < len(data) - 1:  # a final newline starts no line
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return starts


class Lines:
    """Line bookkeeping: which line starts are protected (inside a string, or continuations).

    String spans and comment nodes come from ONE query (each query costs a walk of the whole tree
    inside tree-sitter), run on first use: several transformations need only one of them, or
    neither. ``extra_types``: node types a transformation needs as well (see :attr:`extra`), so
    that its own query is merged into the same one.
    """

    def __init__(self, parsed: ParsedCode, extra_types: frozenset[str] = frozenset()) -> None:
        self.parsed = parsed
        self.data = parsed.data
        self.starts = _line_starts(parsed.data)
        # Text of each line (without its newline), parallel to ``starts``: a final newline starts
        # no line, so the empty piece after it is left out.
        self.texts = parsed.data.split(b"\n")[: len(self.starts)]
        self._extra_types = extra_types
        self._scanned = False

    def _scan(self) -> None:
        parsed = self.parsed
        string_types = LITERAL_TEXT_TYPES[parsed.language]
        strings = []
        comments = []
        extra = []
        outer_end = -1
        for node in nodes_of_types(parsed.root, parsed.language, string_types | COMMENTS | self._extra_types):
            t = node.type
            if t in self._extra_types:
                extra.append(node)
            if t in COMMENTS:
                if parsed.in_snippet(node):
                    comments.append(node)
            elif t in string_types and node.end_byte > outer_end:  # as in string_spans
                outer_end = node.end_byte
                strings.append(parsed.span(node))
        self._strings = sorted(strings)
        self._string_starts = [start for start, _ in self._strings]
        self._string_ends = [end for _, end in self._strings]
        self._comments = comments
        self._extra = extra
        self._scanned = True

    @property
    def strings(self) -> list[tuple[int, int]]:
        """Sorted spans of the string literals (as :func:`string_spans`)."""
        if not self._scanned:
            self._scan()
        return self._strings

    @property
    def comments(self) -> list[Node]:
        """The comment nodes in the snippet, in source order (as :func:`comment_nodes`)."""
        if not self._scanned:
            self._scan()
        return self._comments

    @property
    def extra(self) -> list[Node]:
        """The nodes of the ``extra_types``, in pre-order."""
        if not self._scanned:
            self._scan()
        return self._extra

    def inside_string(self, pos: int) -> bool:
        if not self._scanned:
            self._scan()
        # The spans are disjoint (nested literals are left out) and sorted, so only the last one
        # starting before ``pos`` can contain it: a binary search instead of a scan of all.
        i = bisect_left(self._string_starts, pos) - 1
        return i >= 0 and pos < self._string_ends[i]

    def continues(self, pos: int) -> bool:
        """Whether the line starting at ``pos`` continues a line that ends with a backslash."""
        # The byte before the newline at ``pos - 1``, skipping ``\r`` (no copy of the prefix).
        end = pos - 1
        while end > 0 and self.data[end - 1] == 0x0D:
            end -= 1
        return end > 0 and self.data[end - 1] == 0x5C

    def protected(self, pos: int) -> bool:
        return self.inside_string(pos) or self.continues(pos)

    def protected_lines(self) -> list[bool]:
        """:meth:`protected` of every line start, parallel to :attr:`starts`: one merge of the
        sorted line starts with the sorted string spans, for callers that ask about every line."""
        if not self._scanned:
            self._scan()
        data = self.data
        # Line starts after a backslash-continued line (what :meth:`continues` tests).
        continued = {m.end() for m in _CONTINUATION.finditer(data)} if b"\\" in data else ()
        string_starts, string_ends = self._string_starts, self._string_ends
        count = len(string_starts)
        index = 0  # strings starting before ``pos``: only the last of them can contain it
        mask = []
        for pos in self.starts:
            while index < count and string_starts[index] < pos:
                index += 1
            mask.append((index > 0 and pos < string_ends[index - 1]) or pos in continued)
        return mask

    def end_of_line(self, pos: int) -> int:
        """Offset of the newline ending the line containing ``pos`` (or ``len(data)``)."""
        end = self.data.find(b"\n", pos)
        return len(self.data) if end < 0 else end

    def leading(self, pos: int) -> bytes:
        end = self.end_of_line(pos)
        line = self.data[pos:end]
        return line[: len(line) - len(line.lstrip(b" \t"))]

    def blank(self, pos: int) -> bool:
        return self.data[pos : self.end_of_line(pos)].strip() == b""


def _python_compiles(code: str, wrapping: str) -> bool:
    source = code if wrapping == "none" else "if True:\n" + code + "\n"
    try:
        compile(source, "<layout>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


class LayoutTransformation(Transformation):
    """Shared tail: Python follow-ups must still compile when the source does."""

    family = "layout"

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        proposal = self.layout(parsed, rng, Lines(parsed, self._extra_types(parsed.language)))
        if isinstance(proposal, NotApplicable) or parsed.language != "python":
            return proposal
        if _python_compiles(parsed.code, parsed.wrapping):
            new = apply_edits(parsed.data, proposal.edits).decode("utf-8")
            if not _python_compiles(new, parsed.wrapping):
                return NotApplicable("follow-up would not compile")  # defensive; should not happen
        return proposal

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: Lines) -> Proposal | NotApplicable:
        raise NotImplementedError

    def _extra_types(self, language: str) -> frozenset[str]:
        """Node types the transformation queries besides strings and comments (see :class:`Lines`)."""
        return frozenset()
