"""``unused_declaration``: declare a fresh local variable that nothing uses."""

from __future__ import annotations

import random

from metacompress_eval.code.context import taken_names
from metacompress_eval.code.edits import Edit
from metacompress_eval.code.introspection import namespace_reader
from metacompress_eval.code.languages import ParsedCode, sort_preorder
from metacompress_eval.code.names import FreshNames
from metacompress_eval.code.spans import with_ancestors
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation
from metacompress_eval.transforms.sites import insertion_points

# ``{name}`` is the fresh name, ``{sep}`` separates two statements (newline + indentation, or ``; ``
# on a single line). Go rejects unused variables, so the Go declaration is "used" once by ``_ =``.
_DECLARATIONS = {
    "c": "int {name} = 0;",
    "java": "int {name} = 0;",
    "python": "{name} = 0",
    "javascript": "let {name} = 0;",
    "go": "{name} := 0{sep}_ = {name}",
}


class UnusedDeclaration(Transformation):
    """Declare a fresh, unused local variable (``int NAME = 0;``, ``NAME = 0``, ``let NAME = 0;``,
    Go ``NAME := 0`` + ``_ = NAME``) before a statement of a block.

    Placement follows :func:`~metacompress_eval.transforms.sites.statement_sites` (the same
    rules as ``dead_code``); Python class bodies are excluded because a name assigned there
    becomes a class attribute (an ``Enum`` member, a dataclass field, ...). The name is fresh
    (occurs nowhere in the snippet), so it can neither capture nor shadow anything.

    Parameters:
        placement: ``"any"`` (default; a seeded choice among all sites) or ``"start"`` (the
            first statement of the function body when possible).
        strategy: naming strategy for the new variable (default ``"natural"``).
    """

    name = "unused_declaration"
    family = "insertion"
    languages = frozenset(_DECLARATIONS)
    description = "Declare a fresh, unused local variable before a statement."
    default_params = {"placement": "any", "strategy": "natural"}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        sites = insertion_points(parsed)
        if parsed.language == "python":
            # Not in a class body: each site's grandparent, from one cursor pass (``node.parent``
            # costs the nesting depth per call).
            in_class = {node.id for node, path in with_ancestors(parsed.root, sort_preorder(list(sites)))
                        if len(path) > 2 and path[-3].type == "class_definition"}
            sites = [s for s in sites if s.id not in in_class]
        if not sites:
            return NotApplicable("no statement before which a declaration can be inserted")
        if parsed.language == "python":
            # A new name in a function that reads its own namespace (locals(), vars(), dir(),
            # eval/exec, frames) shows up in what it reads.
            readers = [namespace_reader(parsed, within=s) for s in sites]
            kept = [s for s, reason in zip(sites, readers) if reason is None]
            if not kept:
                return NotApplicable(f"the function reads its own namespace ({readers[0]})")
            sites = kept
        if self.params["placement"] == "start":
            statement = sites[0]
        elif self.params["placement"] == "any":
            statement = rng.choice(sites)
        else:
            return NotApplicable(f"unknown placement {self.params['placement']!r}")
        start = parsed.span(statement)[0]
        own_line = parsed.starts_line(start)
        indent = parsed.data[parsed.line_start(start) : start].decode("utf-8")
        fresh = FreshNames(taken_names(parsed), parsed.language, self.params["strategy"], rng)
        new = fresh.new()
        sep = f"{parsed.newline}{indent}" if own_line else "; "
        declaration = _DECLARATIONS[parsed.language].format(name=new, sep=sep)
        if own_line:
            text = f"{declaration}{sep}"
        elif parsed.language == "go":
            text = f"{declaration}; "  # Go needs ``;`` between statements on one line
        else:
            text = f"{declaration} "  # statement_sites never yields a Python statement mid-line
        return Proposal(
            [Edit(start, start, text)],
            {"position": start, "declared": new, "inserted": text},
        )
