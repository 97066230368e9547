"""The model card: how one trained model was made, laid out for `templates/decoder/_card.html`.

Reads no files itself. `card_context` takes what the render stage already holds:
  - `metrics.json` as a `metrics.Metrics` (`seconds` is never read),
  - the arrays of `points.npz` (`u` and `pca` float32 (n, 2), `label` uint8 (n,),
    `test` bool (n,)),
  - the size of `decoder.onnx` in bytes,
  - the versions of numpy, onnx, onnxruntime and onnxruntime-web
    (`installed_versions` collects the first three),
and returns one plain dict, `card`, of strings, ints and lists: everything the partial
`templates/decoder/_card.html` draws (its style sheet is `templates/decoder/card.css`). Writes nothing.

The partial draws at build time, without JavaScript or a plotting library:
  - the architecture as an inline SVG diagram, with parameter counts,
  - the training curves as inline SVG line charts; every plotted number also sits in
    the markup exactly (`data-values` holds the `repr` of each float, so a test can
    parse the curves back), and in a collapsed table of rounded figures,
  - PCA-2's scatter beside the autoencoder's for the same test digits (inline SVG,
    one zero-length round-capped path segment per dot, on a 0…1000 integer grid),
  - the command (as the CLI recorded it at train time), config and versions that
    reproduce the model, and what its bytes depend on (numpy, BLAS, kernel, threads).

The output depends only on the inputs: fixed float formatting, sorted keys, a fixed
sample and drawing order for the dots, no wall-clock figures and no timestamps. Every
string goes through jinja2's autoescaping; nothing here is marked safe.
"""

from __future__ import annotations

import json
import math
import shlex
from importlib import metadata

import numpy as np

from builder.model.autoencoder import unrolled
from builder.records.files import BuildError
from builder.records.metrics import Metrics
from builder.site.datanote import data_note
from builder.site.story import words
from builder.site.theme import PALETTE, UNIT_NAMES

MAX_SCATTER = 2000  # test digits drawn in each scatter; a fixed random subset beyond this
GRID = 1000  # scatter coordinates are integers 0..GRID (y up), in a viewBox padded by DOT
DOT = 9  # dot diameter in scatter grid units (≈ 2.5 px at the usual size)
SLICES = 4  # the dots are drawn in this many interleaved rounds of one path per class

# Line charts: viewBox size and the plot area inside it, in viewBox units (≈ px).
CHART_W, CHART_H = 480, 264
PLOT_L, PLOT_R, PLOT_T, PLOT_B = 56, 468, 14, 222
LOG_RATIO = 4.0  # a curve set spanning more than this factor is drawn on a log scale
MAX_DOTS = 30  # curves with at most this many points also get a dot per point

# Architecture diagram
ARCH_W, ARCH_H = 680, 196
ARCH_X0, ARCH_DX = 132, 66  # centre of the first layer column, column spacing
ARCH_MID = 70  # vertical centre of the layer boxes
ARCH_BOX_W = 24

# Series colours: entries of the page's palette (builder.site.theme.PALETTE), chosen to
# stay apart from each other and readable on light and dark backgrounds.
RBM_COLOURS = (0, 2, 4, 6)  # blue, red, purple, dark orange
FINETUNE_SERIES = (  # key in metrics["finetune"], legend name, palette index, dash pattern
    ("train_mse", "train", 0, ""),
    ("val_mse", "validation", 6, ""),
    ("test_mse", "test", 4, "5 3"),
)

VERSION_PACKAGES = ("numpy", "onnx", "onnxruntime")  # Python side; onnxruntime-web comes from npm


def installed_versions(onnxruntime_web: str) -> dict[str, str]:
    """The `versions` argument of `card_context`: the installed numpy, onnx and
    onnxruntime (package metadata) and the given onnxruntime-web version."""
    found = {name: metadata.version(name) for name in VERSION_PACKAGES}
    return {**found, "onnxruntime-web": str(onnxruntime_web)}


def card_context(metrics: Metrics, points: dict[str, np.ndarray], decoder_bytes: int,
                 versions: dict[str, str]) -> dict:
    """Everything `_card.html` needs, as the template variable `card`.

    Keys: `id` (unique per data set, for the section's id), `data_name`, `data_source`,
    `data_note` (the sentences on the test split and the conversion, `datanote.data_note`),
    `n_train`, `n_val`, `n_test` (display strings), `architecture` (diagram geometry,
    parameter counts, `decoder_bytes`), `pretraining` (`done`, and a `chart` and `table`
    when there are RBM curves), `finetune` (`chart`, `table`, `best_epoch`),
    `comparison` (the two scatters, the classes, the MSE / kNN-5 figures) and
    `reproduce` (`seed`, `words`, `config`, `versions`, `platform`). Raises `BuildError`
    naming a missing or malformed field.
    """
    try:
        data = metrics.data
        classes = list(data.classes)
        context = {
            "id": "model-card-" + _slug(data.name),
            "data_name": data.name,
            "words": words(data.name),
            "data_source": data.source,
            "data_note": data_note(data),
            "n_train": f"{data.n_train:,}",
            "n_val": f"{data.n_val:,}",
            "n_test": f"{data.n_test:,}",
            "architecture": _architecture(metrics.architecture, int(decoder_bytes)),
            "pretraining": _pretraining(metrics.pretraining, PALETTE),
            "finetune": _finetune(metrics.finetune, PALETTE),
            "comparison": _comparison(metrics, points, classes, PALETTE),
            "reproduce": _reproduce(metrics, versions),
        }
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as e:
        raise BuildError(f"metrics.json / points.npz: missing or malformed field for the model card ({e!r})") from None
    return context


# ---------------------------------------------------------------- formatting


def _exact(values: list[float]) -> str:
    """Floats as their shortest round-trip repr, space-separated (what json.loads gives back)."""
    return " ".join(repr(float(v)) for v in values)


def _num(v: float) -> str:
    """A coordinate in the SVG: at most two decimals, no trailing zeros, never "-0"."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _fig(v: float) -> str:
    """A figure in running text: four significant digits."""
    return f"{float(v):.4g}"


def _slug(text: str) -> str:
    s = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in s.split("-") if p) or "data"


def _bytes_label(n: int) -> str:
    return f"{n:,} bytes" if n < 1024 else f"{n:,} bytes ({n / 1024:,.0f} KiB)"


# ---------------------------------------------------------------- architecture


def _params(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def _architecture(arch, decoder_bytes: int) -> dict:
    """`arch` is a `metrics.Architecture`."""
    sizes = list(arch.sizes)
    full = list(unrolled(arch.sizes))
    code = len(sizes) - 1
    unit = lambda key: UNIT_NAMES.get(getattr(arch, key), getattr(arch, key))  # noqa: E731
    layers = []
    for i, size in enumerate(full):
        kind = "in" if i == 0 else "code" if i == code else "out" if i == len(full) - 1 else (
            "enc" if i < code else "dec")
        act = {"in": "input", "code": unit("code"), "out": unit("output")}.get(kind, unit("hidden"))
        h = 12 + 22 * math.log10(size + 1)
        x = ARCH_X0 + i * ARCH_DX
        layers.append({
            "size": size, "size_label": f"{size:,}", "activation": act, "kind": kind,
            "cx": _num(x), "x": _num(x - ARCH_BOX_W / 2), "y": _num(ARCH_MID - h / 2),
            "w": _num(ARCH_BOX_W), "h": _num(h), "_h": h, "_x": x,
        })
    links = []
    for a, b in zip(layers, layers[1:]):
        n = _params(a["size"], b["size"])
        xa, xb = a["_x"] + ARCH_BOX_W / 2, b["_x"] - ARCH_BOX_W / 2
        ha, hb = a["_h"] / 2, b["_h"] / 2
        links.append({
            "n_in": a["size"], "n_out": b["size"], "params": n, "params_label": f"{n:,}",
            "cx": _num((a["_x"] + b["_x"]) / 2),
            "shape": " ".join(f"{_num(x)},{_num(y)}" for x, y in (
                (xa, ARCH_MID - ha), (xb, ARCH_MID - hb), (xb, ARCH_MID + hb), (xa, ARCH_MID + ha))),
        })
    for layer in layers:
        del layer["_h"], layer["_x"]
    encoder = sum(link["params"] for link in links[:code])
    decoder = sum(link["params"] for link in links[code:])
    brace_y = 160
    return {
        "width": ARCH_W, "height": ARCH_H,
        "layers": layers, "links": links,
        "encoder_params": encoder, "encoder_params_label": f"{encoder:,}",
        "decoder_params": decoder, "decoder_params_label": f"{decoder:,}",
        "total_params": encoder + decoder, "total_params_label": f"{encoder + decoder:,}",
        "decoder_bytes": decoder_bytes, "decoder_bytes_label": _bytes_label(decoder_bytes),
        "encoder_span": {"x1": _num(ARCH_X0 - ARCH_BOX_W / 2), "x2": _num(ARCH_X0 + code * ARCH_DX - 4),
                         "cx": _num(ARCH_X0 + code * ARCH_DX / 2), "y": brace_y},
        "decoder_span": {"x1": _num(ARCH_X0 + code * ARCH_DX + 4),
                         "x2": _num(ARCH_X0 + 2 * code * ARCH_DX + ARCH_BOX_W / 2),
                         "cx": _num(ARCH_X0 + 3 * code * ARCH_DX / 2), "y": brace_y},
        "rows": {"size": 18, "activation": 124, "params": 145, "label_x": _num(ARCH_X0 - ARCH_BOX_W / 2 - 14)},
        "encoder": " → ".join(str(s) for s in sizes),
        "decoder": " → ".join(str(s) for s in sizes[::-1]),
        "hidden": unit("hidden"), "code": unit("code"), "output": unit("output"),
    }


# ---------------------------------------------------------------- line charts


def _linear_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Multiples of a 1, 2, 2.5 or 5 × 10^e step inside [lo, hi]: the step giving 4 to 7
    ticks closest to 5 (ties: the larger step), each as (value, label)."""
    e0 = math.floor(math.log10(hi - lo))
    best = None
    for e in range(e0 - 2, e0 + 1):
        for m in (1, 2, 2.5, 5):
            step = float(f"{m}e{e}")
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            count = last - first + 1
            key = (abs(count - 5) if 4 <= count <= 7 else 99 + count, -step)
            if best is None or key < best[0]:
                best = (key, step, max(0, -e) + (1 if m == 2.5 else 0), first, last)
    _, step, decimals, first, last = best
    labels = [f"{i * step:.{decimals}f}" for i in range(first, last + 1)]
    return [(float(label), label) for label in labels]


def _log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1, 2, 5), (1,)):
        ticks = [float(f"{m}e{k}") for k in range(k0, k1 + 1) for m in mantissas]
        ticks = [t for t in ticks if lo <= t <= hi]
        if len(ticks) <= 7:
            break
    return [(t, f"{t:g}") for t in ticks]


def _epoch_ticks(n: int) -> list[int]:
    if n <= 1:
        return [1]
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000) if n / s <= 6) \
        if n <= 6000 else 10 ** math.ceil(math.log10(n / 6))
    ticks = list(range(step, n + 1, step))
    if not ticks or ticks[0] - 1 >= step / 2:
        ticks.insert(0, 1)
    return ticks


def _chart(series: list[dict], y_label: str, x_label: str, marker: tuple[int, int] | None,
           aria: str, xs: list[float] | None = None) -> dict:
    """Geometry of one line chart: `series` are dicts with `name`, `colour`, `dash`, `values`.

    `marker` is (epoch, index of the series it sits on), 1-based epoch. The x axis is the
    epoch 1…n, or with `xs` those values (one per point, increasing; ticks at round ones).
    """
    values = [float(v) for s in series for v in s["values"]]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("a training curve holds a non-finite value")
    lo, hi = min(values), max(values)
    log = lo > 0 and hi / lo > LOG_RATIO
    t = math.log10 if log else (lambda v: v)
    if log:
        pad = (hi / lo) ** 0.05
        lo, hi = lo / pad, hi * pad
        ticks = _log_ticks(lo, hi)
    else:
        span = hi - lo if hi > lo else max(abs(hi) * 0.1, 1e-3)
        lo, hi = lo - 0.08 * span, hi + 0.08 * span
        ticks = _linear_ticks(lo, hi)
    n = max(len(s["values"]) for s in series)
    e_lo, e_hi = (1, n) if n > 1 else (0, 2)
    at = (lambda i: float(xs[i])) if xs is not None else (lambda i: i + 1.0)  # noqa: E731
    if xs is not None:
        e_lo, e_hi = float(xs[0]), float(xs[-1])
        if not e_hi > e_lo:
            raise ValueError("a chart's x values must increase")

    def px(epoch: float) -> float:
        return PLOT_L + (epoch - e_lo) / (e_hi - e_lo) * (PLOT_R - PLOT_L)

    def py(v: float) -> float:
        return PLOT_B - (t(v) - t(lo)) / (t(hi) - t(lo)) * (PLOT_B - PLOT_T)

    out_series = []
    for s in series:
        pts = [(px(at(i)), py(float(v))) for i, v in enumerate(s["values"])]
        out_series.append({
            "name": s["name"], "colour": s["colour"], "dash": s["dash"], "n": len(pts),
            "exact": _exact(s["values"]),
            "points": " ".join(f"{_num(x)},{_num(y)}" for x, y in pts),
            "dots": [{"x": _num(x), "y": _num(y)} for x, y in pts] if len(pts) <= MAX_DOTS else [],
        })
    mark = None
    if marker is not None:
        epoch, k = marker
        x, v = px(epoch), float(series[k]["values"][epoch - 1])
        right = x > (PLOT_L + PLOT_R) / 2
        mark = {"epoch": epoch, "x": _num(x), "y": _num(py(v)), "value": repr(v),
                "series": series[k]["name"], "label_x": _num(x - 5 if right else x + 5),
                "anchor": "end" if right else "start", "label_y": _num(PLOT_T + 11)}
    return {
        "width": CHART_W, "height": CHART_H,
        "left": PLOT_L, "right": PLOT_R, "top": PLOT_T, "bottom": PLOT_B,
        "scale": "log" if log else "linear",
        "scale_name": "logarithmic" if log else "linear",
        "y_label": y_label, "x_label": x_label,
        "y_label_x": _num((PLOT_T + PLOT_B) / 2),
        "x_label_x": _num((PLOT_L + PLOT_R) / 2), "x_label_y": CHART_H - 6,
        "y_ticks": [{"value": repr(v), "label": label, "y": _num(py(v))} for v, label in ticks],
        "x_ticks": [{"value": e, "label": str(e), "x": _num(px(e))} for e in _epoch_ticks(n)] if xs is None
        else [{"value": v, "label": label, "x": _num(px(v))} for v, label in _linear_ticks(e_lo, e_hi)],
        "tick_label_y": PLOT_B + 15, "tick_label_x": PLOT_L - 6,
        "series": out_series,
        "marker": mark,
        # where the time-lapse's scrubber line may go (templates/timelapse/timelapse.js): epochs → x
        "scrub": {"epochs": f"{e_lo} {e_hi}", "xs": f"{_num(px(e_lo))} {_num(px(e_hi))}"},
        "aria": aria + f" ({'logarithmic' if log else 'linear'} scale).",
    }


def _table(names: list[str], columns: list[list[float]], best: int | None = None) -> dict:
    """Rows of rounded figures per epoch, for the collapsed table under a chart: one number
    of decimals for the whole table, enough for 4 significant digits of its smallest value."""
    n = max(len(c) for c in columns)
    smallest = min((abs(v) for c in columns for v in c if v), default=1.0)
    decimals = min(8, max(0, 3 - math.floor(math.log10(smallest))))
    return {
        "columns": names,
        "rows": [{"epoch": i + 1, "best": best == i + 1,
                  "cells": [f"{c[i]:.{decimals}f}" if i < len(c) else "" for c in columns]}
                 for i in range(n)],
    }


def _pretraining(layers, palette: tuple[str, ...]) -> dict:
    """`layers`: the `metrics.RBMCurve`s."""
    curves = [(p.layer, list(p.recon_error)) for p in layers]
    if not any(values for _, values in curves):
        return {"done": False, "chart": None, "table": None,
                "epochs": 0}
    series = [{"name": f"RBM {i + 1} · {layer}", "colour": palette[RBM_COLOURS[i % len(RBM_COLOURS)]],
               "dash": "", "values": values} for i, (layer, values) in enumerate(curves) if values]
    n = max(len(s["values"]) for s in series)
    aria = ("Pretraining: mean squared reconstruction error of each RBM per epoch of contrastive "
            "divergence; " + "; ".join(f"{s['name']} from {_fig(s['values'][0])} to {_fig(s['values'][-1])}"
                                        for s in series))
    return {
        "done": True, "epochs": n,
        "chart": _chart(series, "reconstruction error", "epoch", None, aria),
        "table": _table([s["name"] for s in series], [s["values"] for s in series]),
    }


def _finetune(ft, palette: tuple[str, ...]) -> dict:
    """`ft`: the `metrics.Finetune` curves (validated by `Metrics.from_json`)."""
    series = [{"name": name, "colour": palette[c], "dash": dash, "values": list(getattr(ft, key))}
              for key, name, c, dash in FINETUNE_SERIES]
    n = len(series[0]["values"])
    best = ft.best_epoch
    val = series[1]["values"]
    aria = (f"Fine-tuning: mean squared reconstruction error per epoch over {n} epochs; train from "
            f"{_fig(series[0]['values'][0])} to {_fig(series[0]['values'][-1])}, validation lowest "
            f"({_fig(val[best - 1])}) at epoch {best}, test {_fig(series[2]['values'][best - 1])} there")
    return {
        "epochs": n, "best_epoch": best,
        "best_val": _fig(val[best - 1]), "best_test": _fig(series[2]["values"][best - 1]),
        "chart": _chart(series, "mean squared error", "epoch", (best, 1), aria),
        "table": _table([s["name"] for s in series], [s["values"] for s in series], best),
    }


# ---------------------------------------------------------------- the two scatters


def _scatter_paths(xy: np.ndarray, label: np.ndarray, order: np.ndarray, n_classes: int,
                   palette: tuple[str, ...]) -> tuple[list[dict], list[float], list[float]]:
    """Dots on the integer grid, as paths of zero-length round-capped segments.

    The digits are drawn in `SLICES` rounds (a fixed shuffle cut into parts), one path per
    class in each round, so no class always lies on top. Within a path, dots are sorted
    and given as relative moves, which keeps the numbers short.
    """
    xy = xy.astype(np.float64)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    g = np.rint((xy - lo) / span * GRID).astype(np.int64)
    g[:, 1] = GRID - g[:, 1]  # y up
    paths = []
    for part in np.array_split(order, SLICES):
        for c in range(n_classes):
            rows = part[label[part] == c]
            if len(rows) == 0:
                continue
            pts = sorted({(int(x), int(y)) for x, y in g[rows]})
            d, (px, py) = [f"M{pts[0][0]} {pts[0][1]}h0"], pts[0]
            for x, y in pts[1:]:
                dx, dy = x - px, y - py
                d.append(f"m{dx}{' ' if dy >= 0 else ''}{dy}h0")
                px, py = x, y
            paths.append({"cls": c, "colour": palette[c], "n": len(rows), "d": "".join(d)})
    return paths, [float(v) for v in lo], [float(v) for v in lo + span]


def _comparison(metrics: Metrics, points: dict[str, np.ndarray], classes: list[str],
                palette: tuple[str, ...]) -> dict:
    u, pca = np.asarray(points["u"]), np.asarray(points["pca"])
    label, test = np.asarray(points["label"]), np.asarray(points["test"])
    n = len(label)
    if u.shape != (n, 2) or pca.shape != (n, 2) or test.shape != (n,) or test.dtype != np.bool_:
        raise ValueError("points.npz: need u and pca (n, 2), label and a boolean test mask (n,)")
    rows = np.flatnonzero(test)
    if len(rows) == 0:
        raise ValueError("points.npz: no test digits")
    n_test = len(rows)
    if n_test > MAX_SCATTER:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_SCATTER, replace=False))
    if not (np.all(np.isfinite(u[rows])) and np.all(np.isfinite(pca[rows]))):
        raise ValueError("points.npz: non-finite codes")
    lab = label[rows].astype(np.int64)
    if lab.min() < 0 or lab.max() >= len(classes):
        raise ValueError("points.npz: labels outside the classes")
    order = np.random.default_rng(0).permutation(len(rows))
    figures = {
        "pca": (metrics.pca2.test_mse, metrics.pca2.knn5),
        "ae": (metrics.test_mse, metrics.knn5),
    }
    plots = []
    for key, xy, title, short, axes in (
        ("pca", pca[rows], "PCA, 2 components", "PCA-2", ("PC 1", "PC 2")),
        ("ae", u[rows], "Autoencoder, 2-D code", "Autoencoder", ("u₁", "u₂")),
    ):
        paths, lo, hi = _scatter_paths(xy, lab, order, len(classes), palette)
        mse, knn = figures[key]
        plots.append({
            "key": key, "title": title, "short": short, "x_label": axes[0], "y_label": axes[1],
            "lo": _exact(lo), "hi": _exact(hi), "paths": paths,
            "mse": repr(mse), "mse_label": f"{mse:.4f}", "knn5": repr(knn), "knn5_label": f"{100 * knn:.1f} %",
        })
    pad = 3 * DOT
    return {
        "n": len(rows), "n_label": f"{len(rows):,}",
        "sampled": len(rows) < n_test,
        "grid": GRID, "dot": DOT, "view_box": f"{-pad} {-pad} {GRID + 2 * pad} {GRID + 2 * pad}",
        "frame": {"x": -pad, "y": -pad, "size": GRID + 2 * pad},
        "plots": plots,
        "classes": [{"name": name, "colour": palette[i]} for i, name in enumerate(classes)],
        "short_names": max(len(c) for c in classes) <= 3,
        "verdict": _verdict(*figures["pca"], *figures["ae"]),
    }


def _verdict(pca_mse: float, pca_knn: float, ae_mse: float, ae_knn: float) -> str:
    """One sentence comparing the two rows of the table, whichever way they go."""
    if ae_mse > 0 and pca_mse > 0:
        f = pca_mse / ae_mse
        mse = (f"{f:.2f}× smaller than PCA's" if f >= 1.005 else f"{1 / f:.2f}× larger than PCA's"
               if f <= 1 / 1.005 else "about the same as PCA's")
    else:
        mse = f"{ae_mse:.4f} against PCA's {pca_mse:.4f}"
    d = round(100 * (ae_knn - pca_knn), 1)
    knn = (f"{abs(d):.1f} points {'higher' if d > 0 else 'lower'}" if d else "the same")
    return f"Here the autoencoder's reconstruction error is {mse}, and its kNN-5 accuracy {knn}."


# ---------------------------------------------------------------- how to reproduce


def _reproduce(metrics: Metrics, versions: dict[str, str]) -> dict:
    """The recorded command (empty for a model trained through the Python API), the
    config, the versions, and what the weights' bytes depend on besides seed and data."""
    config = metrics.config
    p = metrics.platform
    threads = p.get("blas_threads")
    return {
        "seed": int(config["seed"]),
        "words": [shlex.quote(w) for w in shlex.split(metrics.command)],
        "config": [{"key": k, "value": json.dumps(config[k], sort_keys=True)} for k in sorted(config)],
        "versions": [{"name": k, "version": str(versions[k])} for k in sorted(versions)],
        "platform": {
            "numpy": str(p.get("numpy", "unknown")), "blas": str(p.get("blas", "unknown")),
            "kernel": str(p.get("blas_kernel", "unknown")),
            "threads": "unknown" if threads is None else f"{int(threads)} thread{'s' if threads != 1 else ''}",
        },
    }
