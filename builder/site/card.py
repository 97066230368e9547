"""The model card: how one trained model was made, laid out for `templates/decoder/_card.html`.

Reads no files itself. `card_context` takes what the render stage already holds:
  - `metrics.json` as a `metrics.Metrics` (`seconds` is never read),
  - `points.npz` as a `records.arrays.Points` (`u` and `pca` float32 (n, 2), `label`
    uint8 (n,) within the classes, `test` bool (n,)),
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
from builder.records.arrays import Points
from builder.records.metrics import Metrics
from builder.site.story import words
from builder.site.svgchart import chart, exact, fig, num, table
from builder.site.theme import PALETTE, UNIT_NAMES

MAX_SCATTER = 2000  # test digits drawn in each scatter; a fixed random subset beyond this
GRID = 1000  # scatter coordinates are integers 0..GRID (y up), in a viewBox padded by DOT
DOT = 9  # dot diameter in scatter grid units (≈ 2.5 px at the usual size)
SLICES = 4  # the dots are drawn in this many interleaved rounds of one path per class

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


def card_context(metrics: Metrics, points: Points, decoder_bytes: int,
                 versions: dict[str, str]) -> dict:
    """Everything `_card.html` needs, as the template variable `card`.

    Keys: `id` (unique per data set, for the section's id), `data_name`, `data_source`,
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
            "cx": num(x), "x": num(x - ARCH_BOX_W / 2), "y": num(ARCH_MID - h / 2),
            "w": num(ARCH_BOX_W), "h": num(h), "_h": h, "_x": x,
        })
    links = []
    for a, b in zip(layers, layers[1:]):
        n = _params(a["size"], b["size"])
        xa, xb = a["_x"] + ARCH_BOX_W / 2, b["_x"] - ARCH_BOX_W / 2
        ha, hb = a["_h"] / 2, b["_h"] / 2
        links.append({
            "n_in": a["size"], "n_out": b["size"], "params": n, "params_label": f"{n:,}",
            "cx": num((a["_x"] + b["_x"]) / 2),
            "shape": " ".join(f"{num(x)},{num(y)}" for x, y in (
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
        "encoder_span": {"x1": num(ARCH_X0 - ARCH_BOX_W / 2), "x2": num(ARCH_X0 + code * ARCH_DX - 4),
                         "cx": num(ARCH_X0 + code * ARCH_DX / 2), "y": brace_y},
        "decoder_span": {"x1": num(ARCH_X0 + code * ARCH_DX + 4),
                         "x2": num(ARCH_X0 + 2 * code * ARCH_DX + ARCH_BOX_W / 2),
                         "cx": num(ARCH_X0 + 3 * code * ARCH_DX / 2), "y": brace_y},
        "rows": {"size": 18, "activation": 124, "params": 145, "label_x": num(ARCH_X0 - ARCH_BOX_W / 2 - 14)},
        "encoder": " → ".join(str(s) for s in sizes),
        "decoder": " → ".join(str(s) for s in sizes[::-1]),
        "hidden": unit("hidden"), "code": unit("code"), "output": unit("output"),
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
            "divergence; " + "; ".join(f"{s['name']} from {fig(s['values'][0])} to {fig(s['values'][-1])}"
                                        for s in series))
    return {
        "done": True, "epochs": n,
        "chart": chart(series, "reconstruction error", "epoch", None, aria),
        "table": table([s["name"] for s in series], [s["values"] for s in series]),
    }


def _finetune(ft, palette: tuple[str, ...]) -> dict:
    """`ft`: the `metrics.Finetune` curves (validated by `Metrics.from_json`)."""
    series = [{"name": name, "colour": palette[c], "dash": dash, "values": list(getattr(ft, key))}
              for key, name, c, dash in FINETUNE_SERIES]
    n = len(series[0]["values"])
    best = ft.best_epoch
    val = series[1]["values"]
    aria = (f"Fine-tuning: mean squared reconstruction error per epoch over {n} epochs; train from "
            f"{fig(series[0]['values'][0])} to {fig(series[0]['values'][-1])}, validation lowest "
            f"({fig(val[best - 1])}) at epoch {best}, test {fig(series[2]['values'][best - 1])} there")
    return {
        "epochs": n, "best_epoch": best,
        "best_val": fig(val[best - 1]), "best_test": fig(series[2]["values"][best - 1]),
        "chart": chart(series, "mean squared error", "epoch", (best, 1), aria),
        "table": table([s["name"] for s in series], [s["values"] for s in series], best),
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


def _comparison(metrics: Metrics, points: Points, classes: list[str], palette: tuple[str, ...]) -> dict:
    """The two scatters of the test codes, from `points` as `records.arrays.Points` read it
    (shapes, finite values) and `BuildFolder` checked it (labels within the classes)."""
    u, pca, label = points.u, points.pca, points.label
    rows = np.flatnonzero(points.test)
    if len(rows) == 0:
        raise BuildError("points.npz: no test images, so no scatter for the model card: run `aedemo train`")
    n_test = len(rows)
    if n_test > MAX_SCATTER:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_SCATTER, replace=False))
    lab = label[rows].astype(np.int64)
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
            "lo": exact(lo), "hi": exact(hi), "paths": paths,
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
