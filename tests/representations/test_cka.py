"""Linear CKA against a reference computation written here, its invariances, and its bootstrap."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metacompress_eval.representations.cka import (centered_gram, cka_from_grams, cka_matrix, gram, linear_cka,
                                                   weighted_cka, weighted_hsic)


def reference_cka(x, y):
    """Kornblith et al.'s feature-space form: ‖Ỹᵀ X̃‖²_F / (‖X̃ᵀ X̃‖_F ‖Ỹᵀ Ỹ‖_F), columns centred."""
    x = np.asarray(x, float) - np.mean(x, axis=0)
    y = np.asarray(y, float) - np.mean(y, axis=0)
    return np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def orthogonal(p, rng):
    q, r = np.linalg.qr(rng.normal(size=(p, p)))
    return q * np.sign(np.diag(r))


shapes = st.tuples(st.integers(6, 40), st.integers(1, 12), st.integers(1, 12), st.integers(0, 10_000))


@settings(max_examples=80, deadline=None)
@given(shapes)
def test_matches_the_reference_and_lies_in_the_unit_interval(shape):
    n, p, q, seed = shape
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    y = x[:, :min(p, q)] @ rng.normal(size=(min(p, q), q)) + rng.normal(size=(n, q)) * rng.random()
    value = linear_cka(x, y)
    assert value == pytest.approx(reference_cka(x, y), rel=1e-9, abs=1e-12)
    assert 0.0 <= value <= 1.0
    assert linear_cka(y, x) == pytest.approx(value, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(shapes, st.floats(1e-3, 1e3))
def test_invariant_to_orthogonal_transforms_isotropic_scaling_and_translation(shape, scale):
    n, p, _, seed = shape
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    moved = scale * x @ orthogonal(p, rng) + rng.normal(size=p)
    assert linear_cka(x, moved) == pytest.approx(1.0, abs=1e-9)
    y = rng.normal(size=(n, 3))
    assert linear_cka(moved, y) == pytest.approx(linear_cka(x, y), abs=1e-9)


def test_not_invariant_to_an_arbitrary_invertible_map():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6))
    stretch = np.diag([1.0, 1.0, 1.0, 1.0, 1.0, 40.0])  # invertible, not orthogonal times a scalar
    value = linear_cka(x, x @ stretch)
    assert value == pytest.approx(reference_cka(x, x @ stretch))
    assert value < 0.5


@pytest.mark.parametrize("seed", range(5))
def test_independent_random_features_are_near_zero(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
    value = linear_cka(x, y)
    assert value == pytest.approx(reference_cka(x, y), rel=1e-9)
    assert value < 0.02


def test_constant_representation_is_undefined():
    rng = np.random.default_rng(1)
    x = np.ones((10, 4))
    assert np.isnan(linear_cka(x, rng.normal(size=(10, 3))))
    assert np.isnan(cka_matrix([x], [rng.normal(size=(10, 3))])[0, 0])


def test_matrix_is_every_pair():
    rng = np.random.default_rng(2)
    xs = [rng.normal(size=(30, d)) for d in (3, 5, 7)]
    ys = [xs[1] @ rng.normal(size=(5, 4)), rng.normal(size=(30, 2))]
    m = cka_matrix(xs, ys)
    assert m.shape == (3, 2)
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            assert m[i, j] == pytest.approx(reference_cka(x, y), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(5, 30), st.integers(0, 10_000))
def test_weighted_cka_equals_cka_of_the_resampled_inputs(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)) + 5.0  # far from the origin: the weighted centring must handle it
    y = x @ rng.normal(size=(4, 3)) + rng.normal(size=(n, 3))
    draws = rng.integers(0, n, size=(6, n))
    weights = np.stack([np.bincount(d, minlength=n) for d in draws]).astype(float)
    expected = []
    for d in draws:
        if len(set(d.tolist())) < 2:
            expected.append(np.nan)
        else:
            expected.append(reference_cka(x[d], y[d]))
    for k, l in ((gram(x), gram(y)), (centered_gram(x), centered_gram(y))):  # translation-invariant
        got = weighted_cka(k, l, weights)
        ok = np.isfinite(expected)
        assert np.allclose(got[ok], np.asarray(expected)[ok], rtol=1e-6, atol=1e-9)
    assert weighted_cka(centered_gram(x), centered_gram(y), np.ones(n))[0] == pytest.approx(linear_cka(x, y))


def test_weighted_hsic_with_unit_weights_is_trace_khlh():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 5))
    k, l = gram(x), gram(y)
    h = np.eye(12) - 1.0 / 12
    assert weighted_hsic(k, l, np.ones(12))[0] == pytest.approx(np.trace(k @ h @ l @ h))
    assert cka_from_grams(centered_gram(x), centered_gram(y)) == pytest.approx(reference_cka(x, y))
