"""``comment_insert``: insert a neutral comment line before a statement."""

from __future__ import annotations

import random

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.transforms.base import NotApplicable, Proposal
from metacompress_eval.transforms.layout.base import ALL_LANGUAGES, LayoutTransformation, Lines
from metacompress_eval.transforms.sites import insertion_points, statement_site_types


NEUTRAL_COMMENTS: tuple[str, ...] = ("note", "check", "step", "next", "continue", "update", "handle case", "see below")


class CommentInsert(LayoutTransformation):
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

    def layout(self, parsed: ParsedCode, rng: random.Random, lines: Lines) -> Proposal | NotApplicable:
        sites = [
            s for s in insertion_points(parsed, lines.extra)
            if parsed.starts_line(start := parsed.span(s)[0]) and not lines.protected(parsed.line_start(start))
        ]
        if not sites:
            return NotApplicable("no statement that starts a line")
        statement = rng.choice(sites)
        start = parsed.span(statement)[0]
        line = parsed.line_start(start)
        indent = parsed.data[line:start].decode("utf-8")
        text = self.params["text"] or rng.choice(NEUTRAL_COMMENTS)
        if "\n" in text or "\r" in text or "*/" in text:
            return NotApplicable("comment text must be one line")
        marker = "#" if parsed.language == "python" else "//"
        inserted = f"{indent}{marker} {text}{parsed.newline}"
        return Proposal([Edit(line, line, inserted)], {"position": line, "inserted": inserted})
