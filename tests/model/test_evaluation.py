"""Evaluation helpers: exact 2-D nearest neighbours, kNN accuracy, PCA-2, dead units."""

from __future__ import annotations

import numpy as np
import pytest
from factories import random_model

from builder.model.evaluation import dead_units, knn_accuracy, nearest, pca2


def test_knn_matches_brute_force(rng: np.random.Generator) -> None:
    a, ya = rng.normal(size=(300, 2)), rng.integers(0, 4, 300)
    q, yq = rng.normal(size=(100, 2)), rng.integers(0, 4, 100)
    correct = 0
    for p, y in zip(q, yq):
        order = np.argsort(((a - p) ** 2).sum(1), kind="stable")[:5]
        counts = np.bincount(ya[order], minlength=4)
        best = np.flatnonzero(counts == counts.max())
        pred = next(ya[i] for i in order if ya[i] in best)  # tie: the nearest tied class
        correct += pred == y
    assert knn_accuracy(a, ya, q, yq) == correct / 100


def test_pca2_on_data_that_lies_in_a_plane(rng: np.random.Generator) -> None:
    basis = np.linalg.qr(rng.normal(size=(784, 2)))[0].T
    x = (rng.normal(size=(400, 2)) @ basis + 0.5).astype(np.float32)
    y = (x @ basis[0] > 0.5 * basis[0].sum()).astype(np.uint8)
    r, codes = pca2(x[:300], x[300:], y[:300], y[300:])
    assert r["test_mse"] < 1e-10 and r["knn5"] > 0.9
    assert codes.shape == (400, 2) and codes.dtype == np.float32
    # the codes are the data's coordinates in the plane, up to rotation: distances agree
    d = lambda c: ((c[:, None] - c[None]) ** 2).sum(-1)  # noqa: E731
    np.testing.assert_allclose(d(codes[:50]), d(x[:50].astype(np.float64)), atol=1e-4)


@pytest.mark.parametrize("n, k", [(3000, 5), (7, 5), (5, 5), (3, 3)])
def test_nearest_is_exact_on_clustered_and_tiny_sets(rng: np.random.Generator, n: int, k: int) -> None:
    a = np.exp(2 * rng.normal(size=(n, 2))) * rng.choice([-1, 1], (n, 2))  # heavy tails, clusters
    q = np.concatenate([np.exp(2 * rng.normal(size=(200, 2))), a[:5] + 1e-9])
    got = nearest(a, q, k)
    want = np.array([np.argsort(((a - p) ** 2).sum(1), kind="stable")[:k] for p in q])
    d_got = np.take_along_axis(((a[None] - q[:, None]) ** 2).sum(-1), got, 1)
    d_want = np.take_along_axis(((a[None] - q[:, None]) ** 2).sum(-1), want, 1)
    np.testing.assert_array_equal(d_got, d_want)


def test_dead_units_are_the_units_that_never_fire(rng: np.random.Generator) -> None:
    model = random_model(sizes=(6, 5, 4, 2), seed=1)
    model.b[0][:2] = -1e6          # two units of the first layer can never fire
    model.W[1][:, 3] = 0.0         # one unit of the second layer gets no input ...
    model.b[1][3] = -1.0           # ... and a negative bias
    x = rng.random((50, 6)).astype(np.float32)
    shares = dead_units(model, x)
    assert shares[0] == pytest.approx(2 / 5) and shares[1] >= 1 / 4 and len(shares) == 2


def test_nearest_of_wide_codes_is_exact() -> None:
    """30-D codes (the compress stage's) go by brute force: the same neighbours, in the same
    order, as sorting every distance."""
    rng = np.random.default_rng(5)
    a, q = rng.standard_normal((700, 30)), rng.standard_normal((300, 30))
    d = ((q[:, None, :] - a[None]) ** 2).sum(-1)
    assert np.array_equal(nearest(a, q, 5), np.argsort(d, 1, kind="stable")[:, :5])


@pytest.mark.parametrize("n, k, probe", [(5000, 5, 64), (40, 5, 2048), (6, 6, 2), (300, 1, 16)])
def test_nearest_of_wide_codes_with_ties_and_duplicates_goes_in_index_order(n: int, k: int, probe: int) -> None:
    """Repeated rows (as repeated images give) and queries on them: equal distances come in
    index order, whatever part of the rows bounds the search."""
    from builder.model.evaluation import _nearest_brute

    rng = np.random.default_rng(7)
    a = rng.integers(-2, 3, size=(n, 30)).astype(np.float64)   # small integers: many exact ties
    a[n // 2 :: 3] = a[0]                                        # and copies of one row
    q = np.concatenate([a[:20], rng.integers(-2, 3, size=(30, 30)).astype(np.float64)])
    d = ((q[:, None, :] - a[None]) ** 2).sum(-1)
    assert np.array_equal(_nearest_brute(a, q, k, chunk=16, probe=probe), np.argsort(d, 1, kind="stable")[:, :k])
