"""Linear CKA (Kornblith et al., "Similarity of Neural Network Representations Revisited", ICML 2019).

For representations X (n × p) and Y (n × q) of the same n inputs, with K = X Xᵀ and L = Y Yᵀ their
Gram matrices and H the centring matrix,

    HSIC(K, L) = tr(K H L H) = ‖Ỹᵀ X̃‖²_F          (X̃, Ỹ: column-centred)
    CKA(X, Y)  = HSIC(K, L) / √(HSIC(K, K) · HSIC(L, L))

CKA is invariant to orthogonal transforms and isotropic scaling of either representation, not to
arbitrary invertible linear maps, and is near 0 for independent representations when n is large
against their widths.

Everything here works from Gram matrices (n × n), so its memory depends on the number of inputs, not
on the widths of the two models (CodeBERT's 768 against a 3 MB student's 96 make the cross-product
Ỹᵀ X̃ of every layer pair far larger than the Grams of a bounded sample). The analysis caps n
(:class:`~metacompress_eval.representations.RepresentationSettings.max_sources`) and reports a
bootstrap interval over inputs, which :func:`weighted_hsic` makes cheap: one matrix product per
Gram for all resamples, not one CKA per resample.

Written with numpy: neither scipy nor another dependency of the project has CKA, and the formulas
are a few lines each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["centered_gram", "cka_from_grams", "cka_matrix", "gram", "linear_cka", "weighted_cka", "weighted_hsic"]


def gram(x: np.ndarray) -> np.ndarray:
    """The linear-kernel Gram matrix ``X Xᵀ`` (float64) of the rows of ``x`` (n × p)."""
    x = np.asarray(x, dtype=np.float64)
    return x @ x.T


def centered_gram(x: np.ndarray) -> np.ndarray:
    """``H X Xᵀ H``: the Gram matrix of the column-centred rows of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    return x @ x.T


def _ratio(num: np.ndarray, den_a: np.ndarray, den_b: np.ndarray) -> np.ndarray:
    den = np.sqrt(np.maximum(den_a, 0.0) * np.maximum(den_b, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def cka_from_grams(k: np.ndarray, l: np.ndarray) -> float:
    """Linear CKA from two *centred* Gram matrices, in [0, 1]; NaN when a representation is constant."""
    return float(np.clip(_ratio(np.sum(k * l), np.sum(k * k), np.sum(l * l)), 0.0, 1.0))


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA of two representations of the same inputs (rows); NaN when one is constant."""
    x, y = np.asarray(x), np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"the representations cover {x.shape[0]} and {y.shape[0]} inputs")
    return cka_from_grams(centered_gram(x), centered_gram(y))


def cka_matrix(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray]) -> np.ndarray:
    """``CKA(xs[i], ys[j])`` for every pair: a ``[len(xs), len(ys)]`` matrix (NaN where undefined).

    Each Gram is centred and scaled to unit Frobenius norm once, so every entry is one inner product;
    the ``ys`` Grams are kept (``len(ys)`` matrices of n × n) and the ``xs`` Grams made one at a time.
    """
    def unit(g: np.ndarray) -> np.ndarray | None:
        norm = np.sqrt(np.sum(g * g))
        return g / norm if norm > 0 else None

    targets = [unit(centered_gram(y)) for y in ys]
    out = np.full((len(xs), len(ys)), np.nan)
    for i, x in enumerate(xs):
        k = unit(centered_gram(x))
        if k is None:
            continue
        for j, l in enumerate(targets):
            if l is not None:
                out[i, j] = float(np.clip(np.sum(k * l), 0.0, 1.0))
    return out


def weighted_hsic(k: np.ndarray, l: np.ndarray, weights: np.ndarray, *, kw: np.ndarray | None = None,
                  lw: np.ndarray | None = None) -> np.ndarray:
    """HSIC of the inputs repeated by ``weights`` (bootstrap multiplicities), for many resamples at once.

    ``k``, ``l``: Gram matrices (n × n) of the features as given or translated by any common vector
    (the result is translation-invariant; Grams of features centred on their unweighted mean,
    :func:`centered_gram`, keep the terms below small and the cancellation harmless); ``weights``:
    ``[B, n]``, row b the multiplicity of each input in resample b (``s_b`` = its row sum). Centring the
    repeated sample at its weighted mean and expanding ``Σ_ab w_a w_b K̃_ab L̃_ab`` gives

        HSIC_b = wᵀ(K∘L)w − 2 s Σ_a w_a u_a v_a + s² c d,
        u = K w / s,  v = L w / s,  c = wᵀ K w / s²,  d = wᵀ L w / s²,

    so all resamples cost one product ``W (K∘L)`` plus ``W K`` and ``W L`` (pass them as ``kw``/``lw``
    to share them between pairs). With every weight 1 this is ``tr(K H L H)``.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[None, :]
    s = w.sum(axis=1)
    kw = w @ k if kw is None else kw
    lw = w @ l if lw is None else lw
    q = np.einsum("bn,bn->b", w @ (k * l), w)
    u, v = kw / s[:, None], lw / s[:, None]
    p = np.einsum("bn,bn,bn->b", w, u, v)
    c = np.einsum("bn,bn->b", w, kw) / s ** 2
    d = np.einsum("bn,bn->b", w, lw) / s ** 2
    return q - 2.0 * s * p + s ** 2 * c * d


def weighted_cka(k: np.ndarray, l: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Linear CKA of the inputs repeated by each row of ``weights`` (``[B]``; NaN where undefined).

    ``k``, ``l`` are Gram matrices as :func:`weighted_hsic` takes them (best: :func:`centered_gram`). One
    row of ones gives :func:`linear_cka`. Rounding is clipped away, so values stay in [0, 1].
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w[None, :] if w.ndim == 1 else w
    kw, lw = w @ k, w @ l
    value = _ratio(weighted_hsic(k, l, w, kw=kw, lw=lw), weighted_hsic(k, k, w, kw=kw, lw=kw),
                   weighted_hsic(l, l, w, kw=lw, lw=lw))
    return np.clip(value, 0.0, 1.0)
