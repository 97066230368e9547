"""`compress.json`: the typed record of the compress stage (`Compression`, read back by
`Compression.read`): the config, test MSE and kNN-5 of the four models, the denoising and
round-trip curves, the 30-D code's range."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from builder.records import layout
from builder.records.files import BuildError, parse_json
from builder.records.metrics import Malformed, floats_at, field_at

FORMAT = 1


@dataclass(frozen=True)
class FourModels:
    """One figure for each of the four reconstructions."""

    ae2: float
    ae30: float
    pca2: float
    pca30: float


@dataclass(frozen=True)
class Compression:
    """`compress.json`: the typed contract of the compress stage and its one reader."""

    config: dict[str, Any]  # `CompressConfig`
    train: dict[str, Any]  # the 30-D net's `TrainConfig`, as resolved
    sizes: tuple[int, ...]  # the 30-D encoder's widths
    code_bytes: dict[str, int]  # ae2, ae30, pca2, pca30, pixels: bytes of each code (float32) or image (uint8)
    test_mse: FourModels
    knn5: FourModels
    finetune: dict[str, Any]  # the 30-D net's train/val/test MSE per epoch and best_epoch
    pretraining: tuple[tuple[float, ...], ...]  # reconstruction error per epoch, per RBM
    noise_levels: tuple[float, ...]
    noise_seed: int
    denoising: dict[str, tuple[float, ...]]  # input, ae2, ae30, pca2, pca30: test MSE per σ
    drift: dict[str, tuple[float, ...]]  # ae2, ae30: test MSE against the clean image after k round trips
    code_lo: tuple[float, ...]  # per 30-D code unit, the bars' range
    code_hi: tuple[float, ...]
    checks: dict[str, float]  # max |onnxruntime − numpy| on the probes
    seconds: dict[str, float]  # wall clock; never shown on the page

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **json.loads(json.dumps(dataclasses.asdict(self)))}

    @classmethod
    def from_json(cls, obj: Any, where: str = layout.COMPRESS) -> "Compression":
        """The one validating reader; `BuildError` naming `where` and the first bad field."""
        try:
            if field_at(obj, "format", int, "") != FORMAT:
                raise Malformed(f"format (expected {FORMAT})")
            levels = floats_at(obj, "noise_levels", "")
            den = field_at(obj, "denoising", dict, "")
            denoising = {k: floats_at(den, k, "denoising.") for k in ("input", "ae2", "ae30", "pca2", "pca30")}
            if not levels or any(len(v) != len(levels) for v in denoising.values()):
                raise Malformed("denoising (one value per noise level)")
            dr = field_at(obj, "drift", dict, "")
            drift = {k: floats_at(dr, k, "drift.") for k in ("ae2", "ae30")}
            lo, hi = floats_at(obj, "code_lo", ""), floats_at(obj, "code_hi", "")
            sizes = tuple(field_at({"s": s}, "s", int, "sizes[] ") for s in field_at(obj, "sizes", list, ""))
            if not sizes or len(lo) != sizes[-1] or len(hi) != sizes[-1] or any(a > b for a, b in zip(lo, hi)):
                raise Malformed("code_lo/code_hi (one range per code unit)")
            ft = field_at(obj, "finetune", dict, "")
            finetune = {k: list(floats_at(ft, k, "finetune.")) for k in ("train_mse", "val_mse", "test_mse")}
            finetune["best_epoch"] = field_at(ft, "best_epoch", int, "finetune.")
            four = lambda key: FourModels(*(field_at(field_at(obj, key, dict, ""), k, float, f"{key}.")  # noqa: E731
                                        for k in ("ae2", "ae30", "pca2", "pca30")))
            cb = field_at(obj, "code_bytes", dict, "")
            return cls(
                config=field_at(obj, "config", dict, ""), train=field_at(obj, "train", dict, ""), sizes=sizes,
                code_bytes={k: field_at(cb, k, int, "code_bytes.") for k in ("ae2", "ae30", "pca2", "pca30", "pixels")},
                test_mse=four("test_mse"), knn5=four("knn5"), finetune=finetune,
                pretraining=tuple(floats_at({"c": c}, "c", "pretraining[]") for c in field_at(obj, "pretraining", list, "")),
                noise_levels=levels, noise_seed=field_at(obj, "noise_seed", int, ""), denoising=denoising,
                drift=drift, code_lo=lo, code_hi=hi,
                checks={str(k): float(v) for k, v in field_at(obj, "checks", dict, "").items()},
                seconds={str(k): float(v) for k, v in field_at(obj, "seconds", dict, "").items()},
            )
        except Malformed as e:
            raise BuildError(f"{where}: missing or malformed field {e}: run `aedemo compress`") from None

    @classmethod
    def read(cls, data: bytes, where: str) -> "Compression":
        return cls.from_json(parse_json(data, where), where)
