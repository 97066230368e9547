"""The time-lapse and its twin: checkpoint decoders, and the same net without pretraining.

Reads from the build folder (`layout`, every file checked against the manifest):
`history.npz` (`history.History`, recorded by the real training run: the checkpoints'
weights), `weights.npz` (its metadata, for the ONNX files), `metrics.json` (the config
as trained, the scores) and the data cache `data.npz` (the training data, by the
fingerprint train recorded). Writes, together (the `timelapse` stage):

- `timelapse.npz`: `checkpoint{j}` uint8 — the ONNX bytes of the decoder at checkpoint j
  (`export.checked_decoder`, the final decoder's graph and parity checks);
  `twin_decoder` uint8 — the twin's decoder ONNX; `twin_u` float32 (n_test, 2) — the
  twin's display coordinates of every test image; the twin's weights `twin_W{i}`,
  `twin_b{i}` (so tests can recompute).
- `timelapse.json` (`Timelapse`): the twin's scores beside the pretrained net's, and
  the parity seen per decoder.

The twin is the same net (`TrainConfig` as trained) with `pretrain=False`: He
initialisation, the same fine-tuning schedule, the same seed (so the same validation
split, the first draw of the seed's generator), the epoch of lowest validation MSE kept.
Deterministic: same seed, data and machine → the same bytes.
"""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import data as data_stage
from . import layout
from .autoencoder import Autoencoder, symlog
from .evaluation import dead_units, knn_accuracy, mse
from .export import checked_decoder, load_weights
from .files import BuildError, json_bytes, npz_bytes
from .history import History
from .metrics import Metrics
from .training import Progress, TrainConfig, fit

FORMAT = 1


@dataclass(frozen=True)
class Scores:
    """One net's figures on the test split."""

    test_mse: float
    knn5: float
    dead_units: tuple[float, ...]  # share of never-firing ReLUs per encoder hidden layer
    dead_share: float  # of all encoder hidden ReLUs
    best_epoch: int  # 1-based, kept by validation MSE
    epochs: int


@dataclass(frozen=True)
class Timelapse:
    """`timelapse.json`: the typed contract; `read` is its one validating reader."""

    pretrained: Scores
    twin: Scores
    checkpoints: tuple[str, ...]  # the moment of each checkpoint, as History.label says it
    max_abs_diff: float  # the largest onnxruntime − numpy difference over every decoder here

    def to_json(self) -> dict:
        return {"format": FORMAT, **json.loads(json.dumps(dataclasses.asdict(self)))}

    @classmethod
    def read(cls, data: bytes, where: object) -> "Timelapse":
        try:
            obj = json.loads(data.decode("utf-8"))
            if obj.get("format") != FORMAT:
                raise ValueError(f"expected format {FORMAT}")
            scores = [Scores(float(s["test_mse"]), float(s["knn5"]),
                             tuple(float(d) for d in s["dead_units"]), float(s["dead_share"]),
                             int(s["best_epoch"]), int(s["epochs"]))
                      for s in (obj["pretrained"], obj["twin"])]
            return cls(*scores, tuple(str(c) for c in obj["checkpoints"]), float(obj["max_abs_diff"]))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise BuildError(f"{where}: not an aedemo time-lapse ({e}): run `aedemo timelapse`") from None


BENCH_RECORD = Path(__file__).resolve().parent.parent / "bench" / "pretraining.json"  # committed


def bench_spread(metrics: Metrics, path: Path = BENCH_RECORD) -> dict | None:
    """The seed spread `make bench` measured for this data set and config (a committed
    `bench/pretraining.json`, written by the bench as build/pretraining.json), in the form
    `story.pretraining_sentence` takes; None when there is none or it is of other data or
    another config (the seed aside). BuildError naming the file when it is malformed."""
    if not path.is_file():
        return None
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
        if rec.get("format") != FORMAT:
            raise ValueError(f"expected format {FORMAT}")
        same = (rec["data"] == {"name": metrics.data.name, "source": metrics.data.source}
                and rec["config"] == {k: v for k, v in metrics.config.items() if k != "seed"})
        if not same:
            return None
        return {"n": int(rec["seeds"]), "date": str(rec["date"]),
                "pretrained": {k: float(rec["pretrained"][k]) for k in ("mse_sd", "knn5_sd")},
                "random": {k: float(rec["random"][k]) for k in ("mse_sd", "knn5_sd")},
                "difference": {k: float(rec["difference"][k]) for k in ("test_mse", "knn5")}}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise BuildError(f"{path}: not a bench record of pretraining ({e}); run make bench again") from None


def dead_share(shares: tuple[float, ...], sizes: tuple[int, ...]) -> float:
    """The share of all encoder hidden units that never fire, from each layer's share."""
    widths = sizes[1:-1]
    return float(sum(s * w for s, w in zip(shares, widths)) / max(sum(widths), 1))


def twin_config(metrics: Metrics) -> TrainConfig:
    """The config the pretrained net was trained with (epochs resolved), without pretraining."""
    return dataclasses.replace(TrainConfig.from_json(metrics.config), pretrain=False)


def read_twin(data: bytes, where: object) -> tuple[np.ndarray, Autoencoder, dict[str, bytes]]:
    """`timelapse.npz` → twin codes (n_test, 2), the twin net, the ONNX decoders by name
    (`checkpoint0`…, `twin_decoder`); BuildError naming `where`."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            names = set(f.files)
            n = sum(1 for k in names if k.startswith("twin_W"))
            output = str(f["twin_output"])
            twin = Autoencoder([np.asarray(f[f"twin_W{i}"]) for i in range(n)],
                               [np.asarray(f[f"twin_b{i}"]) for i in range(n)], output)
            models = {k: np.asarray(f[k]).tobytes() for k in sorted(names)
                      if k.startswith("checkpoint") or k == "twin_decoder"}
            u = np.asarray(f["twin_u"])
        if u.ndim != 2 or u.shape[1] != 2 or "twin_decoder" not in models:
            raise ValueError("twin_u must be (n, 2), with a twin_decoder")
        return u, twin, models
    except (KeyError, ValueError, TypeError, OSError, EOFError) as e:
        raise BuildError(f"{where}: not an aedemo time-lapse ({e}): run `aedemo timelapse`") from None


def make(build_dir: Path, progress: Progress | None = None) -> dict:
    """The stage: train the twin, export the checkpoints' and the twin's decoders, switch in
    `timelapse.npz` and `timelapse.json`. Returns figures for the CLI."""
    build_dir = Path(build_dir)
    manifest = layout.Manifest.read(build_dir)
    read = lambda name: layout.verified(build_dir, manifest, name)  # noqa: E731
    history = History.from_bytes(read(layout.HISTORY), build_dir / layout.HISTORY)
    metrics = Metrics.read(build_dir / layout.METRICS, read(layout.METRICS).decode("utf-8"))
    if not metrics.pretraining:
        raise BuildError(f"{build_dir / layout.METRICS}: this net was trained without pretraining, "
                         f"so it has no twin to compare with: train it with pretraining")
    _, meta = load_weights(build_dir / layout.WEIGHTS, read(layout.WEIGHTS))
    cache = build_dir / layout.DATA_CACHE
    ds = data_stage.read_cache(cache, manifest.train.inputs.get("data", "")) if cache.is_file() else None
    if ds is None:
        raise BuildError(f"{cache}: the training data cache is missing or holds other data: "
                         f"run `aedemo train --out {build_dir}` again")

    fitted = fit(ds, twin_config(metrics), progress)
    twin = fitted.model
    z_test = twin.encode(ds.x_test)
    dead = tuple(dead_units(twin, fitted.x))
    twin_scores = Scores(mse(twin, ds.x_test), knn_accuracy(twin.encode(ds.x_train), ds.y_train, z_test, ds.y_test),
                         dead, dead_share(dead, twin.sizes), int(fitted.finetune["best_epoch"]),
                         int(fitted.cfg.epochs))
    sizes = tuple(metrics.architecture.sizes)
    pre = Scores(metrics.test_mse, metrics.knn5, tuple(metrics.dead_units),
                 dead_share(tuple(metrics.dead_units), sizes), metrics.finetune.best_epoch,
                 len(metrics.finetune.test_mse))

    arrays: dict[str, np.ndarray] = {"twin_u": symlog(z_test).astype(np.float32),
                                     "twin_output": np.array(twin.output)}
    worst = 0.0
    labels = []
    for j, (moment, model) in enumerate(zip(history.checkpoint.tolist(), history.weights)):
        label = history.label(moment)
        m = {**meta, "test_mse": float(history.mse[moment])}
        onnx_bytes, checks = checked_decoder(model, m, f"checkpoint {j} ({label})")
        arrays[f"checkpoint{j}"] = np.frombuffer(onnx_bytes, np.uint8)
        worst = max(worst, *(c["max_abs_diff"] for c in checks.values()))
        labels.append(label)
    twin_meta = {**meta, "test_mse": twin_scores.test_mse}
    onnx_bytes, checks = checked_decoder(twin, twin_meta, "the no-pretraining twin's decoder")
    arrays["twin_decoder"] = np.frombuffer(onnx_bytes, np.uint8)
    worst = max(worst, *(c["max_abs_diff"] for c in checks.values()))
    for i, (W, b) in enumerate(zip(twin.W, twin.b)):
        arrays[f"twin_W{i}"], arrays[f"twin_b{i}"] = W, b
    record = Timelapse(pre, twin_scores, tuple(labels), worst)
    files = {layout.TIMELAPSE: npz_bytes(arrays), layout.TIMELAPSE_JSON: json_bytes(record.to_json())}
    inputs = {name: manifest.train.files[name] for name in layout.DEPENDS["timelapse"]}
    layout.switch_in(build_dir, "timelapse", files, inputs)
    return {"twin_mse": round(twin_scores.test_mse, 4), "twin_knn5": round(twin_scores.knn5, 3),
            "pre_mse": round(pre.test_mse, 4), "pre_knn5": round(pre.knn5, 3),
            "checkpoints": len(labels), "bytes": len(files[layout.TIMELAPSE]),
            "max_diff": f"{worst:.2g}"}
