"""The site's files that are not pages: the vendored runtime, the style sheet, the page
scripts, the icon, and the data scripts that carry one value each.

Every name the pages load carries a hash of its content (`add_hashed`), so browsers
never mix an old file with a new page. A data script (`data_file`, `templates/shared/_data.js`)
is a classic script that puts one value into `window.AEDEMO_DATA`, so the page reads it
from `file://` too, where fetch() is refused; `model_file` is one of an ONNX model,
packed by `modelpack`.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from pathlib import Path

import jinja2

from builder.records.files import BuildError, package_version
from builder.site import modelpack, offline
from builder.site.page_scripts import BOOT, COMPRESSION_SCRIPTS, HEAD, LAZY, SCRIPTS, STYLE_SHEETS
from builder.site.theme import COLOURS, PALETTE

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


_GZIPPED: dict[bytes, bytes] = {}   # sha256 → gzip of the few large files every render repeats
_GZIP_SIZES: dict[bytes, int] = {}  # sha256 → its gzip size


def gzip9(data: bytes) -> bytes:
    """`data` gzip-compressed at level 9 without a timestamp (the same bytes every build).
    The runtime's 14 MB take about a second: compressed once per process, however many
    sites it renders."""
    key = hashlib.sha256(data).digest()
    if key not in _GZIPPED:
        if len(_GZIPPED) >= 4:
            _GZIPPED.clear()
        _GZIPPED[key] = gzip.compress(data, compresslevel=9, mtime=0)
    return _GZIPPED[key]


def gzip_size(data: bytes) -> int:
    """How many bytes `data` takes gzip-compressed at level 9 (remembered per content)."""
    key = hashlib.sha256(data).digest()
    if key not in _GZIP_SIZES:
        _GZIP_SIZES[key] = len(_GZIPPED[key]) if key in _GZIPPED else len(gzip.compress(data, compresslevel=9, mtime=0))
    return _GZIP_SIZES[key]


def add_hashed(out: dict[str, bytes], stem: str, suffix: str, data: bytes) -> str:
    """Store `data` as `stem.<first 10 hex of sha256>suffix`; return that name."""
    name = f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{suffix}"
    out[name] = data
    return name


def data_file(env: jinja2.Environment, out: dict[str, bytes], key: str, value: object, note: str) -> str:
    """A data script putting `value` (JSON) into `window.AEDEMO_DATA[key]`; its name."""
    text = env.get_template("shared/_data.js").render(key=key, value=value, note=note)
    return add_hashed(out, f"data/{key}", ".js", text.encode())


def model_file(env: jinja2.Environment, out: dict[str, bytes], key: str, model: bytes,
               what: str | None = None) -> str:
    """A data script of an ONNX model as the page loads it (`modelpack.pack`)."""
    note = f"{key}.onnx{f' ({what})' if what else ''}, its float32 weights in byte planes (modelpack), gzip, base64"
    return data_file(env, out, key, modelpack.pack(model), note)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BuildError(f"{path} not found") from None


def read_ort(package: Path) -> tuple[str, list[bytes]]:
    """onnxruntime-web's version (checked by `records.files.package_version`: it becomes a folder name and
    text on the page) and the bytes of `ORT_FILES`, from `node_modules/onnxruntime-web`."""
    pkg = package / "package.json"
    if not pkg.is_file():
        raise BuildError(f"{pkg} not found — run `npm ci`")
    version = package_version(read_file(pkg), str(pkg))
    files = []
    for name in ORT_FILES:
        path = package / "dist" / name
        if not path.is_file():
            raise BuildError(f"{path} not found — run `npm ci`")
        files.append(path.read_bytes())
    return version, files


def shared_files(env: jinja2.Environment, out: dict[str, bytes], templates: Path,
                 ort_version: str, ort_files: list[bytes]) -> dict:
    """The files every page loads: runtime, wasm, glue, style, scripts, icon. Root-relative."""
    vendor = f"vendor/onnxruntime-web-{ort_version}"
    files = {
        "ort": f"{vendor}/ort.wasm.min.js",
        "mjs": f"{vendor}/{ORT_FILES[1]}",
        "wasm_raw": f"{vendor}/{ORT_FILES[2]}",
        "wasm": data_file(
            env, out, "wasm",
            base64.b64encode(gzip9(ort_files[2])).decode(),
            f"onnxruntime-web {ort_version} ort-wasm-simd-threaded.wasm, gzip, base64 (MIT License)",
        ),
        "glue": data_file(
            env, out, "glue",
            ort_files[1].decode("utf-8"),
            f"onnxruntime-web {ort_version} ort-wasm-simd-threaded.mjs as a string (MIT License)",
        ),
        "style": add_hashed(
            out, "assets/style", ".css",
            "".join(env.get_template(name).render(palette=PALETTE, theme=COLOURS)
                    for name in STYLE_SHEETS).encode(),
        ),
        "favicon": "favicon.svg",
        "worker": offline.WORKER,
        "card_css": add_hashed(out, "assets/card", ".css",
                               env.get_template("decoder/card.css").render(theme=COLOURS).encode()),
    }
    out[files["ort"]] = ort_files[0]
    out[files["mjs"]] = ort_files[1]
    out[files["wasm_raw"]] = ort_files[2]
    out["favicon.svg"] = env.get_template("shared/favicon.svg").render(palette=PALETTE, theme=COLOURS).encode()
    join = lambda stem, names: add_hashed(out, f"assets/{stem}", ".js", joined(templates, names))  # noqa: E731
    files["boot"] = join("boot", [BOOT])
    lazy = {group: [join(group, names)] for group, names in LAZY.items()}
    return {"files": files, "scripts": [join("page", [n for n in SCRIPTS if n not in HEAD])],
            "head_scripts": [join("start", HEAD)], "lazy": lazy,
            "compress_scripts": [join("compression", COMPRESSION_SCRIPTS)]}


def joined(templates: Path, names) -> bytes:
    """The page scripts `names` (under `templates/`) as one classic script, in order: one
    request instead of one per file (on a 40 ms round trip, 30 files cost the pointer's
    first answer a few round trips). Each opens with a line naming its file and ends with a
    `;`, so no file's last statement runs into the next one's first. Every file opens with
    'use strict' and keeps its names inside its own function, so joined they behave as
    they do apart; an error in one stops the ones after it, as `app.js` needs them all."""
    parts = []
    for name in names:
        parts.append(f"// ---- templates/{name}\n".encode() + read_file(templates / name).rstrip() + b"\n;\n")
    return b"".join(parts)
