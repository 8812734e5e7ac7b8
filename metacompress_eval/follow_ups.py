"""Follow-up inputs: source examples run through semantics-preserving transformations.

Each (source, transformation) gives at most one follow-up. For pair tasks (clone detection) the
transformation is applied to each function of the pair with its own derived seed; the follow-up
exists when at least one side changed, and is dropped as *rejected* when either side failed
validation. Seeds are derived from (run seed, source id, transformation, side), so a follow-up does
not depend on the order or the number of other examples — a rerun, or a run on a subset, yields the
same follow-ups.

A source may carry its context (the file it was cut from, ``SourceInput.contexts``); the
transformations then resolve macros, globals and siblings exactly. Per transformation the set counts
what was not applicable only for lack of such context, and per cause the inputs refused whole
because they do not parse (see :meth:`FollowUpSet.overview`).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .data import SourceInput


@dataclass
class FollowUpInput:
    """A follow-up input x′ derived from source ``source_id`` by ``transformation``."""

    source_id: str
    transformation: str
    inputs: tuple[str, ...]
    provenance: list[dict | None]

    def as_row(self) -> dict:
        row = {"source_id": self.source_id, "transformation": self.transformation}
        if len(self.inputs) == 1:
            row["code"] = self.inputs[0]
            row["provenance"] = self.provenance[0]
        else:
            for side, (code, prov) in enumerate(zip(self.inputs, self.provenance), start=1):
                row[f"code{side}"] = code
                row[f"provenance{side}"] = prov
        return row


@dataclass
class FollowUpSet:
    """All follow-ups of a run, with per-transformation outcome counts."""

    items: list[FollowUpInput] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reasons: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    verified: bool = False  # whether the compiler filter ran (adds "unverified" to the summary)
    refused: Counter = field(default_factory=Counter)  # code inputs refused whole, by cause
    with_context: int = 0  # code inputs that came with their context

    def summary(self) -> dict:
        """Per transformation: applied / not_applicable / rejected counts, how many of the not
        applicable ones lacked only the context (``skipped_for_context``), and the top reasons."""
        out = {}
        for name, counter in self.counts.items():
            out[name] = {"applied": counter["applied"], "not_applicable": counter["not_applicable"],
                         "rejected": counter["rejected"], "skipped_for_context": counter["lacks_context"],
                         "reasons": dict(self.reasons[name].most_common(8))}
            if self.verified:
                # follow-ups kept without a real compiler check (no toolchain, checker timed out)
                out[name]["unverified"] = counter["unverified"]
        return out

    def overview(self) -> dict:
        """Run-level facts about the follow-ups: whether they were verified (compiled against their
        sources), how many code inputs came with a context, how many were refused whole because
        they do not parse (by cause: GNU extensions, K&R pointer parameters, preprocessor
        conditionals, ...), and how many follow-ups were skipped for lack of context in all."""
        return {"verified": self.verified, "inputs_with_context": self.with_context,
                "refused_inputs": dict(sorted(self.refused.items())),
                "skipped_for_context": sum(c["lacks_context"] for c in self.counts.values())}


def derive_seed(seed: int, *parts: object) -> int:
    """A 32-bit seed that depends only on ``seed`` and ``parts`` (stable across runs and platforms)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def verify_follow_ups(result: FollowUpSet, sources: Sequence[SourceInput], language: str) -> FollowUpSet:
    """Compiler-check every follow-up of ``result`` against its source; drop those adding errors.

    A dropped follow-up moves from "applied" to "rejected" with the reason
    ``"new compiler diagnostics: <first new error>"``. For pairs, each changed side is compared with
    its own source side and the follow-up is dropped when either side adds an error. All checks
    run as one batch (see :func:`metacompress_eval.verify.compare_many`). Modifies and returns
    ``result``.
    """
    from .verify import compare_many

    by_id = {s.id: s for s in sources}
    pairs, owners = [], []
    for index, item in enumerate(result.items):
        source = by_id[item.source_id]
        for side, (code, prov) in enumerate(zip(item.inputs, item.provenance)):
            if prov is not None:  # None: this side was left unchanged
                pairs.append((source.inputs[side], code))
                owners.append(index)
    verdicts: dict[int, list] = defaultdict(list)
    for owner, verdict in zip(owners, compare_many(pairs, language)):
        verdicts[owner].append(verdict)
    kept = []
    for index, item in enumerate(result.items):
        bad = [v for v in verdicts[index] if not v.ok]
        if bad:
            result.counts[item.transformation]["applied"] -= 1
            result.counts[item.transformation]["rejected"] += 1
            result.reasons[item.transformation][f"new compiler diagnostics: {bad[0].new_errors[0]}"] += 1
            continue
        if any(not v.verified for v in verdicts[index]):
            result.counts[item.transformation]["unverified"] += 1
        kept.append(item)
    result.items = kept
    result.verified = True
    return result


def language_warning(sources: Sequence[SourceInput], language: str | None) -> str | None:
    """A warning when at least half of the sources do not parse as ``language``, else ``None``.

    Transformations leave code with syntax errors alone, so data in another language than the one
    named ends with "0 follow-ups" and nothing else to say why; this says it. One parse per source.
    """
    if not language or not sources:
        return None
    from .code.languages import SUPPORTED_LANGUAGES, parse

    if language not in SUPPORTED_LANGUAGES:
        return None
    broken = [s.id for s in sources if any(parse(code, language).error_count() for code in s.inputs)]
    if 2 * len(broken) < len(sources):
        return None
    return (f"{len(broken)} of {len(sources)} sources do not parse as {language} (first: id {broken[0]}); "
            f"sources with syntax errors get no follow-ups: is --language {language} right?")


def build_follow_ups(sources: Sequence[SourceInput], language: str | None, transformations: Iterable[str],
                     *, seed: int = 0, progress: bool = False, verify: bool = False) -> FollowUpSet:
    """Apply every named transformation to every source.

    Args:
        sources: the source examples.
        language: programming language of the code; ``None`` → no follow-ups (all not applicable).
        transformations: registry names (see :func:`metacompress_eval.transforms.list_transformations`).
        seed: run seed; per-follow-up seeds are derived from it.
        verify: also compile every follow-up and its source and count the follow-up as rejected
            when it adds compiler errors (see :func:`verify_follow_ups`; off by default: it costs
            compiler calls).
    """
    from tqdm.auto import tqdm

    from .transforms import get_transformation

    result = FollowUpSet()
    names = list(dict.fromkeys(transformations))
    transforms = [get_transformation(n) for n in names]
    if language is not None:
        from .code.languages import SUPPORTED_LANGUAGES
        from .errors import MetaCompressError

        if language not in SUPPORTED_LANGUAGES:
            raise MetaCompressError(f"unknown language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    bar = tqdm(total=len(sources) * len(transforms), desc="follow-ups", unit="input", disable=not progress,
               leave=False)
    try:
        for source in sources:
            contexts = source.contexts or (None,) * len(source.inputs)
            result.with_context += sum(1 for c in contexts if c is not None)
            refusals: dict[int, str] = {}
            for name, transform in zip(names, transforms):
                bar.update(1)
                if language is None:
                    result.counts[name]["not_applicable"] += 1
                    result.reasons[name]["no language given for the data"] += 1
                    continue
                outcomes = [transform.apply(code, language, derive_seed(seed, source.id, name, side), context=context)
                            for side, (code, context) in enumerate(zip(source.inputs, contexts))]
                for side, outcome in enumerate(outcomes):
                    if outcome.refusal is not None:
                        refusals.setdefault(side, outcome.refusal)
                rejected = [o for o in outcomes if o.status == "rejected"]
                applied = [o for o in outcomes if o.status == "applied"]
                if rejected:
                    result.counts[name]["rejected"] += 1
                    result.reasons[name][rejected[0].reason or "rejected"] += 1
                elif not applied:
                    result.counts[name]["not_applicable"] += 1
                    result.reasons[name][outcomes[0].reason or "not applicable"] += 1
                    if any(o.lacks_context for o in outcomes):
                        result.counts[name]["lacks_context"] += 1
                else:
                    result.counts[name]["applied"] += 1
                    result.items.append(FollowUpInput(
                        source_id=source.id, transformation=name,
                        inputs=tuple(o.code if o.status == "applied" else code
                                     for o, code in zip(outcomes, source.inputs)),
                        provenance=[o.provenance() if o.status == "applied" else None for o in outcomes]))
            result.refused.update(refusals.values())
    finally:
        bar.close()
    if verify and language is not None:
        verify_follow_ups(result, sources, language)
    return result
