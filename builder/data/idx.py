"""IDX folders (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
`t10k-labels-idx1-ubyte`, each raw or `.gz`): MNIST's own format, used as stored (28×28
grey, labels 0–9, the files' train/test split); a known folder name (`fashion-mnist`) brings
its class names, any other the digits."""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from builder.data.dataset import DIGITS, N_CLASSES, Dataset, class_order, display_name, make_dataset
from builder.records.files import BuildError

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IDX_UBYTE = 0x08
IDX_TYPES = {0x08: "ubyte", 0x09: "byte", 0x0B: "short", 0x0C: "int", 0x0D: "float", 0x0E: "double"}


def is_idx_folder(folder: Path) -> bool:
    stem = IDX_FILES["x_train"]
    return (folder / stem).is_file() or (folder / f"{stem}.gz").is_file()


def idx_path(folder: Path, stem: str) -> Path:
    """`folder/stem`, or `folder/stem.gz` when only the compressed file exists."""
    raw, gz = folder / stem, folder / f"{stem}.gz"
    if raw.is_file():
        return raw
    if gz.is_file():
        return gz
    raise BuildError(f"{raw}: file not found (nor {gz.name}); expected a standard IDX data set")


def idx_files(folder: Path) -> list[Path]:
    return [idx_path(folder, stem) for stem in IDX_FILES.values()]


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
    """Images uint8 `(n, 784)` and labels uint8 `(n,)` of the `train` or `test` split."""
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
    return images.reshape(len(images), -1), labels.copy()


def load_idx(folder: Path) -> Dataset:
    """An IDX folder, each split in class order; a known folder name brings its class names."""
    if not folder.is_dir():
        raise BuildError(f"--data {folder}: not a folder; expected a folder of IDX files")
    x_train, y_train = class_order(*read_idx_pair(folder, "train"))
    x_test, y_test = class_order(*read_idx_pair(folder, "test"))
    short = folder.resolve().name
    name, known = display_name(short)
    return make_dataset(x_train, y_train, x_test, y_test, name, f"IDX {short}", known or DIGITS,
                        kind="idx", split="given")
