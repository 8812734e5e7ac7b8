"""``rename_variables``: scope-aware renaming of local variables and parameters."""

from __future__ import annotations

import random

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.names import FreshNames
from metacompress_eval.code.scopes import analyze, words_in
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation


class RenameVariables(Transformation):
    """Give local variables (and, in C/Java, parameters) fresh names.

    Every occurrence is found through :mod:`metacompress_eval.code.scopes`, never by matching
    text, so fields, members, called functions, macros, types, labels, keyword-argument names and
    unbound (global) names keep their spelling. New names occur nowhere in the snippet, which
    rules out capture and shadowing.

    Parameters:
        strategy: ``"natural"`` (common identifier names), ``"placeholder"`` (``VAR_0``, ...)
            or ``"random"`` (random letters and digits).
        max_renames: rename at most this many variables (a seeded sample); ``None`` renames all.
    """

    name = "rename_variables"
    family = "renaming"
    languages = frozenset({"c", "java", "python"})
    description = "Rename local variables and parameters to fresh names, resolving uses by scope."
    default_params = {"strategy": "natural", "max_renames": None}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        analysis = analyze(parsed)
        candidates = analysis.renamable_symbols()
        if not candidates:
            skipped = sorted({f"{s.name} ({s.unsafe_reason})" for s in analysis.symbols if s.unsafe_reason})
            detail = f"; skipped: {', '.join(skipped[:5])}" if skipped else ""
            return NotApplicable(f"no renamable local variables{detail}")
        limit = self.params.get("max_renames")
        if limit is not None:
            if limit < 1:
                return NotApplicable("max_renames < 1")
            if limit < len(candidates):
                chosen = set(rng.sample(range(len(candidates)), limit))
                candidates = [c for i, c in enumerate(candidates) if i in chosen]
        fresh = FreshNames(words_in(parsed.data), parsed.language, self.params["strategy"], rng)
        edits: list[Edit] = []
        renames = []
        for symbol in candidates:
            new_name = fresh.new()
            for start, end in symbol.occurrences():
                # Defensive: a span must spell the old name, or the analysis is out of sync.
                if parsed.data[start:end].decode("utf-8", errors="replace") != symbol.name:
                    return NotApplicable(f"internal: occurrence of {symbol.name!r} at {start} does not match")
                edits.append(Edit(start, end, new_name))
            renames.append(
                {
                    "old": symbol.name,
                    "new": new_name,
                    "kind": symbol.kind,
                    "declaration": min(symbol.declarations)[0],
                    "occurrences": len(symbol.occurrences()),
                }
            )
        return Proposal(edits, {"renames": renames})
