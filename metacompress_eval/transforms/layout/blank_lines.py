"""``blank_lines``: insert or remove blank lines between statements."""

from __future__ import annotations

import random

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.transforms.base import NotApplicable, Proposal
from metacompress_eval.transforms.layout.base import ALL_LANGUAGES, LayoutTransformation, Lines
from metacompress_eval.transforms.sites import insertion_points, statement_site_types


def _statement_lines(parsed: ParsedCode, nodes: list[Node] | None = None) -> list[int]:
    """Line starts of the insertion-site statements that start their line (``nodes``: see
    :func:`~metacompress_eval.transforms.sites.insertion_points`)."""
    found = []
    for statement in insertion_points(parsed, nodes):
        start = parsed.span(statement)[0]
        if parsed.starts_line(start):
            found.append(parsed.line_start(start))
    return found


class BlankLines(LayoutTransformation):
    """Insert or remove blank lines between statements (never inside a string literal).

    ``mode``: ``"insert"`` (a blank line before 1-3 seeded statements that start their line),
    ``"remove"`` (1-3 existing blank lines between two non-blank lines) or ``"auto"`` (seeded
    choice among the modes that are possible).
    """

    name = "blank_lines"
    languages = ALL_LANGUAGES
    description = "Insert or remove blank lines between statements."
    default_params = {"mode": "auto"}

    def _extra_types(self, language: str) -> frozenset[str]:
        return statement_site_types(language)

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: Lines) -> Proposal | NotApplicable:
        insert_at = sorted({line for line in _statement_lines(parsed, lines.extra) if not lines.protected(line)})
        removable = []
        starts = lines.starts
        blank = [text.strip() == b"" for text in lines.texts]  # lines.blank of each line start
        # A removable blank line has a non-blank line somewhere before and somewhere after it.
        non_blank = [index for index, is_blank in enumerate(blank) if not is_blank]
        first, last = (non_blank[0], non_blank[-1]) if non_blank else (len(starts), -1)
        for index, pos in enumerate(starts):
            if not blank[index] or index == 0 or index + 1 >= len(starts) or lines.protected(pos):
                continue
            if blank[index - 1] and blank[index + 1]:
                continue
            if first < index < last:
                removable.append(pos)
        modes = [m for m, ok in (("insert", insert_at), ("remove", removable)) if ok]
        mode = self.params["mode"]
        if mode == "auto":
            if not modes:
                return NotApplicable("no statement line and no blank line")
            mode = rng.choice(modes)
        if mode == "insert":
            if not insert_at:
                return NotApplicable("no statement that starts a line")
            chosen = sorted(rng.sample(insert_at, rng.randint(1, min(3, len(insert_at)))))
            edits = [Edit(pos, pos, parsed.newline) for pos in chosen]
        elif mode == "remove":
            if not removable:
                return NotApplicable("no blank line between statements")
            chosen = sorted(rng.sample(removable, rng.randint(1, min(3, len(removable)))))
            edits = [Edit(pos, lines.end_of_line(pos) + 1, "") for pos in chosen]
        else:
            return NotApplicable(f"unknown mode {mode!r}")
        return Proposal(edits, {"mode": mode, "lines": [p for p in chosen]})
