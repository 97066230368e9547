"""CSV: one image a line, a label column and 784 pixel columns (0–255), with or without a
header (the Kaggle `mnist_train.csv` / `fashion-mnist_train.csv` layout), raw or `.gz`.

The label is the column named `label` (or `class`, `y`) when there is a header, else the
first. `X_train.csv` finds its test split in `X_test.csv` (or `.csv.gz`) beside it; a lone
CSV gets the seeded hold-out. A folder holding one such file or pair is read the same way.
Pixels go through `convert` like every image (a 28×28 image with a dark border is unchanged).
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from pathlib import Path

import numpy as np

from builder.data.arrays import labels_of
from builder.data.convert import batch_to_mnist
from builder.data.dataset import PIXELS, Parsed
from builder.data.images import is_hidden, listing
from builder.records.files import BuildError

LABEL_NAMES = ("label", "class", "y")
INTEGER = re.compile(r"\s*[+-]?\d+\s*")
SUFFIXES = (".csv", ".csv.gz")


def is_csv(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES) and not is_hidden(path.name)


def stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def short_name(path: Path) -> str:
    """`fashion-mnist_train.csv.gz` → `fashion-mnist`."""
    return re.sub(r"[._-]?train$", "", stem(path), flags=re.I) or stem(path)


def test_partner(path: Path) -> Path | None:
    """`X_train.csv` → `X_test.csv` or `X_test.csv.gz` beside it, when there."""
    s = stem(path)
    i = s.lower().rfind("train")
    if i < 0:
        return None
    base = s[:i] + ("TEST" if s[i:i + 5].isupper() else "test") + s[i + 5:]
    return next((path.with_name(base + suffix) for suffix in SUFFIXES
                 if path.with_name(base + suffix).is_file()), None)


def csv_files(target: Path) -> tuple[Path, Path | None, int]:
    """The training CSV, its test partner, and the files skipped, for a file or a folder."""
    if target.is_file():
        return target, test_partner(target), 0
    entries = [p for p in listing(target) if p.is_file()]
    found = [p for p in entries if is_csv(p)]
    trains = [p for p in found if "train" in stem(p).lower()]
    if len(found) == 1:
        train = found[0]
    elif len(trains) == 1:
        train = trains[0]
    else:
        raise BuildError(f"{target}: {len(found)} CSV files ({', '.join(p.name for p in found)}); "
                         "expected one, or one X_train.csv with its X_test.csv")
    test = test_partner(train)
    return train, test, len(entries) - 1 - (test is not None)


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig")
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise BuildError(f"{path}: corrupt gzip data ({e}); expected a CSV file, raw or .gz") from None
    except UnicodeDecodeError as e:
        raise BuildError(f"{path}: not UTF-8 text (byte {e.start}); expected a CSV file") from None
    except OSError as e:
        raise BuildError(f"{path}: cannot read ({e.strerror or e})") from None


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Labels int64 `(n,)` and pixels uint8 `(n, 784)` of one CSV file."""
    lines = read_text(path).splitlines()
    numbered = [(k, line) for k, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise BuildError(f"{path}: empty; expected a label and {PIXELS} pixels a line")
    first = [f.strip().strip('"').strip() for f in numbered[0][1].split(",")]
    label_col = 0
    if not all(INTEGER.fullmatch(f) for f in first):  # a header
        names = [f.lower() for f in first]
        label_col = next((names.index(n) for n in LABEL_NAMES if n in names), 0)
        numbered = numbered[1:]
    width = PIXELS + 1
    for k, line in numbered:
        n = line.count(",") + 1
        if n != width:
            raise BuildError(f"{path}: line {k}: {n} columns; expected {width} (a label and {PIXELS} pixels)")
    if not numbered:
        raise BuildError(f"{path}: a header and no images")
    body = "\n".join(line for _, line in numbered)
    try:
        table = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.int64, ndmin=2, quotechar='"')
    except ValueError:
        table = None
    if table is None or table.shape != (len(numbered), width):
        for k, line in numbered:
            for c, field in enumerate(line.split(","), start=1):
                if not INTEGER.fullmatch(field.strip().strip('"')):
                    what = "label" if c - 1 == label_col else "pixel"
                    raise BuildError(f"{path}: line {k}, column {c}: {what} {field.strip()!r:.20} is "
                                     "not an integer")
        raise BuildError(f"{path}: not a table of integers")
    y = table[:, label_col]
    x = np.delete(table, label_col, axis=1)
    bad = (x < 0) | (x > 255)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        col = c + 1 + (c >= label_col)
        raise BuildError(f"{path}: line {numbered[r][0]}, column {col}: pixel {x[r, c]} is outside 0–255")
    return labels_of(y, len(x), str(path)), x.astype(np.uint8)


def load_csv(target: Path) -> Parsed:
    train, test_path, skipped = csv_files(target)
    y, raw = read_csv(train)
    x, inverted = batch_to_mnist(raw.reshape(-1, 28, 28))
    test = None
    source = f"CSV {train.name}"
    if test_path is not None:
        yt, raw_t = read_csv(test_path)
        xt, inv_t = batch_to_mnist(raw_t.reshape(-1, 28, 28))
        test, inverted, source = (xt, yt), inverted + inv_t, f"{source} and {test_path.name}"
    short = target.resolve().name if target.is_dir() else short_name(train)
    return Parsed(x, y, test, short, source, "csv", None, str(target), inverted=inverted, skipped=skipped)


def csv_source_files(target: Path) -> list[Path]:
    train, test, _ = csv_files(target)
    return [train] + ([test] if test else [])
