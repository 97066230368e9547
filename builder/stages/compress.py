"""Compression and denoising: a 30-D autoencoder set against the 2-D one, PCA-30 and PCA-2.

Reads from the build folder (`layout`): the data cache `data.npz` (train's parse of the
data, found by the content fingerprint train recorded; the 30-D net trains on the same
images and split), `weights.npz` (the 2-D net, for its curves), `metrics.json` (the 2-D
net's resolved config, which the 30-D one follows but for its widths) and `digits.npz`
(checked to be the cache's test split). Switches in, as one set (the `compress` stage):

- `weights30.npz`: the 30-D net (`Autoencoder`, `CompressConfig.sizes`), DBN-pretrained
  and fine-tuned by `training.fit` exactly as the 2-D one (same seed, so the same
  validation split, the same epochs and learning rates);
- `decoder30.onnx` (`code` float32 [N, 30] → `image` [N, 784]) and `encoder30.onnx`
  (`image` → `code`), float64 graphs checked against numpy (`export.code_models`);
- `pca.npz`: `mean` float32 (784,) and `components` float32 (30, 784), largest first,
  fitted on the training images (`evaluation.pca_basis`); its first two rows are PCA-2;
- `compress.json` (`Compression`, read back by `Compression.read`): the config, test MSE
  and kNN-5 of AE-2, AE-30, PCA-2, PCA-30, the code sizes in bytes, the 30-D net's
  curves, the denoising curves, the drift of repeated round trips, the range of each
  30-D code unit (the page's bars) and the seconds it took.

Every error is the MSE per pixel of the raw reconstruction (not clipped) against the
clean test image; inputs to the models are clipped to [0, 1]. The denoising noise is
`clip(x + σ·n, 0, 1)` with one `n ~ N(0, 1)` per pixel from
`np.random.default_rng(noise_seed)`, drawn once and scaled for every σ, so the curves
are smooth and the same seed gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from builder.data import read_cache
from builder.model.evaluation import knn_accuracy, pca_basis
from builder.model.training import Progress, TrainConfig, fit
from builder.records import layout
from builder.records.compress import Compression, FourModels
from builder.records.files import BuildError, json_bytes, npz_bytes
from builder.records.folder import BuildFolder
from builder.records.metrics import Metrics

F32 = np.float32
Images = Callable[[np.ndarray], np.ndarray]  # (n, 784) in [0, 1] → (n, 784) reconstructions


@dataclass(frozen=True)
class CompressConfig:
    # 784→100→50→30: the 2-D net's first two layers (784→100→50) kept and its last two
    # (50→25→2) replaced by one 50→30 code layer, so the comparison isolates the code's
    # size; a wider net (e.g. 1000-500-250-30, the article's) would cost minutes here.
    sizes: tuple[int, ...] = (784, 100, 50, 30)
    rbm_lr: tuple[float, ...] = (0.01, 0.01, 0.001)  # per RBM, as the 2-D net's; the top is linear
    components: int = 30  # PCA-30, the 30-D net's linear baseline (its first two are PCA-2)
    noise_levels: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)  # σ of the chart
    noise_seed: int = 1  # np.random.default_rng(noise_seed) draws the chart's noise
    iterate_steps: int = 10  # round trips encode → decode (clipped) for the drift figures
    code_quantile: float = 0.005  # the bars span this quantile to 1 − it of each test code unit
    knn: int = 5


# ---------------------------------------------------------------- measurements


def noisy(x: np.ndarray, sigma: float, n: np.ndarray) -> np.ndarray:
    """`clip(x + σ·n, 0, 1)`: x (m, 784) and n (m, 784) float32 → float32 (m, 784)."""
    return np.clip(x + F32(sigma) * n, 0.0, 1.0).astype(F32)


def pca_reconstruct(mean: np.ndarray, components: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`mean + ((x − mean) Pᵀ) P` in float64 with P = `components (k, 784)`: what the page
    computes. (m, 784) → float64 (m, 784)."""
    m64, p64 = mean.astype(np.float64), components.astype(np.float64)
    return ((np.asarray(x, np.float64) - m64) @ p64.T) @ p64 + m64


def error(rec: np.ndarray, clean: np.ndarray) -> float:
    """MSE per pixel of `rec` against `clean`, in float64."""
    return float(np.mean((np.asarray(rec, np.float64) - clean) ** 2))


def denoising_curves(recons: dict[str, Images], x: np.ndarray, levels: tuple[float, ...],
                     seed: int) -> dict[str, list[float]]:
    """Per σ of `levels`, the error against the clean `x (m, 784)` of the noisy input and
    of each reconstruction in `recons` (name → images → reconstructions)."""
    n = np.random.default_rng(seed).standard_normal(x.shape, dtype=F32)
    out: dict[str, list[float]] = {"input": [], **{name: [] for name in recons}}
    for sigma in levels:
        xn = noisy(x, sigma, n)
        out["input"].append(error(xn, x))
        for name, rec in recons.items():
            out[name].append(error(rec(xn), x))
    return out


def drift_curves(recons: dict[str, Images], x: np.ndarray, steps: int) -> dict[str, list[float]]:
    """Per name, the error against `x` after k = 1…`steps` round trips, each clipped to
    [0, 1] before the next (as the page's Iterate)."""
    out = {}
    for name, rec in recons.items():
        cur, errs = x, []
        for _ in range(steps):
            nxt = rec(cur)
            errs.append(error(nxt, x))
            cur = np.clip(nxt, 0.0, 1.0).astype(F32)
        out[name] = errs
    return out


def _train_config(metrics: Metrics, cfg: CompressConfig) -> TrainConfig:
    """The 2-D net's resolved config with the 30-D widths and RBM learning rates."""
    return dataclasses.replace(TrainConfig.from_json(metrics.config), sizes=cfg.sizes, rbm_lr=cfg.rbm_lr)


# ---------------------------------------------------------------- the stage


def compress(build_dir: Path, cfg: CompressConfig = CompressConfig(),
             progress: Progress | None = None) -> dict[str, float]:
    """The stage: train the 30-D net, fit PCA-30, measure, export; switch the set in."""
    from builder.model.reference import reference_decode, reference_encode
    from builder.stages.export import code_models

    t_start = time.perf_counter()
    build_dir = Path(build_dir)
    folder = BuildFolder.open(build_dir)
    model2 = folder.weights().model
    metrics = folder.metrics()
    fingerprint = folder.manifest.train.inputs.get("data", "")
    cache = build_dir / layout.DATA_CACHE
    ds = read_cache(cache, fingerprint)
    if ds is None:
        raise BuildError(f"{cache}: missing, or not the data this build was trained on: "
                         f"run `aedemo train --out {build_dir}` again")
    if not np.array_equal(folder.test_images().x, ds.x_test):
        raise BuildError(f"{build_dir / layout.DIGITS} is not the test split of {cache}: run `aedemo train`")
    layout.ensure_writable(build_dir)

    tcfg = _train_config(metrics, cfg)
    fitted = fit(ds, tcfg, progress)
    model30 = fitted.model
    t0 = time.perf_counter()
    x_test, x_train = ds.x_test, ds.x_train
    mean, P = pca_basis(x_train, cfg.components)   # (784,), (784, k)
    components = np.ascontiguousarray(P.T)          # (k, 784)
    k2 = components[:2]
    recons: dict[str, Images] = {
        "ae2": lambda x: reference_decode(model2, reference_encode(model2, x)),
        "ae30": lambda x: model30.decode(model30.encode(np.asarray(x, np.float64))).astype(F32),
        "pca2": lambda x: pca_reconstruct(mean, k2, x),
        "pca30": lambda x: pca_reconstruct(mean, components, x),
    }
    test_mse = FourModels(**{name: error(rec(x_test), x_test) for name, rec in recons.items()})
    z30_train, z30_test = model30.encode(x_train), model30.encode(x_test)
    c30_train = (x_train.astype(np.float64) - mean) @ P.astype(np.float64)
    c30_test = (x_test.astype(np.float64) - mean) @ P.astype(np.float64)
    knn = lambda a, b: knn_accuracy(a, ds.y_train, b, ds.y_test, cfg.knn)  # noqa: E731
    knn5 = FourModels(ae2=metrics.knn5, ae30=knn(z30_train, z30_test), pca2=metrics.pca2.knn5,
                  pca30=knn(c30_train, c30_test))
    curves = denoising_curves(recons, x_test, cfg.noise_levels, cfg.noise_seed)
    drift = drift_curves({k: recons[k] for k in ("ae2", "ae30")}, x_test, cfg.iterate_steps)
    lo = np.quantile(z30_test.astype(np.float64), cfg.code_quantile, axis=0)
    hi = np.quantile(z30_test.astype(np.float64), 1 - cfg.code_quantile, axis=0)
    seconds = {**fitted.seconds, "evaluate": time.perf_counter() - t0}

    t0 = time.perf_counter()
    meta = {"data": ds.name, "source": ds.source, "seed": tcfg.seed, "test_mse": test_mse.ae30}
    probe_codes = np.concatenate([z30_test[:256], np.random.default_rng(0).standard_normal(
        (64, cfg.sizes[-1])).astype(F32) * z30_test.std(0) * 3])
    decoder, encoder, checks = code_models(model30, meta, probe_codes, x_test[:256])
    seconds["export"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_start
    ft = fitted.finetune
    result = Compression(
        config=json.loads(json.dumps(dataclasses.asdict(cfg))),
        train=json.loads(json.dumps(dataclasses.asdict(fitted.cfg))),
        sizes=tuple(model30.sizes),
        code_bytes={"ae2": 4 * model2.sizes[-1], "ae30": 4 * model30.sizes[-1], "pca2": 4 * 2,
                    "pca30": 4 * cfg.components, "pixels": int(x_test.shape[1])},
        test_mse=test_mse, knn5=knn5,
        finetune={"train_mse": ft["train_mse"], "val_mse": ft["val_mse"], "test_mse": ft["test_mse"],
                  "best_epoch": int(ft["best_epoch"])},
        pretraining=tuple(tuple(c) for c in fitted.rbm_curves),
        noise_levels=tuple(cfg.noise_levels), noise_seed=cfg.noise_seed,
        denoising={k: tuple(v) for k, v in curves.items()},
        drift={k: tuple(v) for k, v in drift.items()},
        code_lo=tuple(round(float(v), 4) for v in lo), code_hi=tuple(round(float(v), 4) for v in hi),
        checks=checks, seconds=seconds,
    )
    files = {
        layout.COMPRESS: json_bytes(result.to_json()),
        layout.WEIGHTS30: model30.to_bytes(seed=tcfg.seed, data=ds.name, source=ds.source,
                                           test_mse=test_mse.ae30),
        layout.DECODER30: decoder,
        layout.ENCODER30: encoder,
        layout.PCA: npz_bytes({"mean": mean.astype(F32), "components": components.astype(F32)}),
    }
    inputs = {"data": fingerprint, **folder.inputs_of("compress")}
    layout.switch_in(build_dir, "compress", files, inputs)
    return {"ae30_mse": round(test_mse.ae30, 6), "pca30_mse": round(test_mse.pca30, 6),
            "ratio": round(test_mse.ae30 / test_mse.pca30, 4), "ae30_knn5": knn5.ae30,
            "pca30_knn5": knn5.pca30, **{k: round(v, 1) for k, v in seconds.items()}, **checks}
