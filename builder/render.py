"""Render the static page: the only stage that writes `site/`.

Reads
  - the build folder: `decoder.onnx` (input `u` [N,2] display coordinates → output
    `image` [N,784]), `points.npz` (`u` float32 (n,2), `label` uint8 (n,)) and
    `metrics.json` (architecture, data set, test MSE, kNN-5, PCA-2 baseline);
  - `templates/`: jinja2 pages (`index.html`, partials `_*.html`, the data-file
    template `_data.js`, the style sheet `style.css`) and hand-written files copied
    as they are (`app.js`, `favicon.svg`);
  - `node_modules/onnxruntime-web`: `package.json` (its version goes into the footer)
    and from `dist/` only what the single-threaded wasm CPU backend needs:
    `ort.wasm.min.js`, `ort-wasm-simd-threaded.mjs`, `ort-wasm-simd-threaded.wasm`.

Writes `site/`, replaced as a whole through a temporary sibling (a failed render
leaves the old site as it was):
  - `index.html`, `favicon.svg`, `.nojekyll`;
  - `assets/app.<hash>.js`, `assets/style.<hash>.css`;
  - `vendor/onnxruntime-web-<version>/ort.wasm.min.js`;
  - `data/*.<hash>.js`: classic scripts that each put one value into
    `window.AEDEMO_DATA` — the wasm binary (gzip, base64), the wasm glue module
    (its source, which the page turns into a `blob:` URL), the decoder model
    (base64) and the points (int16-quantised, base64).

Everything the page loads is a classic script with a relative URL, so the same
files work over http (GitHub Pages under a sub-path, any local server) and from
`file://`, where fetch() and module imports of other files are refused. Names
carry a hash of their content, so browsers never mix an old file with a new page.
The output depends only on the inputs: no timestamps, gzip with mtime 0, sorted
iteration, a fixed drawing order for the points.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import re
from pathlib import Path

import jinja2
import numpy as np

from .files import BuildError, replace_dir

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")

# Petroff's ten-colour sequence (2021), designed to stay distinguishable under the
# common colour-vision deficiencies; matplotlib ships it as "petroff10".
PALETTE = (
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
    "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd",
)

IMAGE_SIDE = 28

UNIT_NAMES = {"relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear", "tanh": "tanh"}

CONFIG_RE = re.compile(r'<script type="application/json" id="aedemo-config">(.*?)</script>', re.S)


def render_site(
    build_dir: Path, site_dir: Path, node_modules: Path, templates: Path = TEMPLATES
) -> dict:
    """Render the page from `build_dir` into `site_dir` (replaced atomically).

    Returns figures for the CLI: `files`, `bytes` (raw total), `gzip_bytes` (total
    of each file compressed with gzip -9), `points`, `ort_version`.
    Raises `BuildError` naming the missing or malformed input.
    """
    build_dir, site_dir, node_modules = Path(build_dir), Path(site_dir), Path(node_modules)
    metrics = _read_metrics(build_dir / "metrics.json")
    classes = metrics["data"]["classes"]
    points = _read_points(build_dir / "points.npz", len(classes))
    decoder, io_names = _read_decoder(build_dir / "decoder.onnx")
    ort_version, ort_files = _read_ort(node_modules / "onnxruntime-web")

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    out: dict[str, bytes] = {}

    def data_file(key: str, value: object, note: str) -> str:
        text = env.get_template("_data.js").render(key=key, value=value, note=note)
        return _add_hashed(out, f"data/{key}", ".js", text.encode())

    vendor = f"vendor/onnxruntime-web-{ort_version}"
    files = {
        "ort": f"{vendor}/ort.wasm.min.js",
        "wasm": data_file(
            "wasm",
            base64.b64encode(gzip.compress(ort_files[2], compresslevel=9, mtime=0)).decode(),
            f"onnxruntime-web {ort_version} ort-wasm-simd-threaded.wasm, gzip, base64 (MIT License)",
        ),
        "glue": data_file(
            "glue",
            ort_files[1].decode("utf-8"),
            f"onnxruntime-web {ort_version} ort-wasm-simd-threaded.mjs as a string (MIT License)",
        ),
        "decoder": data_file("decoder", base64.b64encode(decoder).decode(), "decoder.onnx, base64"),
        "points": data_file("points", points, "points of the scatter, int16-quantised, base64"),
    }
    out[files["ort"]] = ort_files[0]
    files["style"] = _add_hashed(
        out, "assets/style", ".css",
        env.get_template("style.css").render(palette=PALETTE).encode(),
    )
    files["app"] = _add_hashed(out, "assets/app", ".js", _read(templates / "app.js"))
    out["favicon.svg"] = _read(templates / "favicon.svg")

    page_config = {
        "files": {k: files[k] for k in ("ort", "wasm", "glue", "decoder", "points")},
        "classes": classes,
        "palette": list(PALETTE[: len(classes)]),
        "input": io_names[0],
        "output": io_names[1],
        "side": IMAGE_SIDE,
        "ortVersion": ort_version,
    }
    html = env.get_template("index.html").render(
        config=page_config,
        files=files,
        classes=classes,
        palette=PALETTE,
        model=_model_summary(metrics, points["n"]),
        ort_version=ort_version,
    )
    out["index.html"] = html.encode()
    out[".nojekyll"] = b""

    with replace_dir(site_dir) as tmp:
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
        "points": points["n"],
        "ort_version": ort_version,
    }


def read_site_config(site_dir: Path) -> dict:
    """The page configuration that `index.html` of a rendered site carries."""
    match = CONFIG_RE.search((Path(site_dir) / "index.html").read_text(encoding="utf-8"))
    if match is None:
        raise BuildError(f"{site_dir}/index.html: no page configuration")
    return json.loads(match.group(1))


def read_site_data(site_dir: Path, key: str) -> object:
    """The value that a rendered site's data script for `key` hands to the page.

    `key` is one of "wasm", "glue", "decoder", "points"; for tests and tools.
    """
    path = Path(site_dir) / read_site_config(site_dir)["files"][key]
    text = path.read_text(encoding="utf-8")
    start = text.index("] = ", text.index("AEDEMO_DATA")) + len("] = ")
    return json.loads(text[start : text.rindex(";")])


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


def _read_metrics(path: Path) -> dict:
    if not path.is_file():
        raise BuildError(f"{path} not found — run `aedemo build` first")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
        arch, data, pca2 = metrics["architecture"], metrics["data"], metrics["pca2"]
        checks = {
            "architecture.sizes": [int(s) for s in arch["sizes"]],
            "architecture.hidden": str(arch["hidden"]),
            "architecture.code": str(arch["code"]),
            "architecture.output": str(arch["output"]),
            "data.name": str(data["name"]),
            "data.classes": [str(c) for c in data["classes"]],
            "data.n_train": int(data["n_train"]),
            "data.n_val": int(data["n_val"]),
            "data.n_test": int(data["n_test"]),
            "test_mse": float(metrics["test_mse"]),
            "knn5": float(metrics["knn5"]),
            "pca2.test_mse": float(pca2["test_mse"]),
            "pca2.knn5": float(pca2["knn5"]),
        }
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BuildError(f"{path}: not valid JSON ({e})") from None
    except (KeyError, TypeError, ValueError) as e:
        raise BuildError(f"{path}: missing or malformed field {e}") from None
    if not 1 <= len(checks["data.classes"]) <= len(PALETTE):
        raise BuildError(f"{path}: data.classes must list 1 to {len(PALETTE)} classes")
    if not all(math.isfinite(checks[k]) for k in ("test_mse", "knn5", "pca2.test_mse", "pca2.knn5")):
        raise BuildError(f"{path}: metrics must be finite numbers")
    return metrics


def _read_points(path: Path, n_classes: int) -> dict:
    """The scatter as compact JSON: int16 codes over the bounding box, uint8 labels."""
    if not path.is_file():
        raise BuildError(f"{path} not found — run `aedemo build` first")
    try:
        with np.load(path, allow_pickle=False) as f:
            u = np.asarray(f["u"])
            label = np.asarray(f["label"])
    except (KeyError, ValueError, OSError) as e:
        raise BuildError(f"{path}: cannot read arrays `u` and `label` ({e})") from None
    n = len(u)
    if u.ndim != 2 or u.shape[1] != 2 or label.shape != (n,) or n == 0:
        raise BuildError(f"{path}: need u of shape (n, 2) and label of shape (n,), got {u.shape} and {label.shape}")
    if not np.all(np.isfinite(u)):
        raise BuildError(f"{path}: u has non-finite values")
    if label.min() < 0 or label.max() >= n_classes:
        raise BuildError(f"{path}: labels must lie in 0..{n_classes - 1}")
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


def _read_decoder(path: Path) -> tuple[bytes, tuple[str, str]]:
    """The model bytes and its (input, output) names, after a shape check."""
    if not path.is_file():
        raise BuildError(f"{path} not found — run `aedemo export` first")
    import onnx

    data = path.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # noqa: BLE001 - onnx raises several kinds
        raise BuildError(f"{path}: not an ONNX model ({e})") from None
    graph = model.graph
    inits = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise BuildError(f"{path}: need one input and one output")

    def last_dim(v) -> int | None:
        dims = v.type.tensor_type.shape.dim
        return dims[-1].dim_value if len(dims) == 2 and dims[-1].HasField("dim_value") else None

    if last_dim(inputs[0]) != 2 or last_dim(graph.output[0]) != IMAGE_SIDE * IMAGE_SIDE:
        raise BuildError(f"{path}: need input [N,2] and output [N,{IMAGE_SIDE * IMAGE_SIDE}]")
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


def _model_summary(metrics: dict, n_points: int) -> dict:
    """What the page says about the model, as display strings (no wall-clock times)."""
    arch, data, pca2 = metrics["architecture"], metrics["data"], metrics["pca2"]
    sizes = [int(s) for s in arch["sizes"]]
    return {
        "encoder": " → ".join(str(s) for s in sizes),
        "decoder": " → ".join(str(s) for s in reversed(sizes)),
        "hidden": UNIT_NAMES.get(str(arch["hidden"]), str(arch["hidden"])),
        "code": UNIT_NAMES.get(str(arch["code"]), str(arch["code"])),
        "output": UNIT_NAMES.get(str(arch["output"]), str(arch["output"])),
        "pretrained": bool(metrics.get("pretraining")),
        "data_name": str(data["name"]),
        "n_classes": len(data["classes"]),
        "n_train": f"{int(data['n_train']):,}",
        "n_val": f"{int(data['n_val']):,}",
        "n_test": f"{int(data['n_test']):,}",
        "n_points": f"{n_points:,}",
        "mse": f"{float(metrics['test_mse']):.4f}",
        "pca_mse": f"{float(pca2['test_mse']):.4f}",
        "knn5": f"{100 * float(metrics['knn5']):.1f} %",
        "pca_knn5": f"{100 * float(pca2['knn5']):.1f} %",
    }
