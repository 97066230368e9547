"""NumPy arrays: a folder of `.npy` files, one per class (the Quick, Draw! `numpy_bitmap`
layout: `cat.npy` or `full_numpy_bitmap_cat.npy` holding N×784 uint8 rows, class name from
the file name; or `train/` and `test/` folders of them), or one `.npz` archive with
`x_train`, `y_train` and optionally `x_test`, `y_test` (the Keras `mnist.npz` layout) and
a `class_names` (or `classes`) array naming labels 0, 1, ….

Images may be N×784, N×H×W (grey) or N×H×W×3|4 (RGB, RGBA), pixels integers 0–255; each
is made 28×28 grey by `convert` (a 28×28 grey image with a dark border is unchanged).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from builder.data.convert import batch_to_mnist
from builder.data.dataset import Parsed
from builder.data.images import is_hidden, listing, split_folders
from builder.records.files import BuildError

QUICKDRAW_PREFIX = "full_numpy_bitmap_"  # the Quick, Draw! download's file names
SHAPES = "N×784, N×H×W or N×H×W×3|4 integers 0–255"


def pixels_of(a: np.ndarray, where: str) -> tuple[np.ndarray, int]:
    """A stored array of images → uint8 `(n, 784)` made 28×28 grey, and the number inverted."""
    if a.ndim == 2 and a.shape[1] == 784:
        a = a.reshape(len(a), 28, 28)
    if not (a.ndim == 3 or a.ndim == 4 and a.shape[3] in (3, 4)) or 0 in a.shape[1:]:
        raise BuildError(f"{where}: images of shape {a.shape}; expected {SHAPES}")
    if a.dtype.kind not in "ui":
        raise BuildError(f"{where}: pixels are {a.dtype}; expected integers 0–255 (uint8)")
    a = np.asarray(a)
    if a.size and (a.min() < 0 or a.max() > 255):
        bad = int(np.argmax(((a < 0) | (a > 255)).reshape(len(a), -1).any(axis=1)))
        raise BuildError(f"{where}: image {bad} holds pixels outside 0–255")
    return batch_to_mnist(a.astype(np.uint8))


def labels_of(y: np.ndarray, n: int, where: str) -> np.ndarray:
    if y.ndim != 1:
        raise BuildError(f"{where}: labels of shape {y.shape}; expected one integer per image")
    if y.dtype.kind not in "ui":
        raise BuildError(f"{where}: labels are {y.dtype}; expected integers")
    if len(y) != n:
        raise BuildError(f"{where}: {len(y)} labels for {n} images")
    return y.astype(np.int64)


def load_array(path: Path, what: str = "a NumPy .npy file") -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise BuildError(f"{path}: holds Python objects (images of mixed shapes?); expected "
                             f"one array of {SHAPES}") from None
        raise BuildError(f"{path}: not {what} ({e})") from None
    except (OSError, EOFError) as e:
        raise BuildError(f"{path}: cannot read {what} ({e})") from None


# ---------------------------------------------------------------- one .npy per class


def npy_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The `.npy` files of `folder` in the sorted order of their class names, and the other
    files (skipped)."""
    files = [p for p in listing(folder) if p.is_file()]
    npy = sorted((p for p in files if p.suffix.lower() == ".npy" and not is_hidden(p.name)), key=class_name)
    return npy, [p for p in files if p not in npy]


def is_npy_folder(folder: Path) -> bool:
    pair = split_folders(folder)
    return bool(npy_files(pair["train"] if pair else folder)[0])


def class_name(path: Path) -> str:
    return path.stem.removeprefix(QUICKDRAW_PREFIX)


def read_npy_split(folder: Path, known: tuple[str, ...] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], int, int, dict[int, str]]:
    files, skipped = npy_files(folder)
    if not files:
        raise BuildError(f"{folder}: no .npy files; expected one .npy file per class ({SHAPES})")
    names = tuple(class_name(p) for p in files) if known is None else known
    if len(set(class_name(p) for p in files)) < len(files):
        twice = next(p for p in files if [class_name(q) for q in files].count(class_name(p)) > 1)
        raise BuildError(f"{twice}: a second file of class {class_name(twice)!r} in {folder}; "
                         "expected one .npy file per class")
    xs, ys, inverted, places = [], [], 0, {}
    for path in files:
        if class_name(path) not in names:
            raise BuildError(f"{path}: class {class_name(path)!r} is not among the training "
                             f"classes ({', '.join(names)})")
        label = names.index(class_name(path))
        places[label] = str(path)
        x, inv = pixels_of(load_array(path), str(path))
        xs.append(x)
        ys.append(np.full(len(x), label, dtype=np.int64))
        inverted += inv
    return np.concatenate(xs), np.concatenate(ys), names, inverted, len(skipped), places


def load_npy(folder: Path) -> Parsed:
    short = folder.resolve().name
    pair = split_folders(folder)
    x, y, names, inverted, skipped, places = read_npy_split(pair["train"] if pair else folder)
    test = None
    if pair:
        xt, yt, _, inv_t, skip_t, _ = read_npy_split(pair["test"], names)
        test, inverted, skipped = (xt, yt), inverted + inv_t, skipped + skip_t
    return Parsed(x, y, test, short, f"NumPy files {short}", "npy", names, str(folder),
                  inverted=inverted, skipped=skipped, class_places=places)


def npy_source_files(folder: Path) -> list[Path]:
    pair = split_folders(folder)
    return [p for root in (pair or {"": folder}).values() for p in sum(npy_files(root), [])]


# ---------------------------------------------------------------- one .npz archive


def load_npz(path: Path, short: str) -> Parsed:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise BuildError(f"{path}: not a NumPy .npz archive ({e})") from None
    with archive:
        keys = set(archive.files)

        def get(key: str) -> np.ndarray:
            try:
                return archive[key]
            except ValueError as e:
                if "allow_pickle" in str(e):
                    raise BuildError(f"{path}: {key} holds Python objects (images of mixed shapes?); "
                                     f"expected one array of {SHAPES}") from None
                raise BuildError(f"{path}: {key} is unreadable ({e})") from None
            except (OSError, EOFError, zipfile.BadZipFile) as e:
                raise BuildError(f"{path}: {key} is unreadable ({e})") from None

        if not {"x_train", "y_train"} <= keys:
            raise BuildError(f"{path}: holds {', '.join(sorted(keys)) or 'nothing'}; expected x_train "
                             "and y_train (and x_test, y_test: the Keras mnist.npz layout)")
        if ("x_test" in keys) != ("y_test" in keys):
            raise BuildError(f"{path}: {'x_test' if 'x_test' in keys else 'y_test'} without "
                             f"{'y_test' if 'x_test' in keys else 'x_test'}; expected both or neither")
        x, inverted = pixels_of(get("x_train"), f"{path}: x_train")
        y = labels_of(get("y_train"), len(x), f"{path}: y_train")
        test = None
        if "x_test" in keys:
            xt, inv_t = pixels_of(get("x_test"), f"{path}: x_test")
            test, inverted = (xt, labels_of(get("y_test"), len(xt), f"{path}: y_test")), inverted + inv_t
        names = None
        key = next((k for k in ("class_names", "classes") if k in keys), None)
        if key is not None:
            raw = get(key)
            if raw.ndim != 1 or raw.dtype.kind not in "US" or not all(str(c).strip() for c in raw):
                raise BuildError(f"{path}: {key} is {raw.dtype} of shape {raw.shape}; expected "
                                 "one non-empty name per class")
            names = tuple(c.decode() if isinstance(c, bytes) else str(c) for c in raw.tolist())
            for split, labels in (("y_train", y), ("y_test", None if test is None else test[1])):
                if labels is not None and len(labels) and (labels.min() < 0 or labels.max() >= len(names)):
                    bad = int(labels[(labels < 0) | (labels >= len(names))][0])
                    raise BuildError(f"{path}: {split} holds label {bad}; {key} names labels 0 to {len(names) - 1}")
    return Parsed(x, y, test, short, f"NumPy archive {path.name}", "npz", names, str(path),
                  inverted=inverted, class_places={i: f"label {i}" for i in range(len(names or ()))})
