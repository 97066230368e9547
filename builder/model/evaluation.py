"""Evaluation of a trained model: reconstruction MSE, kNN accuracy of the codes, PCA-2
(and the PCA basis of any size, for the 30-D comparison).

Reads and writes nothing: numpy arrays in, figures out. `stages.train.train` calls these
after fine-tuning; the bench calls them on PyTorch's model too.
"""

from __future__ import annotations

import math

import numpy as np

from builder.model.autoencoder import Autoencoder

F32 = np.float32


def mse(model: Autoencoder, x: np.ndarray, chunk: int = 256) -> float:
    """Mean squared reconstruction error over all pixels of `x (n, 784)`.

    `chunk` rows at a time: enough for full-speed matrix products, few enough that each
    (chunk, 784) array stays in the core's cache between the elementwise passes.
    """
    total = 0.0
    for s in range(0, len(x), chunk):
        d = model.reconstruct(x[s : s + chunk])
        d -= x[s : s + chunk]
        d *= d
        total += float(d.sum())  # pairwise in float32: about 1e-7 relative
    return total / x.size


def nearest(a: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """Exact k nearest rows of `a (n, 2)` for each row of `q (m, 2)`: (m, k) indices, nearest first
(codes of any other width by brute force, `_nearest_brute`).

    Sorts `a` by its first coordinate and looks at a window of about 4·√(k·n) rows around
    each query's place (enough for 2-D data); a query whose k-th distance is not below
    the x-gap to the window's edges is answered by brute force, so the result is exact.
    """
    a, q = np.asarray(a, np.float64), np.asarray(q, np.float64)
    if a.shape[1] != 2:
        return _nearest_brute(a, q, k)
    order = np.argsort(a[:, 0], kind="stable")
    xs, n = a[order, 0], len(a)
    w = int(min(n, max(64, 4 * math.sqrt(k * n))))
    nn = np.empty((len(q), min(k, n)), dtype=np.int64)
    step = max(1, 2**20 // w)
    for s in range(0, len(q), step):
        nn[s : s + step] = _nearest_in_window(a, q[s : s + step], xs, order, w, k)
    return nn


def _nearest_brute(a: np.ndarray, q: np.ndarray, k: int, chunk: int = 256, probe: int = 2048) -> np.ndarray:
    """The exact k nearest rows of `a (n, d)` for `q (m, d)` by brute force, `chunk` queries at
    a time (float64 distances ‖a‖² − 2 q·a, the query's own ‖q‖² being the same for every
    row), equal distances in index order: for codes wider than the plane (the 30-D ones),
    where the window above helps little.

    Each query's k-th smallest distance to the first `probe` rows bounds its k-th smallest
    to all of them, so only the rows within that bound (about k·n/probe) are sorted.
    """
    n, k = len(a), min(k, len(a))
    probe = min(n, max(probe, k))
    a2, am2 = (a * a).sum(1), -2.0 * a
    nn = np.empty((len(q), k), dtype=np.int64)
    for s in range(0, len(q), chunk):
        d2 = q[s : s + chunk] @ am2.T      # (c, n)
        d2 += a2
        bound = np.partition(d2[:, :probe], k - 1, axis=1)[:, k - 1]
        rows, cols = np.nonzero(d2 <= bound[:, None])   # ≥ k per row, the k nearest among them
        order = np.lexsort((cols, d2[rows, cols], rows))  # by row, then distance, then index
        rows, cols = rows[order], cols[order]
        first = np.searchsorted(rows, np.arange(len(d2)))
        nn[s : s + chunk] = cols[first[:, None] + np.arange(k)]
    return nn


def _nearest_in_window(a: np.ndarray, q: np.ndarray, xs: np.ndarray, order: np.ndarray,
                       w: int, k: int) -> np.ndarray:
    n = len(a)
    start = np.clip(np.searchsorted(xs, q[:, 0]) - w // 2, 0, n - w)
    cand = order[start[:, None] + np.arange(w)]
    d2 = ((a[cand] - q[:, None, :]) ** 2).sum(-1)
    top = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < w else np.tile(np.arange(w), (len(q), 1))
    top = np.take_along_axis(top, np.argsort(np.take_along_axis(d2, top, 1), 1, kind="stable"), 1)
    nn = np.take_along_axis(cand, top, 1)
    kth = np.take_along_axis(d2, top[:, -1:], 1)[:, 0]
    left = np.where(start > 0, q[:, 0] - xs[np.maximum(start - 1, 0)], np.inf)
    right = np.where(start + w < n, xs[np.minimum(start + w, n - 1)] - q[:, 0], np.inf)
    for i in np.flatnonzero(~(kth < np.minimum(left, right) ** 2)):
        d = ((a - q[i]) ** 2).sum(1)
        best = np.argpartition(d, k - 1)[:k] if k < n else np.arange(n)
        nn[i] = best[np.argsort(d[best], kind="stable")]
    return nn


def knn_predict(c_train: np.ndarray, y_train: np.ndarray, c_query: np.ndarray, k: int = 5) -> np.ndarray:
    """k-nearest-neighbour majority vote for each row of `c_query (m, 2)`: (m,) classes.

    Ties in the count go to the tied class with the nearest neighbour.
    """
    labels = y_train[nearest(c_train, c_query, k)]
    rows, n_cls = np.arange(len(c_query)), int(y_train.max()) + 1
    votes, bonus = np.zeros((len(c_query), n_cls)), np.zeros((len(c_query), n_cls))
    for r in reversed(range(labels.shape[1])):  # ends with each class's nearest rank
        votes[rows, labels[:, r]] += 1
        bonus[rows, labels[:, r]] = (k - r) / (k + 1)
    votes += bonus  # a tie in counts goes to the class with the nearest neighbour
    return votes.argmax(1)


def knn_accuracy(c_train: np.ndarray, y_train: np.ndarray, c_test: np.ndarray,
                 y_test: np.ndarray, k: int = 5) -> float:
    """Accuracy of `knn_predict` on the test codes."""
    return int((knn_predict(c_train, y_train, c_test, k) == y_test).sum()) / len(c_test)


def pca_basis(x_train: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA of `x_train (n, 784)`: the mean float32 (784,) and the `k` leading components
    float32 (784, k), largest first, each with a fixed sign (its sum positive)."""
    mu = x_train.mean(axis=0, dtype=np.float64).astype(F32)
    xc = x_train - mu
    _, vecs = np.linalg.eigh((xc.T @ xc).astype(np.float64))
    P = np.ascontiguousarray(vecs[:, : -k - 1 : -1]).astype(F32)  # the k largest, largest first
    P *= np.where(P.sum(axis=0) < 0, -1, 1).astype(F32)  # a fixed sign for each axis
    return mu, P


def pca2(x_train: np.ndarray, x_test: np.ndarray, y_train: np.ndarray, y_test: np.ndarray,
         ) -> tuple[dict[str, float], np.ndarray]:
    """PCA to 2 components fitted on the training images.

    Returns its test MSE and kNN-5, and the codes of every image, training images first:
    float32 `(n_train + n_test, 2)`.
    """
    mu, P = pca_basis(x_train, 2)
    c_train, c_test = (x_train - mu) @ P, (x_test - mu) @ P
    rec = c_test @ P.T + mu
    figures = {"test_mse": float(np.mean((rec - x_test) ** 2, dtype=np.float64)),
               "knn5": knn_accuracy(c_train, y_train, c_test, y_test)}
    return figures, np.concatenate([c_train, c_test])


def dead_units(model: Autoencoder, x: np.ndarray) -> list[float]:
    """Share of each encoder hidden layer's ReLU units that never fire on `x`."""
    shares, h = [], x
    for i in range(model.n_enc - 1):
        h = model.activation(i, h @ model.W[i] + model.b[i])
        shares.append(float(np.mean(h.max(axis=0) <= 0)))
    return shares
