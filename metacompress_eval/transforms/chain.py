"""Composition: chains of k transformations (higher-order metamorphic relations).

A chain applies transformations one after another, each to the previous follow-up (re-parsed by
the transformation itself), with a per-step seed derived from the chain seed, the step index and
the transformation name.

**Semantics (decided here).** A chain of length ``k`` succeeds when ``k`` steps were *applied*:

* ``k=None`` — a *fixed* chain: every name in ``names`` is tried once, in the given order, and
  each must apply; the first step that is not applicable (or rejected) makes the whole chain
  ``not_applicable`` (``rejected`` if a step was rejected). The follow-up therefore always
  differs from the source by exactly the listed transformations.
* ``k=<int>`` — a *drawn* chain: the names are tried in a seeded random order, without repeating
  a name; a step that is not applicable is recorded as skipped and the next name is tried, until
  ``k`` steps applied. Fewer than ``k`` applicable names → ``not_applicable``.

The result is an ordinary :class:`~metacompress_eval.transforms.base.TransformResult` with
``transformation == "chain"`` (or the :class:`Chain`'s name). ``params["steps"]`` records every
attempt in order: ``{"transformation", "status", "seed", "params", "sites", "reason"}``, where the
``sites`` of an applied step are byte offsets into the text THAT step edited (the previous
follow-up), so the derivation can be replayed step by step. ``result.sites`` are those of the first
applied step (the only ones expressed in source offsets).
"""

from __future__ import annotations

import hashlib
import itertools
import random
from typing import Any, Iterable, Sequence, Union

from metacompress_eval.code.languages import ParsedCode
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.transforms.base import APPLIED, NOT_APPLICABLE, REJECTED, TransformResult, Transformation

StepSpec = Union[str, Transformation, tuple]


def step_seed(seed: int, index: int, name: str) -> int:
    """Seed of step ``index`` (stable across runs and platforms)."""
    digest = hashlib.sha256(repr(("chain", seed, index, name)).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def _instantiate(spec: StepSpec) -> Transformation:
    from metacompress_eval.transforms import get_transformation

    if isinstance(spec, Transformation):
        return spec
    if isinstance(spec, tuple):
        name, params = spec
        return get_transformation(name, **dict(params))
    if isinstance(spec, str):
        return get_transformation(spec)
    raise MetaCompressError(f"a chain step must be a name, (name, params) or a Transformation, not {spec!r}")


def apply_chain(
    code: str,
    language: str,
    names: Sequence[StepSpec],
    seed: int = 0,
    k: int | None = None,
    *,
    label: str = "chain",
) -> TransformResult:
    """Apply a chain of transformations to ``code`` (see the module docstring for the semantics).

    Args:
        code: the source snippet.
        language: its language.
        names: transformation names, ``(name, params)`` pairs or instances.
        seed: chain seed; step seeds are derived with :func:`step_seed`.
        k: ``None`` for a fixed chain of all ``names`` in order, else the number of applied steps
            to reach, drawing names in a seeded order.
        label: the result's ``transformation`` field.

    Raises:
        MetaCompressError: on an unknown name or ``k`` outside ``1..len(names)``.
    """
    steps = [_instantiate(spec) for spec in names]
    if not steps:
        raise MetaCompressError("a chain needs at least one transformation")
    if k is not None and not 1 <= k <= len(steps):
        raise MetaCompressError(f"chain length k={k} must be between 1 and {len(steps)} (the number of names)")
    order = list(range(len(steps)))
    if k is not None:
        random.Random(step_seed(seed, -1, "order")).shuffle(order)
    target = len(steps) if k is None else k
    current = code
    records: list[dict[str, Any]] = []
    applied = 0
    first_sites: list[dict[str, Any]] = []
    failure: str | None = None
    failure_status = NOT_APPLICABLE
    for position in order:
        if applied == target:
            break
        step = steps[position]
        attempt_seed = step_seed(seed, len(records), step.name)
        outcome = step.apply(current, language, attempt_seed)
        records.append(
            {
                "transformation": step.name,
                "status": outcome.status,
                "seed": attempt_seed,
                "params": outcome.params,
                "sites": [dict(site) for site in outcome.sites] if outcome.applied else [],
                "reason": outcome.reason,
            }
        )
        if outcome.applied:
            if applied == 0:
                first_sites = [dict(site) for site in outcome.sites]
            applied += 1
            current = outcome.code
        elif k is None:
            failure = f"step {len(records)} ({step.name}) {outcome.status}: {outcome.reason}"
            failure_status = REJECTED if outcome.status == REJECTED else NOT_APPLICABLE
            break
    params = {
        "names": [s.name for s in steps],
        "k": k,
        "applied_steps": applied,
        "steps": records,
    }
    if failure is None and applied < target:
        failure = f"only {applied} of {target} steps applicable"
    if failure is not None:
        return TransformResult(failure_status, label, reason=failure, params=params, seed=seed)
    if current == code:
        return TransformResult(REJECTED, label, reason="follow-up is identical to the source", params=params, seed=seed)
    return TransformResult(APPLIED, label, code=current, params=params, sites=first_sites, seed=seed)


class Chain:
    """A chain that behaves like a transformation: ``name``, ``family``, ``languages``, ``apply``.

    Args:
        names: the steps (names, ``(name, params)`` pairs or instances).
        k: see :func:`apply_chain`.
    """

    family = "chain"

    def __init__(self, names: Sequence[StepSpec], k: int | None = None) -> None:
        self.steps = [_instantiate(spec) for spec in names]
        if not self.steps:
            raise MetaCompressError("a chain needs at least one transformation")
        self.k = k
        if k is not None and not 1 <= k <= len(self.steps):
            raise MetaCompressError(f"chain length k={k} must be between 1 and {len(self.steps)}")
        joined = "+".join(s.name for s in self.steps)
        self.name = f"chain:{joined}" if k is None else f"chain{k}:{joined}"
        self.description = f"Chain of {'all' if k is None else k} of: {', '.join(s.name for s in self.steps)}."
        self.params: dict[str, Any] = {"names": [s.name for s in self.steps], "k": k}
        # A fixed chain needs every step; a drawn chain needs k steps that support the language.
        if k is None:
            self.languages = frozenset.intersection(*(s.languages for s in self.steps))
        else:
            self.languages = frozenset(
                lang for lang in frozenset.union(*(s.languages for s in self.steps))
                if sum(lang in s.languages for s in self.steps) >= k
            )

    def __repr__(self) -> str:
        return f"Chain({[s.name for s in self.steps]!r}, k={self.k!r})"

    def supports(self, language: str) -> bool:
        """Whether enough steps handle ``language``."""
        return language in self.languages

    def apply(self, code: str, language: str, seed: int = 0, *, parsed: ParsedCode | None = None) -> TransformResult:
        """Apply the chain (see :func:`apply_chain`; ``parsed`` is accepted for the common signature:
        each step parses its own input)."""
        return apply_chain(code, language, self.steps, seed, self.k, label=self.name)

    @classmethod
    def from_spec(cls, spec: str) -> "Chain":
        """Parse ``"chain:a+b+c"`` (fixed chain) or ``"chain2:a+b+c"`` (k=2 drawn from a, b, c)."""
        head, sep, body = spec.partition(":")
        if not sep or not head.startswith("chain") or not body:
            raise MetaCompressError(f"not a chain spec: {spec!r} (expected 'chain:a+b' or 'chainK:a+b+c')")
        k_text = head[len("chain") :]
        k = int(k_text) if k_text else None
        return cls([name.strip() for name in body.split("+") if name.strip()], k)


def is_chain_spec(name: str) -> bool:
    """Whether ``name`` looks like a chain spec accepted by :meth:`Chain.from_spec`."""
    return name.startswith("chain") and ":" in name


def build_chains(names: Iterable[str], k: int, seed: int = 0, count: int | None = None) -> list[Chain]:
    """Fixed chains of ``k`` distinct transformations drawn from ``names``.

    Returns every ordered sequence (k-permutation) of the names in a seeded order, or the first
    ``count`` of them. Each chain is fixed (``Chain(sequence)``), so a follow-up made with it
    differs from the source by exactly those k transformations.
    """
    names = list(dict.fromkeys(names))
    if not 1 <= k <= len(names):
        raise MetaCompressError(f"chain length k={k} must be between 1 and {len(names)}")
    sequences = list(itertools.permutations(names, k))
    random.Random(step_seed(seed, -2, "build")).shuffle(sequences)
    if count is not None:
        sequences = sequences[:count]
    return [Chain(list(sequence)) for sequence in sequences]
