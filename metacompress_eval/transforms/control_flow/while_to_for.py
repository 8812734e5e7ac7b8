"""``while_to_for``: rewrite one ``while`` loop as a ``for`` loop with empty init and update."""

from __future__ import annotations

import random

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, walk_tree
from metacompress_eval.code.syntax import COMMENTS
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


class WhileToFor(Transformation):
    """``while (c) body`` → ``for (; c; ) body`` (C, Java, JavaScript). Body and label are untouched."""

    name = "while_to_for"
    family = "control_flow"
    languages = frozenset({"c", "java", "javascript"})
    description = "Rewrite one while loop as a for loop with empty init and update."
    default_params: dict = {}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        for node in walk_tree(parsed.root):
            if node.type != "while_statement" or not parsed.in_snippet(node):
                continue
            cond = node.child_by_field_name("condition")
            if cond is None or cond.type != "parenthesized_expression":
                continue
            start, cond_end = parsed.span(node)[0], parsed.span(cond)[1]
            if any(c.type in COMMENTS for c in node.children if c.end_byte <= cond.start_byte):
                continue
            inner = parsed.data[parsed.span(cond)[0] + 1: cond_end - 1].decode("utf-8")
            candidates.append((start, Edit(start, cond_end, f"for (;{inner}; )" if inner.startswith(" ")
                                           else f"for (; {inner}; )")))
        position, edit = choose(parsed, rng, candidates, "no while loop")
        return Proposal([edit], {"position": position, "candidates": len(candidates)})
