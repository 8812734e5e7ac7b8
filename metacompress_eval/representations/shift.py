"""Representation shift: how far a model's final-layer representation moves from a source to its follow-up.

    shift(x′) = 1 − cos(h(x), h(x′))

Raw shifts of two models are not comparable: an anisotropic space (every vector within a few degrees
of every other) shows tiny shifts for inputs that differ completely. Each model's shifts are therefore
also given relative to its *scale*, the median shift between two different sources
(:func:`between_source_scale`): 0 means the follow-up sits where its source does, 1 that it moved as far
as an unrelated program typically lies.
"""

from __future__ import annotations

import numpy as np

__all__ = ["between_source_scale", "cosine_shift"]


def cosine_shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise ``1 − cos(a_i, b_i)`` in [0, 2]; exactly 0 for identical rows (a zero vector against itself
    included), 1 for a zero vector against another."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1)
    dot = np.sum(a * b, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where((na > 0) & (nb > 0), dot / np.where((na > 0) & (nb > 0), na * nb, 1.0), np.nan)
    undefined = np.isnan(cos)
    same = np.all(a == b, axis=-1)
    cos = np.where(undefined, 0.0, cos)
    # Identical rows: exactly 0, not the rounding of dot / (|a||b|).
    return np.where(same, 0.0, np.clip(1.0 - cos, 0.0, 2.0))


def between_source_scale(h: np.ndarray, rng: np.random.Generator, max_pairs: int = 2000) -> float | None:
    """Median ``1 − cos`` between the representations of two different sources (``h``: ``[n, width]``).

    All pairs when there are at most ``max_pairs`` of them, else ``max_pairs`` random pairs of distinct
    rows. ``None`` for fewer than two sources or a scale of 0 (every source represented alike).
    """
    n = int(h.shape[0])
    if n < 2:
        return None
    if n * (n - 1) // 2 <= max_pairs:
        i, j = np.triu_indices(n, k=1)
    else:
        i = rng.integers(0, n, max_pairs)
        j = (i + rng.integers(1, n, max_pairs)) % n  # never equal to i
    scale = float(np.median(cosine_shift(h[i], h[j])))
    return scale if scale > 0 else None
