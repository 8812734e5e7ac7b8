"""Follow-up inputs: source examples run through semantics-preserving transformations.

Each (source, transformation) gives at most one follow-up. For pair tasks (clone detection) the
transformation is applied to each function of the pair with its own derived seed; the follow-up
exists when at least one side changed, and is dropped as *rejected* when either side failed
validation. Seeds are derived from (run seed, source id, transformation, side), so a follow-up does
not depend on the order or the number of other examples — a rerun, or a run on a subset, yields the
same follow-ups.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .data import SourceExample


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

    def summary(self) -> dict:
        """Per transformation: applied / not_applicable / rejected counts and the top reasons."""
        out = {}
        for name, counter in self.counts.items():
            out[name] = {"applied": counter["applied"], "not_applicable": counter["not_applicable"],
                         "rejected": counter["rejected"],
                         "reasons": dict(self.reasons[name].most_common(8))}
        return out


def derive_seed(seed: int, *parts: object) -> int:
    """A 32-bit seed that depends only on ``seed`` and ``parts`` (stable across runs and platforms)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def build_follow_ups(sources: Sequence[SourceExample], language: str | None, transformations: Iterable[str],
                     *, seed: int = 0, progress: bool = False) -> FollowUpSet:
    """Apply every named transformation to every source.

    Args:
        sources: the source examples.
        language: programming language of the code; ``None`` → no follow-ups (all not applicable).
        transformations: registry names (see :func:`metacompress_eval.transforms.list_transformations`).
        seed: run seed; per-follow-up seeds are derived from it.
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
            for name, transform in zip(names, transforms):
                bar.update(1)
                if language is None:
                    result.counts[name]["not_applicable"] += 1
                    result.reasons[name]["no language given for the data"] += 1
                    continue
                outcomes = [transform.apply(code, language, derive_seed(seed, source.id, name, side))
                            for side, code in enumerate(source.inputs)]
                rejected = [o for o in outcomes if o.status == "rejected"]
                applied = [o for o in outcomes if o.status == "applied"]
                if rejected:
                    result.counts[name]["rejected"] += 1
                    result.reasons[name][rejected[0].reason or "rejected"] += 1
                elif not applied:
                    result.counts[name]["not_applicable"] += 1
                    result.reasons[name][outcomes[0].reason or "not applicable"] += 1
                else:
                    result.counts[name]["applied"] += 1
                    result.items.append(FollowUpInput(
                        source_id=source.id, transformation=name,
                        inputs=tuple(o.code if o.status == "applied" else code
                                     for o, code in zip(outcomes, source.inputs)),
                        provenance=[o.provenance() if o.status == "applied" else None for o in outcomes]))
    finally:
        bar.close()
    return result
