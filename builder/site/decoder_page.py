"""The decoder page (`index.html`): what it reads from a build folder and how it is shaped.

`read_demo` gathers one build folder's records (through `BuildFolder`, every file
verified against the manifest) into a `Demo`: the payloads of the page's data scripts,
the story, the model card and, when their stages ran, the compression page's and the
time-lapse's parts. `render_decoder` writes the page's own data scripts and its
`index.html` (at the site's root, or in the demo's folder).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import jinja2

from builder.records.arrays import SIDE
from builder.records.folder import BuildFolder
from builder.records.metrics import Metrics
from builder.records.onnxfile import OnnxModel
from builder.site import navigation
from builder.site.assets import data_file, model_file
from builder.site.card import card_context
from builder.site.compression_page import CompressionParts, read_compression
from builder.site.payloads import digits_payload, layer_outputs, points_payload, typical_rms_gap, units_payload
from builder.site.story import plural, story_of_record, with_article
from builder.site.theme import COLOURS, PALETTE, UNIT_NAMES
from builder.site.timelapse_section import TimelapseSection, read_timelapse, timelapse_files



@dataclass(frozen=True)
class Demo:
    """One build folder, read and shaped for its pages."""

    metrics: Metrics
    classes: list[str]
    points: dict  # payloads.points_payload
    digits: dict  # payloads.digits_payload
    units: dict  # payloads.units_payload
    decoder: OnnxModel
    encoder: OnnxModel
    story: dict[str, Any]  # story.story_context
    card: dict[str, Any]  # card.card_context
    compression: CompressionParts | None  # None: `aedemo compress` never ran here
    timelapse: TimelapseSection | None  # None: `aedemo timelapse` never ran here
    real_gap: float  # payloads.typical_rms_gap of the test images: the Unfamiliar legend's yardstick


def read_demo(folder: BuildFolder, versions: dict[str, str]) -> Demo:
    """Everything one demo's pages need from its build folder, read and validated."""
    metrics = folder.metrics()
    classes = list(metrics.data.classes)
    points, images = folder.points(), folder.test_images()
    decoder, encoder = folder.decoder(), folder.encoder()
    u, label, test = points.u, points.label, points.test
    return Demo(
        metrics=metrics, classes=classes,
        points=points_payload(u, label),
        digits=digits_payload(images.x, images.y, u[test]),
        units=units_payload(folder.units()),
        decoder=decoder, encoder=encoder,
        story=story_of_record(folder.findings(), classes, metrics.data.name, images.x,
                              folder.where("findings.json")),   # a part the story cannot read: one line
        card=card_context(metrics, points, len(decoder.data), versions),
        compression=read_compression(folder, metrics, images, points) if folder.has("compress") else None,
        timelapse=read_timelapse(folder, u[test], label[test]) if folder.current("timelapse") else None,
        real_gap=typical_rms_gap(images.x),
    )


def render_decoder(env: jinja2.Environment, out: dict[str, bytes], shared: dict, demo: Demo,
                   links: list[dict], current: int, ort_version: str) -> None:
    """One demo's data files and its `index.html` (at the root, or in its own folder)."""
    here = links[current]["path"]
    up = "../" * here.count("/")
    classes = demo.classes
    files = {
        **shared["files"],
        "decoder": model_file(env, out, "decoder", demo.decoder.data),
        "encoder": model_file(env, out, "encoder", demo.encoder.data),
        "points": data_file(env, out, "points", demo.points,
                            "points of the scatter, int16-quantised, base64"),
        "units": data_file(env, out, "units", demo.units,
                           "what each unit of the decoder's first two hidden layers draws alone: uint8 grey (gzip, base64)"),
        "digits": data_file(
            env, out, "digits", demo.digits,
            "real test images: uint8 palette indices (gzip, base64), float32 codes, uint8 labels",
        ),
    }
    lazy, lapse = {}, None
    if demo.timelapse is not None:
        lapse = timelapse_files(env, out, shared, demo.timelapse, up)
        lazy["timelapse"] = {"scripts": lapse["scripts"], "data": lapse["data"]}
    sizes = {k: len(out[files[k]]) for k in ("ort", "mjs", "wasm_raw", "wasm", "glue", "decoder")}   # progress.js
    files = {k: up + v for k, v in files.items()}
    page_config = {
        "files": {k: files[k] for k in ("ort", "mjs", "wasm_raw", "wasm", "glue", "decoder", "encoder",
                                        "points", "digits", "units", "worker")},
        "sizes": sizes,
        "classes": classes,
        "plurals": [plural(c) for c in classes],
        "withArticle": [with_article(c) for c in classes],
        "palette": list(PALETTE[: len(classes)]),
        "theme": COLOURS,
        "words": demo.story["words"],
        "story": demo.story["actions"],
        "input": demo.decoder.input,
        "output": demo.decoder.output,
        "decoderLayers": layer_outputs(demo.decoder),
        "encoderInput": demo.encoder.input,
        "encoderOutput": demo.encoder.output,
        "modelHash": hashlib.sha256(demo.decoder.data + demo.encoder.data).hexdigest()[:16],
        "side": SIDE,
        "ortVersion": ort_version,
        "lazy": lazy,
        "realGap": round(demo.real_gap, 4),
    }
    html = env.get_template("decoder/index.html").render(
        series=navigation.series(links[current], "decoder"),
        config=page_config,
        files=files,
        scripts=[up + src for src in shared["scripts"]],
        head_scripts=[up + src for src in shared["head_scripts"]],
        classes=classes,
        palette=PALETTE,
        model=model_summary(demo.metrics, demo.points["n"], demo.digits["n"]),
        ort_version=ort_version,
        switcher=navigation.switcher(links, current, up, "decoder"),
        card=demo.card,
        story=demo.story,
        words=demo.story["words"],
        lapse=lapse,
    )
    out[f"{here}index.html"] = html.encode()


def model_summary(metrics: Metrics, n_points: int, n_digits: int) -> dict:
    """What the page says about the model, as display strings (no wall-clock times)."""
    arch, data, pca2 = metrics.architecture, metrics.data, metrics.pca2
    unit = lambda kind: UNIT_NAMES.get(kind, kind)  # noqa: E731
    return {
        "encoder": " → ".join(str(s) for s in arch.sizes),
        "decoder": " → ".join(str(s) for s in reversed(arch.sizes)),
        "sizes": [int(s) for s in arch.sizes],  # the encoder's layer sizes, input to code (the opening's strip)
        "hidden": unit(arch.hidden),
        "code": unit(arch.code),
        "output": unit(arch.output),
        "pretrained": bool(metrics.pretraining),
        "data_name": data.name,
        "n_classes": len(data.classes),
        "n_train": f"{data.n_train:,}",
        "n_val": f"{data.n_val:,}",
        "n_test": f"{data.n_test:,}",
        "n_points": f"{n_points:,}",
        "n_digits": f"{n_digits:,}",
        "mse": f"{metrics.test_mse:.4f}",
        "pca_mse": f"{pca2.test_mse:.4f}",
        "knn5": f"{100 * metrics.knn5:.1f} %",
        "pca_knn5": f"{100 * pca2.knn5:.1f} %",
    }
