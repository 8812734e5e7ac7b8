"""Numerical core of the analysis: intervals, bootstrap, divergences, calibration, paired tests.

Everything here works on plain numpy arrays and knows nothing about teachers, students or
transformations; :mod:`metacompress_eval.relations` builds the metamorphic relations on top of it.

Bootstrapped statistics are written as :class:`LinearStatistic`: a function of the column sums
of a per-row design matrix. A resample is then just a vector of cluster multiplicities, and one
matrix product evaluates a rate, an F1 score or an ECE for hundreds of resamples at once. The
cluster bootstrap (resample source ids, keep all their rows) and the ordinary one (every row its
own cluster) are the same code path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

#: Two-sided confidence level used for every interval in the report.
CONFIDENCE = 0.95
#: Default number of bootstrap resamples.
N_RESAMPLES = 2000
#: McNemar switches from the exact binomial test to the chi-square approximation at this many
#: discordant pairs (the usual rule of thumb: below ~25 the approximation is poor).
MCNEMAR_EXACT_BELOW = 25

# Resamples are generated in blocks so that [block, clusters] count matrices stay small
# (256 x 50k clusters of float64 is ~100 MB; typical evaluations are far smaller).
_BLOCK = 256


# --------------------------------------------------------------------------------------------
# Binomial proportions
# --------------------------------------------------------------------------------------------


def wilson_ci(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Wilson score interval for ``k`` successes out of ``n`` independent trials.

    Returns ``None`` when ``n == 0`` (no rate, hence no interval). Wilson is used instead of the
    normal (Wald) interval because it stays inside [0, 1] and keeps close to nominal coverage for
    rates near 0 or 1, which is exactly where violation rates of a good student live.
    """
    k, n = int(k), int(n)
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return None
    ci = _sps.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


def cluster_index(cluster_ids: Sequence[object]) -> tuple[np.ndarray, int]:
    """Map arbitrary cluster labels to ``0..G-1`` codes (order of first appearance)."""
    codes: dict[object, int] = {}
    out = np.empty(len(cluster_ids), dtype=np.int64)
    for i, cid in enumerate(cluster_ids):
        out[i] = codes.setdefault(cid, len(codes))
    return out, len(codes)


@dataclass(frozen=True)
class LinearStatistic:
    """A statistic that is a function of column sums of a per-row design matrix.

    ``value = finalize(design.sum(axis=0))``. Under bootstrap weights ``w`` (multiplicity of each
    row) the sums become ``w @ design``; rates, F1 and ECE all have this form. Because only sums
    matter, the cluster bootstrap can add the design rows of each cluster once and then work with
    ``[resamples, clusters]`` count matrices, never expanding to ``[resamples, rows]``.

    Attributes:
        design: ``[N, k]`` per-row contributions.
        finalize: maps ``[B, k]`` weighted sums to ``[B]`` statistic values (NaN = undefined).
    """

    design: np.ndarray
    finalize: Callable[[np.ndarray], np.ndarray]

    @property
    def n_rows(self) -> int:
        return int(self.design.shape[0])

    def value(self) -> float:
        """The statistic on the data as given (every row weight 1)."""
        return float(self.finalize(self.design.sum(axis=0)[None, :])[0])

    def minus(self, other: "LinearStatistic") -> "LinearStatistic":
        """``self − other`` on the same rows, so both are evaluated on the same resamples (paired)."""
        k = self.design.shape[1]
        design = np.hstack([self.design, other.design])
        f_a, f_b = self.finalize, other.finalize
        return LinearStatistic(design, lambda s: f_a(s[:, :k]) - f_b(s[:, k:]))


def _safe_div(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)


def ratio_statistic(numerator: np.ndarray, denominator: np.ndarray | None = None) -> LinearStatistic:
    """``Σ num / Σ den`` (a mean when ``denominator`` is omitted); NaN when ``Σ den == 0``."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.ones_like(num) if denominator is None else np.asarray(denominator, dtype=np.float64)
    return LinearStatistic(np.column_stack([num, den]), lambda s: _safe_div(s[:, 0], s[:, 1]))


def bootstrap_distribution(
    statistic: LinearStatistic,
    cluster_ids: Sequence[object] | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> np.ndarray:
    """Bootstrap distribution ``[n_resamples]`` of ``statistic``.

    Each resample draws as many clusters as there are, with replacement, and keeps all rows of
    every drawn cluster. ``cluster_ids=None`` makes every row its own cluster (the ordinary iid
    bootstrap). The result is fully determined by ``seed``.
    """
    n = statistic.n_rows
    if n == 0:
        return np.empty(0)
    if cluster_ids is None:
        cluster_design, n_clusters = statistic.design, n
    else:
        if len(cluster_ids) != n:
            raise ValueError("cluster_ids must have one entry per row")
        codes, n_clusters = cluster_index(cluster_ids)
        cluster_design = np.zeros((n_clusters, statistic.design.shape[1]))
        np.add.at(cluster_design, codes, statistic.design)
    rng = np.random.default_rng(seed)
    parts = []
    remaining = n_resamples
    while remaining > 0:
        block = min(_BLOCK, remaining)
        # Draw cluster indices and count them per resample with one flat bincount (an order of
        # magnitude faster than Generator.multinomial with thousands of categories).
        draws = rng.integers(0, n_clusters, size=(block, n_clusters))
        draws += np.arange(block)[:, None] * n_clusters
        counts = np.bincount(draws.ravel(), minlength=block * n_clusters)
        counts = counts.reshape(block, n_clusters).astype(np.float64)
        parts.append(np.asarray(statistic.finalize(counts @ cluster_design), dtype=np.float64))
        remaining -= block
    return np.concatenate(parts)


def percentile_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Percentile interval of a bootstrap distribution, ignoring undefined (NaN) resamples.

    Returns ``None`` when no resample produced a defined value.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(values, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def basic_ci(point: float, draws: np.ndarray, low: float = -np.inf, high: float = np.inf,
             confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Basic (reverse percentile) bootstrap interval ``[2θ̂ − q_hi, 2θ̂ − q_lo]``, kept in ``[low, high]``.

    For statistics whose resamples are biased in the direction the estimate itself is biased, such as
    linear CKA: a resample repeats inputs, and a repeated input is a pair both representations agree
    on, so a resample's CKA sits above the sample's as the sample's sits above the population's. The
    percentile interval then lies beside the point, away from the truth; reflecting the resamples about
    the point turns their bias into the correction (docs/representations.md, "The bootstrap";
    ``tests/representations/test_cka_interval.py`` measures the coverage of both).
    ``None`` when no resample is defined or the point is not finite.
    """
    ci = percentile_ci(draws, confidence)
    if ci is None or not np.isfinite(point):
        return None
    return float(np.clip(2.0 * point - ci[1], low, high)), float(np.clip(2.0 * point - ci[0], low, high))


def bootstrap_ci(
    statistic: LinearStatistic,
    cluster_ids: Sequence[object] | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """Percentile (cluster) bootstrap CI of ``statistic``; ``None`` for fewer than two units.

    A unit is a cluster (or a row when ``cluster_ids`` is ``None``). Every resample of a single unit
    is that unit again, so its "interval" would be the point estimate itself: certainty from one
    observation. No interval is given then, and what reads the interval (the calibration verdict)
    stays inconclusive.
    """
    units = statistic.n_rows if cluster_ids is None else cluster_index(cluster_ids)[1]
    if units < 2:
        return None
    dist = bootstrap_distribution(statistic, cluster_ids, n_resamples, seed)
    return percentile_ci(dist, confidence)


@dataclass(frozen=True)
class RateEstimate:
    """A proportion with its interval. ``rate``/``ci`` are ``None`` when ``n == 0``."""

    k: int
    n: int
    rate: float | None
    ci: tuple[float, float] | None
    method: str


def clustered_rate(
    events: np.ndarray,
    cluster_ids: Sequence[object],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> RateEstimate:
    """Proportion of ``events`` (boolean per row) with a cluster-bootstrap percentile CI.

    Rows that share a cluster (follow-ups of one source) are correlated, so resampling rows as if
    independent would understate the uncertainty; resampling whole clusters does not.

    When every row has the same outcome (0 or all events) every resample reproduces the point
    estimate and the percentile interval collapses to a point, which would claim certainty the
    data do not support. In that case the Wilson interval computed on the *number of clusters* is
    returned instead (method ``"wilson_clusters"``): the effective sample size of clustered data
    lies between the number of clusters and the number of rows, so this errs on the wide side.
    """
    events = np.asarray(events, dtype=bool)
    n = int(events.size)
    k = int(events.sum())
    if n == 0:
        return RateEstimate(0, 0, None, None, "cluster_bootstrap")
    rate = k / n
    if k == 0 or k == n:
        _, n_clusters = cluster_index(cluster_ids)
        ci = wilson_ci(0 if k == 0 else n_clusters, n_clusters, confidence)
        return RateEstimate(k, n, rate, ci, "wilson_clusters")
    ci = bootstrap_ci(ratio_statistic(events), cluster_ids, n_resamples, seed, confidence)
    return RateEstimate(k, n, rate, ci, "cluster_bootstrap")


def independent_rate(events: np.ndarray, confidence: float = CONFIDENCE) -> RateEstimate:
    """Proportion of ``events`` over independent rows, with a Wilson CI."""
    events = np.asarray(events, dtype=bool)
    n, k = int(events.size), int(events.sum())
    return RateEstimate(k, n, (k / n) if n else None, wilson_ci(k, n, confidence), "wilson")


@dataclass(frozen=True)
class MeanEstimate:
    """A mean with its interval; ``value``/``ci`` are ``None`` when there is nothing to average."""

    value: float | None
    ci: tuple[float, float] | None
    method: str | None
    n_clusters: int


def macro_statistic(values: np.ndarray, cluster_ids: Sequence[object]) -> LinearStatistic:
    """The per-cluster (macro) mean of ``values`` as a :class:`LinearStatistic`.

    Each row contributes ``[v_i / n_g, 1 / n_g]`` (``n_g`` = rows of its cluster ``g``), so a cluster's
    design sums to ``[mean_g, 1]`` and ``finalize`` gives ``Σ_g w_g·mean_g / Σ_g w_g``: the mean of the
    cluster means, weighted by each cluster's bootstrap multiplicity ``w_g`` (1 on the data as given).
    """
    values = np.asarray(values, dtype=np.float64)
    codes, n_clusters = cluster_index(cluster_ids)
    size = np.bincount(codes, minlength=n_clusters).astype(np.float64)[codes] if codes.size else np.ones(0)
    return ratio_statistic(values / size, 1.0 / size)


def macro_mean(
    values: np.ndarray,
    cluster_ids: Sequence[object],
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    *,
    binary: bool = False,
) -> MeanEstimate:
    """Mean over clusters of each cluster's mean of ``values``, with a cluster-bootstrap CI.

    Pooled rates weight a cluster (a source) by its number of rows (its follow-ups); the macro mean
    weights every cluster equally. For ``binary`` values (events), the same degenerate case as in
    :func:`clustered_rate` — every row 0, or every row 1 — reports the Wilson interval over clusters
    (method ``"wilson_clusters"``) instead of a collapsed percentile interval.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return MeanEstimate(None, None, None, 0)
    if len(cluster_ids) != values.size:
        raise ValueError("cluster_ids must have one entry per value")
    statistic = macro_statistic(values, cluster_ids)
    n_clusters = cluster_index(cluster_ids)[1]
    value = statistic.value()
    if binary and (np.all(values == 0) or np.all(values == 1)):
        ci = wilson_ci(0 if values[0] == 0 else n_clusters, n_clusters, confidence)
        return MeanEstimate(value, ci, "wilson_clusters", n_clusters)
    ci = bootstrap_ci(statistic, cluster_ids, n_resamples, seed, confidence)
    return MeanEstimate(value, ci, "cluster_bootstrap", n_clusters)


@dataclass(frozen=True)
class DifferenceEstimate:
    """A paired difference of two proportions with its interval (``value``/``ci`` ``None`` for no pairs)."""

    value: float | None
    n: int
    ci: tuple[float, float] | None
    method: str | None


def paired_difference(
    first: np.ndarray,
    second: np.ndarray,
    cluster_ids: Sequence[object] | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> DifferenceEstimate:
    """``mean(first) − mean(second)`` for paired boolean outcomes, with a (cluster) bootstrap CI.

    Pairs of one cluster (follow-ups of one source) are resampled together; ``cluster_ids=None``
    makes every pair its own unit. When every pair differs in the same way — no pair is discordant
    (the usual case: neither model flips under a transformation), or every pair is discordant in
    the same direction — every resample reproduces the point estimate and the percentile interval
    collapses to it. As :func:`clustered_rate` does for an all-or-nothing rate, the interval then
    comes from the Wilson interval over the ``K`` units (method ``"wilson_units"``): with no
    discordant unit among ``K``, the share of discordant pairs is at most ``u`` (Wilson's upper
    bound for 0 of ``K``), so the difference lies in ``[−u, u]``; with every unit discordant towards
    ``first``, that share is at least ``l`` (Wilson's lower bound for ``K`` of ``K``), so the
    difference lies in ``[2l − 1, 1]`` (mirrored towards ``second``).
    """
    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("paired arrays must have the same shape")
    n = int(a.size)
    if n == 0:
        return DifferenceEstimate(None, 0, None, None)
    diff = a - b
    value = float(diff.mean())
    method = "bootstrap" if cluster_ids is None else "cluster_bootstrap"
    if np.all(diff == diff[0]):
        units = n if cluster_ids is None else cluster_index(cluster_ids)[1]
        if diff[0] == 0:
            upper = wilson_ci(0, units, confidence)[1]
            return DifferenceEstimate(value, n, (-upper, upper), "wilson_units")
        lower = wilson_ci(units, units, confidence)[0]
        ci = (2.0 * lower - 1.0, 1.0) if diff[0] > 0 else (-1.0, 1.0 - 2.0 * lower)
        return DifferenceEstimate(value, n, ci, "wilson_units")
    ci = bootstrap_ci(ratio_statistic(diff), cluster_ids, n_resamples, seed, confidence)
    return DifferenceEstimate(value, n, ci, method)


def tolerance_verdict(ci: Sequence[float] | None, tolerance: float, eps: float = 0.0) -> str:
    """Where a difference's confidence interval lies relative to ``[−tolerance, tolerance]``.

    ``"within"`` when the whole interval lies inside it, ``"outside"`` when the whole interval lies
    beyond one of its ends, ``"inconclusive"`` when it straddles an end (or there is no interval):
    the data cannot decide. ``eps`` widens the band by a rounding allowance.
    """
    if ci is None:
        return "inconclusive"
    lo, hi = float(ci[0]), float(ci[1])
    if lo >= -tolerance - eps and hi <= tolerance + eps:
        return "within"
    if lo > tolerance + eps or hi < -tolerance - eps:
        return "outside"
    return "inconclusive"


# --------------------------------------------------------------------------------------------
# Divergence and calibration
# --------------------------------------------------------------------------------------------


def _xlog2y(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # 0 * log(0) is 0 by continuity; scipy.special.xlogy implements exactly that convention.
    from scipy.special import xlogy

    return xlogy(x, y) / np.log(2.0)


def jensen_shannon_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise Jensen–Shannon divergence in bits (base 2), in ``[0, 1]``.

    ``JSD(p, q) = ½ KL(p‖m) + ½ KL(q‖m)`` with ``m = ½(p + q)``. Accepts ``[C]`` or ``[N, C]``
    inputs and returns a scalar array or ``[N]`` accordingly. Rows are renormalised to sum to 1.
    This is the *divergence*, i.e. the square of scipy's ``jensenshannon`` distance.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"shape mismatch: {p.shape} vs {q.shape}")
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    # A subnormal entry can halve to exactly 0 in m while still being > 0 in p; flooring m at the
    # smallest normal float keeps that term ~0 instead of p*log(p/0) = inf.
    m = np.maximum(0.5 * (p + q), np.finfo(np.float64).tiny)
    # KL(p||m) = sum p log p - p log m; written with xlogy so zero entries contribute nothing.
    kl_pm = (_xlog2y(p, p) - _xlog2y(p, m)).sum(axis=-1)
    kl_qm = (_xlog2y(q, q) - _xlog2y(q, m)).sum(axis=-1)
    # Rounding can push identical rows a hair below 0 or disjoint rows a hair above 1.
    return np.clip(0.5 * (kl_pm + kl_qm), 0.0, 1.0)


#: Student probabilities below this count as this in KL(teacher ‖ student), so a class the student
#: rules out entirely (a hard 0 from stored outputs, or float underflow) gives a large finite KL instead
#: of infinity. Rows where it mattered are counted (:func:`kl_floor_hits`) and reported.
KL_FLOOR = 1e-12


def kl_divergence(p: np.ndarray, q: np.ndarray, base: float = 2.0, floor: float = KL_FLOOR) -> np.ndarray:
    """Row-wise KL(p ‖ q) = Σ_c p_c log(p_c / q_c), in bits (``base=2``) or nats (``base=e``).

    ``p`` is the reference distribution (the teacher's), ``q`` the approximation (the student's).
    Rows are renormalised to sum to 1; ``0·log 0 = 0``. Where ``q_c < floor`` it is read as
    ``floor`` (see :data:`KL_FLOOR`). The result is clipped at 0 from below, so rounding never makes
    it negative, and it is exactly 0 for identical rows. Accepts ``[C]`` or ``[N, C]`` inputs.
    """
    from scipy.special import xlogy

    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"shape mismatch: {p.shape} vs {q.shape}")
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    # xlogy gives p·log p = 0 where p = 0; the same for the cross term, whatever q is there.
    kl = (xlogy(p, p) - xlogy(p, np.maximum(q, floor))).sum(axis=-1) / np.log(base)
    return np.maximum(kl, 0.0)


def kl_floor_hits(p: np.ndarray, q: np.ndarray, floor: float = KL_FLOOR) -> np.ndarray:
    """Per row: whether :func:`kl_divergence` read some ``q_c`` as ``floor`` where ``p_c > 0``."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    q = q / q.sum(axis=-1, keepdims=True)
    return np.any((p > 0) & (q < floor), axis=-1)


def calibration_bins(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index (``0..n_bins-1``) of each confidence for equal-width bins ``(lo, hi]``.

    The first bin also holds confidence exactly 0. Edges come from ``np.linspace`` and the
    comparison is done against them (not ``ceil(conf * n_bins)``) so that a confidence of exactly
    0.3 falls in ``(0.2, 0.3]`` despite ``0.3 * 10 == 3.0000000000000004``.
    """
    if n_bins < 1:
        raise ValueError("n_bins must be >= 1")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.searchsorted(edges, np.asarray(confidence, dtype=np.float64), side="left") - 1
    return np.clip(idx, 0, n_bins - 1)


def ece_statistic(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> LinearStatistic:
    """ECE as a :class:`LinearStatistic`, for the bootstrap.

    ECE = Σ_b (n_b/N)·|acc_b − conf_b| = (1/N)·Σ_b |Σ_{i∈b} (correct_i − conf_i)|, so the design
    holds ``correct_i − conf_i`` in the column of row i's bin, plus a column of ones for N.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    gap = np.asarray(correct, dtype=np.float64) - conf
    design = np.zeros((conf.size, n_bins + 1))
    design[np.arange(conf.size), calibration_bins(conf, n_bins)] = gap
    design[:, n_bins] = 1.0
    return LinearStatistic(
        design, lambda s: _safe_div(np.abs(s[:, :n_bins]).sum(axis=1), s[:, n_bins])
    )


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10
) -> float | None:
    """Expected calibration error with ``n_bins`` equal-width confidence bins ``(lo, hi]``.

    ``confidence`` is the probability of the predicted class, ``correct`` whether that prediction
    matches the gold label. Returns ``None`` for an empty set.
    """
    if np.asarray(confidence).size == 0:
        return None
    return ece_statistic(confidence, correct, n_bins).value()


# --------------------------------------------------------------------------------------------
# Classification metrics
# --------------------------------------------------------------------------------------------


def _f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, average: str) -> np.ndarray:
    """F1 from per-class counts shaped ``[..., C]``.

    A class that is absent from both gold labels and predictions (tp+fp+fn == 0) is left out of
    the macro average; a class that is present but never correctly predicted scores 0. This is
    scikit-learn's convention with ``zero_division=0``. Binary F1 of an absent positive class is 0.
    """
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1.0), 0.0)
    if average == "binary":
        return per_class[..., 1]
    present = denom > 0
    n_present = present.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_present > 0, (per_class * present).sum(axis=-1) / np.maximum(n_present, 1), 0.0)


def f1_average(n_classes: int) -> str:
    """``"binary"`` (F1 of class index 1) for two classes, else ``"macro"``."""
    return "binary" if n_classes == 2 else "macro"


def f1_statistic(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> LinearStatistic:
    """F1 (see :func:`f1_score`) as a :class:`LinearStatistic`: design = one-hot TP | FP | FN."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    t = np.eye(n_classes)[y_true]
    p = np.eye(n_classes)[y_pred]
    tp = t * p
    average = f1_average(n_classes)
    c = n_classes
    return LinearStatistic(
        np.hstack([tp, p - tp, t - tp]),
        lambda s: _f1_from_counts(s[:, :c], s[:, c : 2 * c], s[:, 2 * c :], average),
    )


def f1_score(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float | None:
    """F1 of the positive class (index 1) for binary tasks, macro-F1 otherwise.

    Returns ``None`` for an empty set. See :func:`_f1_from_counts` for the zero-division rules.
    """
    if np.asarray(y_true).size == 0:
        return None
    return f1_statistic(y_true, y_pred, n_classes).value()


# --------------------------------------------------------------------------------------------
# Paired test
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class McNemarResult:
    """Outcome of McNemar's test (or its clustered version) on paired correctness.

    ``b``: first model right, second wrong; ``c``: first wrong, second right. ``statistic`` is the
    chi-square value (``None`` for the exact tests). ``method`` is ``"exact_binomial"`` or
    ``"chi_square_cc"`` (independent pairs), ``"cluster_sign_test"`` or ``"obuchowski"`` (pairs
    clustered by source; ``n_clusters`` is then the number of clusters, else ``None``).
    """

    b: int
    c: int
    n: int
    statistic: float | None
    p_value: float
    method: str
    n_clusters: int | None = None


def _discordant(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(correct_a, dtype=bool)
    bb = np.asarray(correct_b, dtype=bool)
    if a.shape != bb.shape:
        raise ValueError("paired arrays must have the same shape")
    return a & ~bb, ~a & bb


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> McNemarResult:
    """McNemar's test of ``correct_a`` vs ``correct_b`` (boolean arrays over the same independent items).

    Exact two-sided binomial test on the discordant pairs when ``b + c < 25``; otherwise the
    chi-square statistic with continuity correction ``max(|b − c| − 1, 0)² / (b + c)`` on 1 df. The
    correction is floored at 0: without the floor, ``|b − c| = 0`` would give ``1 / (b + c)`` and a
    smaller p-value than ``|b − c| = 1``, although it is the better fit to the null hypothesis.
    With no discordant pairs the models are indistinguishable and the exact p-value is 1.
    """
    first, second = _discordant(correct_a, correct_b)
    b, c = int(first.sum()), int(second.sum())
    nd = b + c
    if nd < MCNEMAR_EXACT_BELOW:
        p = 1.0 if nd == 0 else float(_sps.binomtest(b, nd, 0.5).pvalue)
        return McNemarResult(b, c, int(first.size), None, min(p, 1.0), "exact_binomial")
    stat = max(abs(b - c) - 1.0, 0.0) ** 2 / nd
    return McNemarResult(b, c, int(first.size), float(stat), float(_sps.chi2.sf(stat, 1)), "chi_square_cc")


def clustered_mcnemar(correct_a: np.ndarray, correct_b: np.ndarray, cluster_ids: Sequence[object]) -> McNemarResult:
    """McNemar's question for pairs that are clustered (several follow-ups of one source).

    Per cluster k let ``d_k = b_k − c_k`` and ``n_k`` its pairs; ``D = Σ d_k = b − c``, ``N = Σ n_k``,
    ``K`` clusters. Under the null hypothesis (the two models are exchangeable on every pair) each
    cluster's ``d_k`` is as likely to be positive as negative, whatever the correlation inside it.

    * Fewer than 25 clusters with ``d_k ≠ 0``: the exact sign test on those clusters
      (``"cluster_sign_test"``: ``binomtest(#{d_k > 0}, #{d_k ≠ 0}, 0.5)``), valid for any K.
    * Otherwise Obuchowski's test (Statistics in Medicine 17, 1998): the difference of the two
      correlated proportions, ``D / N``, over its ratio-estimator variance for cluster samples,
      ``X² = D² / (K/(K−1) · Σ_k (d_k − n_k·D/N)²)`` on 1 df (``"obuchowski"``). A zero variance with
      ``D ≠ 0`` (every cluster shifted in proportion) falls back to the sign test.

    Written here because neither scipy nor another dependency of the project has a clustered
    McNemar; both branches are a few lines over per-cluster sums.
    """
    first, second = _discordant(correct_a, correct_b)
    if len(cluster_ids) != first.size:
        raise ValueError("cluster_ids must have one entry per pair")
    b, c, n = int(first.sum()), int(second.sum()), int(first.size)
    codes, k = cluster_index(cluster_ids)
    d_k = np.bincount(codes, weights=first.astype(np.float64) - second, minlength=k)
    n_k = np.bincount(codes, minlength=k).astype(np.float64)
    informative = d_k != 0

    def sign_test() -> McNemarResult:
        m = int(informative.sum())
        p = 1.0 if m == 0 else float(_sps.binomtest(int((d_k > 0).sum()), m, 0.5).pvalue)
        return McNemarResult(b, c, n, None, min(p, 1.0), "cluster_sign_test", k)

    if informative.sum() < MCNEMAR_EXACT_BELOW:
        return sign_test()
    total = float(b - c)
    variance = k / (k - 1.0) * float(np.sum((d_k - n_k * total / n) ** 2))
    if variance <= 0.0:
        return sign_test()
    stat = total ** 2 / variance
    return McNemarResult(b, c, n, float(stat), float(_sps.chi2.sf(stat, 1)), "obuchowski", k)
