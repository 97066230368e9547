"""The train stage: fit the net on a data set and switch its files into the build folder.

Reads a `data.Dataset` (the CLI loads it). Writes into the build folder, as one set
switched in together (`layout.switch_in`, with the data cache beside it): `weights.npz`,
`metrics.json` (`metrics.Metrics`), `points.npz`, `digits.npz` and `history.npz` (the
time-lapse's moments, recorded by `history.Recorder` while it trains). The fitting itself
is `builder.model.training`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from builder.data import HOLDOUT_SEED, TEST_FRACTION, Dataset
from builder.model.autoencoder import layer_activations, symlog
from builder.model.evaluation import dead_units, knn_accuracy, mse, pca2
from builder.model.training import F32, Observer, Progress, TrainConfig, fit, training_split
from builder.records import layout
from builder.records.files import json_bytes, npz_bytes
from builder.records.history import Recorder
from builder.records.metrics import Architecture, Baseline, DataInfo, Finetune, Metrics, RBMCurve, platform


def data_reading(ds: Dataset) -> dict:
    """How `ds` was read, as metrics.json's `data` states it."""
    holdout = {"fraction": TEST_FRACTION, "seed": HOLDOUT_SEED} if ds.split == "holdout" else None
    return {"kind": ds.kind, "split": ds.split, "holdout": holdout, "converted": ds.converted,
            "inverted": ds.inverted, "skipped": ds.skipped}


def train(ds: Dataset, cfg: TrainConfig, out_dir: Path, progress: Progress | None = None,
          data_seconds: float = 0.0, command: str = "",
          extra: dict[str, bytes] | None = None, observer: Observer | None = None) -> Metrics:
    """Run the whole training stage on `ds` and switch its files into `out_dir`.

    `command` is what reproduces this build (the CLI writes it); `extra` files (the
    data cache) are switched in with the outputs. Nothing in `out_dir` changes unless
    training succeeds.
    """
    training_split(ds, cfg, np.random.default_rng(0))  # refuse too little data before any work
    layout.ensure_writable(out_dir)
    x_before = (ds.x_train.copy(), ds.x_test.copy())
    rng = np.random.default_rng(cfg.seed)
    recorder = Recorder(ds.x_train, ds.y_train, ds.x_test, ds.y_test,
                        training_split(ds, cfg, rng)[2].epochs, observer)
    fitted = fit(ds, cfg, progress, recorder)
    model, cfg, rbm_curves, ft = fitted.model, fitted.cfg, fitted.rbm_curves, fitted.finetune
    seconds, x = {"data": data_seconds, **fitted.seconds}, fitted.x

    t0 = time.perf_counter()
    z_train, z_test = model.encode(ds.x_train), model.encode(ds.x_test)
    test_mse = mse(model, ds.x_test)
    pca_figures, pca_codes = pca2(ds.x_train, ds.x_test, ds.y_train, ds.y_test)
    kinds = layer_activations(len(model.W), cfg.output)
    knn5 = knn_accuracy(z_train, ds.y_train, z_test, ds.y_test)
    dead = dead_units(model, x)
    history = recorder.history(model, int(ft["best_epoch"]), list(ft["test_mse"]), test_mse,
                               lambda m: mse(m, ds.x_test))
    seconds["evaluate"] = time.perf_counter() - t0
    seconds["total"] = sum(seconds.values())
    assert np.array_equal(x_before[0], ds.x_train) and np.array_equal(x_before[1], ds.x_test)
    metrics = Metrics(
        config=json.loads(json.dumps(dataclasses.asdict(cfg))),  # as metrics.json reads back
        command=command,
        data=DataInfo(ds.name, ds.source, ds.fingerprint, tuple(ds.classes), len(x), fitted.n_val,
                      len(ds.y_test), **data_reading(ds)),
        architecture=Architecture(tuple(model.sizes), kinds[0], kinds[model.n_enc - 1], kinds[-1]),
        pretraining=tuple(RBMCurve(f"{cfg.sizes[i]}→{cfg.sizes[i + 1]}", tuple(c))
                          for i, c in enumerate(rbm_curves)),
        finetune=Finetune(tuple(ft["train_mse"]), tuple(ft["val_mse"]), tuple(ft["test_mse"]),
                          int(ft["best_epoch"])),
        test_mse=test_mse, knn5=knn5, pca2=Baseline(**pca_figures), dead_units=tuple(dead),
        seconds=seconds, platform=platform(),
    )
    u = symlog(np.concatenate([z_train, z_test]))
    files = {
        layout.WEIGHTS: model.to_bytes(seed=cfg.seed, data=ds.name, source=ds.source, test_mse=test_mse),
        layout.POINTS: npz_bytes({
            "u": u.astype(F32),
            "label": np.concatenate([ds.y_train, ds.y_test]).astype(np.uint8),
            "test": np.repeat([False, True], [len(z_train), len(z_test)]),
            "pca": pca_codes.astype(F32),
        }),
        layout.DIGITS: npz_bytes({"x_test": ds.x_test, "y_test": ds.y_test.astype(np.uint8)}),
        layout.METRICS: json_bytes(metrics.to_json()),
        layout.HISTORY: history.to_bytes(),
    }
    layout.switch_in(out_dir, "train", files, {"data": ds.fingerprint}, extra)
    return metrics
