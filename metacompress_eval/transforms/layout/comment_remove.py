"""``comment_remove``: remove existing comments (all, or one seeded comment)."""

from __future__ import annotations

import random
import re

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.transforms.base import NotApplicable, Proposal
from metacompress_eval.transforms.layout.base import ALL_LANGUAGES, LayoutTransformation, Lines


_PY_KEEP = re.compile(r"#\s*(type:|pragma|noqa|pylint|fmt:|isort|mypy|pyright)")
_PY_ENCODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
_GO_KEEP = ("//go:", "//export", "// +build", "//line", "//nolint", "//lint:")


class CommentRemove(LayoutTransformation):
    """Remove existing comments (``mode="all"``, default, or one seeded comment: ``"one"``).

    A comment alone on its line(s) is removed with its line; a trailing comment with the spaces
    before it; a comment between tokens becomes a space (a newline for a multi-line comment in
    JavaScript/Go, where such a comment counts as a line break for semicolon insertion). Kept:
    Python ``# type:``/pragma/noqa comments, shebang and encoding lines; Go ``//go:`` directives
    and every comment of a cgo file.
    """

    name = "comment_remove"
    languages = ALL_LANGUAGES
    description = "Remove existing comments."
    default_params = {"mode": "all"}

    def _keep(self, parsed: ParsedCode, text: str, start: int) -> bool:
        if parsed.language == "python":
            if _PY_KEEP.match(text) or (start == 0 and text.startswith("#!")):
                return True
            line_number = parsed.data[:start].count(b"\n")
            return line_number < 2 and bool(_PY_ENCODING.match(text))
        if parsed.language == "go":
            return text.startswith(_GO_KEEP) or 'import "C"' in parsed.code
        return False

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: Lines) -> Proposal | NotApplicable:
        data = parsed.data
        comments = [n for n in lines.comments if not self._keep(parsed, parsed.text(n), parsed.span(n)[0])]
        if not comments:
            return NotApplicable("no removable comment")
        if self.params["mode"] == "one":
            comments = [rng.choice(comments)]
        elif self.params["mode"] != "all":
            return NotApplicable(f"unknown mode {self.params['mode']!r}")
        edits: list[Edit] = []
        taken_until = -1
        newline = parsed.newline
        for node in comments:
            start, end = parsed.span(node)  # (never ends with the CR of a CRLF)
            line = parsed.line_start(start)
            line_end = lines.end_of_line(end)
            before = data[line:start]
            after = data[end:line_end]
            if before.strip() == b"" and after.strip() == b"":
                # Alone on its line(s): drop the whole line with its newline.
                edit = Edit(line, min(line_end + 1, len(data)), "")
                if line_end >= len(data) and line > 0:
                    # The last line: drop the line break before it instead (an LF or a CRLF).
                    edit = Edit(line - (2 if data[line - 2 : line] == b"\r\n" else 1), line_end, "")
            elif after.strip() in (b"", b"\\") or after.lstrip().startswith((b"/*", b"//", b"#")):
                # Trailing (possibly followed by another comment that goes too): take the spaces
                # before it along.
                trimmed = len(before) - len(before.rstrip(b" \t"))
                keep_break = b"\n" in data[start:end] and after.strip() and parsed.language in ("javascript", "go")
                edit = Edit(start - trimmed, end, newline if keep_break else "")
            else:
                multi_line = b"\n" in data[start:end]
                edit = Edit(start, end, newline if multi_line and parsed.language in ("javascript", "go") else " ")
            if edit.start < taken_until:
                continue  # two comments on one line, the first removal already took the line
            edits.append(edit)
            taken_until = edit.end
        return Proposal(edits, {"removed": len(edits)})
