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
- `timelapse.json` (`Timelapse`): the twin's scores, the parity seen per decoder, and the
  seed spread `make bench` measured for this data and config (`bench/pretraining.json`,
  committed; none when it measured other data or another config).

The twin is the same net (`TrainConfig` as trained) with `pretrain=False`: He
initialisation, the same fine-tuning schedule, the same seed (so the same validation
split, the first draw of the seed's generator), the epoch of lowest validation MSE kept.
Deterministic: same seed, data and machine → the same bytes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from builder import data as data_stage
from builder.model.autoencoder import symlog
from builder.model.evaluation import dead_units, knn_accuracy, mse
from builder.model.training import Progress, TrainConfig, fit
from builder.records import layout
from builder.records.files import BuildError, npz_bytes
from builder.records.metrics import Metrics
from builder.records.folder import BuildFolder
from builder.records.timelapse import Scores, Timelapse, bench_spread, dead_share, pretrained_scores
from builder.stages.export import checked_decoder


def twin_config(metrics: Metrics) -> TrainConfig:
    """The config the pretrained net was trained with (epochs resolved), without pretraining."""
    return dataclasses.replace(TrainConfig.from_json(metrics.config), pretrain=False)


def run_timelapse(build_dir: Path, progress: Progress | None = None) -> dict:
    """The stage: train the twin, export the checkpoints' and the twin's decoders, switch in
    `timelapse.npz` and `timelapse.json`. Returns figures for the CLI."""
    build_dir = Path(build_dir)
    folder = BuildFolder.open(build_dir)
    history = folder.history()
    metrics = folder.metrics()
    if not metrics.pretraining:
        raise BuildError(f"{build_dir / layout.METRICS}: this net was trained without pretraining, "
                         f"so it has no twin to compare with: train it with pretraining")
    meta = folder.weights().meta
    cache = build_dir / layout.DATA_CACHE
    ds = data_stage.read_cache(cache, folder.manifest.train.inputs.get("data", "")) if cache.is_file() else None
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
    pre = pretrained_scores(metrics)

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
    record = Timelapse(twin_scores, tuple(labels), worst, bench_spread(metrics))
    files = {layout.TIMELAPSE: npz_bytes(arrays), layout.TIMELAPSE_JSON: record.to_bytes()}
    layout.switch_in(build_dir, "timelapse", files, folder.inputs_of("timelapse"))
    return {"twin_mse": round(twin_scores.test_mse, 4), "twin_knn5": round(twin_scores.knn5, 3),
            "pre_mse": round(pre.test_mse, 4), "pre_knn5": round(pre.knn5, 3),
            "checkpoints": len(labels), "bytes": len(files[layout.TIMELAPSE]),
            "max_diff": f"{worst:.2g}"}
