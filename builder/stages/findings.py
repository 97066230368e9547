"""Findings about one trained model, measured by the build: what the page's story tells.

Reads from the build folder (`layout`): `weights.npz` (the model, evaluated in float64 as
the ONNX graphs compute), `points.npz` (codes and labels of every image), `digits.npz`
(the test images) and `metrics.json` (class names). Writes `findings.json` (the
`findings` stage, made from those weights, points and digits), deterministic: no
randomness at all, sorted output.

- `split`: classes whose codes form two or more separate groups. Method: per class, a
  Gaussian kernel density of its codes on the display plane, on a `grid`² lattice over
  the class's extent, bandwidth `bandwidth` × σ·n^(−1/6) (σ the mean of the two
  coordinates' standard deviations, Silverman's 2-D rule); the dense region is the set
  of cells whose density is at least `level` × the class's peak; its 8-connected parts
  are the groups, each image belonging to the part of its cell. Parts holding at least
  `min_share` of the class count. Per group: `centre` (its densest cell), `count`,
  `share`, `medoids` (the test images nearest the centre) and, per split class, `diff`,
  the mean test image of its first group minus that of its second (ink one has and the
  other has not).
- `transitions`: neighbouring groups of different classes (each group and its
  `neighbours` nearest other-class groups by centre distance), decoded at `path_points`
  points on the segment between their centres. `jump` is the largest step's share of
  the path's total pixel change (1/15 when even, 1 when one step does it all);
  `unfamiliar` the largest distance of a decoded image to its nearest real test image,
  over the median such distance of the real images to each other. `score` = the larger
  of the two, each mapped to [0, 1]; `kind` "abrupt" when `score` ≥ `abrupt`, else
  "smooth". Sorted by how clearly they are one kind or the other.
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
  ends other than it started, and the classes the codes end in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from builder.model.evaluation import knn_predict
from builder.records import layout
from builder.records.files import json_bytes
from builder.records.folder import BuildFolder

Decode = Callable[[np.ndarray], np.ndarray]  # (n, 2) display coordinates → (n, 784) images
Encode = Callable[[np.ndarray], np.ndarray]  # (n, 784) images → (n, 2) display coordinates
SIDE = 28
FORMAT = 1


@dataclass(frozen=True)
class FindingsConfig:
    grid: int = 96  # density lattice cells per side
    bandwidth: float = 1.0  # × Silverman's 2-D rule
    level: float = 0.15  # a cell is dense at this share of the class's peak density
    min_share: float = 0.05  # a group holds at least this share of its class
    medoids: int = 6  # representative test images per group
    path_points: int = 16  # decoded points along a transition
    neighbours: int = 3  # nearest other-class groups paired with each group
    abrupt: float = 0.2  # transition score from which it counts as abrupt (a jump of ≥ 25 %)
    max_shift: int = 4  # pixels, each way, for the translation probe
    knn: int = 5
    mixed: int = 5  # confused class pairs kept
    iterate_steps: int = 50  # as the page's Iterate (templates/shared/runtime.js)
    iterate_tolerance: float = 1e-3  # plane units


# ---------------------------------------------------------------- split


def density(p: np.ndarray, h: float, n_grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian kernel density of `p (n, 2)` on a lattice: D (G, G) at (gx[i], gy[j])."""
    lo, hi = p.min(0) - 3 * h, p.max(0) + 3 * h
    gx, gy = np.linspace(lo[0], hi[0], n_grid), np.linspace(lo[1], hi[1], n_grid)
    ax = np.exp(-0.5 * ((gx[None] - p[:, :1]) / h) ** 2)
    ay = np.exp(-0.5 * ((gy[None] - p[:, 1:]) / h) ** 2)
    return ax.T @ ay, gx, gy


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


def groups_of(p: np.ndarray, cfg: FindingsConfig) -> list[dict]:
    """The groups of one class's codes `p (n, 2)`: `members` (indices into p), `centre`,
    largest first."""
    n = len(p)
    if n < 2:
        return [{"members": np.arange(n), "centre": p.mean(0) if n else np.zeros(2)}]
    sigma = float(p.std(0).mean()) or 1e-3
    h = cfg.bandwidth * sigma * n ** (-1 / 6)
    D, gx, gy = density(p, h, cfg.grid)
    comp = components(D >= cfg.level * D.max())
    ix = np.clip(np.rint((p[:, 0] - gx[0]) / (gx[1] - gx[0])).astype(int), 0, cfg.grid - 1)
    iy = np.clip(np.rint((p[:, 1] - gy[0]) / (gy[1] - gy[0])).astype(int), 0, cfg.grid - 1)
    cell = comp[ix, iy]
    out = []
    for part in np.unique(cell[cell < comp.size]):
        members = np.flatnonzero(cell == part)
        if len(members) < cfg.min_share * n:
            continue
        peak = np.unravel_index(np.argmax(np.where(comp == part, D, -1.0)), D.shape)
        out.append({"members": members, "centre": np.array([gx[peak[0]], gy[peak[1]]])})
    out.sort(key=lambda g: (-len(g["members"]), g["centre"][0], g["centre"][1]))
    return out or [{"members": np.arange(n), "centre": np.median(p, axis=0)}]


def find_groups(u: np.ndarray, label: np.ndarray, test: np.ndarray, n_classes: int,
                cfg: FindingsConfig) -> list[list[dict]]:
    """Per class, its groups with `members` as indices into all points, and `tests`: the
    group's test images (indices into the test split), nearest the centre first."""
    test_index = np.cumsum(test) - 1
    out = []
    for c in range(n_classes):
        rows = np.flatnonzero(label == c)
        groups = groups_of(u[rows], cfg) if len(rows) else []
        for g in groups:
            g["members"] = rows[g["members"]]
            t = g["members"][test[g["members"]]]
            order = np.argsort(((u[t] - g["centre"]) ** 2).sum(1), kind="stable")
            g["tests"] = test_index[t[order]]
        out.append(groups)
    return out


def split_findings(groups: list[list[dict]], label: np.ndarray, x_test: np.ndarray,
                   cfg: FindingsConfig) -> list[dict]:
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
            "diff": _round(means[0] - means[1], 3),
            "balance": round(len(gs[1]["members"]) / n, 4),
        })
    out.sort(key=lambda f: (-f["balance"], f["class"]))   # the most even split first
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
    """How abrupt a decoded path `images (k, d)` is: `jump`, `unfamiliar`, `score`, `kind`."""
    steps = np.sqrt(((np.diff(images.astype(np.float64), axis=0)) ** 2).sum(1))
    k = len(steps)
    jump = float(steps.max() / steps.sum()) if steps.sum() > 0 else 1.0 / k
    unfamiliar = float(nearest_real(images[1:-1], real).max() / gap) if len(images) > 2 else 0.0
    score = max((jump - 1 / k) / (1 - 1 / k), min(max((unfamiliar - 1) / 2, 0.0), 1.0))
    return {"jump": round(jump, 4), "unfamiliar": round(unfamiliar, 4), "score": round(score, 4),
            "kind": "abrupt" if score >= cfg.abrupt else "smooth"}


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
    out.sort(key=lambda f: (-abs(f["score"] - cfg.abrupt), f["from"]["class"], f["to"]["class"]))
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
    start = knn_predict(train_u, train_y, u0, cfg.knn)
    end = knn_predict(train_u, train_y, u, cfg.knn)
    travelled = np.sqrt(((u.astype(np.float64) - u0) ** 2).sum(1))
    ends = np.bincount(end, minlength=n_classes) / len(end)
    return {"median_steps": float(np.median(steps)), "settled": round(float(np.mean(~active)), 4),
            "moved": round(float(np.median(travelled) / scale), 4),
            "changed": round(float(np.mean(start != end)), 4),
            "ends": [round(float(e), 4) for e in ends]}


# ---------------------------------------------------------------- the stage


def compute(decode: Decode, encode: Encode, u: np.ndarray, label: np.ndarray, test: np.ndarray,
            x_test: np.ndarray, y_test: np.ndarray, n_classes: int,
            cfg: FindingsConfig = FindingsConfig()) -> dict:
    """Every finding, from the model's two maps and the build's points and test images."""
    u = np.asarray(u, np.float64)
    groups = find_groups(u, label, test, n_classes, cfg)
    translation = translation_findings(encode, x_test, y_test, u, label, test, n_classes, cfg)
    return {
        "format": FORMAT,
        "method": dataclasses.asdict(cfg),
        "groups": [[{"centre": _round(g["centre"], 4), "count": int(len(g["members"]))} for g in gs]
                   for gs in groups],
        "split": split_findings(groups, label, x_test, cfg),
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
    layout.switch_in(build_dir, "findings", {layout.FINDINGS: json_bytes(found)}, folder.inputs_of("findings"))
    return {"split": len(found["split"]), "transitions": len(found["transitions"]),
            "abrupt": sum(t["kind"] == "abrupt" for t in found["transitions"])}


def _round(a: np.ndarray, decimals: int) -> list:
    """An array as nested lists of floats rounded to `decimals` (stable JSON)."""
    return np.round(np.asarray(a, np.float64), decimals).tolist()
