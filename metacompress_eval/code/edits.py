"""Byte-range edits on the original snippet.

Transformations never re-print a syntax tree: they replace a few byte ranges and keep everything
else (formatting, comments) verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Edit:
    """Replace ``data[start:end]`` (byte offsets into the original snippet) by ``replacement``.

    ``start == end`` is an insertion.
    """

    start: int
    end: int
    replacement: str

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid edit range [{self.start}, {self.end})")


def apply_edits(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping ``edits`` to ``data`` and return the new bytes.

    Edits are applied in order of position, so offsets always refer to the unedited ``data``.
    Two insertions at the same offset are kept in the given order.

    Raises:
        ValueError: if two edits overlap or an edit lies outside ``data``.
    """
    ordered = sorted(enumerate(edits), key=lambda item: (item[1].start, item[1].end, item[0]))
    out: list[bytes] = []
    cursor = 0
    previous: Edit | None = None
    for _, edit in ordered:
        if edit.end > len(data):
            raise ValueError(f"edit [{edit.start}, {edit.end}) is outside the {len(data)}-byte input")
        if edit.start < cursor or (
            previous is not None and edit.start == previous.start and previous.end > previous.start
        ):
            raise ValueError(f"overlapping edits: {previous} and {edit}")
        out.append(data[cursor : edit.start])
        out.append(edit.replacement.encode("utf-8"))
        cursor = edit.end
        previous = edit
    out.append(data[cursor:])
    return b"".join(out)
