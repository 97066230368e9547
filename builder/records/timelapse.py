"""The time-lapse's records: `timelapse.json` (`Timelapse`: the twin's scores, the
checkpoints, and the seed spread of `make bench` for this data and config), `timelapse.npz`
(`Twin`: the twin's codes and net, the checkpoints' ONNX decoders), and the committed
bench record they take the spread from (`bench_spread`, `bench/pretraining.json`)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from builder.model.autoencoder import Autoencoder
from builder.records.arrays import read_npz
from builder.records.files import BuildError, json_bytes, parse_json
from builder.records.metrics import Malformed, Metrics, field_at

FORMAT = 2  # 2: the pretrained net's scores left to metrics.json, the bench's spread kept here


@dataclass(frozen=True)
class Scores:
    """One net's figures on the test split."""

    test_mse: float
    knn5: float
    dead_units: tuple[float, ...]  # share of never-firing ReLUs per encoder hidden layer
    dead_share: float  # of all encoder hidden ReLUs
    best_epoch: int  # 1-based, kept by validation MSE
    epochs: int


def dead_share(shares: tuple[float, ...], sizes: tuple[int, ...]) -> float:
    """The share of all encoder hidden units that never fire, from each layer's share."""
    widths = sizes[1:-1]
    return float(sum(s * w for s, w in zip(shares, widths)) / max(sum(widths), 1))


def pretrained_scores(metrics: Metrics) -> Scores:
    """The page's own (pretrained) net's `Scores`, from its `metrics.json`."""
    dead = tuple(metrics.dead_units)
    return Scores(metrics.test_mse, metrics.knn5, dead, dead_share(dead, tuple(metrics.architecture.sizes)),
                  metrics.finetune.best_epoch, len(metrics.finetune.test_mse))


@dataclass(frozen=True)
class Spread:
    """The seed spread `make bench` measured for a data set and config (`bench/pretraining.json`)."""

    n: int  # seeds
    date: str
    pretrained: dict[str, float]  # mse_sd, knn5_sd
    random: dict[str, float]  # mse_sd, knn5_sd
    difference: dict[str, float]  # test_mse, knn5: mean pretrained − no pretraining


@dataclass(frozen=True)
class Timelapse:
    """`timelapse.json`: the typed contract; `read` is its one validating reader. The
    pretrained net's scores are not here: they are the page's own, in `metrics.json`."""

    twin: Scores
    checkpoints: tuple[str, ...]  # the moment of each checkpoint, as History.label says it
    max_abs_diff: float  # the largest onnxruntime − numpy difference over every decoder here
    spread: Spread | None  # the bench's seed spread for this data and config, when it has one

    def to_bytes(self) -> bytes:
        return json_bytes({"format": FORMAT, **json.loads(json.dumps(dataclasses.asdict(self)))})

    @classmethod
    def read(cls, data: bytes, where: str) -> "Timelapse":
        obj = parse_json(data, where)
        try:
            if field_at(obj, "format", int, "") != FORMAT:
                raise Malformed(f"format (expected {FORMAT})")
            s = field_at(obj, "twin", dict, "")
            twin = Scores(_share(s, "test_mse"), _share(s, "knn5"),
                          tuple(_share({"d": d}, "d", "twin.dead_units[] ") for d in field_at(s, "dead_units", list, "twin.")),
                          _share(s, "dead_share"), _count(s, "best_epoch"), _count(s, "epochs"))
            if twin.best_epoch > twin.epochs:
                raise Malformed("twin.best_epoch (after the last epoch)")
            if twin.test_mse <= 0:   # the page states the pretrained net's MSE relative to it
                raise Malformed("twin.test_mse (0: no net reconstructs the test images exactly)")
            checkpoints = tuple(field_at({"c": c}, "c", str, "checkpoints[] ") for c in field_at(obj, "checkpoints", list, ""))
            diff = field_at(obj, "max_abs_diff", float, "")
            spread = None if obj.get("spread") is None else _spread(field_at(obj, "spread", dict, ""))
        except Malformed as e:
            raise BuildError(f"{where}: not an aedemo time-lapse (field {e}): run `aedemo timelapse`") from None
        return cls(twin, checkpoints, diff, spread)


def _share(obj: Any, key: str, path: str = "twin.") -> float:
    """A finite float in [0, 1] (an MSE of images in [0, 1], an accuracy, a share)."""
    v = field_at(obj, key, float, path)
    if not 0 <= v <= 1:
        raise Malformed(f"{path}{key} ({v!r:.20} not in [0, 1])")
    return v


def _count(obj: Any, key: str, path: str = "twin.") -> int:
    v = field_at(obj, key, int, path)
    if not 1 <= v <= 100_000:
        raise Malformed(f"{path}{key} ({v!r:.20} not in 1..100000)")
    return v


def _spread(s: Any) -> Spread:
    sd = lambda key: {k: field_at(field_at(s, key, dict, "spread."), k, float, f"spread.{key}.")  # noqa: E731
                      for k in ("mse_sd", "knn5_sd")}
    diff = field_at(s, "difference", dict, "spread.")
    return Spread(field_at(s, "n", int, "spread."), field_at(s, "date", str, "spread."), sd("pretrained"), sd("random"),
                  {k: field_at(diff, k, float, "spread.difference.") for k in ("test_mse", "knn5")})


BENCH_FORMAT = 1
BENCH_RECORD = Path(__file__).resolve().parents[2] / "bench" / "pretraining.json"  # committed


def bench_spread(metrics: Metrics, path: Path = BENCH_RECORD) -> Spread | None:
    """The seed spread `make bench` measured for this data set and config (a committed
    `bench/pretraining.json`, written by the bench as build/pretraining.json); None when
    there is none or it is of other data or another config (the seed aside). Read by the
    timelapse stage, which keeps it in `timelapse.json`. BuildError naming the file when
    it is malformed."""
    if not path.is_file():
        return None
    rec = parse_json(path.read_bytes(), str(path))
    try:
        if field_at(rec, "format", int, "") != BENCH_FORMAT:
            raise Malformed(f"format (expected {BENCH_FORMAT})")
        same = (rec.get("data") == {"name": metrics.data.name, "source": metrics.data.source}
                and rec.get("config") == {k: v for k, v in metrics.config.items() if k != "seed"})
        if not same:
            return None
        return _spread({**rec, "n": field_at(rec, "seeds", int, "")})
    except Malformed as e:
        raise BuildError(f"{path}: not a bench record of pretraining (field {e}); run make bench again") from None


@dataclass(frozen=True)
class Twin:
    """`timelapse.npz`: the twin's display coordinates `u` (n_test, 2) of every test image,
    the twin net, and the ONNX decoders by name (`checkpoint0`…, `twin_decoder`)."""

    u: np.ndarray
    model: Autoencoder
    decoders: dict[str, bytes]

    @classmethod
    def read(cls, data: bytes, where: str) -> "Twin":
        bad = lambda why: BuildError(f"{where}: not an aedemo time-lapse ({why}): run `aedemo timelapse`")  # noqa: E731
        try:
            f = read_npz(data, where)   # every array, each header checked before it is read
        except BuildError as e:
            raise bad(str(e).removeprefix(f"{where}: ")) from None
        n = sum(1 for k in f if k.startswith("twin_W"))
        try:
            twin = Autoencoder([f[f"twin_W{i}"] for i in range(n)], [f[f"twin_b{i}"] for i in range(n)],
                               str(f["twin_output"]))
        except (KeyError, ValueError, TypeError) as e:
            raise bad(e) from None
        models = {k: v.tobytes() for k, v in f.items() if k.startswith("checkpoint") or k == "twin_decoder"}
        u = f.get("twin_u")
        if u is None or u.ndim != 2 or u.shape[1] != 2 or not np.all(np.isfinite(u)) or "twin_decoder" not in models:
            raise bad("twin_u must be finite (n, 2), with a twin_decoder")
        return cls(u, twin, models)
