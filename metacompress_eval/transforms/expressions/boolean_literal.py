"""``boolean_literal``: ``true`` → ``!false`` (Python ``True`` → ``(not False)``)."""

from __future__ import annotations

import random

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, nodes_of_types
from metacompress_eval.code.syntax import inside_type
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation, choose


class BooleanLiteral(Transformation):
    """Rewrite one boolean literal as the negation of the other: ``true`` → ``!false``.

    Java, JavaScript and Go use ``!``; Python uses ``(not False)`` / ``(not True)`` with
    parentheses, because ``not`` binds more loosely than comparisons (``x == not False`` is a
    syntax error). C is not supported (``true`` needs ``<stdbool.h>`` and may be a macro).
    Java annotations and Python ``case`` patterns are skipped (they need literal syntax).
    """

    name = "boolean_literal"
    family = "expressions"
    languages = frozenset({"java", "javascript", "python", "go"})
    description = "Replace one boolean literal by the negation of the opposite literal."
    default_params: dict = {}

    _LITERALS = frozenset({"true", "false"})
    _SKIP_INSIDE = frozenset({"annotation", "marker_annotation", "case_pattern", "case_clause_pattern",
                              "element_value_pair", "pattern", "import_statement"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        # The ancestor check below also excludes everything a walk that skips _SKIP_INSIDE would.
        for node in nodes_of_types(parsed.root, parsed.language, self._LITERALS):
            if node.type not in ("true", "false") or not parsed.in_snippet(node):
                continue
            if inside_type(parsed, node, self._SKIP_INSIDE):
                continue
            start, end = parsed.span(node)
            value = node.type == "true"
            if parsed.language == "python":
                new = "(not False)" if value else "(not True)"
            else:
                new = "!false" if value else "!true"
            candidates.append((start, Edit(start, end, new), parsed.text(node)))
        position, edit, literal = choose(parsed, rng, candidates, "no boolean literal")
        return Proposal([edit], {"position": position, "literal": literal, "candidates": len(candidates)})
