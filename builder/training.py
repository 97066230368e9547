"""Train the autoencoder: DBN pretraining, unrolling, backprop fine-tuning, evaluation.

Reads the data set (`data.load`, cached as `data.npz`). Writes into the build folder
`weights.npz` (the model, self-describing), `metrics.json` (config, data, curves,
test MSE and kNN-5 beside PCA-2, seconds per stage) and `points.npz` (display
coordinates `u`, `label`, `test` flag and PCA-2 codes `pca` of every digit, for the
page's scatter and the model card).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import click
import numpy as np

from .autoencoder import OUTPUTS, SIZES, Autoencoder, symlog
from .data import Dataset
from .files import BuildError, write_json, write_npz
from .rbm import RBM, RBMConfig, train_rbm

F32 = np.float32


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0  # one np.random.default_rng(seed) drives every sampler and shuffle
    output: str = "sigmoid"  # output units of the decoder: sigmoid or relu
    pretrain: bool = True  # greedy DBN pretraining; False starts from random weights
    val_fraction: float = 0.1  # share of the training split held out for epoch selection
    # pretraining, one RBM per layer 784→100→50→25→2
    rbm_epochs: int = 20  # CD sweeps per RBM
    rbm_lr: tuple[float, ...] = (0.01, 0.01, 0.01, 0.001)  # per layer; the top is linear
    rbm_batch: int = 100  # examples per CD update
    cd_k: int = 1  # Gibbs steps per update (CD-k)
    rbm_weight_decay: float = 2e-4  # L2 on RBM weights
    # fine-tuning by backprop on reconstruction MSE with Adam
    epochs: int | None = None  # sweeps through the data; None: about STEPS Adam steps, 10 to 100
    batch_size: int = 64  # examples per Adam step
    lr: float = 3e-3  # Adam step size at the start ...
    lr_final: float = 1e-4  # ... decayed along a cosine to this at the last epoch
    beta1: float = 0.9  # Adam
    beta2: float = 0.999  # Adam
    eps: float = 1e-8  # Adam
    weight_decay: float = 0.0  # decoupled (AdamW) weight decay
    init_std: float = 0.01  # RBM init; random-init nets use He initialisation instead
    max_loss: float = 10.0  # a training MSE above this (pixels are in [0, 1]) is divergence

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise BuildError(f"--output: expected one of {', '.join(OUTPUTS)}, got {self.output!r}")
        if (self.epochs is not None and self.epochs < 1) or self.rbm_epochs < 0:
            raise BuildError(f"--epochs: expected a positive number, got {self.epochs}")
        if len(self.rbm_lr) != len(SIZES) - 1:
            raise BuildError(f"rbm_lr: expected {len(SIZES) - 1} learning rates")

    def resolved(self, n_train: int) -> "TrainConfig":
        """This config with `epochs` fixed for `n_train` training examples.

        100 epochs of the default 8,100 digits, 30 of Fashion-MNIST's 54,000.
        """
        if self.epochs is not None:
            return self
        steps_per_epoch = math.ceil(n_train / self.batch_size)
        return dataclasses.replace(self, epochs=min(100, max(10, round(STEPS / steps_per_epoch))))


STEPS = 25_000  # Adam steps that automatic epochs aim for


QUICK = dict(rbm_epochs=2, epochs=3)  # a tiny preset for tests: seconds, not minutes


@dataclass
class Progress:
    """Progress bars on stderr; silent when `quiet`."""

    quiet: bool = False

    def bar(self, label: str, length: int) -> "Bar":
        return Bar(label, length, self.quiet)


class Bar:
    def __init__(self, label: str, length: int, quiet: bool) -> None:
        self.info = ""
        self._bar = None if quiet else click.progressbar(
            length=length, label=label, file=click.get_text_stream("stderr"),
            item_show_func=lambda _: self.info, show_eta=True, width=24)

    def __enter__(self) -> "Bar":
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def update(self, info: str) -> None:
        self.info = info
        if self._bar is not None:
            self._bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


# ---------------------------------------------------------------- pretraining


def layer_units(i: int, n_layers: int) -> tuple[str, str]:
    """(visible, hidden) unit types of RBM `i` in the stack."""
    visible = "logistic" if i == 0 else "relu"
    hidden = "linear" if i == n_layers - 1 else "nrelu"
    return visible, hidden


def pretrain(x: np.ndarray, cfg: TrainConfig, rng: np.random.Generator,
             progress: Progress) -> tuple[Autoencoder, list[list[float]]]:
    """Greedy DBN pretraining on `x (n, 784)`, unrolled into an autoencoder.

    Inputs of upper RBMs are rescaled to unit RMS; the scale is folded back into the
    unrolled weights exactly (ReLU is positively homogeneous). Returns the model and
    each RBM's reconstruction error per epoch.
    """
    enc_W, enc_b, dec_W, dec_b, curves = [], [], [], [], []
    v = x
    n_layers = len(SIZES) - 1
    for i in range(n_layers):
        visible, hidden = layer_units(i, n_layers)
        c = F32(1.0) if i == 0 else F32(1.0 / max(math.sqrt(float(np.mean(v * v))), 1e-6))
        vs = v * c
        rbm = RBM.init(SIZES[i], SIZES[i + 1], visible, hidden, cfg.init_std, rng, vs.mean(axis=0))
        rcfg = RBMConfig(lr=cfg.rbm_lr[i], epochs=cfg.rbm_epochs, batch_size=cfg.rbm_batch,
                         k=cfg.cd_k, weight_decay=cfg.rbm_weight_decay, init_std=cfg.init_std)
        name = f"RBM {i + 1} ({SIZES[i]}→{SIZES[i + 1]})"
        with progress.bar(f"pretrain {name}", cfg.rbm_epochs) as bar:
            curves.append(train_rbm(rbm, vs, rcfg, rng, name,
                                    lambda e, err: bar.update(f"recon {err:.4f}")))
        enc_W.append(rbm.W * c)
        enc_b.append(rbm.b.copy())
        dec_W.insert(0, np.ascontiguousarray(rbm.W.T) / c)
        dec_b.insert(0, rbm.a / c)
        v = rbm.h_mean(vs)
    return Autoencoder(enc_W + dec_W, enc_b + dec_b, cfg.output), curves


def random_init(cfg: TrainConfig, rng: np.random.Generator) -> Autoencoder:
    """He-initialised weights and zero biases, the baseline without pretraining."""
    sizes = list(SIZES) + list(SIZES[-2::-1])
    W = [(rng.standard_normal((m, n)) * math.sqrt(2.0 / m)).astype(F32)
         for m, n in zip(sizes, sizes[1:])]
    return Autoencoder(W, [np.zeros(n, F32) for n in sizes[1:]], cfg.output)


# ---------------------------------------------------------------- fine-tuning


def batches(n: int, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    order = rng.permutation(n)
    for start in range(0, n, size):
        yield order[start : start + size]


def mse(model: Autoencoder, x: np.ndarray, chunk: int = 4096) -> float:
    """Mean squared reconstruction error over all pixels of `x (n, 784)`."""
    total = 0.0
    for s in range(0, len(x), chunk):
        d = model.reconstruct(x[s : s + chunk]) - x[s : s + chunk]
        total += float(np.sum(d * d, dtype=np.float64))
    return total / x.size


class Adam:
    """Adam (with optional decoupled weight decay) over a list of float32 arrays, in place."""

    def __init__(self, params: list[np.ndarray], cfg: TrainConfig) -> None:
        self.params, self.cfg, self.t = params, cfg, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        c, self.t = self.cfg, self.t + 1
        step = lr * math.sqrt(1 - c.beta2 ** self.t) / (1 - c.beta1 ** self.t)
        b1, b2, eps = F32(c.beta1), F32(c.beta2), F32(c.eps)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            if c.weight_decay and p.ndim == 2:
                p -= F32(lr * c.weight_decay) * p
            p -= F32(step) * m / (np.sqrt(v) + eps)


def cosine_lr(cfg: TrainConfig, epoch: int) -> float:
    t = epoch / max(cfg.epochs - 1, 1)
    return cfg.lr_final + 0.5 * (cfg.lr - cfg.lr_final) * (1 + math.cos(math.pi * t))


def finetune(model: Autoencoder, x: np.ndarray, x_val: np.ndarray, x_test: np.ndarray,
             cfg: TrainConfig, rng: np.random.Generator, progress: Progress,
             ) -> tuple[Autoencoder, dict[str, object]]:
    """Backprop on reconstruction MSE; returns the epoch with the lowest validation MSE.

    The test MSE is recorded per epoch for the curves only; it never selects anything.
    """
    model = model.copy()
    opt = Adam(model.W + model.b, cfg)
    curves: dict[str, list[float]] = {"train_mse": [], "val_mse": [], "test_mse": []}
    best, best_epoch = model.copy(), 0
    with progress.bar("fine-tune", cfg.epochs) as bar:
        for epoch in range(cfg.epochs):
            lr, total = cosine_lr(cfg, epoch), 0.0
            for idx in batches(len(x), cfg.batch_size, rng):
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    loss, dW, db = model.loss_and_grads(x[idx])
                if not math.isfinite(loss) or loss > cfg.max_loss:
                    raise BuildError(f"fine-tuning diverged: epoch {epoch + 1}, training MSE "
                                     f"{loss:.4g}; lower --lr (now {cfg.lr})")
                opt.step(dW + db, lr)
                total += loss * len(idx)
            assert all(p.dtype == F32 for p in model.W + model.b)
            curves["train_mse"].append(total / len(x))
            curves["val_mse"].append(mse(model, x_val))
            curves["test_mse"].append(mse(model, x_test))
            if curves["val_mse"][-1] <= min(curves["val_mse"]):
                best, best_epoch = model.copy(), epoch
            bar.update(f"train {curves['train_mse'][-1]:.4f} val {curves['val_mse'][-1]:.4f}")
    return best, {**curves, "best_epoch": best_epoch + 1}


# ---------------------------------------------------------------- evaluation


def nearest(a: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """Exact k nearest rows of `a (n, 2)` for each row of `q (m, 2)`: (m, k) indices, nearest first.

    Sorts `a` by its first coordinate and looks at a window of about 4·√(k·n) rows around
    each query's place (enough for 2-D data); a query whose k-th distance is not below
    the x-gap to the window's edges is answered by brute force, so the result is exact.
    """
    a, q = np.asarray(a, np.float64), np.asarray(q, np.float64)
    order = np.argsort(a[:, 0], kind="stable")
    xs, n = a[order, 0], len(a)
    w = int(min(n, max(64, 4 * math.sqrt(k * n))))
    nn = np.empty((len(q), min(k, n)), dtype=np.int64)
    step = max(1, 2**20 // w)
    for s in range(0, len(q), step):
        nn[s : s + step] = _nearest_in_window(a, q[s : s + step], xs, order, w, k)
    return nn


def _nearest_in_window(a: np.ndarray, q: np.ndarray, xs: np.ndarray, order: np.ndarray,
                       w: int, k: int) -> np.ndarray:
    n = len(a)
    start = np.clip(np.searchsorted(xs, q[:, 0]) - w // 2, 0, n - w)
    cand = order[start[:, None] + np.arange(w)]
    d2 = ((a[cand] - q[:, None, :]) ** 2).sum(-1)
    top = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < w else np.tile(np.arange(w), (len(q), 1))
    top = np.take_along_axis(top, np.argsort(np.take_along_axis(d2, top, 1), 1, kind="stable"), 1)
    nn = np.take_along_axis(cand, top, 1)
    kth = np.take_along_axis(d2, top[:, -1:], 1)[:, 0]
    left = np.where(start > 0, q[:, 0] - xs[np.maximum(start - 1, 0)], np.inf)
    right = np.where(start + w < n, xs[np.minimum(start + w, n - 1)] - q[:, 0], np.inf)
    for i in np.flatnonzero(~(kth < np.minimum(left, right) ** 2)):
        d = ((a - q[i]) ** 2).sum(1)
        best = np.argpartition(d, k - 1)[:k] if k < n else np.arange(n)
        nn[i] = best[np.argsort(d[best], kind="stable")]
    return nn


def knn_accuracy(c_train: np.ndarray, y_train: np.ndarray, c_test: np.ndarray,
                 y_test: np.ndarray, k: int = 5) -> float:
    """Accuracy of k-nearest-neighbour majority vote (ties: the nearest tied class)."""
    labels = y_train[nearest(c_train, c_test, k)]
    rows, n_cls = np.arange(len(c_test)), int(y_train.max()) + 1
    votes, bonus = np.zeros((len(c_test), n_cls)), np.zeros((len(c_test), n_cls))
    for r in reversed(range(k)):  # ends with each class's nearest rank
        votes[rows, labels[:, r]] += 1
        bonus[rows, labels[:, r]] = (k - r) / (k + 1)
    votes += bonus  # a tie in counts goes to the class with the nearest neighbour
    return int((votes.argmax(1) == y_test).sum()) / len(c_test)


def pca2(x_train: np.ndarray, x_test: np.ndarray, y_train: np.ndarray, y_test: np.ndarray,
         ) -> tuple[dict[str, float], np.ndarray]:
    """PCA to 2 components fitted on the training images.

    Returns its test MSE and kNN-5, and the codes of every image, training images first:
    float32 `(n_train + n_test, 2)`.
    """
    mu = x_train.mean(axis=0, dtype=np.float64).astype(F32)
    xc = x_train - mu
    _, vecs = np.linalg.eigh((xc.T @ xc).astype(np.float64))
    P = np.ascontiguousarray(vecs[:, :-3:-1]).astype(F32)  # the two largest, largest first
    P *= np.where(P.sum(axis=0) < 0, -1, 1).astype(F32)  # a fixed sign for each axis
    c_train, c_test = xc @ P, (x_test - mu) @ P
    rec = c_test @ P.T + mu
    figures = {"test_mse": float(np.mean((rec - x_test) ** 2, dtype=np.float64)),
               "knn5": knn_accuracy(c_train, y_train, c_test, y_test)}
    return figures, np.concatenate([c_train, c_test])


def split_validation(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def train(ds: Dataset, cfg: TrainConfig, out_dir: Path, progress: Progress | None = None,
          data_seconds: float = 0.0) -> dict[str, object]:
    """Run the whole training stage on `ds` and write its three files into `out_dir`."""
    progress = progress or Progress()
    rng = np.random.default_rng(cfg.seed)
    x_all = ds.x_train
    assert x_all.dtype == F32 and ds.x_test.dtype == F32
    x_before = (ds.x_train.copy(), ds.x_test.copy())
    tr, va = split_validation(len(x_all), cfg.val_fraction, rng)
    cfg = cfg.resolved(len(tr))
    x, x_val = x_all[tr], x_all[va]
    seconds = {"data": data_seconds}

    t0 = time.perf_counter()
    if cfg.pretrain:
        model, rbm_curves = pretrain(x, cfg, rng, progress)
    else:
        model, rbm_curves = random_init(cfg, rng), []
    seconds["pretrain"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    model, ft = finetune(model, x, x_val, ds.x_test, cfg, rng, progress)
    seconds["finetune"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    z_train, z_test = model.encode(ds.x_train), model.encode(ds.x_test)
    test_mse = mse(model, ds.x_test)
    pca_figures, pca_codes = pca2(ds.x_train, ds.x_test, ds.y_train, ds.y_test)
    metrics = {
        "config": dataclasses.asdict(cfg),
        "data": {**ds.describe(), "n_train": len(tr), "n_val": len(va)},
        "architecture": {"sizes": list(model.sizes), "hidden": "relu", "code": "linear",
                         "output": cfg.output},
        "pretraining": [{"layer": f"{SIZES[i]}→{SIZES[i + 1]}", "recon_error": c}
                        for i, c in enumerate(rbm_curves)],
        "finetune": ft,
        "test_mse": test_mse,
        "knn5": knn_accuracy(z_train, ds.y_train, z_test, ds.y_test),
        "pca2": pca_figures,
        "dead_units": dead_units(model, x),
    }
    seconds["evaluate"] = time.perf_counter() - t0
    seconds["total"] = sum(seconds.values())
    metrics["seconds"] = seconds
    assert np.array_equal(x_before[0], ds.x_train) and np.array_equal(x_before[1], ds.x_test)

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "weights.npz", seed=cfg.seed, data=ds.name, source=ds.source,
               test_mse=test_mse)
    u = symlog(np.concatenate([z_train, z_test]))
    write_npz(out_dir / "points.npz", {
        "u": u.astype(F32),
        "label": np.concatenate([ds.y_train, ds.y_test]).astype(np.uint8),
        "test": np.repeat([False, True], [len(z_train), len(z_test)]),
        "pca": pca_codes.astype(F32),
    })
    write_json(out_dir / "metrics.json", metrics)
    return metrics


def dead_units(model: Autoencoder, x: np.ndarray) -> list[float]:
    """Share of each encoder hidden layer's ReLU units that never fire on `x`."""
    shares, h = [], x
    for i in range(model.n_enc - 1):
        h = model.activation(i, h @ model.W[i] + model.b[i])
        shares.append(float(np.mean(h.max(axis=0) <= 0)))
    return shares
