"""The ``representations`` section of ``report.json``: layer-by-layer CKA and representation shift.

From the teacher's and the student's per-layer representations (:mod:`.store`):

* **CKA on the sources** — linear CKA (:mod:`.cka`) between every teacher layer and every student layer,
  for both poolings (first token, mean over tokens); for each student layer, the teacher layer that
  matches it best, with a bootstrap CI over sources;
* **CKA under transformation** — for those best-matching pairs, CKA on each transformation's
  follow-ups against CKA on the same follow-ups' sources, and their paired difference with a bootstrap
  CI: does the student stay as similar to the teacher when the input is transformed?
* **Representation shift** — per follow-up, each model's final-layer ``1 − cos(h(x), h(x′))``
  (:mod:`.shift`); per transformation and over all transformation follow-ups (the adversarial examples of
  ``--attacks`` pooled apart, in ``attacks``), the rank correlation of the two models' shifts and the
  share of follow-ups where the teacher barely moves but the student moves a lot.

Memory stays bounded by :attr:`RepresentationSettings.max_sources`: at most that many sources (a seeded
uniform sample when there are more, said in the report) and their follow-ups are analysed, and the
Gram matrices are n × n for n ≤ ``max_sources`` whatever the models' widths. Definitions:
docs/representations.md.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

from .. import stats
from ..errors import MetaCompressError
from ..fileio import to_jsonable
from ..relations import is_attack
from .cka import centered_gram, cka_matrix, weighted_cka
from .shift import between_source_scale, cosine_shift
from .store import POOLINGS, RepresentationStore


@dataclass(frozen=True)
class RepresentationSettings:
    """How the representations are compared.

    Attributes:
        max_sources: at most this many sources (and their follow-ups) are analysed; more are sampled
            uniformly with the run's seed. Bounds memory (Gram matrices of max_sources²) and the extra
            forward passes.
        resamples: bootstrap resamples of every CKA and rank-correlation interval (each costs one
            product of n × n matrices per Gram, hence fewer than the relations' ``bootstrap_resamples``).
        still: the teacher "barely moves" when its relative shift is at most this.
        moves: the student "moves a lot" when its relative shift is at least this.
        min_inputs: CKA and rank correlations need at least this many inputs (else ``null``).
    """

    max_sources: int = 1000
    resamples: int = 200
    still: float = 0.1
    moves: float = 0.5
    min_inputs: int = 5

    def __post_init__(self) -> None:
        if int(self.max_sources) != self.max_sources or self.max_sources < 2:
            raise MetaCompressError("representation max_sources (--representation-sources) must be an integer >= 2")
        if int(self.resamples) != self.resamples or self.resamples < 50:
            raise MetaCompressError("representation resamples must be an integer >= 50")
        if not (0.0 <= self.still <= self.moves):
            raise MetaCompressError("representation shift thresholds need 0 <= still (--shift-still) <= moves "
                                    "(--shift-moves)")
        if int(self.min_inputs) != self.min_inputs or self.min_inputs < 3:
            raise MetaCompressError("representation min_inputs must be an integer >= 3")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RepresentationResult:
    """The report section and, per analysed follow-up, both models' shifts (``representations.jsonl``)."""

    section: dict
    shifts: list[dict] = field(default_factory=list)


def _rng(seed: int, *parts: object) -> np.random.Generator:
    """A generator per statistic, so each interval depends on the seed and its name, not on evaluation order."""
    return np.random.default_rng([int(seed), *[zlib.crc32(str(p).encode()) for p in parts]])


def sample_sources(source_ids: Sequence[str], transformations: Sequence[str | None], max_sources: int,
                   seed: int) -> np.ndarray:
    """Row indices of the analysed sources: all of them, or ``max_sources`` drawn uniformly (sorted)."""
    rows = np.array([i for i, t in enumerate(transformations) if t is None], dtype=np.int64)
    if rows.size > max_sources:
        rows = np.sort(_rng(seed, "sources").choice(rows, size=max_sources, replace=False))
    return rows


def rows_to_collect(source_ids: Sequence[str], transformations: Sequence[str | None],
                    settings: RepresentationSettings, seed: int) -> list[int]:
    """The analysed sources and every follow-up of theirs: the rows whose representations are needed."""
    chosen = {source_ids[i] for i in sample_sources(source_ids, transformations, settings.max_sources, seed)}
    return [i for i, sid in enumerate(source_ids) if sid in chosen]


def _cluster_weights(clusters: Sequence[object], n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``[B, n]`` bootstrap multiplicities of the rows: clusters drawn with replacement, all their rows kept."""
    codes, k = stats.cluster_index(clusters)
    draws = rng.integers(0, k, size=(n_resamples, k))
    counts = np.stack([np.bincount(d, minlength=k) for d in draws]).astype(np.float64)
    return counts[:, codes]


def _ci(values: np.ndarray) -> list[float] | None:
    ci = stats.percentile_ci(values)
    return None if ci is None else [ci[0], ci[1]]


def _listed(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def _value(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _best_pairs(matrix: np.ndarray) -> list[tuple[int, int]]:
    """For each student layer, the teacher layer of highest CKA (ties: the lower layer); undefined columns skipped."""
    pairs = []
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        if np.all(np.isnan(column)):
            continue
        pairs.append((int(np.nanargmax(column)), j))
    return pairs


def _spearman(a: np.ndarray, b: np.ndarray, clusters: Sequence[object], settings: RepresentationSettings,
              rng: np.random.Generator, *, independent: bool) -> dict[str, Any]:
    """Spearman's ρ with a (cluster) bootstrap CI; scipy's p-value where the rows are independent."""
    n = int(a.size)
    if n < settings.min_inputs or np.all(a == a[0]) or np.all(b == b[0]):
        return {"rho": None, "p_value": None, "ci95": None, "ci_method": None}
    res = sps.spearmanr(a, b)
    weights = _cluster_weights(clusters, settings.resamples, rng)
    draws = []
    for w in weights:
        idx = np.repeat(np.arange(n), w.astype(np.int64))
        ra, rb = a[idx], b[idx]
        # A resample without variation has no rank correlation (NaN, left out of the percentiles).
        defined = idx.size >= 3 and np.ptp(ra) > 0 and np.ptp(rb) > 0
        draws.append(sps.spearmanr(ra, rb).statistic if defined else np.nan)
    return {"rho": _value(res.statistic), "p_value": _value(res.pvalue) if independent else None,
            "ci95": _ci(np.asarray(draws, dtype=np.float64)),
            "ci_method": "bootstrap" if independent else "cluster_bootstrap"}


def _shift_block(teacher: np.ndarray, student: np.ndarray, rel_t: np.ndarray | None, rel_s: np.ndarray | None,
                 clusters: list[str], settings: RepresentationSettings, rng: np.random.Generator,
                 *, independent: bool) -> dict[str, Any]:
    n = int(teacher.size)
    block: dict[str, Any] = {
        "n": n,
        "teacher_mean": float(teacher.mean()) if n else None,
        "student_mean": float(student.mean()) if n else None,
        "teacher_mean_relative": float(rel_t.mean()) if n and rel_t is not None else None,
        "student_mean_relative": float(rel_s.mean()) if n and rel_s is not None else None,
        "spearman": _spearman(teacher, student, clusters, settings, rng, independent=independent),
    }
    if rel_t is None or rel_s is None or n == 0:
        block["teacher_still_student_moves"] = None
        return block
    events = (rel_t <= settings.still + 1e-12) & (rel_s >= settings.moves - 1e-12)
    est = (stats.independent_rate(events) if independent
           else stats.clustered_rate(events, clusters, settings.resamples, int(rng.integers(2**31))))
    block["teacher_still_student_moves"] = {"events": est.k, "n": est.n, "rate": est.rate,
                                            "ci95": None if est.ci is None else list(est.ci), "ci_method": est.method}
    return block


def analyze_representations(store: RepresentationStore, source_ids: Sequence[str],
                            transformations: Sequence[str | None], settings: RepresentationSettings | None = None,
                            seed: int = 0) -> RepresentationResult:
    """CKA between the two models' layers and their representation shifts (module docstring).

    Args:
        store: both models' representations of (at least) the rows :func:`rows_to_collect` names.
        source_ids, transformations: per evaluated row, as in ``EvaluationOutputs``.
        settings: see :class:`RepresentationSettings`.
        seed: seeds the source sample and every bootstrap.
    """
    settings = settings or RepresentationSettings()
    src_rows = sample_sources(source_ids, transformations, settings.max_sources, seed)
    all_sources = sum(1 for t in transformations if t is None)
    chosen = {source_ids[i]: n for n, i in enumerate(src_rows)}  # source id → position in the sample
    fu_rows = np.array([i for i, (sid, t) in enumerate(zip(source_ids, transformations))
                        if t is not None and sid in chosen], dtype=np.int64)
    fu_pos = np.array([chosen[source_ids[i]] for i in fu_rows], dtype=np.int64)  # each follow-up's source
    fu_t = [transformations[i] for i in fu_rows]
    names = sorted(set(fu_t))
    n_attacks = sum(1 for t in fu_t if is_attack(t))
    (lt, wt), (ls, ws) = store.shapes["teacher"], store.shapes["student"]
    section: dict[str, Any] = {
        "settings": settings.as_dict(),
        "poolings": list(POOLINGS),
        "teacher": {"layers": lt - 1, "width": wt},
        "student": {"layers": ls - 1, "width": ws},
        "n_sources": int(src_rows.size),
        "sources_total": int(all_sources),
        "subsampled": bool(src_rows.size < all_sources),
        # Counted as the analysis' scopes count them: adversarial examples (attack:<method>) apart.
        "n_follow_ups": len(fu_t) - n_attacks,
        **({"n_attacks": n_attacks} if n_attacks else {}),
        "cka": {},
        "shift": {},
    }
    shifts = [{"index": int(i), "source_id": source_ids[i], "transformation": transformations[i],
               "teacher": {}, "student": {}, "teacher_relative": {}, "student_relative": {}} for i in fu_rows]
    src_clusters = [source_ids[i] for i in src_rows]
    for pooling in POOLINGS:
        xs = store.get("teacher", src_rows, pooling)  # [n, Lt+1, Wt]
        ys = store.get("student", src_rows, pooling)
        section["cka"][pooling] = _cka_section(store, xs, ys, src_clusters, fu_rows, fu_pos, fu_t, names,
                                               pooling, settings, seed)
        section["shift"][pooling] = _shift_section(store, xs[:, -1], ys[:, -1], fu_rows, fu_pos, fu_t, names,
                                                   [source_ids[i] for i in fu_rows], pooling, settings, seed,
                                                   shifts)
    return RepresentationResult(to_jsonable(section), to_jsonable(shifts))


def _cka_section(store: RepresentationStore, xs: np.ndarray, ys: np.ndarray, src_clusters: list[str],
                 fu_rows: np.ndarray, fu_pos: np.ndarray, fu_t: list[str], names: list[str], pooling: str,
                 settings: RepresentationSettings, seed: int) -> dict[str, Any]:
    n = xs.shape[0]
    if n < settings.min_inputs:
        return {"matrix": None, "best_pairs": [], "by_transformation": {}}
    matrix = cka_matrix([xs[:, i] for i in range(xs.shape[1])], [ys[:, j] for j in range(ys.shape[1])])
    pairs = _best_pairs(matrix)
    weights = _cluster_weights(src_clusters, settings.resamples, _rng(seed, "cka", pooling))
    # Basic, not percentile, intervals: a resample repeats inputs, which raises its CKA (stats.basic_ci).
    best = []
    for i, j in pairs:
        draws = weighted_cka(centered_gram(xs[:, i]), centered_gram(ys[:, j]), weights)
        best.append({"teacher_layer": i, "student_layer": j, "cka": _value(matrix[i, j]),
                     "ci95": _listed(stats.basic_ci(matrix[i, j], draws, 0.0, 1.0)), "ci_method": "basic_bootstrap"})
    by_t: dict[str, Any] = {}
    t_layers = sorted({i for i, _ in pairs})
    s_layers = sorted({j for _, j in pairs})
    for name in names:
        keep = np.array([t == name for t in fu_t])
        rows, pos = fu_rows[keep], fu_pos[keep]
        if rows.size < settings.min_inputs:
            by_t[name] = {"n": int(rows.size), "pairs": []}
            continue
        xf = store.get("teacher", rows, pooling, t_layers)
        yf = store.get("student", rows, pooling, s_layers)
        # Paired: the follow-ups and their own sources, resampled together (by source).
        w = _cluster_weights([src_clusters[p] for p in pos], settings.resamples, _rng(seed, "cka", pooling, name))
        entries = []
        for i, j in pairs:
            k_fu, l_fu = centered_gram(xf[:, t_layers.index(i)]), centered_gram(yf[:, s_layers.index(j)])
            k_src, l_src = centered_gram(xs[pos, i]), centered_gram(ys[pos, j])
            ones = np.ones((1, rows.size))
            fu_value = float(weighted_cka(k_fu, l_fu, ones)[0])
            src_value = float(weighted_cka(k_src, l_src, ones)[0])
            diff = weighted_cka(k_fu, l_fu, w) - weighted_cka(k_src, l_src, w)
            entries.append({"teacher_layer": i, "student_layer": j, "sources": _value(src_value),
                            "follow_ups": _value(fu_value), "difference": _value(fu_value - src_value),
                            "ci95": _listed(stats.basic_ci(fu_value - src_value, diff, -1.0, 1.0)),
                            "ci_method": "basic_bootstrap"})
        by_t[name] = {"n": int(rows.size), "pairs": entries}
    return {"matrix": [[_value(v) for v in row] for row in matrix], "best_pairs": best, "by_transformation": by_t}


def _shift_section(store: RepresentationStore, h_t: np.ndarray, h_s: np.ndarray, fu_rows: np.ndarray,
                   fu_pos: np.ndarray, fu_t: list[str], names: list[str], clusters: list[str], pooling: str,
                   settings: RepresentationSettings, seed: int, shifts: list[dict]) -> dict[str, Any]:
    """Final-layer shifts of every analysed follow-up, raw and relative to each model's between-source scale."""
    lt, ls = store.shapes["teacher"][0], store.shapes["student"][0]
    rng = _rng(seed, "scale", pooling)
    scale_t, scale_s = between_source_scale(h_t, rng), between_source_scale(h_s, rng)
    if fu_rows.size:
        f_t = store.get("teacher", fu_rows, pooling, [lt - 1])[:, 0]
        f_s = store.get("student", fu_rows, pooling, [ls - 1])[:, 0]
        shift_t, shift_s = cosine_shift(h_t[fu_pos], f_t), cosine_shift(h_s[fu_pos], f_s)
    else:
        shift_t = shift_s = np.zeros(0)
    rel_t = None if scale_t is None else shift_t / scale_t
    rel_s = None if scale_s is None else shift_s / scale_s
    for n, entry in enumerate(shifts):
        entry["teacher"][pooling] = float(shift_t[n])
        entry["student"][pooling] = float(shift_s[n])
        entry["teacher_relative"][pooling] = None if rel_t is None else float(rel_t[n])
        entry["student_relative"][pooling] = None if rel_s is None else float(rel_s[n])
    # Adversarial examples (attack:<method>) are pooled apart from the transformations' follow-ups, as in
    # the analysis' scopes (docs/relations.md, *Scopes*): they were selected to move one model.
    attack = np.array([is_attack(t) for t in fu_t], dtype=bool)

    def pooled(keep: np.ndarray, *rng_parts: str) -> dict[str, Any]:
        return _shift_block(shift_t[keep], shift_s[keep], None if rel_t is None else rel_t[keep],
                            None if rel_s is None else rel_s[keep], [c for c, k in zip(clusters, keep) if k],
                            settings, _rng(seed, "shift", pooling, *rng_parts), independent=False)

    out: dict[str, Any] = {
        "layer": "final",
        "scale": {"teacher": scale_t, "student": scale_s},
        "follow_ups": pooled(~attack),
        **({"attacks": pooled(attack, "attacks")} if attack.any() else {}),
        "by_transformation": {},
    }
    for name in names:
        keep = np.array([t == name for t in fu_t])
        sub = [c for c, k in zip(clusters, keep) if k]
        # One follow-up per source under one transformation, unless a pipeline made several.
        independent = len(set(sub)) == len(sub)
        out["by_transformation"][name] = _shift_block(
            shift_t[keep], shift_s[keep], None if rel_t is None else rel_t[keep],
            None if rel_s is None else rel_s[keep], sub, settings, _rng(seed, "shift", pooling, name),
            independent=independent)
    return out
