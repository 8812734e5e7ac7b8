"""``dead_code``: insert one unreachable branch before a statement."""

from __future__ import annotations

import random
from dataclasses import dataclass

from metacompress_eval.code.context import taken_names
from metacompress_eval.code.edits import Edit
from metacompress_eval.code.introspection import namespace_reader
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.names import FreshNames
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation
from metacompress_eval.transforms.sites import indent_unit, statement_sites


@dataclass(frozen=True)
class _DeadBranch:
    """Per language: how to write an unreachable branch."""

    false_guard: str  # text of the guard, e.g. ``if (0)``
    neutral: str  # a harmless declaration, ``{name}`` is replaced by a fresh name


_DEAD_BRANCHES = {
    "c": _DeadBranch(false_guard="if (0)", neutral="int {name} = 0;"),
    "java": _DeadBranch(false_guard="if (false)", neutral="int {name} = 0;"),
    "javascript": _DeadBranch(false_guard="if (false)", neutral="let {name} = 0;"),
    # Go rejects unused variables: the neutral body uses the fresh name once.
    "go": _DeadBranch(false_guard="if false", neutral="{name} := 0{sep}_ = {name}"),
    "python": _DeadBranch(false_guard="if False:", neutral="{name} = 0"),
}


class DeadCodeInsertion(Transformation):
    """Insert an unreachable ``if (0) { ... }`` / ``if (false) { ... }`` / ``if False:`` /
    ``if false { ... }`` (Go) branch.

    The branch goes immediately BEFORE a randomly chosen statement of a block (never after a
    ``return``/``break``, never between ``case`` labels, never before a Python docstring, never in a
    single-line Python block). Its body is a copy of a statement that precedes the insertion point
    in the same block when a safe one exists, else a declaration of a fresh, unused variable.
    """

    name = "dead_code"
    family = "insertion"
    languages = frozenset({"c", "java", "python", "javascript", "go"})
    description = "Insert one unreachable branch (a copied earlier statement or a fresh unused variable)."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        branch = _DEAD_BRANCHES[parsed.language]
        targets = statement_sites(parsed)
        if not targets:
            return NotApplicable("no statement before which a branch can be inserted")
        reader = namespace_reader(parsed) if parsed.language == "python" else None
        if reader is not None:
            # A function that reads its own namespace must not get a new name (even one that is
            # never bound at run time is in its ``co_varnames``): only copies of earlier
            # statements, which bind names it binds already, may be inserted there.
            targets = [(s, e) for s, e in targets if e or namespace_reader(parsed, within=s) is None]
            if not targets:
                return NotApplicable(f"the function reads its own namespace ({reader}) and has nothing to copy")
        statement, earlier = rng.choice(targets)
        start = parsed.span(statement)[0]
        indent = parsed.data[parsed.line_start(start) : start].decode("utf-8")
        unit = indent_unit(parsed, statement)
        own_line = parsed.starts_line(start)
        nl = parsed.newline
        if earlier:
            source = rng.choice(earlier)
            body = parsed.text(source)
            body_kind, copied_from = "copy", parsed.span(source)[0]
            body = body.replace("\n", "\n" + unit)  # the copy moves one level deeper (after an LF or a CRLF)
        else:
            fresh = FreshNames(taken_names(parsed), parsed.language, "natural", rng)
            sep = f"{nl}{indent}{unit}" if own_line else "; "
            body = branch.neutral.format(name=fresh.new(), sep=sep)
            body_kind, copied_from = "neutral", None
        if parsed.language == "python":
            text = f"{branch.false_guard}{nl}{indent}{unit}{body}{nl}{indent}"
        elif own_line:
            text = f"{branch.false_guard} {{{nl}{indent}{unit}{body}{nl}{indent}}}{nl}{indent}"
        else:
            # Go needs a ``;`` between two statements on one line.
            text = f"{branch.false_guard} {{ {body} }}{';' if parsed.language == 'go' else ''} "
        params = {"position": start, "body_kind": body_kind, "copied_from": copied_from, "inserted": text}
        return Proposal([Edit(start, start, text)], params)
