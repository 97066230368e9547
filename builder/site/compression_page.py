"""The compression page's context: its denoising chart, its figures and its prose.

Reads nothing itself: `compression_context` takes the parsed `compress.json`
(`compression.Compression`), the data set's words (`story.words`) and the number of
test images, and returns what `templates/compression/compression.html` shows: the four
reconstructions' test MSE and code sizes (display strings), the denoising chart
(`card._chart`'s geometry, in the model card's style, one point per noise level),
its table, and the paragraphs of prose, each built from those measured numbers.
"""

from __future__ import annotations

from builder.records.compress import Compression
from builder.site.card import _chart, _fig
from builder.site.theme import PALETTE

# key in compress.json's denoising curves, legend name, palette index, dash pattern
SERIES = (
    ("input", "noisy input", 7, "2 3"),
    ("ae2", "autoencoder, 2-D code", 0, ""),
    ("ae30", "autoencoder, 30-D code", 2, ""),
    ("pca2", "PCA-2", 4, "6 3"),
    ("pca30", "PCA-30", 6, "6 3"),
)
NAMES = {key: name for key, name, _, _ in SERIES}


def _ratio(pixels: int, code: int) -> str:
    return f"{pixels / code:.0f}" if pixels / code >= 10 else f"{pixels / code:.1f}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _panels(c: Compression) -> dict[str, dict[str, str]]:
    """Per panel: its title and the size of what it keeps."""
    b = c.code_bytes
    size = lambda n, k: f"{k} numbers: {n} bytes, {_ratio(b['pixels'], n)}× smaller than the pixels"  # noqa: E731
    return {
        "clean": {"title": "input", "size": f"{b['pixels']} pixels: {b['pixels']} bytes"},
        "noisy": {"title": "noisy input", "size": "what the codes are made from; drag over it to erase"},
        "ae2": {"title": "autoencoder 2-D", "size": size(b["ae2"], b["ae2"] // 4)},
        "ae30": {"title": "autoencoder 30-D", "size": size(b["ae30"], b["ae30"] // 4)},
        "pca2": {"title": "PCA-2", "size": size(b["pca2"], b["pca2"] // 4)},
        "pca30": {"title": "PCA-30", "size": size(b["pca30"], b["pca30"] // 4)},
    }


def _chart_context(c: Compression) -> dict:
    levels = list(c.noise_levels)
    series = [{"name": name, "colour": PALETTE[colour], "dash": dash, "values": list(c.denoising[key])}
              for key, name, colour, dash in SERIES]
    aria = ("Denoising on the test images: error against the clean image per noise level σ; " + "; ".join(
        f"{s['name']} from {_fig(s['values'][0])} to {_fig(s['values'][-1])}" for s in series))
    chart = _chart(series, "error against the clean image", "Gaussian noise σ", None, aria, xs=levels)
    rows = [{"level": f"{v:g}", "cells": [f"{c.denoising[key][i]:.5f}" for key, *_ in SERIES]}
            for i, v in enumerate(levels)]
    return {"chart": chart, "table": {"columns": [name for _, name, *_ in SERIES], "rows": rows}}


def _prose(c: Compression, w: dict[str, str], n_test: int) -> list[str]:
    """The page's paragraphs, from the measured numbers only."""
    m, k, b = c.test_mse, c.knn5, c.code_bytes
    out = [
        f"On the {n_test:,} test {w['nouns']}, the autoencoder with a 30-number code reconstructs "
        f"with an error of {m.ae30:.4f} per pixel, {m.ae30 / m.pca30:.2f} times PCA-30's {m.pca30:.4f} "
        f"({_pct(1 - m.ae30 / m.pca30)} less), from a code of {b['ae30']} bytes against the "
        f"{b['pixels']} bytes of the pixels, {_ratio(b['pixels'], b['ae30'])} times smaller. "
        f"The 2-D code, {b['ae2']} bytes, {_ratio(b['pixels'], b['ae2'])} times smaller, reaches "
        f"{m.ae2:.4f} against PCA-2's {m.pca2:.4f}.",
        f"The codes keep the classes too: the majority of the 5 nearest training codes names the "
        f"class of {_pct(k.ae30)} of the test {w['nouns']} from the 30-D code, {_pct(k.pca30)} from "
        f"PCA-30's, {_pct(k.ae2)} from the 2-D code and {_pct(k.pca2)} from PCA-2's.",
    ]
    levels, d = c.noise_levels, c.denoising
    beats = {key: next((lv for lv, r, x in zip(levels, d[key], d["input"]) if lv > 0 and r < x), None)
             for key in ("ae2", "ae30", "pca2", "pca30")}
    best_last = min(("ae2", "ae30", "pca2", "pca30"), key=lambda key: d[key][-1])
    first = [f"{NAMES[key]} at σ = {lv:g}" for key, lv in beats.items() if lv is not None]
    never = [NAMES[key] for key, lv in beats.items() if lv is None]
    sentence = (f"The first level at which each reconstruction is closer to the clean {w['noun']} "
                f"than the noisy input itself: {'; '.join(first)}" if first else
                f"No reconstruction comes closer to the clean {w['noun']} than the noisy input at these levels")
    sentence += f"; {', '.join(never)} at none of them." if first and never else "."
    out.append(
        f"With Gaussian noise (the chart, seed {c.noise_seed}), the noisy input's own error grows from "
        f"{d['input'][1]:.4f} at σ = {levels[1]:g} to {d['input'][-1]:.4f} at σ = {levels[-1]:g}. "
        f"{sentence} At σ = {levels[-1]:g} the closest is {NAMES[best_last]} ({d[best_last][-1]:.4f}); "
        f"the 30-D autoencoder gives {d['ae30'][-1]:.4f} and the 2-D one {d['ae2'][-1]:.4f}."
        if len(levels) > 1 else f"{sentence}")
    dr = c.drift
    steps = len(dr["ae2"])
    out.append(
        f"Fed its own reconstruction {steps} times, the 2-D code's error against the original "
        f"goes from {dr['ae2'][0]:.4f} after one round trip to {dr['ae2'][-1]:.4f}; the 30-D code's "
        f"from {dr['ae30'][0]:.4f} to {dr['ae30'][-1]:.4f} (means over the test {w['nouns']}). "
        f"Draw the letter B, which no {w['noun']} of the data is, press Iterate and see what each code "
        f"returns.")
    return out


def compression_context(c: Compression, w: dict[str, str], n_test: int) -> dict:
    """Everything `compression.html` shows of the build's measurements (see the docstring)."""
    m = c.test_mse
    return {
        "panels": _panels(c),
        "mse": {key: f"{getattr(m, key):.4f}" for key in ("ae2", "ae30", "pca2", "pca30")},
        "exact": {key: repr(getattr(m, key)) for key in ("ae2", "ae30", "pca2", "pca30")},
        "ratio": f"{m.ae30 / m.pca30:.2f}",
        "sizes": " → ".join(str(s) for s in c.sizes),
        "levels": [f"{v:g}" for v in c.noise_levels],
        "noise_seed": c.noise_seed,
        "denoising": _chart_context(c),
        "prose": _prose(c, w, n_test),
        "steps": len(c.drift["ae2"]),
        "n_test": f"{n_test:,}",
    }
