"""An independent reading of which classes of a map are split, for the tests and the bench
(`bench/splits.py`): written apart from `builder/stages/findings.py` and sharing none of
its code, only the criterion of issue 24 in words.

The stage judges a lattice of points covering the plane and takes connected parts of
lattice cells. This check never builds a lattice: it joins the codes of one class into a
k-nearest-neighbour graph (each code to its `k` nearest codes of the same class) and cuts
every edge along which the class stops holding the place: an edge longer than `gap` times
the class's typical distance (the median distance from one of its codes to its `local`-th
nearest code) spans an empty gap; at the middle of any other edge, fewer than `ground` of
the `local` nearest codes (of every class, counted exactly) may not be the class's, nor
may the `local`-th nearest code be farther than that gap. The class is split when the
graph's connected parts (found by union-find) include two or more of at least `min_share`
of the class's codes.
"""

from __future__ import annotations

import numpy as np


def _brute(q: np.ndarray, u: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    idx, far = [], []
    uu = np.einsum("ij,ij->i", u, u)
    for s in range(0, len(q), 1024):
        x = q[s : s + 1024]
        d2 = np.einsum("ij,ij->i", x, x)[:, None] + uu[None] - 2.0 * np.dot(x, u.T)
        nearest = np.argpartition(d2, k - 1, axis=1)[:, :k]
        idx.append(nearest)
        far.append(np.sqrt(np.maximum(np.take_along_axis(d2, nearest, 1).max(1), 0.0)))
    return np.concatenate(idx), np.concatenate(far)


def _kth(q: np.ndarray, u: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `q`, the indices of its `k` nearest rows of `u` (in no order) and the
    distance to the k-th. Exact: by brute force on small sets, else through square buckets
    of codes, searched ring by ring around each query's bucket until the k-th distance is
    within the searched square."""
    if len(u) <= 20000 or len(q) < 64:
        return _brute(q, u, k)
    lo = np.minimum(u.min(0), q.min(0))
    span = np.maximum(u.max(0), q.max(0)) - lo + 1e-9
    h = float(np.sqrt(span[0] * span[1] * 4 * k / len(u)))   # about 4k codes per bucket
    nx, ny = int(span[0] // h) + 1, int(span[1] // h) + 1
    cu = np.floor((u - lo) / h).astype(np.int64)
    key = cu[:, 0] * ny + cu[:, 1]
    order = np.argsort(key, kind="stable")
    starts = np.searchsorted(key[order], np.arange(nx * ny + 1))
    cq = np.floor((q - lo) / h).astype(np.int64)
    idx = np.empty((len(q), k), np.int64)
    far = np.empty(len(q))
    todo = np.arange(len(q))
    r = 1
    while len(todo):
        bucket = cq[todo, 0] * ny + cq[todo, 1]
        left = []
        for b in np.unique(bucket):
            mine = todo[bucket == b]
            bx, by = divmod(int(b), ny)
            cand = np.concatenate([order[starts[x * ny + max(by - r, 0)] : starts[x * ny + min(by + r, ny - 1) + 1]]
                                   for x in range(max(bx - r, 0), min(bx + r, nx - 1) + 1)])
            whole = bx - r <= 0 and by - r <= 0 and bx + r >= nx - 1 and by + r >= ny - 1
            if len(cand) < k:
                if whole:
                    raise ValueError("fewer codes than neighbours asked for")
                left.append(mine)
                continue
            d = np.linalg.norm(q[mine, None, :] - u[cand][None], axis=2)
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
            kth = np.take_along_axis(d, part, 1).max(1)
            # the searched square reaches at least this far from each query in every direction
            cell = (q[mine] - lo) / h - np.array([bx, by])
            reach = np.minimum.reduce([cell[:, 0] + r, cell[:, 1] + r, 1 - cell[:, 0] + r, 1 - cell[:, 1] + r]) * h
            ok = (kth <= reach) | whole
            idx[mine[ok]] = cand[part[ok]]
            far[mine[ok]] = kth[ok]
            left.append(mine[~ok])
        todo = np.concatenate(left) if left else np.array([], np.int64)
        r += 1
    return idx, far


def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


def split_classes(u: np.ndarray, label: np.ndarray, n_classes: int, *, k: int = 10, local: int = 15,
                  ground: float = 1 / 3, gap: float = 3.0, min_share: float = 0.05) -> dict[int, list[int]]:
    """`{class: [sizes of its parts of at least min_share, largest first]}` for every class
    with two or more such parts. `u (n, 2)` the codes, `label (n,)` their classes."""
    u = np.asarray(u, np.float64)
    out: dict[int, list[int]] = {}
    for c in range(n_classes):
        rows = np.flatnonzero(label == c)
        n = len(rows)
        if n < 2:
            continue
        p = u[rows]
        _, own_far = _kth(p, u, local + 1)          # +1: the code itself is its own nearest
        typical = float(np.median(own_far))
        nb, _ = _kth(p, p, min(k + 1, n))     # each code among them, at distance 0
        edges = {(min(i, j), max(i, j)) for i in range(n) for j in nb[i] if i != j}
        a = np.array([e[0] for e in sorted(edges)])
        b = np.array([e[1] for e in sorted(edges)])
        # an edge longer than the gap spans one; else its middle must be the class's ground
        keep = np.linalg.norm(p[a] - p[b], axis=1) <= gap * typical
        near, far = _kth((p[a[keep]] + p[b[keep]]) / 2, u, local)
        keep[keep] = ((label[near] == c).sum(1) >= ground * local - 1e-9) & (far <= gap * typical)
        parent = np.arange(n)
        for i, j in zip(a[keep], b[keep]):
            ri, rj = _find(parent, int(i)), _find(parent, int(j))
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
        roots = np.array([_find(parent, i) for i in range(n)])
        sizes = sorted((int(s) for s in np.unique(roots, return_counts=True)[1] if s >= min_share * n), reverse=True)
        if len(sizes) >= 2:
            out[c] = sizes
    return out
