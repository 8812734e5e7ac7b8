"""Fidelity as the knowledge-distillation literature measures it: top-1 agreement and KL(teacher ‖ student).

Beside them, mean |ΔP| — the mean total variation distance ½·Σ_c |p_T(c) − p_S(c)|, for two classes the
mean absolute difference of P(class 1) — the figure the compact students' papers and checkpoints quote.

Stanton et al. ("Does Knowledge Distillation Really Work?", NeurIPS 2021) report both for every
teacher/student pair; giving them per scope lets a MetaCompress report be set beside published
figures. Top-1 agreement is one minus PA's violation rate; KL is asymmetric (the teacher is the
reference) and unbounded, unlike PDS's JSD, so the two divergences are not interchangeable.
Definitions and the KL floor: docs/relations.md ("Fidelity").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import stats
from .checks import PerInputChecks
from .registry import Thresholds
from .scopes import Scope, available_scope, macro_entry, rate_entry, statistic_ci

_NATS_PER_BIT = float(np.log(2.0))


def _mean_entry(values: np.ndarray, sc: Scope, th: Thresholds, seed: int, scale: float = 1.0) -> dict[str, Any]:
    """``{"mean", "median", "ci95", "ci_method", "macro"}`` of ``values`` on ``sc``, multiplied by ``scale``."""
    if values.size == 0:
        empty = {"mean": None, "ci95": None, "ci_method": None, "n_sources": 0}
        return {"mean": None, "median": None, "ci95": None, "ci_method": None, "macro": empty}
    ci, method = statistic_ci(stats.ratio_statistic(values), sc.clusters, th, seed)
    entry = {"mean": float(values.mean()) * scale, "median": float(np.median(values)) * scale,
             "ci95": None if ci is None else [v * scale for v in ci], "ci_method": method}
    # Unscaled first, so the bootstrap is the same draw in bits and in nats; then scaled alike.
    macro = macro_entry(values, sc, "mean", {**entry, "mean": float(values.mean()),
                                             "ci95": ci}, th, seed, binary=False)
    macro["mean"] = None if macro["mean"] is None else macro["mean"] * scale
    macro["ci95"] = None if macro["ci95"] is None else [v * scale for v in macro["ci95"]]
    entry["macro"] = macro
    return entry


def fidelity_for(pi: PerInputChecks, sc: Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    """Top-1 agreement, mean KL(teacher ‖ student) in bits and nats and mean |ΔP| on scope ``sc``.

    On the inputs of ``sc`` that both models answered (all of them unless a model's outputs are partial).
    """
    sc = available_scope(pi, sc, "teacher", "student")
    rows = sc.rows
    agree = pi.y_s[rows] == pi.y_t[rows]
    top1 = rate_entry(agree, sc.clusters, "agreements", th, seed)
    top1["macro"] = macro_entry(agree, sc, "rate", top1, th, seed, binary=True)
    kl = pi.kl[rows]
    # ½·Σ_c |p_T(c) − p_S(c)|: the total variation distance; for two classes |ΔP(class 1)|.
    gap = 0.5 * np.abs(pi.teacher_probs[rows] - pi.student_probs[rows]).sum(axis=1)
    return {
        "n": int(rows.size),
        "top1_agreement": top1,
        "kl_bits": _mean_entry(kl, sc, th, seed),
        "kl_nats": _mean_entry(kl, sc, th, seed, _NATS_PER_BIT),
        "kl_floored": int(pi.kl_floored[rows].sum()),
        "mean_abs_prob_difference": float(gap.mean()) if rows.size else None,
    }


def fidelity_section(pi: PerInputChecks, pooled: dict[str, Scope], per_t: dict[str, Scope], th: Thresholds,
                     seed: int) -> dict[str, Any]:
    """The ``fidelity`` section of the analysis: the pooled scopes and one entry per transformation."""
    return {
        "kl_floor": stats.KL_FLOOR,
        **{k: fidelity_for(pi, sc, th, seed) for k, sc in pooled.items()},
        "by_transformation": {t: fidelity_for(pi, sc, th, seed) for t, sc in per_t.items()},
    }
