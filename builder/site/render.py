"""Render the static page: the only stage that writes `site/`.

Reads
  - the build folder (`layout`), every file checked against its `manifest.json` so
    that the page's models, points and figures are one set: `decoder.onnx` (input `u`
    [N,2] display coordinates → output `image` [N,784]), `encoder.onnx` (input `image`
    [N,784] in [0,1] → output `u` [N,2]), `points.npz` (`u` float32 (n,2), `label`
    uint8 (n,), `test` bool (n,); the test rows in the order of the test split),
    `digits.npz` (`x_test` float32 (n_test,784), `y_test` uint8 (n_test,)),
    `metrics.json` (`metrics.Metrics`) and `findings.json` (`findings.py`: the story's
    numbers, told by `story.py`);
  - `templates/`: jinja2 pages (`index.html`, partials `_*.html`, the data-file
    template `_data.js`, the style sheets `style.css` and `card.css` and `favicon.svg`,
    which take their colours from `theme`) and the page scripts listed in
    `page_scripts.SCRIPTS`, copied as they are;
  - `node_modules/onnxruntime-web`: `package.json` (its version goes into the footer)
    and from `dist/` only what the single-threaded wasm CPU backend needs:
    `ort.wasm.min.js`, `ort-wasm-simd-threaded.mjs`, `ort-wasm-simd-threaded.wasm`.

Writes `site/`, replaced as a whole through a temporary sibling (a failed render
leaves the old site as it was), and only when it is absent, empty or an earlier
aedemo site (`sitedir`):
  - `index.html`, `favicon.svg`, `.nojekyll`, `.aedemo-site` (the marker: the sha256
    of every file written);
  - `assets/<script>.<hash>.js` (one per entry of `SCRIPTS`, loaded in that order),
    `assets/style.<hash>.css`;
  - `vendor/onnxruntime-web-<version>/`: `ort.wasm.min.js`, and beside it the glue
    `ort-wasm-simd-threaded.mjs` and the raw `ort-wasm-simd-threaded.wasm`, which the
    runtime takes over http (the browser compiles the WebAssembly while it downloads
    and can keep the compiled code for the next visit);
  - `assets/boot.<hash>.js`, loaded first and not deferred: it starts every download
    the first image needs at once (preload hints, by protocol);
  - `data/*.<hash>.js`: classic scripts that each put one value into
    `window.AEDEMO_DATA` — for file:// only, the wasm binary (gzip, base64) and the
    wasm glue module (its source, which the page turns into a `blob:` URL); the decoder and encoder
    models (`modelpack`: the float32 weights in byte planes, gzip, base64), the points (int16-quantised, base64) and the real digits shown
    beside the decoded image (at most `MAX_DIGITS` test images as uint8 indices into
    a grey-level palette, gzip, base64; their float32 codes and labels).

Beside each demo's `index.html`, when the build folder holds the compress stage's files,
`compression.html` (the series' third page: `compression_page`, its own scripts
`COMPRESSION_SCRIPTS` and data files; the 2-D models' data files are shared by name). When
it holds the timelapse stage's files, the time-lapse's data files (the recorded codes, the
checkpoint decoders, the twin's decoder) and scripts (`LAZY["timelapse"]`) are written but
not loaded by the page: `config.lazy` lists them, and `lazy.js` loads them when the section
opens.

Everything the page loads from file:// is a classic script with a relative URL, so the
same files work over http (GitHub Pages under a sub-path, any local server) and from
`file://`, where fetch() and module imports of other files are refused; over http the
runtime lets onnxruntime-web import its glue and stream its WebAssembly instead. Names
carry a hash of their content, so browsers never mix an old file with a new page.
The output depends only on the inputs: no timestamps, gzip with mtime 0, sorted
iteration, a fixed drawing order for the points.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Sequence

import jinja2
import numpy as np

from builder.records import layout
from builder.records.compress import Compression
from builder.records.findings import Findings
from builder.records.files import BuildError
from builder.records.metrics import Metrics
from builder.site import modelpack
from builder.site.card import card_context, installed_versions
from builder.site.compression_page import compression_context
from builder.site.page_scripts import BOOT, COMPRESSION_SCRIPTS, HEAD, LAZY, SCRIPTS, STYLE_SHEETS
from builder.site.sitedir import MARKER, check_site, marker_bytes, replace_site
from builder.site.story import plural, pretraining_sentence, story_context, with_article, words
from builder.site.theme import COLOURS, PALETTE, UNIT_NAMES

ROOT = Path(__file__).resolve().parents[2]  # the checkout: builder/site/render.py
TEMPLATES = ROOT / "templates"

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
MAX_DIGITS = 5000   # real digits shipped for the nearest-digit search and the drawing pad
SAMPLES = 100       # real test images shipped with the compression page
CODE30 = 30         # the compression page's wider code


def render_site(
    build_dirs: Path | Sequence[Path], site_dir: Path, node_modules: Path,
    templates: Path = TEMPLATES,
) -> dict:
    """Render one page per build folder into `site_dir` (replaced atomically).

    The first build folder's page is the site's `index.html`; every other one is
    `<folder name>/index.html`, and each page links to all of them. Scripts, styles
    and the runtime are shared; every file the pages load has a content-hashed name.

    Returns figures for the CLI: `files`, `bytes` (raw total), `gzip_bytes` (total
    of each file compressed with gzip -9), `points`, `digits` (of the first page),
    `pages`, `ort_version`. Raises `BuildError` naming the missing or malformed input.
    """
    build_dirs = [Path(build_dirs)] if isinstance(build_dirs, (str, Path)) else list(map(Path, build_dirs))
    site_dir, node_modules = Path(site_dir), Path(node_modules)
    names = [d.name for d in build_dirs]
    if not build_dirs or len(set(names)) != len(names):
        raise BuildError(f"render: need build folders with distinct names, got {names}")
    inputs = [*build_dirs, Path(templates), node_modules, ROOT]
    check_site(site_dir, inputs)
    ort_version, ort_files = _read_ort(node_modules / "onnxruntime-web")
    env = make_environment(templates)
    out: dict[str, bytes] = {}
    shared = _shared_files(env, out, templates, ort_version, ort_files)
    versions = installed_versions(ort_version)
    pages = [_read_demo(d, versions) for d in build_dirs]
    links = [{"name": p["metrics"].data.name, "path": "" if i == 0 else f"{d.name}/",
              "compression": p["compression"] is not None}
             for i, (p, d) in enumerate(zip(pages, build_dirs))]
    for i, page in enumerate(pages):
        _render_page(env, out, shared, page, links, current=i, ort_version=ort_version)
        if page["compression"] is not None:
            _render_compression(env, out, shared, page, links, current=i, ort_version=ort_version)
    out[".nojekyll"] = b""
    out[MARKER] = marker_bytes(out)

    with replace_site(site_dir, inputs) as tmp:
        for rel in sorted(out):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(out[rel])
            path.chmod(0o644)
        for folder in sorted({p for rel in out for p in (tmp / rel).parents if tmp in p.parents}):
            folder.chmod(0o755)

    return {
        "files": len(out),
        "bytes": sum(len(b) for b in out.values()),
        "gzip_bytes": sum(len(gzip.compress(b, compresslevel=9, mtime=0)) for b in out.values()),
        "points": pages[0]["points"]["n"],
        "digits": pages[0]["digits"]["n"],
        "pages": len(pages),
        "compression_pages": sum(p["compression"] is not None for p in pages),
        "ort_version": ort_version,
    }


def make_environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    """The one jinja2 environment: autoescape on, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _read_demo(build_dir: Path, versions: dict[str, str]) -> dict:
    """Everything one page needs from its build folder, read, checked against the folder's
    manifest (one set, made by train and export from it) and validated."""
    manifest = layout.Manifest.read(build_dir)
    read = lambda name: layout.verified(build_dir, manifest, name)  # noqa: E731
    metrics = Metrics.read(build_dir / layout.METRICS, read(layout.METRICS).decode("utf-8"))
    classes = list(metrics.data.classes)
    points = _read_npz(build_dir / layout.POINTS, read(layout.POINTS), ("u", "label", "test", "pca"))
    u, label, test = _check_points(build_dir / layout.POINTS, points, len(classes))
    digits = _read_npz(build_dir / layout.DIGITS, read(layout.DIGITS), ("x_test", "y_test"))
    x_test, y_test = _check_test_images(build_dir / layout.DIGITS, digits)
    digits_payload = _digits_payload(x_test, y_test, u, label, test, build_dir)
    decoder, decoder_io = _read_model(build_dir / layout.DECODER, read(layout.DECODER), 2, PIXELS)
    encoder, encoder_io = _read_model(build_dir / layout.ENCODER, read(layout.ENCODER), PIXELS, 2)
    units = _read_npz(build_dir / layout.UNITS, read(layout.UNITS), ("layer1", "value1", "layer2", "value2"))
    pca = np.asarray(points["pca"])
    findings = Findings.read(read(layout.FINDINGS), str(build_dir / layout.FINDINGS))
    lapse = _read_timelapse(build_dir, read, u[test], label[test], metrics) if manifest.current("timelapse") else None
    return {
        "timelapse": lapse,
        "story": story_context(findings, classes, metrics.data.name, x_test),
        "metrics": metrics, "classes": classes,
        "points": _points_payload(u, label),
        "digits": digits_payload,
        "decoder": decoder, "decoder_io": decoder_io, "decoder_layers": _layer_outputs(decoder), "units": _units_payload(build_dir / layout.UNITS, units),
        "encoder": encoder, "encoder_io": encoder_io,
        "card": card_context(metrics, {"u": u, "pca": pca, "label": label, "test": test},
                             len(decoder), versions),
        "compression": _read_compression(build_dir, manifest, read, (x_test, y_test, u, label, test),
                                         metrics, words(metrics.data.name)),
    }


def _read_compression(build_dir: Path, manifest: layout.Manifest, read, split: tuple,
                      metrics: Metrics, words: dict[str, str]) -> dict | None:
    """The compression page's parts, checked like the rest (None when `aedemo compress`
    never ran for this folder; a set made from other weights is refused by `verified`)."""
    if not layout.present(build_dir, manifest, "compress"):
        return None
    result = Compression.read(build_dir / layout.COMPRESS, read(layout.COMPRESS))
    n = result.sizes[-1]
    if n != CODE30:
        raise BuildError(f"{build_dir / layout.COMPRESS}: a {n}-D code; the page needs {CODE30}: run `aedemo compress`")
    decoder, decoder_io = _read_model(build_dir / layout.DECODER30, read(layout.DECODER30), n, PIXELS)
    encoder, encoder_io = _read_model(build_dir / layout.ENCODER30, read(layout.ENCODER30), PIXELS, n)
    pca = _read_npz(build_dir / layout.PCA, read(layout.PCA), ("mean", "components"))
    mean, comp = pca["mean"], pca["components"]
    if mean.shape != (PIXELS,) or comp.ndim != 2 or comp.shape[1] != PIXELS or mean.dtype != np.float32 \
            or comp.dtype != np.float32 or len(comp) < 2:
        raise BuildError(f"{build_dir / layout.PCA}: need float32 mean ({PIXELS},) and components (k, {PIXELS})")
    return {
        "result": result, "decoder30": decoder, "encoder30": encoder,
        "io": {"decoder30": decoder_io, "encoder30": encoder_io},
        "pca": {"k": int(len(comp)), "mean": base64.b64encode(mean.astype("<f4").tobytes()).decode(),
                "components": base64.b64encode(comp.astype("<f4").tobytes()).decode()},
        "samples": _digits_payload(*split, build_dir, limit=SAMPLES),
        "context": compression_context(result, words, metrics.data.n_test),
    }


def _read_timelapse(build_dir: Path, read, u_test: np.ndarray, y_test: np.ndarray, metrics: Metrics) -> dict:
    """The time-lapse's payload (`history.npz`, `timelapse.npz`, `timelapse.json`): the
    recorded test codes per moment (uint16 as recorded, base64), the kept net's exact codes
    and the twin's of the same images (float32), the moments' figures, and the ONNX bytes
    of the checkpoint decoders and the twin's decoder."""
    from builder.records.history import PHASES, History
    from builder.records.timelapse import Timelapse, bench_spread, read_twin

    h = History.from_bytes(read(layout.HISTORY), build_dir / layout.HISTORY)
    record = Timelapse.read(read(layout.TIMELAPSE_JSON), build_dir / layout.TIMELAPSE_JSON)
    twin_u, _, models = read_twin(read(layout.TIMELAPSE), build_dir / layout.TIMELAPSE)
    rows = h.rows
    kept_moment = h.moment_of("finetune", int(h.epoch[-1]))
    if len(twin_u) != len(u_test) or rows.max(initial=0) >= len(u_test) or len(models) != len(h.checkpoint) + 1 \
            or kept_moment not in h.checkpoint.tolist():
        raise BuildError(f"{build_dir / layout.TIMELAPSE} does not match {layout.HISTORY}: run `aedemo timelapse`")
    b64 = lambda a: base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()  # noqa: E731
    moments = [{"label": h.label(i), "phase": PHASES[int(h.phase[i])], "epoch": int(h.epoch[i]),
                "mse": None if not np.isfinite(h.mse[i]) else float(h.mse[i]), "knn5": float(h.knn5[i])}
               for i in range(len(h.phase))]
    payload = {
        "n": int(len(rows)), "m": len(moments), "moments": moments,
        "q": b64(h.q.astype("<u2")), "lo": [float(v) for v in h.lo.ravel()], "hi": [float(v) for v in h.hi.ravel()],
        "labels": b64(y_test[rows].astype(np.uint8)), "final": b64(u_test[rows].astype("<f4")), "twin": b64(twin_u[rows].astype("<f4")),
        # the kept checkpoint is the page's own decoder (the same weights): not shipped twice
        "checkpoints": [{"moment": int(m), "key": None if m == kept_moment else f"checkpoint{j}"}
                        for j, m in enumerate(h.checkpoint)],
        "unrolled": h.moment_of("unrolled", 0), "kept": len(moments) - 1,
        "nTest": int(len(u_test)),
    }
    kept = f"checkpoint{h.checkpoint.tolist().index(kept_moment)}"
    return {"payload": payload, "models": {k: models[k] for k in sorted(models) if k != kept}, "record": record,
            "rows": rows, "sentence": pretraining_sentence(record.pretrained, record.twin, bench_spread(metrics))}


def _layer_outputs(model: bytes) -> list[dict]:
    """The decoder's outputs after the image: [{name, size}] (its hidden layers)."""
    import onnx

    graph = onnx.load_model_from_string(model).graph
    return [{"name": o.name, "size": int(o.type.tensor_type.shape.dim[-1].dim_value)} for o in graph.output[1:]]


def _units_payload(path: Path, units: dict[str, np.ndarray]) -> dict:
    """What the decoder's units draw, for the page: per layer its size, each unit's value
    and its 28×28 picture (uint8 grey, gzip, base64)."""
    layers = []
    for k in (1, 2):
        images, values = units[f"layer{k}"], units[f"value{k}"]
        if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != PIXELS or values.shape != images.shape[:1]:
            raise BuildError(f"{path}: layer{k} must be uint8 (units, {PIXELS}) with one value per unit")
        layers.append({"n": int(len(values)), "values": [float(v) for v in values.astype(np.float64)],
                       "images": base64.b64encode(gzip.compress(images.tobytes(), 9, mtime=0)).decode()})
    return {"layers": layers}


def _read_npz(path: Path, data: bytes, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays `names` of an `.npz` file's bytes; `BuildError` naming the file."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            return {name: np.asarray(f[name]) for name in names}
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise BuildError(f"{path}: cannot read arrays {', '.join(names)} ({e})") from None


def _data_file(env: jinja2.Environment, out: dict[str, bytes], key: str, value: object,
               note: str) -> str:
    text = env.get_template("shared/_data.js").render(key=key, value=value, note=note)
    return _add_hashed(out, f"data/{key}", ".js", text.encode())


def _model_file(env: jinja2.Environment, out: dict[str, bytes], key: str, model: bytes,
                what: str | None = None) -> str:
    """A data script of an ONNX model as the page loads it (`modelpack.pack`)."""
    note = f"{key}.onnx{f' ({what})' if what else ''}, its float32 weights in byte planes (modelpack), gzip, base64"
    return _data_file(env, out, key, modelpack.pack(model), note)


def _shared_files(env: jinja2.Environment, out: dict[str, bytes], templates: Path,
                  ort_version: str, ort_files: list[bytes]) -> dict:
    """The files every page loads: runtime, wasm, glue, style, scripts, icon. Root-relative."""
    vendor = f"vendor/onnxruntime-web-{ort_version}"
    files = {
        "ort": f"{vendor}/ort.wasm.min.js",
        "mjs": f"{vendor}/{ORT_FILES[1]}",
        "wasm_raw": f"{vendor}/{ORT_FILES[2]}",
        "wasm": _data_file(
            env, out, "wasm",
            base64.b64encode(gzip.compress(ort_files[2], compresslevel=9, mtime=0)).decode(),
            f"onnxruntime-web {ort_version} ort-wasm-simd-threaded.wasm, gzip, base64 (MIT License)",
        ),
        "glue": _data_file(
            env, out, "glue",
            ort_files[1].decode("utf-8"),
            f"onnxruntime-web {ort_version} ort-wasm-simd-threaded.mjs as a string (MIT License)",
        ),
        "style": _add_hashed(
            out, "assets/style", ".css",
            "".join(env.get_template(name).render(palette=PALETTE, theme=COLOURS)
                    for name in STYLE_SHEETS).encode(),
        ),
        "favicon": "favicon.svg",
        "card_css": _add_hashed(out, "assets/card", ".css",
                                env.get_template("decoder/card.css").render(theme=COLOURS).encode()),
    }
    out[files["ort"]] = ort_files[0]
    out[files["mjs"]] = ort_files[1]
    out[files["wasm_raw"]] = ort_files[2]
    out["favicon.svg"] = env.get_template("shared/favicon.svg").render(palette=PALETTE, theme=COLOURS).encode()
    scripts = {name: _add_hashed(out, f"assets/{Path(name).stem}", ".js", _read(templates / name))
               for name in dict.fromkeys(SCRIPTS + COMPRESSION_SCRIPTS)}
    files["boot"] = _add_hashed(out, f"assets/{Path(BOOT).stem}", ".js", _read(templates / BOOT))
    lazy = {group: [_add_hashed(out, f"assets/{Path(name).stem}", ".js", _read(templates / name))
                    for name in names] for group, names in LAZY.items()}
    return {"files": files, "scripts": [scripts[n] for n in SCRIPTS if n not in HEAD],
            "head_scripts": [scripts[n] for n in HEAD], "lazy": lazy,
            "compress_scripts": [scripts[n] for n in COMPRESSION_SCRIPTS]}


def _render_page(env: jinja2.Environment, out: dict[str, bytes], shared: dict, page: dict,
                 links: list[dict], current: int, ort_version: str) -> None:
    """One demo's data files and its `index.html` (at the root, or in its own folder)."""
    here = links[current]["path"]
    up = "../" * here.count("/")
    classes = page["classes"]
    files = {
        **shared["files"],
        "decoder": _model_file(env, out, "decoder", page["decoder"]),
        "encoder": _model_file(env, out, "encoder", page["encoder"]),
        "points": _data_file(env, out, "points", page["points"],
                             "points of the scatter, int16-quantised, base64"),
        "units": _data_file(env, out, "units", page["units"],
                            "what each unit of the decoder's first two hidden layers draws alone: uint8 grey (gzip, base64)"),
        "digits": _data_file(
            env, out, "digits", page["digits"],
            "real test images: uint8 palette indices (gzip, base64), float32 codes, uint8 labels",
        ),
    }
    lazy, lapse = {}, None
    if page["timelapse"] is not None:
        lapse = _timelapse_files(env, out, shared, page["timelapse"], up)
        lazy["timelapse"] = {"scripts": lapse["scripts"], "data": lapse["data"]}
    files = {k: up + v for k, v in files.items()}
    page_config = {
        "files": {k: files[k] for k in ("ort", "mjs", "wasm_raw", "wasm", "glue", "decoder", "encoder",
                                        "points", "digits", "units")},
        "classes": classes,
        "plurals": [plural(c) for c in classes],
        "withArticle": [with_article(c) for c in classes],
        "palette": list(PALETTE[: len(classes)]),
        "theme": COLOURS,
        "words": page["story"]["words"],
        "story": page["story"]["actions"],
        "input": page["decoder_io"][0],
        "output": page["decoder_io"][1],
        "decoderLayers": page["decoder_layers"],
        "encoderInput": page["encoder_io"][0],
        "encoderOutput": page["encoder_io"][1],
        "modelHash": hashlib.sha256(page["decoder"] + page["encoder"]).hexdigest()[:16],
        "side": IMAGE_SIDE,
        "ortVersion": ort_version,
        "lazy": lazy,
    }
    switcher = [{"name": link["name"], "href": f"{up}{link['path']}index.html",
                 "current": i == current} for i, link in enumerate(links)]
    html = env.get_template("decoder/index.html").render(
        series=_series(links[current], "decoder"),
        config=page_config,
        files=files,
        scripts=[up + src for src in shared["scripts"]],
        head_scripts=[up + src for src in shared["head_scripts"]],
        classes=classes,
        palette=PALETTE,
        model=_model_summary(page["metrics"], page["points"]["n"], page["digits"]["n"]),
        ort_version=ort_version,
        switcher=switcher,
        card=page["card"],
        story=page["story"],
        words=page["story"]["words"],
        lapse=lapse,
    )
    out[f"{here}index.html"] = html.encode()


def _timelapse_files(env: jinja2.Environment, out: dict[str, bytes], shared: dict, t: dict,
                     up: str) -> dict:
    """The time-lapse's lazily loaded data files (one per value) and what the page says of
    them: their URLs (relative to the page), the lazy scripts, their bytes, the scores."""
    data = {"timelapse": _data_file(env, out, "timelapse", t["payload"],
                                    "the training time-lapse: test codes per moment (uint16, base64)")}
    for key, model in t["models"].items():
        name = "twin" if key == "twin_decoder" else key
        data[name] = _model_file(env, out, name, model, f"{key} of timelapse.npz")
    scripts = [up + s for s in shared["lazy"]["timelapse"]]
    size = sum(len(out[v]) for v in data.values()) + sum(len(out[s]) for s in shared["lazy"]["timelapse"])
    r = t["record"]
    score = lambda s: {"mse": f"{s.test_mse:.4f}", "knn5": f"{100 * s.knn5:.1f} %",  # noqa: E731
                       "dead": f"{100 * s.dead_share:.1f} %", "best": s.best_epoch, "epochs": s.epochs}
    return {"data": {k: up + v for k, v in data.items()}, "scripts": scripts, "bytes": size,
            "files": len(data) + len(scripts), "mb": f"{size / 1e6:.1f} MB",
            "n": t["payload"]["n"], "n_test": t["payload"]["nTest"], "moments": t["payload"]["m"],
            "checkpoints": [t["payload"]["moments"][c["moment"]]["label"] for c in t["payload"]["checkpoints"]],
            "rbm_epochs": sum(m["phase"] == "rbm" for m in t["payload"]["moments"]),
            "finetune_epochs": sum(m["phase"] == "finetune" for m in t["payload"]["moments"]),
            "kept_epoch": t["payload"]["moments"][-1]["epoch"],
            "pretrained": score(r.pretrained), "twin": score(r.twin), "sentence": t["sentence"]}


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BuildError(f"{path} not found") from None


def _add_hashed(out: dict[str, bytes], stem: str, suffix: str, data: bytes) -> str:
    """Store `data` as `stem.<first 10 hex of sha256>suffix`; return that name."""
    name = f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{suffix}"
    out[name] = data
    return name


def _check_points(path: Path, f: dict[str, np.ndarray], n_classes: int,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`u` float32 (n, 2), `label` uint8 (n,) and the `test` mask (n,) of `points.npz`."""
    u, label, test, pca = f["u"], f["label"], f["test"], f["pca"]
    n = len(u)
    if u.ndim != 2 or u.shape[1] != 2 or label.shape != (n,) or n == 0 or pca.shape != u.shape:
        raise BuildError(f"{path}: need u and pca of shape (n, 2) and label of shape (n,), got {u.shape}, "
                         f"{pca.shape} and {label.shape}")
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(pca))):
        raise BuildError(f"{path}: u or pca has non-finite values")
    if label.min() < 0 or label.max() >= n_classes:
        raise BuildError(f"{path}: labels must lie in 0..{n_classes - 1}")
    if test.shape != (n,) or test.dtype != np.bool_:
        raise BuildError(f"{path}: need a boolean `test` mask of shape (n,)")
    return u.astype(np.float32), label.astype(np.uint8), test


def _points_payload(u: np.ndarray, label: np.ndarray) -> dict:
    """The scatter as compact JSON: int16 codes over the bounding box, uint8 labels."""
    n = len(u)
    u = u.astype(np.float64)
    lo, hi = u.min(axis=0), u.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    q = np.rint((u - lo) / span * 65534.0 - 32767.0).astype("<i2")
    # A fixed shuffle so no class is always drawn on top of the others.
    order = np.random.default_rng(0).permutation(n)
    return {
        "n": int(n),
        "lo": [float(x) for x in lo],
        "hi": [float(x) for x in lo + span],
        "u": base64.b64encode(q[order].tobytes()).decode(),
        "label": base64.b64encode(label[order].astype(np.uint8).tobytes()).decode(),
    }


def _check_test_images(path: Path, f: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """`x_test` float32 (n, 784) in [0, 1] and `y_test` uint8 (n,) of `digits.npz`."""
    x, y = f["x_test"], f["y_test"]
    if x.ndim != 2 or x.shape[1] != PIXELS or y.shape != (len(x),):
        raise BuildError(f"{path}: need x_test of shape (n, {PIXELS}) and y_test of shape (n,)")
    if not (np.all(np.isfinite(x)) and x.min(initial=0) >= 0 and x.max(initial=0) <= 1):
        raise BuildError(f"{path}: x_test must lie in [0, 1]")
    return x.astype(np.float32), y


def _digits_payload(x_test: np.ndarray, y_test: np.ndarray, u: np.ndarray, label: np.ndarray,
                    test: np.ndarray, build_dir: Path, limit: int = MAX_DIGITS) -> dict:
    """The real digits the page shows: at most `limit` test images with their codes.

    `x_test` (m, 784), `y_test` (m,) are the test split; `u` (n, 2), `label` (n,), `test`
    (n,) the points, whose test rows are the test split in the same order. With more
    than `limit` test images a fixed random subset (in their order) is shipped.

    Images go as uint8 indices into `palette` (float32, at most 256 grey levels): exact
    when the data has at most 256 distinct levels (MNIST has 256), else levels rounded
    to k/255. The index bytes are gzipped (mtime 0). Codes are the points' float32 `u`.
    """
    u_test, label_test = u[test], label[test]
    if len(u_test) != len(x_test) or not np.array_equal(label_test, y_test):
        raise BuildError(f"{build_dir / layout.DIGITS} does not match {layout.POINTS} (test split): run `aedemo train`")
    m = len(x_test)
    keep = np.arange(m) if m <= limit else np.sort(np.random.default_rng(0).choice(m, limit, replace=False))
    x = x_test[keep]
    levels = np.unique(x)
    if len(levels) <= 256:
        palette, index, exact = levels, np.searchsorted(levels, x), True
    else:
        palette, index, exact = np.arange(256) / 255.0, np.rint(x.astype(np.float64) * 255.0), False
    packed = gzip.compress(index.astype(np.uint8).tobytes(), compresslevel=9, mtime=0)
    return {
        "n": int(len(keep)),
        "of": int(m),
        "exact": exact,
        "palette": base64.b64encode(np.asarray(palette, "<f4").tobytes()).decode(),
        "images": base64.b64encode(packed).decode(),
        "codes": base64.b64encode(u_test[keep].astype("<f4").tobytes()).decode(),
        "labels": base64.b64encode(label_test[keep].astype(np.uint8).tobytes()).decode(),
    }


def _read_model(path: Path, data: bytes, n_in: int, n_out: int) -> tuple[bytes, tuple[str, str]]:
    """The model bytes and its (input, output) names, after a check of shapes [N,n_in] → [N,n_out]."""
    import onnx

    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # noqa: BLE001 - onnx raises several kinds
        raise BuildError(f"{path}: not an ONNX model ({e})") from None
    graph = model.graph
    inits = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1 or len(graph.output) < 1:
        raise BuildError(f"{path}: need one input and an output")

    def last_dim(v) -> int | None:
        dims = v.type.tensor_type.shape.dim
        return dims[-1].dim_value if len(dims) == 2 and dims[-1].HasField("dim_value") else None

    if last_dim(inputs[0]) != n_in or last_dim(graph.output[0]) != n_out:
        raise BuildError(f"{path}: need input [N,{n_in}] and output [N,{n_out}]")
    return data, (inputs[0].name, graph.output[0].name)


def _read_ort(package: Path) -> tuple[str, list[bytes]]:
    pkg = package / "package.json"
    if not pkg.is_file():
        raise BuildError(f"{pkg} not found — run `npm ci`")
    try:
        version = str(json.loads(pkg.read_text(encoding="utf-8"))["version"])
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise BuildError(f"{pkg}: no version ({e})") from None
    files = []
    for name in ORT_FILES:
        path = package / "dist" / name
        if not path.is_file():
            raise BuildError(f"{path} not found — run `npm ci`")
        files.append(path.read_bytes())
    return version, files


def _model_summary(metrics: Metrics, n_points: int, n_digits: int) -> dict:
    """What the page says about the model, as display strings (no wall-clock times)."""
    arch, data, pca2 = metrics.architecture, metrics.data, metrics.pca2
    unit = lambda kind: UNIT_NAMES.get(kind, kind)  # noqa: E731
    return {
        "encoder": " → ".join(str(s) for s in arch.sizes),
        "decoder": " → ".join(str(s) for s in reversed(arch.sizes)),
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


# ---------------------------------------------------------------- the compression page

SERIES = (("decoder", "index.html", "The decoder"), ("compression", "compression.html", "Compression and denoising"))


def _series(link: dict, current: str) -> list[dict]:
    """The series' pages of one demo (both in its folder), for the navigation; none when
    the demo has only the decoder page."""
    if not link["compression"]:
        return []
    return [{"title": title, "href": href, "current": key == current, "part": i + 2}
            for i, (key, href, title) in enumerate(SERIES)]


def _render_compression(env: jinja2.Environment, out: dict[str, bytes], shared: dict, page: dict,
                        links: list[dict], current: int, ort_version: str) -> None:
    """One demo's `compression.html` beside its `index.html`, and its own data files."""
    here = links[current]["path"]
    up = "../" * here.count("/")
    c = page["compression"]
    result: Compression = c["result"]
    files = {
        **shared["files"],
        "decoder": _model_file(env, out, "decoder", page["decoder"]),   # the decoder page's own files
        "encoder": _model_file(env, out, "encoder", page["encoder"]),
        "decoder30": _model_file(env, out, "decoder30", c["decoder30"], "the 30-D code's decoder"),
        "encoder30": _model_file(env, out, "encoder30", c["encoder30"], "the 30-D code's encoder"),
        "pca": _data_file(env, out, "pca", c["pca"], "PCA of the training images: float32 mean and components, base64"),
        "samples": _data_file(env, out, "samples", c["samples"],
                              "real test images: uint8 palette indices (gzip, base64), float32 codes, uint8 labels"),
    }
    files = {k: up + v for k, v in files.items()}
    (d_in, d_out), (e_in, e_out) = page["decoder_io"], page["encoder_io"]
    models = {
        "decoder": {"input": d_in, "output": d_out, "width": 2},
        "encoder": {"input": e_in, "output": e_out, "width": PIXELS},
        "decoder30": {"input": c["io"]["decoder30"][0], "output": c["io"]["decoder30"][1], "width": CODE30},
        "encoder30": {"input": c["io"]["encoder30"][0], "output": c["io"]["encoder30"][1], "width": PIXELS},
    }
    config = {
        "files": {k: files[k] for k in ("ort", "mjs", "wasm_raw", "wasm", "glue", "decoder", "encoder",
                                        "decoder30", "encoder30", "pca", "samples")},
        "models": models,
        "classes": page["classes"],
        "theme": COLOURS,
        "words": page["story"]["words"],
        "side": IMAGE_SIDE,
        "codeLo": list(result.code_lo),
        "codeHi": list(result.code_hi),
        "noiseSeed": result.noise_seed,
        "ortVersion": ort_version,
    }
    switcher = [{"name": link["name"],
                 "href": f"{up}{link['path']}{'compression' if link['compression'] else 'index'}.html",
                 "current": i == current} for i, link in enumerate(links)]
    html = env.get_template("compression/compression.html").render(
        config=config, files=files, scripts=[up + src for src in shared["compress_scripts"]],
        series=_series(links[current], "compression"), switcher=switcher, words=page["story"]["words"],
        data_name=page["metrics"].data.name, page=c["context"], ort_version=ort_version,
    )
    out[f"{here}compression.html"] = html.encode()
