"""Scopes of the analysis (which rows, and whether they are independent) and rate entries with CIs.

The pooled scopes are ``overall`` (sources and transformation follow-ups), ``sources`` and
``follow_ups`` (transformation follow-ups); adversarial examples (follow-ups named ``attack:<method>``)
are pooled apart, in ``attacks``, present only when a run has some. An adversarial example was
*selected* because it flips the model it was found against, so pooling it with semantics-preserving
follow-ups would make every headline rate (flips, violations, fidelity) partly a product of the search.

Every rate and mean of a scope comes in two weightings: pooled (each row counts once, so a source
counts once per follow-up it has in the scope) and macro (each source counts once: the mean over
sources of the source's own rate). They differ only on scopes where a source has several rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import stats
from .checks import PerInputChecks
from .registry import Thresholds


#: Prefix of the transformation name of an adversarial example (``attack:<method>``, docs/attacks.md).
ATTACK_PREFIX = "attack:"


def is_attack(transformation: str | None) -> bool:
    """Whether a row's ``transformation`` names an adversarial example (``attack:<method>``)."""
    return transformation is not None and str(transformation).startswith(ATTACK_PREFIX)


def attack_mask(transformations: list[str | None]) -> np.ndarray:
    """Per row, whether it is an adversarial example (:func:`is_attack`)."""
    return np.array([is_attack(t) for t in transformations], dtype=bool)


@dataclass(frozen=True)
class Scope:
    """Rows of one scope; ``clusters`` holds each row's source id when rows may share a source, else ``None``."""

    rows: np.ndarray  # row indices
    clusters: list[str] | None

    def subset(self, keep: np.ndarray) -> "Scope":
        """The rows where ``keep`` (one flag per row of this scope) is true.

        A non-empty subset in which no two rows share a source is independent whatever its parent was
        (the rule of :func:`scopes`): "all inputs" of a run with teacher outputs for the sources only,
        or the inputs a relation applies to, get the interval the same rows get elsewhere (Wilson), not
        a cluster bootstrap over one-row clusters.
        """
        clusters = None if self.clusters is None else [c for c, k in zip(self.clusters, keep) if k]
        if clusters and len(set(clusters)) == len(clusters):
            clusters = None
        return Scope(self.rows[keep], clusters)


def scopes(pi: PerInputChecks) -> tuple[dict[str, Scope], dict[str, Scope]]:
    """The pooled scopes (overall/sources/follow_ups, and attacks when there are adversarial examples)
    and one scope per transformation (``attack:<method>`` included).

    ``overall`` and ``follow_ups`` leave the adversarial examples out (module docstring), so they are the
    scopes of the same run without attacks, row for row. A scope is treated as independent (Wilson) when
    each source contributes at most one of its rows — the normal case for a transformation, and "all inputs" of a run without follow-ups;
    where sources contribute several rows (all inputs, all follow-ups) it uses the cluster bootstrap.
    """
    n = len(pi.source_ids)
    all_rows = np.arange(n)
    attack = attack_mask(pi.transformations)
    fu_rows = all_rows[~pi.is_source]  # every follow-up: the per-transformation scopes

    def scope(rows: np.ndarray, pooled: bool) -> Scope:
        # Clustered exactly when rows share a source (one rule for every scope, so equal rows get equal
        # intervals); an empty pooled scope keeps the cluster label, there being nothing to estimate.
        ids = [pi.source_ids[i] for i in rows]
        clustered = len(set(ids)) < len(ids) or (pooled and not ids)
        return Scope(rows, ids if clustered else None)

    pooled = {
        "overall": scope(all_rows[~attack], True),
        "sources": scope(all_rows[pi.is_source], False),
        "follow_ups": scope(all_rows[~pi.is_source & ~attack], True),
    }
    if attack.any():
        pooled["attacks"] = scope(all_rows[attack], True)
    names = sorted({t for t in pi.transformations if t is not None})
    t_arr = np.array([t if t is not None else "" for t in pi.transformations], dtype=object)
    per_t = {name: scope(fu_rows[t_arr[fu_rows] == name], False) for name in names}
    return pooled, per_t


def available_scope(pi: PerInputChecks, sc: Scope, *models: str) -> Scope:
    """The rows of ``sc`` where every one of ``models`` has an output (``sc`` itself when nothing is missing)."""
    if not pi.partial:
        return sc
    keep = np.ones(sc.rows.size, dtype=bool)
    for model in models:
        keep &= pi.available(model)[sc.rows]
    return sc.subset(keep)


def rate_entry(events: np.ndarray, clusters: list[str] | None, numerator_key: str,
               th: Thresholds, seed: int) -> dict[str, Any]:
    """``{numerator_key: k, "n", "rate", "ci95", "ci_method"}`` for boolean ``events`` (Wilson or cluster bootstrap)."""
    if clusters is None:
        est = stats.independent_rate(events)
    else:
        est = stats.clustered_rate(events, clusters, th.bootstrap_resamples, seed)
    return {
        numerator_key: est.k,
        "n": est.n,
        "rate": est.rate,
        "ci95": list(est.ci) if est.ci is not None else None,
        "ci_method": est.method,
    }


def macro_entry(values: np.ndarray, sc: Scope, value_key: str, pooled: dict[str, Any], th: Thresholds, seed: int,
                *, binary: bool) -> dict[str, Any]:
    """The per-source (macro) mean of ``values`` over ``sc``: ``{value_key, "ci95", "ci_method", "n_sources"}``.

    On a scope with one row per source (``clusters is None``) macro and pooled are the same number, so
    the pooled figure and interval (``pooled``: its ``value_key``, ``ci95``, ``ci_method``) are repeated.
    """
    if sc.clusters is None:
        return {value_key: pooled[value_key], "ci95": pooled["ci95"], "ci_method": pooled["ci_method"],
                "n_sources": int(sc.rows.size)}
    est = stats.macro_mean(values, sc.clusters, th.bootstrap_resamples, seed, binary=binary)
    return {value_key: est.value, "ci95": list(est.ci) if est.ci is not None else None,
            "ci_method": est.method if est.value is not None else "cluster_bootstrap", "n_sources": est.n_clusters}


def statistic_ci(statistic: stats.LinearStatistic, clusters: list[str] | None, th: Thresholds, seed: int):
    """The bootstrap 95% CI of ``statistic`` (clustered when ``clusters`` is given) and its method name."""
    ci = stats.bootstrap_ci(statistic, clusters, th.bootstrap_resamples, seed)
    method = "cluster_bootstrap" if clusters is not None else "bootstrap"
    return (list(ci) if ci is not None else None), method
