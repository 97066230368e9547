"""Findings about one trained model, measured by the build: what the page's story tells.

Reads from the build folder (`layout`): `weights.npz` (the model, evaluated in float64 as
the ONNX graphs compute), `points.npz` (codes and labels of every image), `digits.npz`
(the test images) and `metrics.json` (class names). Writes `findings.json` (the
`findings` stage, made from those weights, points and digits), deterministic: no
randomness at all, sorted output.

- `split`: classes whose codes form two or more **separate** groups. Criterion: a point of
  the plane is class c's *ground* when at least `ground` (1/3: 5 of 15) of its `local` (15)
  nearest codes, of any class, are c's, and its `local`-th nearest code lies within `gap`
  (3) × c's typical distance (the median over c's own codes of the distance to their
  `local`-th nearest other code). Elsewhere c is a minority among its neighbours (other
  classes lie between) or the point is in an empty gap. c's groups are the 8-connected
  parts of its ground on a `grid`² lattice over all codes that hold at least `min_share`
  (5 %) of c's codes: every code of c belongs to the part of its cell, or, when its cell is
  no ground, to the part of the nearest ground cell within the typical distance, else to
  none. Two groups are separate because every way between them leaves the ground; a class
  whose density has two peaks joined by its own codes, or that bends round a curve, is
  one group. Why: a density whose bandwidth is set from the whole class's spread
  over-smooths a class that already lies in two places (and joins what other classes
  separate); the distance to the 15th nearest code is a local scale that needs no global
  bandwidth, and the same 15 nearest codes say which class holds a point. Per split
  class: its groups (`centre`: the member with the most members within the typical
  distance, `count`, `share`, `medoids`: the test images nearest the centre), `between`
  (per group after the first, on the straight way from the first group's centre to its
  own: `thinnest`, the fewest of the 15 nearest codes that are c's; `classes`, the other
  classes making up at least a quarter of the nearest codes where c is a minority; `gap`
  and `minority`, the shares of the way that are an empty gap and minority), `diff` (the
  mean test image of the first group minus that of the second) and `balance` (the second
  group's share): the most even split, the most striking, first.
- `transitions`: neighbouring groups of different classes (each group and its
  `neighbours` nearest other-class groups by centre distance), decoded at `path_points`
  points on the segment between their centres (`path_score`). `jump`: the largest step's
  share of the path's pixel change; `unfamiliar`: the largest distance of an image inside
  the way to its nearest real test image over the median distance of a real test image to
  its nearest other one (the page's Unfamiliar map shades the same distance, as RMS:
  `rms`). `kind`: "chaotic" when `unfamiliar` ≥ `chaotic` (1.25), else "abrupt" when
  one step carries at least `abrupt` (2) × an even step's share (13.3 % of 15 steps), else
  "smooth". Sorted by kind (smooth, abrupt, chaotic), each clearest first (`clearness`).
- `translation`: the test images shifted by ±1…`max_shift` pixels along x and y; per
  shift, the mean distance the code moves over the median distance between class centres,
  the share of images whose kNN-5 class on the plane changes, and `overlap`, the mean
  share of an image's ink that its shifted copy still covers; one real example whose
  class changes within 2 pixels, with its code at every shift.
- `mixed`: the class pairs that kNN-5 on the 2-D codes confuses most on the test split.
- `roundtrip`: each test image's code fed through decode → encode again and again (as the
  page's Iterate does: up to `iterate_steps` steps, until a step moves less than
  `iterate_tolerance`): the median number of steps, the median distance travelled over
  the median distance between class centres, the share whose kNN-5 class on the plane
  ends other than it started, the classes the codes end in, and `example`: one test image
  whose class changes (clearly at both ends, the farthest traveller of those), when any does.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from builder.model.evaluation import knn_predict
from builder.records import layout
from builder.records import findings as records_findings
from builder.records.folder import BuildFolder

Decode = Callable[[np.ndarray], np.ndarray]  # (n, 2) display coordinates → (n, 784) images
Encode = Callable[[np.ndarray], np.ndarray]  # (n, 784) images → (n, 2) display coordinates
SIDE = 28
FORMAT = records_findings.FORMAT
KINDS = records_findings.KINDS


@dataclass(frozen=True)
class FindingsConfig:
    grid: int = 192  # separation lattice: cells per side over the extent of all codes
    local: int = 15  # nearest codes (of every class) that judge a point of the plane
    ground: float = 1 / 3  # a point is a class's ground when at least this share of its `local` nearest codes are its own (5 of 15)
    gap: float = 3.0  # a point is in an empty gap when its `local`-th nearest code is farther than this × the class's typical such distance
    min_share: float = 0.05  # a group holds at least this share of its class
    typical_sample: int = 2000  # codes per class (evenly spaced) that measure its typical distance and find a centre
    medoids: int = 6  # representative test images per group
    path_points: int = 16  # decoded points along a transition
    neighbours: int = 3  # nearest other-class groups paired with each group
    abrupt: float = 2.0  # a transition is abrupt when one of its steps carries at least this × an even step's share of the change (1/15 each)
    chaotic: float = 1.25  # ... chaotic when an image on its way is farther from every real image than this × the typical distance between real images
    max_shift: int = 4  # pixels, each way, for the translation probe
    knn: int = 5
    mixed: int = 5  # confused class pairs kept
    iterate_steps: int = 50  # as the page's Iterate (templates/shared/runtime.js)
    iterate_tolerance: float = 1e-3  # plane units


# ---------------------------------------------------------------- split


def components(mask: np.ndarray) -> np.ndarray:
    """8-connected parts of a boolean lattice: each cell the smallest flat index of its
    part, `mask.size` outside the mask."""
    g = mask.shape
    none = mask.size
    lab = np.where(mask, np.arange(mask.size).reshape(g), none)
    while True:
        p = np.pad(lab, 1, constant_values=none)
        nb = np.min([p[1 + dy : 1 + dy + g[0], 1 + dx : 1 + dx + g[1]]
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)
        new = np.where(mask, np.minimum(lab, nb), none)
        if np.array_equal(new, lab):
            return lab
        lab = new


def _nearest_codes(q: np.ndarray, u: np.ndarray, k: int, skip_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each of `q (m, 2)`, its `k` nearest rows of `u (n, 2)`: indices (m, k), nearest
    first, and distances (m, k). `skip_self`: q is u, and each row's own index is left out."""
    kk = k + 1 if skip_self else k
    idx = np.empty((len(q), kk), np.int64)
    dist = np.empty((len(q), kk))
    uu = (u**2).sum(1)
    rows = max(16, 4_000_000 // max(len(u), 1))   # about 32 MB of distances at a time
    for s in range(0, len(q), rows):
        x = q[s : s + rows]
        d2 = (x**2).sum(1)[:, None] - 2 * x @ u.T + uu[None]
        part = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
        pd = np.take_along_axis(d2, part, 1)
        order = np.lexsort((part, pd), axis=1)  # by distance, then index: deterministic ties
        idx[s : s + rows] = np.take_along_axis(part, order, 1)
        dist[s : s + rows] = np.sqrt(np.maximum(np.take_along_axis(pd, order, 1), 0.0))
    return (idx[:, 1:], dist[:, 1:]) if skip_self else (idx, dist)


@dataclass(frozen=True)
class Ground:
    """The separation lattice of a map: `gx (G,)`, `gy (G,)` the cell centres, `share (G, G, C)`
    each class's share of a cell's `local` nearest codes, `reach (G, G)` the distance from the
    cell to its `local`-th nearest code, `typical (C,)` per class the median distance from one
    of its codes to its `local`-th nearest other code."""

    gx: np.ndarray
    gy: np.ndarray
    share: np.ndarray
    reach: np.ndarray
    typical: np.ndarray

    def cell(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The lattice cell of each of `p (n, 2)`: (ix, iy)."""
        g = len(self.gx)
        ix = np.clip(np.rint((p[:, 0] - self.gx[0]) / (self.gx[1] - self.gx[0])).astype(int), 0, g - 1)
        iy = np.clip(np.rint((p[:, 1] - self.gy[0]) / (self.gy[1] - self.gy[0])).astype(int), 0, g - 1)
        return ix, iy

    def own(self, c: int, gap: float, ground: float) -> np.ndarray:
        """(G, G) bool: the cells that are class `c`'s ground (neither minority nor gap)."""
        return (self.share[:, :, c] >= ground - 1e-9) & (self.reach <= gap * self.typical[c])


def ground_of(u: np.ndarray, label: np.ndarray, n_classes: int, cfg: FindingsConfig) -> Ground:
    """The separation lattice of the codes `u (n, 2)` with classes `label (n,)`."""
    lo, hi = u.min(0), u.max(0)
    pad = 0.02 * (hi - lo).max() + 1e-9
    gx = np.linspace(lo[0] - pad, hi[0] + pad, cfg.grid)
    gy = np.linspace(lo[1] - pad, hi[1] + pad, cfg.grid)
    cells = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
    k = min(cfg.local, len(u))
    idx, dist = _nearest_codes(cells, u, k)
    share = np.stack([(label[idx] == c).sum(1) for c in range(n_classes)], 1) / k
    typical = np.ones(n_classes)
    for c in range(n_classes):
        rows = np.flatnonzero(label == c)
        if len(rows) and len(u) > 1:   # the median over at most `typical_sample` of its codes, evenly spaced
            some = rows[:: max(1, len(rows) // cfg.typical_sample)]
            _, d = _nearest_codes(u[some], u, min(k + 1, len(u)))
            typical[c] = float(np.median(d[:, -1])) or 1e-9   # its own code is its nearest, at 0
    g = cfg.grid
    return Ground(gx, gy, share.reshape(g, g, n_classes), dist[:, -1].reshape(g, g), typical)


def groups_of_class(u: np.ndarray, label: np.ndarray, c: int, ground: Ground, cfg: FindingsConfig) -> list[dict]:
    """The groups of class `c`: its ground's 8-connected parts (`Ground.own`) that hold at
    least `min_share` of its codes, largest first. Each code of `c` belongs to the part of
    its cell, or when its cell is no ground (it lies among other classes or apart), to the
    part of the nearest ground cell within the class's typical distance, else to none.
    Per group: `members` (indices into u), `centre` (the member with the most other members
    within the typical distance), `part` (its lattice label)."""
    rows = np.flatnonzero(label == c)
    n = len(rows)
    if n == 0:
        return []
    own = ground.own(c, cfg.gap, cfg.ground)
    lab = components(own)
    none = lab.size
    p = u[rows]
    ix, iy = ground.cell(p)
    part = lab[ix, iy]
    off = np.flatnonzero(part == none)
    cells = np.argwhere(own)
    if len(off) and len(cells):
        centres = np.stack([ground.gx[cells[:, 0]], ground.gy[cells[:, 1]]], 1)
        near, dist = _nearest_codes(p[off], centres, 1)
        close = dist[:, 0] <= ground.typical[c]
        part[off[close]] = lab[cells[near[close, 0], 0], cells[near[close, 0], 1]]
    out = []
    for k in np.unique(part[part < none]):
        members = np.flatnonzero(part == k)
        if len(members) < cfg.min_share * n:
            continue
        q = p[members]
        some = np.arange(0, len(q), max(1, len(q) // cfg.typical_sample))   # the candidates, evenly spaced
        dense = np.array([int((((q - q[i]) ** 2).sum(1) <= ground.typical[c] ** 2).sum()) for i in some])
        out.append({"members": rows[members], "centre": q[int(some[np.argmax(dense)])], "part": int(k)})
    out.sort(key=lambda g: (-len(g["members"]), g["centre"][0], g["centre"][1]))
    if not out:   # no part is big enough (a class scattered among others): one group, at its median
        out = [{"members": rows, "centre": np.median(p, axis=0), "part": -1}]
    return out


def between(a: np.ndarray, b: np.ndarray, c: int, ground: Ground, cfg: FindingsConfig) -> dict:
    """What lies on the straight way from `a` to `b` (plane points) for class `c`: sampled
    at twice the lattice's resolution. `thinnest`: the fewest of a point's `local` nearest
    codes that are `c`'s; `classes`: the other classes that make up the nearest codes where
    the way leaves `c`'s ground, most first (those with at least a quarter of them);
    `gap`: the share of the way that is an empty gap."""
    steps = max(2, int(np.ceil(2 * np.abs(b - a).max() / (ground.gx[1] - ground.gx[0]))))
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    ix, iy = ground.cell(a[None] * (1 - t) + b[None] * t)
    share, reach = ground.share[ix, iy], ground.reach[ix, iy]
    empty = reach > cfg.gap * ground.typical[c]
    off = (share[:, c] < cfg.ground - 1e-9) & ~empty
    others = share[off].sum(0) if off.any() else np.zeros(share.shape[1])
    others[c] = 0
    total = others.sum()
    classes = [int(k) for k in np.argsort(-others, kind="stable") if total > 0 and others[k] >= total / 4]
    return {"thinnest": int(round(float(share[:, c].min()) * cfg.local)), "classes": classes,
            "gap": round(float(empty.mean()), 4), "minority": round(float(off.mean()), 4)}


def find_groups(u: np.ndarray, label: np.ndarray, test: np.ndarray, n_classes: int,
                cfg: FindingsConfig, ground: Ground | None = None) -> list[list[dict]]:
    """Per class, its groups (`groups_of_class`) with `tests`: the group's test images
    (indices into the test split), nearest the centre first."""
    ground = ground or ground_of(u, label, n_classes, cfg)
    test_index = np.cumsum(test) - 1
    out = []
    for c in range(n_classes):
        groups = groups_of_class(u, label, c, ground, cfg)
        for g in groups:
            t = g["members"][test[g["members"]]]
            order = np.argsort(((u[t] - g["centre"]) ** 2).sum(1), kind="stable")
            g["tests"] = test_index[t[order]]
        out.append(groups)
    return out


def split_findings(groups: list[list[dict]], ground: Ground, label: np.ndarray, x_test: np.ndarray,
                   cfg: FindingsConfig) -> list[dict]:
    """Every split class, the most even split first: its groups (`centre`, `count`, `share`,
    `medoids`), `between` (per group after the first, what lies on the way to it from the
    first: `between()`), `diff` (the mean test image of the first group minus that of the
    second) and `balance` (the second group's share)."""
    out = []
    for c, gs in enumerate(groups):
        if len(gs) < 2:
            continue
        n = int((label == c).sum())
        means = [x_test[g["tests"]].mean(0) if len(g["tests"]) else np.zeros(x_test.shape[1]) for g in gs[:2]]
        out.append({
            "class": c,
            "groups": [{"centre": _round(g["centre"], 4), "count": int(len(g["members"])),
                        "share": round(len(g["members"]) / n, 4),
                        "medoids": [int(i) for i in g["tests"][: cfg.medoids]]} for g in gs],
            "between": [between(gs[0]["centre"], g["centre"], c, ground, cfg) for g in gs[1:]],
            "diff": _round(means[0] - means[1], 3),
            "balance": round(len(gs[1]["members"]) / n, 4),
        })
    out.sort(key=lambda f: (-f["balance"], f["class"]))
    return out


# ---------------------------------------------------------------- transitions


def nearest_real(images: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Distance of each of `images (m, d)` to its nearest row of `real (n, d)`."""
    sq = (real.astype(np.float64) ** 2).sum(1)
    out = np.empty(len(images))
    for s in range(0, len(images), 256):
        x = images[s : s + 256].astype(np.float64)
        d2 = (x**2).sum(1)[:, None] - 2 * x @ real.T.astype(np.float64) + sq[None]
        out[s : s + 256] = np.sqrt(np.maximum(d2.min(1), 0))
    return out


def typical_gap(real: np.ndarray, limit: int = 1000) -> float:
    """Median distance of a real image to its nearest other real image (first `limit`)."""
    x = real[:limit].astype(np.float64)
    d2 = (x**2).sum(1)[:, None] - 2 * x @ x.T + (x**2).sum(1)[None]
    np.fill_diagonal(d2, np.inf)
    return float(np.median(np.sqrt(np.maximum(d2.min(1), 0)))) or 1.0


def path_score(images: np.ndarray, real: np.ndarray, gap: float, cfg: FindingsConfig) -> dict:
    """What kind of transition a decoded path `images (k, d)` is. `jump`: the largest
    step's share of the path's total pixel change (1/(k−1) when even, 1 when one step does
    it all); `unfamiliar`: the largest distance of an image inside the way (not its two
    ends) to its nearest real image, over `gap`, the typical distance of a real image to
    its nearest other one (`typical_gap`); `rms`: that largest distance as the page's
    Unfamiliar map shows it (root-mean-square pixel difference). `kind`: "chaotic" when
    `unfamiliar` ≥ `cfg.chaotic` (the decoder draws what no real image looks like on the
    way), else "abrupt" when `jump` ≥ `cfg.abrupt` / (k − 1) (one step carries that many
    times an even step's share), else "smooth"."""
    steps = np.sqrt(((np.diff(images.astype(np.float64), axis=0)) ** 2).sum(1))
    k = len(steps)
    jump = float(steps.max() / steps.sum()) if steps.sum() > 0 else 1.0 / k
    far = float(nearest_real(images[1:-1], real).max()) if len(images) > 2 else 0.0
    unfamiliar = far / gap
    kind = "chaotic" if unfamiliar >= cfg.chaotic else "abrupt" if jump * k >= cfg.abrupt else "smooth"
    return {"jump": round(jump, 4), "unfamiliar": round(unfamiliar, 4),
            "rms": round(far / np.sqrt(images.shape[1]), 4), "kind": kind}


def _clearness(t: dict, cfg: FindingsConfig) -> float:
    """How clearly a transition is its kind: for a smooth one, how far below both
    thresholds it stays; for an abrupt one, how far its jump passes `abrupt`; for a
    chaotic one, how far its unfamiliarity passes `chaotic` (each relative to its threshold)."""
    j, f = t["jump"] * (cfg.path_points - 1) / cfg.abrupt, t["unfamiliar"] / cfg.chaotic
    return {"smooth": 1 - max(j, f), "abrupt": j - 1, "chaotic": f - 1}[t["kind"]]


def transition_findings(groups: list[list[dict]], decode: Decode, real: np.ndarray,
                        cfg: FindingsConfig) -> list[dict]:
    flat = [(c, i, g["centre"]) for c, gs in enumerate(groups) for i, g in enumerate(gs)]
    pairs = set()
    for a, (ca, _, pa) in enumerate(flat):
        others = [(float(((pb - pa) ** 2).sum()), b) for b, (cb, _, pb) in enumerate(flat) if cb != ca]
        for _, b in sorted(others)[: cfg.neighbours]:
            pairs.add((min(a, b), max(a, b)))
    gap = typical_gap(real)
    t = np.linspace(0.0, 1.0, cfg.path_points)[:, None]
    out = []
    for a, b in sorted(pairs):
        (ca, ga, pa), (cb, gb, pb) = flat[a], flat[b]
        path = (pa[None] * (1 - t) + pb[None] * t).astype(np.float32)
        images = np.clip(decode(path), 0.0, 1.0)
        out.append({"from": {"class": ca, "group": ga}, "to": {"class": cb, "group": gb},
                    "path": _round(path, 4), **path_score(images, real, gap, cfg)})
    for f in out:
        f["clearness"] = round(_clearness(f, cfg), 4)
    out.sort(key=lambda f: (KINDS.index(f["kind"]), -f["clearness"], f["from"]["class"], f["to"]["class"]))
    return out


# ---------------------------------------------------------------- translation


def shift(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """`images (n, 784)` moved by (dx, dy) whole pixels (right, down), zeros coming in."""
    x = images.reshape(-1, SIDE, SIDE)
    out = np.zeros_like(x)
    ys, yd = (slice(0, SIDE - dy), slice(dy, SIDE)) if dy >= 0 else (slice(-dy, SIDE), slice(0, SIDE + dy))
    xs, xd = (slice(0, SIDE - dx), slice(dx, SIDE)) if dx >= 0 else (slice(-dx, SIDE), slice(0, SIDE + dx))
    out[:, yd, xd] = x[:, ys, xs]
    return out.reshape(len(images), -1)


def translation_findings(encode: Encode, x_test: np.ndarray, y_test: np.ndarray, u: np.ndarray,
                         label: np.ndarray, test: np.ndarray, n_classes: int, cfg: FindingsConfig) -> dict:
    train_u, train_y = u[~test], label[~test]
    centres = np.array([u[label == c].mean(0) for c in range(n_classes) if np.any(label == c)])
    d = np.sqrt(((centres[:, None] - centres[None]) ** 2).sum(-1))
    scale = float(np.median(d[np.triu_indices(len(centres), 1)])) if len(centres) > 1 else 1.0
    u0 = encode(x_test)
    pred0 = knn_predict(train_u, train_y, u0, cfg.knn)
    rows, codes = [], {}
    for axis in ("x", "y"):
        for s in [k for k in range(-cfg.max_shift, cfg.max_shift + 1) if k]:
            us = encode(shift(x_test, s if axis == "x" else 0, s if axis == "y" else 0))
            codes[(axis, s)] = us
            moved = np.sqrt(((us - u0) ** 2).sum(1))
            pred = knn_predict(train_u, train_y, us, cfg.knn)
            shifted = shift(x_test, s if axis == "x" else 0, s if axis == "y" else 0)
            ink = np.minimum(shifted, x_test).sum(1) / np.maximum(x_test.sum(1), 1e-9)
            rows.append({"axis": axis, "pixels": s, "moved": round(float(moved.mean() / scale), 4),
                         "changed": round(float(np.mean(pred != pred0)), 4),
                         "overlap": round(float(ink.mean()), 4), "_pred": pred})
    example = None
    correct = pred0 == y_test
    for s in (1, 2):
        for axis in ("x", "y"):
            for sign in (1, -1):
                r = next(r for r in rows if r["axis"] == axis and r["pixels"] == sign * s)
                flips = np.flatnonzero(correct & (r["_pred"] != pred0))
                if example is None and len(flips):
                    moved = np.sqrt(((codes[(axis, sign * s)][flips] - u0[flips]) ** 2).sum(1))
                    i = int(flips[np.argmax(moved)])
                    series = [codes[(axis, k)][i] if k else u0[i] for k in range(-cfg.max_shift, cfg.max_shift + 1)]
                    example = {"index": i, "axis": axis, "pixels": sign * s, "from": int(pred0[i]),
                               "to": int(r["_pred"][i]), "codes": _round(np.array(series), 4)}
    for r in rows:
        del r["_pred"]
    return {"scale": round(scale, 4), "shifts": rows, "example": example}


# ---------------------------------------------------------------- mixed


def mixed_findings(u: np.ndarray, label: np.ndarray, test: np.ndarray, n_classes: int,
                   cfg: FindingsConfig) -> list[dict]:
    pred = knn_predict(u[~test], label[~test], u[test], cfg.knn)
    truth = label[test]
    conf = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(conf, (truth, pred), 1)
    n = np.bincount(truth, minlength=n_classes)
    pairs = []
    for a in range(n_classes):
        for b in range(a + 1, n_classes):
            count = int(conf[a, b] + conf[b, a])
            if count:
                pairs.append({"classes": [a, b], "count": count,
                              "share": round(count / max(int(n[a] + n[b]), 1), 4),
                              "a_as_b": int(conf[a, b]), "b_as_a": int(conf[b, a])})
    pairs.sort(key=lambda p: (-p["share"], p["classes"]))
    return pairs[: cfg.mixed]


# ---------------------------------------------------------------- round trips


def roundtrip_findings(decode: Decode, encode: Encode, u0: np.ndarray, train_u: np.ndarray,
                       train_y: np.ndarray, n_classes: int, scale: float, cfg: FindingsConfig) -> dict:
    """Iterate decode → encode from the codes `u0 (n, 2)` of the test images."""
    u = u0.astype(np.float32)
    steps = np.zeros(len(u), np.int64)
    active = np.ones(len(u), bool)
    for _ in range(cfg.iterate_steps):
        if not active.any():
            break
        rows = np.flatnonzero(active)
        nxt = encode(np.clip(decode(u[rows]), 0.0, 1.0))
        moved = np.sqrt(((nxt.astype(np.float64) - u[rows]) ** 2).sum(1))
        u[rows] = nxt
        steps[rows] += 1
        active[rows[moved < cfg.iterate_tolerance]] = False
    start, start_votes = knn_votes(train_u, train_y, u0, cfg.knn)
    end, end_votes = knn_votes(train_u, train_y, u, cfg.knn)
    travelled = np.sqrt(((u.astype(np.float64) - u0) ** 2).sum(1))
    ends = np.bincount(end, minlength=n_classes) / len(end)
    # the example: one whose class changes, clearly at both ends (the most votes at the start
    # and at the end), the one that travels farthest among those; else the farthest traveller
    changed = np.flatnonzero((start != end) & ~active)
    pool = changed if len(changed) else np.arange(len(u))
    sure = start_votes[pool] + end_votes[pool]
    pick = pool[np.lexsort((pool, -travelled[pool], -sure))[0]] if len(pool) else None
    example = None if pick is None else {
        "index": int(pick), "from": int(start[pick]), "to": int(end[pick]), "steps": int(steps[pick]),
        "start": _round(u0[pick], 4), "end": _round(u[pick], 4)}
    return {"median_steps": float(np.median(steps)), "settled": round(float(np.mean(~active)), 4),
            "moved": round(float(np.median(travelled) / scale), 4),
            "changed": round(float(np.mean(start != end)), 4),
            "ends": [round(float(e), 4) for e in ends], "example": example}


def knn_votes(train_u: np.ndarray, train_y: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`knn_predict`'s class of each of `q (m, 2)` and how many of its `k` nearest codes vote for it."""
    pred = knn_predict(train_u, train_y, q, k)
    idx, _ = _nearest_codes(np.asarray(q, np.float64), np.asarray(train_u, np.float64), k)
    return pred, (train_y[idx] == pred[:, None]).sum(1)


# ---------------------------------------------------------------- the stage


def compute(decode: Decode, encode: Encode, u: np.ndarray, label: np.ndarray, test: np.ndarray,
            x_test: np.ndarray, y_test: np.ndarray, n_classes: int,
            cfg: FindingsConfig = FindingsConfig()) -> dict:
    """Every finding, from the model's two maps and the build's points and test images."""
    u = np.asarray(u, np.float64)
    ground = ground_of(u, label, n_classes, cfg)
    groups = find_groups(u, label, test, n_classes, cfg, ground)
    translation = translation_findings(encode, x_test, y_test, u, label, test, n_classes, cfg)
    return {
        "format": FORMAT,
        "method": dataclasses.asdict(cfg),
        "classes": n_classes,
        "groups": [[{"centre": _round(g["centre"], 4), "count": int(len(g["members"]))} for g in gs]
                   for gs in groups],
        "split": split_findings(groups, ground, label, x_test, cfg),
        "transitions": transition_findings(groups, decode, x_test, cfg),
        "translation": translation,
        "mixed": mixed_findings(u, label, test, n_classes, cfg),
        "roundtrip": roundtrip_findings(decode, encode, encode(x_test), u[~test], label[~test],
                                        n_classes, translation["scale"], cfg),
    }


def run_findings(build_dir: Path, cfg: FindingsConfig = FindingsConfig()) -> dict:
    """The stage: compute the findings of `build_dir`'s model and switch `findings.json` in."""
    from builder.model.reference import reference_decode, reference_encode

    build_dir = Path(build_dir)
    folder = BuildFolder.open(build_dir)
    model = folder.weights().model
    metrics = folder.metrics()
    points, images = folder.points(), folder.test_images()
    u, label, test = points.u, points.label, points.test
    x_test, y_test = images.x, images.y
    found = compute(lambda v: reference_decode(model, v), lambda x: reference_encode(model, x),
                    u, label, test, x_test, y_test, len(metrics.data.classes), cfg)
    record = records_findings.Findings.from_json(json.loads(json.dumps(found)), str(build_dir / layout.FINDINGS))
    layout.switch_in(build_dir, "findings", {layout.FINDINGS: record.to_bytes()}, folder.inputs_of("findings"))
    return {"split": len(found["split"]), "transitions": len(found["transitions"]),
            **{kind: sum(t["kind"] == kind for t in found["transitions"]) for kind in KINDS}}


def _round(a: np.ndarray, decimals: int) -> list:
    """An array as nested lists of floats rounded to `decimals` (stable JSON)."""
    return np.round(np.asarray(a, np.float64), decimals).tolist()
