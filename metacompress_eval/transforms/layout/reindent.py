"""``reindent``: change the indentation unit consistently."""

from __future__ import annotations

import io
import math
import random
import tokenize
from bisect import bisect_left

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.transforms.base import NotApplicable, Proposal
from metacompress_eval.transforms.layout.base import ALL_LANGUAGES, LayoutTransformation, Lines


def _inside_any(starts: list[int], ends: list[int], pos: int) -> bool:
    """Whether ``pos`` lies strictly inside one of the sorted, disjoint spans ``zip(starts, ends)``."""
    i = bisect_left(starts, pos) - 1
    return i >= 0 and pos < ends[i]


def _python_logical_rows(code: str) -> tuple[set[int], set[int]] | None:
    """Rows (1-based) that start a logical line, and rows that start inside a string token."""
    logical: set[int] = set()
    in_string: set[int] = set()
    at_start = True
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind = token.type
            if kind in (tokenize.NEWLINE, tokenize.NL):
                at_start = kind == tokenize.NEWLINE or at_start
                continue
            if kind in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            if kind == tokenize.COMMENT:
                continue
            if at_start:
                logical.add(token.start[0])
                at_start = False
            if kind == tokenize.STRING and token.end[0] > token.start[0]:
                in_string.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return logical, in_string


class Reindent(LayoutTransformation):
    """Change the indentation unit consistently (e.g. 4 spaces -> 2 spaces or a tab).

    Each line's leading whitespace is read as ``level`` units plus a remainder (alignment spaces),
    and rewritten as ``level`` new units plus the same remainder. Python: the unit is the gcd of the
    indentation of logical lines, so every block keeps a consistent, strictly nested indentation;
    continuation lines are scaled the same way (their indentation is free); lines inside strings are
    never touched. Parameters: ``unit`` (``None`` = seeded choice among 2 spaces, 4 spaces, 8
    spaces and a tab (not for Python), different from the current unit).
    """

    name = "reindent"
    languages = ALL_LANGUAGES
    description = "Change the indentation width / tabs consistently."
    default_params = {"unit": None}

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: Lines) -> Proposal | NotApplicable:
        rows = list(enumerate(lines.starts, start=1))
        python = parsed.language == "python"
        if python:
            info = _python_logical_rows(parsed.code)
            if info is None:
                return NotApplicable("Python source does not tokenize")
            logical, in_string = info
            candidates = [(row, pos) for row, pos in rows if row not in in_string and not lines.continues(pos)]
            structural = [lines.leading(pos) for row, pos in candidates if row in logical and not lines.blank(pos)]
        else:
            candidates = [row_pos for row_pos, protected in zip(rows, lines.protected_lines()) if not protected]
            # Lines inside a block comment are aligned (`` * ``), not indented: they are moved
            # with the rest but do not count when finding the unit. Comments are disjoint and in
            # source order, so a binary search finds the one that could contain a line start.
            in_comment = [parsed.span(n) for n in lines.comments]
            comment_starts, comment_ends = [s for s, _ in in_comment], [e for _, e in in_comment]
            texts = lines.texts
            structural = []
            for row, pos in candidates:
                text = texts[row - 1]
                if text.strip() != b"" and not _inside_any(comment_starts, comment_ends, pos):
                    structural.append(text[: len(text) - len(text.lstrip(b" \t"))])
        indents = [w for w in structural if w]
        if not indents:
            return NotApplicable("no indented lines")
        uses_tabs = any(b"\t" in w for w in indents)
        if uses_tabs:
            if any(not w.startswith(b"\t") or (python and w.strip(b"\t")) for w in indents):
                return NotApplicable("mixed tabs and spaces")
            current = "\t"
        else:
            widths = [len(w) for w in indents]
            if python:
                unit_width = 0
                for width in widths:
                    unit_width = math.gcd(unit_width, width)
            else:
                # Tolerate a few alignment lines (`` * `` of a block comment) when finding the unit.
                unit_width = next(
                    (u for u in (8, 4, 3, 2) if sum(w % u == 0 for w in widths) >= 0.9 * len(widths)), 1
                )
            if unit_width < 1:
                return NotApplicable("no indentation unit")
            current = " " * unit_width
        options = ["  ", "    ", "        "] + ([] if python else ["\t"])
        options = [o for o in options if o != current]
        new_unit = self.params["unit"] or rng.choice(options)
        if new_unit == current:
            return NotApplicable("the code already uses that indentation unit")
        if python and "\t" in new_unit:
            return NotApplicable("tabs are not used for Python")
        edits = []
        texts = lines.texts
        for row, pos in candidates:
            line = texts[row - 1]  # as lines.leading(pos) / lines.blank(pos), without a search
            leading = line[: len(line) - len(line.lstrip(b" \t"))]
            if not leading or line.strip() == b"":
                continue
            text = leading.decode("utf-8")
            if current == "\t":
                level = len(text) - len(text.lstrip("\t"))
                rest = text[level:]
            else:
                if "\t" in text:
                    continue  # a stray tab-aligned line: leave it alone
                level, remainder = divmod(len(text), len(current))
                rest = " " * remainder
            replacement = new_unit * level + rest
            if replacement != text:
                edits.append(Edit(pos, pos + len(leading), replacement))
        if not edits:
            return NotApplicable("nothing to reindent")
        return Proposal(edits, {"from_unit": current, "to_unit": new_unit, "lines": len(edits)})
