"""Render the static page: the only stage that writes `site/`.

Reads
  - the build folder: `decoder.onnx` (input `u` [N,2] display coordinates → output
    `image` [N,784]), `encoder.onnx` (input `image` [N,784] in [0,1] → output `u`
    [N,2]), `points.npz` (`u` float32 (n,2), `label` uint8 (n,), `test` bool (n,);
    the test rows in the order of the test split), `data.npz` (the parse cache that
    training writes: `x_test` float32 (n_test,784), `y_test` uint8 (n_test,)) and
    `metrics.json` (architecture, data set, test MSE, kNN-5, PCA-2 baseline);
  - `templates/`: jinja2 pages (`index.html`, partials `_*.html`, the data-file
    template `_data.js`, the style sheet `style.css`) and hand-written files copied
    as they are (the page scripts listed in `SCRIPTS`, `favicon.svg`);
  - `node_modules/onnxruntime-web`: `package.json` (its version goes into the footer)
    and from `dist/` only what the single-threaded wasm CPU backend needs:
    `ort.wasm.min.js`, `ort-wasm-simd-threaded.mjs`, `ort-wasm-simd-threaded.wasm`.

Writes `site/`, replaced as a whole through a temporary sibling (a failed render
leaves the old site as it was):
  - `index.html`, `favicon.svg`, `.nojekyll`;
  - `assets/<script>.<hash>.js` (one per entry of `SCRIPTS`, loaded in that order),
    `assets/style.<hash>.css`;
  - `vendor/onnxruntime-web-<version>/ort.wasm.min.js`;
  - `data/*.<hash>.js`: classic scripts that each put one value into
    `window.AEDEMO_DATA` — the wasm binary (gzip, base64), the wasm glue module
    (its source, which the page turns into a `blob:` URL), the decoder and encoder
    models (base64), the points (int16-quantised, base64) and the real digits shown
    beside the decoded image (at most `MAX_DIGITS` test images as uint8 indices into
    a grey-level palette, gzip, base64; their float32 codes and labels).

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
from typing import Sequence

import jinja2
import numpy as np

from .card import card_context, installed_versions
from .files import BuildError, replace_dir

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")

# The page's scripts, in load order: small libraries first, the page itself last.
SCRIPTS = ("runtime.js", "mnist.js", "nearest.js", "share.js", "pad.js", "marks.js", "app.js")

# Petroff's ten-colour sequence (2021), designed to stay distinguishable under the
# common colour-vision deficiencies; matplotlib ships it as "petroff10".
PALETTE = (
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
    "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd",
)

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
MAX_DIGITS = 5000   # real digits shipped for the nearest-digit search and the drawing pad

UNIT_NAMES = {"relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear", "tanh": "tanh"}

CONFIG_RE = re.compile(r'<script type="application/json" id="aedemo-config">(.*?)</script>', re.S)


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
    ort_version, ort_files = _read_ort(node_modules / "onnxruntime-web")
    env = make_environment(templates)
    out: dict[str, bytes] = {}
    shared = _shared_files(env, out, templates, ort_version, ort_files)
    versions = installed_versions(ort_version)
    pages = [_read_demo(d, versions) for d in build_dirs]
    links = [{"name": p["metrics"]["data"]["name"], "path": "" if i == 0 else f"{d.name}/"}
             for i, (p, d) in enumerate(zip(pages, build_dirs))]
    for i, page in enumerate(pages):
        _render_page(env, out, shared, page, links, current=i, ort_version=ort_version)
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
        "points": pages[0]["points"]["n"],
        "digits": pages[0]["digits"]["n"],
        "pages": len(pages),
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
    """Everything one page needs from its build folder, read and checked."""
    metrics = _read_metrics(build_dir / "metrics.json")
    classes = metrics["data"]["classes"]
    u, label, test = _read_points_file(build_dir / "points.npz", len(classes))
    with np.load(build_dir / "points.npz", allow_pickle=False) as f:
        if "pca" not in f.files:
            raise BuildError(f"{build_dir / 'points.npz'}: no PCA-2 codes `pca` — run `aedemo train` again")
        pca = np.asarray(f["pca"])
    x_test, y_test = _read_test_images(build_dir / "data.npz")
    decoder, decoder_io = _read_model(build_dir / "decoder.onnx", 2, PIXELS, "aedemo export")
    encoder, encoder_io = _read_model(build_dir / "encoder.onnx", PIXELS, 2, "aedemo export")
    return {
        "metrics": metrics, "classes": classes,
        "points": _points_payload(u, label),
        "digits": _digits_payload(x_test, y_test, u, label, test, build_dir),
        "decoder": decoder, "decoder_io": decoder_io,
        "encoder": encoder, "encoder_io": encoder_io,
        "card": card_context(metrics, {"u": u, "pca": pca, "label": label, "test": test},
                             len(decoder), versions, name=build_dir.name),
    }


def _data_file(env: jinja2.Environment, out: dict[str, bytes], key: str, value: object,
               note: str) -> str:
    text = env.get_template("_data.js").render(key=key, value=value, note=note)
    return _add_hashed(out, f"data/{key}", ".js", text.encode())


def _shared_files(env: jinja2.Environment, out: dict[str, bytes], templates: Path,
                  ort_version: str, ort_files: list[bytes]) -> dict:
    """The files every page loads: runtime, wasm, glue, style, scripts, icon. Root-relative."""
    vendor = f"vendor/onnxruntime-web-{ort_version}"
    files = {
        "ort": f"{vendor}/ort.wasm.min.js",
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
            env.get_template("style.css").render(palette=PALETTE).encode(),
        ),
        "favicon": "favicon.svg",
        "card_css": _add_hashed(out, "assets/card", ".css", _read(templates / "card.css")),
    }
    out[files["ort"]] = ort_files[0]
    out["favicon.svg"] = _read(templates / "favicon.svg")
    scripts = [_add_hashed(out, f"assets/{Path(name).stem}", ".js", _read(templates / name))
               for name in SCRIPTS]
    return {"files": files, "scripts": scripts}


def _render_page(env: jinja2.Environment, out: dict[str, bytes], shared: dict, page: dict,
                 links: list[dict], current: int, ort_version: str) -> None:
    """One demo's data files and its `index.html` (at the root, or in its own folder)."""
    here = links[current]["path"]
    up = "../" * here.count("/")
    classes = page["classes"]
    files = {
        **shared["files"],
        "decoder": _data_file(env, out, "decoder", base64.b64encode(page["decoder"]).decode(),
                              "decoder.onnx, base64"),
        "encoder": _data_file(env, out, "encoder", base64.b64encode(page["encoder"]).decode(),
                              "encoder.onnx, base64"),
        "points": _data_file(env, out, "points", page["points"],
                             "points of the scatter, int16-quantised, base64"),
        "digits": _data_file(
            env, out, "digits", page["digits"],
            "real test images: uint8 palette indices (gzip, base64), float32 codes, uint8 labels",
        ),
    }
    files = {k: up + v for k, v in files.items()}
    page_config = {
        "files": {k: files[k] for k in ("ort", "wasm", "glue", "decoder", "encoder", "points", "digits")},
        "classes": classes,
        "palette": list(PALETTE[: len(classes)]),
        "input": page["decoder_io"][0],
        "output": page["decoder_io"][1],
        "encoderInput": page["encoder_io"][0],
        "encoderOutput": page["encoder_io"][1],
        "modelHash": hashlib.sha256(page["decoder"] + page["encoder"]).hexdigest()[:16],
        "side": IMAGE_SIDE,
        "ortVersion": ort_version,
    }
    switcher = [{"name": link["name"], "href": f"{up}{link['path']}index.html",
                 "current": i == current} for i, link in enumerate(links)]
    html = env.get_template("index.html").render(
        config=page_config,
        files=files,
        scripts=[up + src for src in shared["scripts"]],
        classes=classes,
        palette=PALETTE,
        model=_model_summary(page["metrics"], page["points"]["n"], page["digits"]["n"]),
        ort_version=ort_version,
        switcher=switcher,
        card=page["card"],
    )
    out[f"{here}index.html"] = html.encode()


def read_site_config(site_dir: Path) -> dict:
    """The page configuration that `index.html` of a rendered site carries."""
    match = CONFIG_RE.search((Path(site_dir) / "index.html").read_text(encoding="utf-8"))
    if match is None:
        raise BuildError(f"{site_dir}/index.html: no page configuration")
    return json.loads(match.group(1))


def read_site_data(site_dir: Path, key: str) -> object:
    """The value that a rendered site's data script for `key` hands to the page.

    `key` is one of "wasm", "glue", "decoder", "encoder", "points", "digits"; for tests
    and tools (see `read_site_digits` for the digits unpacked).
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


def _read_points_file(path: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`u` float32 (n, 2), `label` uint8 (n,) and the `test` mask (n,) of `points.npz`."""
    if not path.is_file():
        raise BuildError(f"{path} not found — run `aedemo build` first")
    try:
        with np.load(path, allow_pickle=False) as f:
            u = np.asarray(f["u"])
            label = np.asarray(f["label"])
            test = np.asarray(f["test"]) if "test" in f.files else None
    except (KeyError, ValueError, OSError) as e:
        raise BuildError(f"{path}: cannot read arrays `u` and `label` ({e})") from None
    n = len(u)
    if u.ndim != 2 or u.shape[1] != 2 or label.shape != (n,) or n == 0:
        raise BuildError(f"{path}: need u of shape (n, 2) and label of shape (n,), got {u.shape} and {label.shape}")
    if not np.all(np.isfinite(u)):
        raise BuildError(f"{path}: u has non-finite values")
    if label.min() < 0 or label.max() >= n_classes:
        raise BuildError(f"{path}: labels must lie in 0..{n_classes - 1}")
    if test is None or test.shape != (n,) or test.dtype != np.bool_:
        raise BuildError(f"{path}: need a boolean `test` mask of shape (n,) — run `aedemo train` again")
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


def _read_test_images(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """`x_test` float32 (n, 784) in [0, 1] and `y_test` uint8 (n,) from the parse cache."""
    if not path.is_file():
        raise BuildError(f"{path} not found — run `aedemo train` first")
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y = np.asarray(f["x_test"]), np.asarray(f["y_test"])
    except (KeyError, ValueError, OSError) as e:
        raise BuildError(f"{path}: cannot read arrays `x_test` and `y_test` ({e})") from None
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
        raise BuildError(f"{build_dir}/data.npz does not match points.npz (test split) — run `aedemo train` again")
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


def read_site_digits(site_dir: Path) -> dict[str, np.ndarray]:
    """A rendered site's real digits as the page unpacks them; for tests and tools.

    Returns `images` float32 (n, 784), `codes` float32 (n, 2), `labels` uint8 (n,).
    """
    d = read_site_data(site_dir, "digits")
    palette = np.frombuffer(base64.b64decode(d["palette"]), "<f4")
    index = np.frombuffer(gzip.decompress(base64.b64decode(d["images"])), np.uint8)
    return {
        "images": palette[index].reshape(d["n"], PIXELS).astype(np.float32),
        "codes": np.frombuffer(base64.b64decode(d["codes"]), "<f4").reshape(d["n"], 2).astype(np.float32),
        "labels": np.frombuffer(base64.b64decode(d["labels"]), np.uint8).copy(),
    }


def _read_model(path: Path, n_in: int, n_out: int, remedy: str) -> tuple[bytes, tuple[str, str]]:
    """The model bytes and its (input, output) names, after a check of shapes [N,n_in] → [N,n_out]."""
    if not path.is_file():
        raise BuildError(f"{path} not found — run `{remedy}` first")
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


def _model_summary(metrics: dict, n_points: int, n_digits: int) -> dict:
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
        "n_digits": f"{n_digits:,}",
        "mse": f"{float(metrics['test_mse']):.4f}",
        "pca_mse": f"{float(pca2['test_mse']):.4f}",
        "knn5": f"{100 * float(metrics['knn5']):.1f} %",
        "pca_knn5": f"{100 * float(pca2['knn5']):.1f} %",
    }
