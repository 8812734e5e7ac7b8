"""Renaming one resolved symbol: byte-range edits at every occurrence the scope analysis found.

Shared by the ``rename_variables`` transformation and the renaming attacks, so that both rename
exactly the same occurrences the same way.
"""

from __future__ import annotations

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.scopes import Span, Symbol


class OccurrenceMismatch(ValueError):
    """An occurrence span does not spell the symbol's name (the analysis is out of sync)."""


def symbol_edits(parsed: ParsedCode, symbol: Symbol, new_name: str,
                 occurrences: list[Span] | None = None) -> list[Edit]:
    """Edits renaming every occurrence of ``symbol`` (or only ``occurrences``) to ``new_name``;
    a JavaScript shorthand property ``{x}`` becomes ``{x: new}`` so that the key keeps its name.

    Raises:
        OccurrenceMismatch: if an occurrence does not spell the old name.
    """
    shorthand = set(symbol.shorthand)
    edits = []
    append = edits.append
    # ``Edit(start, end, replacement)`` for a range it accepts, without its checks in Python (a
    # renaming makes an edit per occurrence); other ranges still go through ``Edit`` (which raises).
    make = tuple.__new__
    data = parsed.data
    name = symbol.name
    encoded = name.encode("utf-8")
    for start, end in occurrences if occurrences is not None else symbol.occurrences():
        # Defensive: a span must spell the old name, or the analysis is out of sync. (Equal bytes
        # decode to the name; only other bytes need the decoding comparison.)
        chunk = data[start:end]
        if chunk != encoded and chunk.decode("utf-8", errors="replace") != name:
            raise OccurrenceMismatch(f"internal: occurrence of {name!r} at {start} does not match")
        replacement = f"{name}: {new_name}" if shorthand and (start, end) in shorthand else new_name
        append(make(Edit, (start, end, replacement)) if 0 <= start <= end else Edit(start, end, replacement))
    return edits
