"""Base class and result type shared by every transformation.

A transformation is a small class that *proposes* byte-range edits on a parsed snippet. The base
class does everything else the same way for all of them: language check, parsing, refusing broken
sources, applying the edits, re-parsing the follow-up and rejecting it when it is syntactically
worse than the source or identical to it, and recording provenance.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from metacompress_eval.code.edits import Edit, apply_edits, by_position
from metacompress_eval.code.languages import ParsedCode, parse, reparse_edited, tokens_preserved
from metacompress_eval.code.line_breaks import cr_only, cr_spelling, lf_spelling
from metacompress_eval.errors import MetaCompressError

APPLIED = "applied"
NOT_APPLICABLE = "not_applicable"
REJECTED = "rejected"


@dataclass
class TransformResult:
    """Outcome of one transformation attempt.

    Attributes:
        status: ``"applied"``, ``"not_applicable"`` or ``"rejected"``.
        transformation: name of the transformation.
        code: the follow-up snippet when ``status == "applied"``, else ``None``.
        reason: why it was not applicable or was rejected (``None`` when applied).
        params: JSON-serialisable parameters and choices (what was renamed, where code went, ...).
        sites: the edits, as ``{"start", "end", "original", "replacement"}`` with byte offsets
            into the source snippet.
        seed: the seed used.
        lacks_context: not applicable only because something the snippet refers to is not known
            without its enclosing file (an undefined ALL_CAPS name that may be a bare macro, ...);
            a context (``apply(..., context=...)``) would decide it.
        refusal: when the whole input was refused for syntax errors, their likely cause (one of
            :data:`metacompress_eval.code.refusals.REFUSAL_CAUSES`); else ``None``.
        context: whether the snippet's context (enclosing file) was given.
    """

    status: str
    transformation: str
    code: str | None = None
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sites: list[dict[str, Any]] = field(default_factory=list)
    seed: int = 0
    lacks_context: bool = False
    refusal: str | None = None
    context: bool = False

    @property
    def applied(self) -> bool:
        """Whether a follow-up was produced."""
        return self.status == APPLIED

    def provenance(self) -> dict[str, Any]:
        """JSON-serialisable record of how the follow-up was made from the source."""
        record = {
            "transformation": self.transformation,
            "params": self.params,
            "sites": [dict(site) for site in self.sites],
            "seed": self.seed,
        }
        if self.context:
            record["context"] = True  # made with the enclosing file known
        return record


@dataclass
class Proposal:
    """What a transformation wants to do: edits plus the parameters worth recording."""

    edits: list[Edit]
    params: dict[str, Any] = field(default_factory=dict)


class NotApplicable(Exception):
    """Raised (or returned) by :meth:`Transformation.propose` when there is nothing to change.

    ``lacks_context``: nothing could be changed only because the snippet alone does not say what
    a name is (see :attr:`TransformResult.lacks_context`).
    """

    def __init__(self, reason: str, lacks_context: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lacks_context = lacks_context


class Transformation:
    """A semantics-preserving rewrite of a code snippet.

    Subclasses set the class attributes and implement :meth:`propose`; callers use :meth:`apply`.
    Keyword arguments given to the constructor are the transformation's parameters (for instance
    ``RenameVariables(strategy="placeholder")``) and are recorded in the result's ``params``.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    languages: ClassVar[frozenset[str]] = frozenset()
    description: ClassVar[str] = ""
    default_params: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.default_params)
        if unknown:
            raise MetaCompressError(
                f"unknown parameter(s) {sorted(unknown)} for transformation {self.name!r}; "
                f"known: {sorted(self.default_params)}"
            )
        self.params: dict[str, Any] = {**self.default_params, **params}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"

    def supports(self, language: str) -> bool:
        """Whether this transformation handles ``language``."""
        return language in self.languages

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        """Return the edits to make, or :class:`NotApplicable` with a reason."""
        raise NotImplementedError

    def apply(self, code: str, language: str, seed: int = 0, context: Any = None, *,
              parsed: ParsedCode | None = None) -> TransformResult:
        """Transform ``code`` (a snippet in ``language``) deterministically for ``seed``.

        ``context``: the enclosing file or translation unit of the snippet (text, or a parsed
        :class:`~metacompress_eval.code.context.Context`), when known: macros, globals and sibling
        functions are then resolved exactly instead of conservatively.

        Never returns an unchanged copy: when nothing can be changed the status is
        ``"not_applicable"``; when the edited text parses worse than the source (or equals it) the
        status is ``"rejected"``. A source with syntax errors is refused whole unless every error
        lies inside a statement of a function body; then the transformation applies away from
        those statements (see :mod:`metacompress_eval.code.refusals`).

        ``parsed``: ``parse(code, language)`` when the caller has it already: several transformations
        of one snippet can share one parse (it is copied before anything is recorded on it, and
        :meth:`propose` only reads it).
        """
        if cr_only(code, language):
            return self._apply_cr_only(code, language, seed, context, parsed)
        from metacompress_eval.code.context import Context, parse_context

        given = context is not None and not (isinstance(context, str) and not context.strip())

        def result(status: str, reason: str | None = None, **kwargs: Any) -> TransformResult:
            return TransformResult(status, self.name, reason=reason, seed=seed, context=given, **kwargs)

        if language not in self.languages:
            return result(NOT_APPLICABLE, f"language {language!r} is not supported by {self.name}")
        if parsed is None or parsed.code != code or parsed.language != language:
            parsed = parse(code, language)
        else:
            # What is recorded below (context, error regions, cached analyses) stays with this call.
            parsed = dataclasses.replace(parsed, context=None, error_regions=[], analyses={})
        if given:
            parsed.context = context if isinstance(context, Context) else parse_context(context, language)
        source_errors = parsed.error_count()
        if source_errors:
            from metacompress_eval.code.refusals import error_regions, refusal_cause

            regions = error_regions(parsed)
            if regions is None:
                # Not confined to statements: scope and statement analysis are unreliable.
                cause = refusal_cause(parsed)
                return result(NOT_APPLICABLE, f"source has syntax errors ({cause.replace('_', ' ')})",
                              refusal=cause)
            parsed.error_regions = regions
        rng = random.Random(seed)
        try:
            proposal = self.propose(parsed, rng)
        except NotApplicable as exc:
            return result(NOT_APPLICABLE, exc.reason, lacks_context=exc.lacks_context)
        if isinstance(proposal, NotApplicable):
            return result(NOT_APPLICABLE, proposal.reason, lacks_context=proposal.lacks_context)
        if not proposal.edits:
            return result(NOT_APPLICABLE, "nothing to change")
        if parsed.error_regions:
            from metacompress_eval.code.refusals import overlaps

            if any(overlaps(parsed.error_regions, e.start, e.end) for e in proposal.edits):
                return result(NOT_APPLICABLE, "the only change would touch code that does not parse")
        params = {**self.params, **proposal.params}
        ordered = sorted(proposal.edits, key=by_position)
        data = parsed.data
        if len(code) == len(data):
            # ASCII: byte offsets are character offsets (the same text, without a decode per site).
            sites = [{"start": start, "end": end, "original": code[start:end], "replacement": replacement}
                     for start, end, replacement in ordered]
        else:
            sites = [
                {"start": start, "end": end, "original": data[start:end].decode("utf-8", errors="replace"),
                 "replacement": replacement}
                for start, end, replacement in ordered
            ]
        try:
            new_data = apply_edits(data, ordered, ordered=True)
        except ValueError as exc:
            return result(REJECTED, f"conflicting edits: {exc}", params=params, sites=sites)
        new_code = new_data.decode("utf-8")
        if new_code == code:
            return result(REJECTED, "follow-up is identical to the source", params=params, sites=sites)
        # Validity check. The source has no errors here, so the follow-up is valid exactly when it
        # parses without errors. An incremental re-parse with the source's wrapping is much cheaper
        # than a fresh parse, and ``has_error`` is O(1); a clean result is what :func:`parse` would
        # find too (it stops at the first clean wrapping). Otherwise fall back to :func:`parse`
        # for the exact error count.
        # Edits that provably keep the source's token sequence (identifier for identifier,
        # whitespace at line starts; C and Java: see ``languages.tokens_preserved``) cannot add an
        # error to an error-free source, so the re-parse is skipped for them.
        if not source_errors and tokens_preserved(parsed, ordered, ordered=True):
            new_errors = 0
        else:
            reparsed = reparse_edited(parsed, proposal.edits, new_code)
            if reparsed is not None and not reparsed.root.has_error:
                new_errors = 0
            else:
                new_errors = parse(new_code, language).error_count()
        if new_errors > source_errors:
            return result(
                REJECTED,
                f"follow-up has syntax errors ({new_errors} vs {source_errors} in the source)",
                params=params,
                sites=sites,
            )
        return TransformResult(APPLIED, self.name, code=new_code, params=params, sites=sites, seed=seed,
                               context=given)

    def _apply_cr_only(self, code: str, language: str, seed: int, context: Any,
                       parsed: ParsedCode | None) -> TransformResult:
        """:meth:`apply` to a snippet whose lines end in a lone CR (C, Java, Python, JavaScript).

        The tree-sitter grammars end line comments and preprocessor lines only at an LF, so the
        snippet is transformed in its LF spelling - the same length, so every offset of the result
        is an offset into ``code`` - and the result is spelled back with CRs: bytes copied from the
        source get their CRs back and every added line break is a CR (the LF spelling holds no CR,
        so no CR of the result is lost). See :mod:`metacompress_eval.code.line_breaks`.
        """
        lf_code = lf_spelling(code)
        lf_parsed = None
        if parsed is not None and parsed.code == code and parsed.language == language:
            # ``parse`` parsed the LF spelling already (its tree is that of ``lf_code``).
            lf_parsed = dataclasses.replace(parsed, code=lf_code, data=lf_code.encode("utf-8"), analyses={})
        if isinstance(context, str) and cr_only(context, language):
            context = lf_spelling(context)
        result = self.apply(lf_code, language, seed, context, parsed=lf_parsed)
        if result.code is not None:
            result.code = cr_spelling(result.code)
        result.params = _cr_spelled(result.params)
        result.sites = _cr_spelled(result.sites)
        return result


def _cr_spelled(value: Any) -> Any:
    """``value`` (params or sites of a result made from an LF spelling) with every LF of its
    strings as a CR (dict keys included; numbers, offsets among them, are unchanged)."""
    if isinstance(value, str):
        return cr_spelling(value)
    if isinstance(value, dict):
        return {_cr_spelled(k): _cr_spelled(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cr_spelled(v) for v in value)
    return value


def choose(parsed: ParsedCode, rng: random.Random, candidates: list, what: str) -> tuple:
    """Pick one ``(position, payload...)`` candidate deterministically (sorted by position).

    Raises:
        NotApplicable: with reason ``what`` when there is no candidate.
    """
    if parsed.error_regions:
        # Sites inside statements that do not parse are not candidates (see code/refusals.py).
        from metacompress_eval.code.refusals import inside

        candidates = [c for c in candidates if not inside(parsed.error_regions, c[0])]
    if not candidates:
        raise NotApplicable(what)
    candidates.sort(key=lambda item: item[0])
    return rng.choice(candidates)
