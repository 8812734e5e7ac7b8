"""Byte-range edits on the original snippet.

Transformations never re-print a syntax tree: they replace a few byte ranges and keep everything
else (formatting, comments) verbatim.
"""

from __future__ import annotations

from collections import namedtuple
from operator import attrgetter
from typing import Iterable


class Edit(namedtuple("Edit", ("start", "end", "replacement"))):
    """Replace ``data[start:end]`` (byte offsets into the original snippet) by ``replacement``.

    ``start == end`` is an insertion. Immutable and hashable; compares equal to another edit with
    the same fields. Written as a ``tuple`` subclass with ``__slots__ = ()`` rather than a frozen
    dataclass: a renaming or re-indentation makes dozens of edits per snippet, and a frozen
    dataclass costs about three times as much to construct (one ``object.__setattr__`` per field).
    Unlike a plain named tuple, an edit never equals a tuple.
    """

    __slots__ = ()

    def __new__(cls, start: int, end: int, replacement: str) -> "Edit":
        if start < 0 or end < start:
            raise ValueError(f"invalid edit range [{start}, {end})")
        return tuple.__new__(cls, (start, end, replacement))

    def __repr__(self) -> str:
        return f"Edit(start={self[0]!r}, end={self[1]!r}, replacement={self[2]!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__

    def __getnewargs__(self) -> tuple[int, int, str]:
        return tuple(self)

    def _replace(self, **changes: object) -> "Edit":
        return Edit(*(changes.get(name, value) for name, value in zip(self._fields, self)))


# Sort key of edits by position. Python's sort is stable, so edits at the same position (two
# insertions) keep the order they were given in.
by_position = attrgetter("start", "end")


def apply_edits(data: bytes, edits: Iterable[Edit], *, ordered: bool = False) -> bytes:
    """Apply non-overlapping ``edits`` to ``data`` and return the new bytes.

    Edits are applied in order of position, so offsets always refer to the unedited ``data``.
    Two insertions at the same offset are kept in the given order. ``ordered``: the edits are
    sorted by position already (``sorted(edits, key=by_position)``), so they are not sorted again.

    Raises:
        ValueError: if two edits overlap or an edit lies outside ``data``.
    """
    if not ordered:
        edits = sorted(edits, key=by_position)
    out: list[bytes] = []
    append = out.append
    size = len(data)
    cursor = 0
    previous: Edit | None = None
    previous_start = -1
    for edit in edits:
        start, end, replacement = edit
        if end > size:
            raise ValueError(f"edit [{start}, {end}) is outside the {size}-byte input")
        # (``cursor`` is the previous edit's end.)
        if start < cursor or (start == previous_start and cursor > start):
            raise ValueError(f"overlapping edits: {previous} and {edit}")
        append(data[cursor:start])
        append(replacement.encode("utf-8"))
        cursor = end
        previous = edit
        previous_start = start
    append(data[cursor:])
    return b"".join(out)
