"""``brace_style``: move opening braces between K&R and Allman style."""

from __future__ import annotations

import random
from bisect import bisect_left

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.spans import with_ancestors
from metacompress_eval.transforms.base import NotApplicable, Proposal
from metacompress_eval.transforms.layout.base import LayoutTransformation, Lines


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


class BraceStyle(LayoutTransformation):
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

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: Lines) -> Proposal | NotApplicable:
        data = parsed.data
        # Comments are disjoint leaves: the one that may hold a position is the last starting before it.
        comments = sorted(parsed.span(n) for n in lines.comments)
        comment_starts = [s for s, _ in comments]
        kr: list[tuple[int, int]] = []  # (gap start, brace position)
        allman: list[tuple[int, int]] = []
        block_types = _BRACE_BLOCKS[parsed.language]
        blocks = [node for node in lines.extra  # the nodes of _BRACE_BLOCKS, found by the comment query
                  if node.type in block_types and parsed.in_snippet(node)]
        # One cursor pass hands out each block's parent (``node.parent`` costs the nesting depth).
        for node, path in with_ancestors(parsed.root, blocks):
            parent = path[-2] if len(path) > 1 else None
            if parent is None or parent.type in _STANDALONE_PARENTS:
                continue
            brace = node.children[0] if node.children else None
            if brace is None or brace.type != "{":
                continue
            pos = parsed.span(brace)[0]
            gap_start = pos
            while gap_start > 0 and data[gap_start - 1 : gap_start] in (b" ", b"\t", b"\n", b"\r"):
                gap_start -= 1
            at = bisect_left(comment_starts, gap_start) - 1
            if gap_start == 0 or (at >= 0 and gap_start <= comments[at][1]):
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
                edits.append(Edit(gap_start, pos, parsed.newline + indent))
        elif direction == "kr":
            if not allman:
                return NotApplicable("no Allman brace to move")
            edits = [Edit(gap_start, pos, " ") for gap_start, pos in allman]
        else:
            return NotApplicable(f"unknown direction {direction!r}")
        return Proposal(edits, {"to": direction, "braces": len(edits)})
