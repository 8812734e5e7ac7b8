"""Layout family: changes of whitespace, braces and comments that a model should ignore entirely.

Every transformation here edits only whitespace and comments, never a token, and never a byte
inside a string literal (a multi-line Python docstring, a Java text block, a JS template or a Go
raw string keeps its exact value). Lines that continue a previous line ending in ``\\`` (C macro
bodies, Python explicit joins) are never touched either. Python follow-ups are additionally
checked with ``compile()`` when the source compiles.
"""

from __future__ import annotations

import io
import math
import random
import re
import tokenize
from bisect import bisect_left
from collections import Counter

from tree_sitter import Node

from metacompress_eval.code.edits import Edit, apply_edits
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation
from metacompress_eval.transforms.dead_code import statement_site_types, statement_sites

ALL_LANGUAGES = frozenset({"c", "java", "python", "javascript", "go"})

_STRING_TYPES = {
    "c": frozenset({"string_literal", "char_literal", "raw_string_literal", "system_lib_string"}),
    "java": frozenset({"string_literal", "character_literal"}),
    "python": frozenset({"string"}),
    "javascript": frozenset({"string", "template_string", "regex"}),
    "go": frozenset({"interpreted_string_literal", "raw_string_literal", "rune_literal"}),
}
_COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment"})


def string_spans(parsed: ParsedCode) -> list[tuple[int, int]]:
    """Spans of every string literal in the snippet (original offsets)."""
    spans = []
    outer_end = -1
    # Pre-order, so a literal nested in another one (inside a substitution) comes right after
    # it and lies inside its span: it is left out, as it is inside the literal anyway.
    for node in nodes_of_types(parsed.root, parsed.language, _STRING_TYPES[parsed.language]):
        if node.end_byte <= outer_end:
            continue
        outer_end = node.end_byte
        spans.append(parsed.span(node))
    return spans


def comment_nodes(parsed: ParsedCode) -> list[Node]:
    """Comment nodes that lie in the snippet, in source order."""
    return [n for n in nodes_of_types(parsed.root, parsed.language, _COMMENT_TYPES) if parsed.in_snippet(n)]


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    pos = data.find(b"\n")
    while 0 <= pos < len(data) - 1:  # a final newline starts no line
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return starts


class _Lines:
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
        string_types = _STRING_TYPES[parsed.language]
        strings = []
        comments = []
        extra = []
        outer_end = -1
        for node in nodes_of_types(parsed.root, parsed.language, string_types | _COMMENT_TYPES | self._extra_types):
            t = node.type
            if t in self._extra_types:
                extra.append(node)
            if t in _COMMENT_TYPES:
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


def _inside_any(starts: list[int], ends: list[int], pos: int) -> bool:
    """Whether ``pos`` lies strictly inside one of the sorted, disjoint spans ``zip(starts, ends)``."""
    i = bisect_left(starts, pos) - 1
    return i >= 0 and pos < ends[i]


def _python_compiles(code: str, wrapping: str) -> bool:
    source = code if wrapping == "none" else "if True:\n" + code + "\n"
    try:
        compile(source, "<layout>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


class _LayoutTransformation(Transformation):
    """Shared tail: Python follow-ups must still compile when the source does."""

    family = "layout"

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        proposal = self.layout(parsed, rng, _Lines(parsed, self._extra_types(parsed.language)))
        if isinstance(proposal, NotApplicable) or parsed.language != "python":
            return proposal
        if _python_compiles(parsed.code, parsed.wrapping):
            new = apply_edits(parsed.data, proposal.edits).decode("utf-8")
            if not _python_compiles(new, parsed.wrapping):
                return NotApplicable("follow-up would not compile")  # defensive; should not happen
        return proposal

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: _Lines) -> Proposal | NotApplicable:
        raise NotImplementedError

    def _extra_types(self, language: str) -> frozenset[str]:
        """Node types the transformation queries besides strings and comments (see :class:`_Lines`)."""
        return frozenset()


# -------------------------------------------------------------------------------------- reindent


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


class Reindent(_LayoutTransformation):
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

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: _Lines) -> Proposal | NotApplicable:
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
            candidates = [(row, pos) for row, pos in rows if not lines.protected(pos)]
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


# ------------------------------------------------------------------------------------ brace style

_BRACE_BLOCKS = {
    "c": frozenset({"compound_statement", "field_declaration_list", "enumerator_list", "declaration_list"}),
    "java": frozenset({"block", "class_body", "interface_body", "enum_body", "constructor_body", "switch_block"}),
    "javascript": frozenset({"statement_block", "class_body", "switch_body"}),
}
# A block whose parent is one of these is a standalone block statement: its brace has no owner
# line to move to or from.
_STANDALONE_PARENTS = {
    "compound_statement", "block", "statement_block", "program", "translation_unit", "case_statement",
    "switch_block_statement_group", "switch_case", "switch_default", "labeled_statement",
    "constructor_body", "class_static_block", "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif",
}


class BraceStyle(_LayoutTransformation):
    """Move opening braces between K&R (``if (x) {``) and Allman (``{`` on its own line).

    ``direction="auto"`` converts the snippet's majority style into the other one; ``"allman"`` /
    ``"kr"`` force a direction. A brace is moved only when nothing but whitespace separates it from
    the previous token (never past a comment or a preprocessor line). Not for Go (which requires
    K&R) nor Python.
    """

    name = "brace_style"
    languages = frozenset({"c", "java", "javascript"})
    description = "Switch opening braces between K&R and Allman style."
    default_params = {"direction": "auto"}

    def _extra_types(self, language: str) -> frozenset[str]:
        return _BRACE_BLOCKS[language]

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: _Lines) -> Proposal | NotApplicable:
        data = parsed.data
        comments = [parsed.span(n) for n in lines.comments]
        kr: list[tuple[int, int]] = []  # (gap start, brace position)
        allman: list[tuple[int, int]] = []
        block_types = _BRACE_BLOCKS[parsed.language]
        for node in lines.extra:  # the nodes of _BRACE_BLOCKS, found by the comment query
            if node.type not in block_types or not parsed.in_snippet(node):
                continue
            if node.parent is None or node.parent.type in _STANDALONE_PARENTS:
                continue
            brace = node.children[0] if node.children else None
            if brace is None or brace.type != "{":
                continue
            pos = parsed.span(brace)[0]
            gap_start = pos
            while gap_start > 0 and data[gap_start - 1 : gap_start] in (b" ", b"\t", b"\n", b"\r"):
                gap_start -= 1
            if gap_start == 0 or any(s < gap_start <= e for s, e in comments):
                continue  # the previous token is a comment: moving the brace could comment it out
            previous_line = data[parsed.line_start(gap_start) : gap_start].lstrip()
            if previous_line.startswith(b"#"):
                continue  # a preprocessor line
            if b"\n" in data[gap_start:pos]:
                if data[gap_start:pos].count(b"\n") == 1 and parsed.starts_line(pos):
                    allman.append((gap_start, pos))
            else:
                kr.append((gap_start, pos))
        direction = self.params["direction"]
        if direction == "auto":
            direction = "allman" if len(kr) >= len(allman) else "kr"
        if direction == "allman":
            if not kr:
                return NotApplicable("no K&R brace to move")
            edits = []
            for gap_start, pos in kr:
                start_of_line = parsed.line_start(gap_start)
                indent = lines.leading(start_of_line).decode("utf-8")
                edits.append(Edit(gap_start, pos, "\n" + indent))
        elif direction == "kr":
            if not allman:
                return NotApplicable("no Allman brace to move")
            edits = [Edit(gap_start, pos, " ") for gap_start, pos in allman]
        else:
            return NotApplicable(f"unknown direction {direction!r}")
        return Proposal(edits, {"to": direction, "braces": len(edits)})


# ------------------------------------------------------------------------------------ blank lines


def _statement_lines(parsed: ParsedCode, nodes: list[Node] | None = None) -> list[int]:
    """Line starts of the insertion-site statements that start their line (``nodes``: see
    :func:`statement_sites`)."""
    found = []
    for statement, _ in statement_sites(parsed, nodes):
        start = parsed.span(statement)[0]
        if parsed.starts_line(start):
            found.append(parsed.line_start(start))
    return found


class BlankLines(_LayoutTransformation):
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

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: _Lines) -> Proposal | NotApplicable:
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
            edits = [Edit(pos, pos, "\n") for pos in chosen]
        elif mode == "remove":
            if not removable:
                return NotApplicable("no blank line between statements")
            chosen = sorted(rng.sample(removable, rng.randint(1, min(3, len(removable)))))
            edits = [Edit(pos, lines.end_of_line(pos) + 1, "") for pos in chosen]
        else:
            return NotApplicable(f"unknown mode {mode!r}")
        return Proposal(edits, {"mode": mode, "lines": [p for p in chosen]})


# --------------------------------------------------------------------------------------- comments

NEUTRAL_COMMENTS: tuple[str, ...] = ("note", "check", "step", "next", "continue", "update", "handle case", "see below")


class CommentInsert(_LayoutTransformation):
    """Insert a neutral comment line (``// check``, ``# note``) before a statement.

    The statement must start its line; the comment gets the statement's indentation. Parameter
    ``text``: the comment text (``None`` = a seeded choice among neutral words).
    """

    name = "comment_insert"
    languages = ALL_LANGUAGES
    description = "Insert a neutral comment line before a statement."
    default_params = {"text": None}

    def _extra_types(self, language: str) -> frozenset[str]:
        return statement_site_types(language)

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: _Lines) -> Proposal | NotApplicable:
        sites = [
            s for s, _ in statement_sites(parsed, lines.extra)
            if parsed.starts_line(start := parsed.span(s)[0]) and not lines.protected(parsed.line_start(start))
        ]
        if not sites:
            return NotApplicable("no statement that starts a line")
        statement = rng.choice(sites)
        start = parsed.span(statement)[0]
        line = parsed.line_start(start)
        indent = parsed.data[line:start].decode("utf-8")
        text = self.params["text"] or rng.choice(NEUTRAL_COMMENTS)
        if "\n" in text or "*/" in text:
            return NotApplicable("comment text must be one line")
        marker = "#" if parsed.language == "python" else "//"
        inserted = f"{indent}{marker} {text}\n"
        return Proposal([Edit(line, line, inserted)], {"position": line, "inserted": inserted})


_PY_KEEP = re.compile(r"#\s*(type:|pragma|noqa|pylint|fmt:|isort|mypy|pyright)")
_PY_ENCODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
_GO_KEEP = ("//go:", "//export", "// +build", "//line", "//nolint", "//lint:")


class CommentRemove(_LayoutTransformation):
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

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: _Lines) -> Proposal | NotApplicable:
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
        for node in comments:
            start, end = parsed.span(node)
            line = parsed.line_start(start)
            line_end = lines.end_of_line(end)
            before = data[line:start]
            after = data[end:line_end]
            if before.strip() == b"" and after.strip() == b"":
                # Alone on its line(s): drop the whole line with its newline.
                edit = Edit(line, min(line_end + 1, len(data)), "")
                if line_end >= len(data) and line > 0:
                    edit = Edit(line - 1, line_end, "")
            elif after.strip() in (b"", b"\\") or after.lstrip().startswith((b"/*", b"//", b"#")):
                # Trailing (possibly followed by another comment that goes too): take the spaces
                # before it along.
                trimmed = len(before) - len(before.rstrip(b" \t"))
                keep_break = b"\n" in data[start:end] and after.strip() and parsed.language in ("javascript", "go")
                edit = Edit(start - trimmed, end, "\n" if keep_break else "")
            else:
                multi_line = b"\n" in data[start:end]
                edit = Edit(start, end, "\n" if multi_line and parsed.language in ("javascript", "go") else " ")
            if edit.start < taken_until:
                continue  # two comments on one line, the first removal already took the line
            edits.append(edit)
            taken_until = edit.end
        return Proposal(edits, {"removed": len(edits)})
