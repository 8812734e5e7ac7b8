"""``rename_variables``: give local variables and parameters fresh names, resolving every use by scope."""

from __future__ import annotations

import random

from metacompress_eval.code.context import taken_names
from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.code.names import FreshNames, corpus_summary
from metacompress_eval.code.renaming import OccurrenceMismatch, symbol_edits
from metacompress_eval.code.scopes import analyze
from metacompress_eval.code.scopes.data_names import WITHOUT_CONTEXT
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation


class RenameVariables(Transformation):
    """Give local variables and parameters fresh names.

    Every occurrence is found through :mod:`metacompress_eval.code.scopes`, never by matching
    text, so fields, members, called functions, macros, types, labels, keyword-argument names and
    unbound (global) names keep their spelling. New names occur nowhere in the snippet, which
    rules out capture and shadowing.

    Parameters:
        strategy: ``"natural"`` (common identifier names), ``"placeholder"`` (``VAR_0``, ...),
            ``"random"`` (random letters and digits), ``"corpus"`` (frequency-weighted draw from
            identifier statistics; see ``corpus``) or ``"synonym"`` (synonyms / case-style variants
            of the old name: ``count`` -> ``cnt``, ``maxValue`` -> ``max_value``).
        max_renames: rename at most this many variables (a seeded sample); ``None`` renames all.
        corpus: for ``strategy="corpus"``: a ``{name: count}`` table or a list of code snippets
            in the same language; ``None`` uses a small built-in table per language.
    """

    name = "rename_variables"
    family = "renaming"
    languages = frozenset({"c", "java", "python", "javascript", "go"})
    description = "Rename local variables and parameters to fresh names, resolving uses by scope."
    default_params = {"strategy": "natural", "max_renames": None, "corpus": None}

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        analysis = analyze(parsed)
        candidates = analysis.renamable_symbols()
        if not candidates:
            skipped = sorted({f"{s.name} ({s.unsafe_reason})" for s in analysis.symbols if s.unsafe_reason})
            detail = f"; skipped: {', '.join(skipped[:5])}" if skipped else ""
            # A context (the enclosing file) would tell whether the unknown macros mention them.
            lacks_context = any(s.unsafe_reason and s.unsafe_reason.startswith(WITHOUT_CONTEXT)
                                for s in analysis.symbols)
            return NotApplicable(f"no renamable local variables{detail}", lacks_context=lacks_context)
        limit = self.params.get("max_renames")
        if limit is not None:
            if limit < 1:
                return NotApplicable("max_renames < 1")
            if limit < len(candidates):
                chosen = set(rng.sample(range(len(candidates)), limit))
                candidates = [c for i, c in enumerate(candidates) if i in chosen]
        fresh = FreshNames(
            taken_names(parsed), parsed.language, self.params["strategy"], rng, corpus=self.params.get("corpus"),
            last_draws=True,
        )
        edits: list[Edit] = []
        renames = []
        for symbol in candidates:
            new_name = fresh.new(symbol.name)
            occurrences = symbol.occurrences()
            try:
                edits.extend(symbol_edits(parsed, symbol, new_name, occurrences))
            except OccurrenceMismatch as exc:
                return NotApplicable(str(exc))
            renames.append(
                {
                    "old": symbol.name,
                    "new": new_name,
                    "kind": symbol.kind,
                    "declaration": min(symbol.declarations)[0],
                    "occurrences": len(occurrences),
                }
            )
        return Proposal(edits, {"renames": renames, **corpus_summary(self.params.get("corpus"))})
