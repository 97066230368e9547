"""The compression page (`compression.html`, the series' third page): what it reads from a
build folder, its figures and prose, and its own data files.

`read_compression` takes the compress stage's records (through `BuildFolder`: the parsed
`compress.json` (`records.compress.Compression`), the 30-D code's ONNX pair, the PCA basis)
into `CompressionParts`; `compression_context` turns the record, the data set's words
(`story.words`) and the number of test images into what
`templates/compression/compression.html` shows: the four reconstructions' test MSE and
code sizes (display strings), the denoising chart (`svgchart.chart`'s geometry, in the
model card's style, one point per noise level), its table, and the paragraphs of prose,
each built from those measured numbers. `render_compression` writes the page and its
data files (the 2-D models' data files are the decoder page's, shared by name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

from builder.records.arrays import PIXELS, SIDE, Points, TestImages
from builder.records.compress import Compression
from builder.records.files import BuildError
from builder.records.folder import BuildFolder
from builder.records.metrics import Metrics
from builder.records.onnxfile import OnnxModel
from builder.site import navigation
from builder.site.assets import data_file, model_file
from builder.site.payloads import digits_payload, pca_payload
from builder.site import story
from builder.site.svgchart import chart, fig
from builder.site.theme import COLOURS, PALETTE

SAMPLES = 100       # real test images shipped with the compression page
CODE30 = 30         # the compression page's wider code

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
        f"{s['name']} from {fig(s['values'][0])} to {fig(s['values'][-1])}" for s in series))
    drawn = chart(series, "error against the clean image", "Gaussian noise σ", None, aria, xs=levels)
    rows = [{"level": f"{v:g}", "cells": [f"{c.denoising[key][i]:.5f}" for key, *_ in SERIES]}
            for i, v in enumerate(levels)]
    return {"chart": drawn, "table": {"columns": [name for _, name, *_ in SERIES], "rows": rows}}


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


@dataclass(frozen=True)
class CompressionParts:
    result: Compression
    decoder30: OnnxModel
    encoder30: OnnxModel
    pca: dict  # payloads.pca_payload
    samples: dict  # payloads.digits_payload, at most SAMPLES
    context: dict[str, Any]  # compression_context


def read_compression(folder: BuildFolder, metrics: Metrics, images: TestImages, points: Points) -> CompressionParts:
    """The compression page's parts, checked like the rest (a set made from other weights
    is refused by `BuildFolder`, naming the stage to rerun)."""
    result = folder.compression()
    n = result.sizes[-1]
    if n != CODE30:
        raise BuildError(f"{folder.where('compress.json')}: a {n}-D code; the page needs {CODE30}: run `aedemo compress`")
    decoder, encoder = folder.code_models(n)
    return CompressionParts(
        result=result, decoder30=decoder, encoder30=encoder, pca=pca_payload(folder.pca()),
        samples=digits_payload(images.x, images.y, points.u[points.test], limit=SAMPLES),
        context=compression_context(result, story.words(metrics.data.name), metrics.data.n_test),
    )


def render_compression(env: jinja2.Environment, out: dict[str, bytes], shared: dict, c: CompressionParts, *,
                       decoder: OnnxModel, encoder: OnnxModel, classes: list[str], words: dict[str, str],
                       data_name: str, links: list[dict], current: int, ort_version: str) -> None:
    """One demo's `compression.html` beside its `index.html` and its own data files; `decoder`,
    `encoder` are the demo's 2-D models (their data files are the decoder page's, by name)."""
    here = links[current]["path"]
    up = "../" * here.count("/")
    result = c.result
    files = {
        **shared["files"],
        "decoder": model_file(env, out, "decoder", decoder.data),   # the decoder page's own files
        "encoder": model_file(env, out, "encoder", encoder.data),
        "decoder30": model_file(env, out, "decoder30", c.decoder30.data, "the 30-D code's decoder"),
        "encoder30": model_file(env, out, "encoder30", c.encoder30.data, "the 30-D code's encoder"),
        "pca": data_file(env, out, "pca", c.pca, "PCA of the training images: float32 mean and components, base64"),
        "samples": data_file(env, out, "samples", c.samples,
                             "real test images: uint8 palette indices (gzip, base64), float32 codes, uint8 labels"),
    }
    files = {k: up + v for k, v in files.items()}
    models = {
        "decoder": {"input": decoder.input, "output": decoder.output, "width": 2},
        "encoder": {"input": encoder.input, "output": encoder.output, "width": PIXELS},
        "decoder30": {"input": c.decoder30.input, "output": c.decoder30.output, "width": CODE30},
        "encoder30": {"input": c.encoder30.input, "output": c.encoder30.output, "width": PIXELS},
    }
    config = {
        "files": {k: files[k] for k in ("ort", "mjs", "wasm_raw", "wasm", "glue", "decoder", "encoder",
                                        "decoder30", "encoder30", "pca", "samples", "worker")},
        "models": models,
        "classes": classes,
        "theme": COLOURS,
        "words": words,
        "side": SIDE,
        "codeLo": list(result.code_lo),
        "codeHi": list(result.code_hi),
        "noiseSeed": result.noise_seed,
        "ortVersion": ort_version,
    }
    html = env.get_template("compression/compression.html").render(
        config=config, files=files, scripts=[up + src for src in shared["compress_scripts"]],
        series=navigation.series(links[current], "compression"),
        switcher=navigation.switcher(links, current, up, "compression"), words=words,
        data_name=data_name, page=c.context, ort_version=ort_version,
    )
    out[f"{here}compression.html"] = html.encode()
