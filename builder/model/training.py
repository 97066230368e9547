"""Fit the autoencoder: DBN pretraining, unrolling, backprop fine-tuning (`fit`).

Reads a `data.Dataset`; writes nothing. `builder/stages/train.py` runs `fit` and switches
the build folder's training files in (`weights.npz`, `metrics.json`, `points.npz`,
`digits.npz`, `history.npz`); the compress and timelapse stages fit their nets with it too.
An `Observer` sees the top RBM's codes, the unrolled net and each fine-tuning epoch
(`history.Recorder` is the time-lapse's).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from builder.data import Dataset
from builder.model.autoencoder import OUTPUTS, SIZES, Autoencoder, Buffers, unrolled
from builder.model.evaluation import mse
from builder.model.rbm import RBM, RBMConfig, train_rbm
from builder.records.files import BuildError

F32 = np.float32


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0  # one np.random.default_rng(seed) drives every sampler and shuffle
    output: str = "sigmoid"  # output units of the decoder: sigmoid or relu
    pretrain: bool = True  # greedy DBN pretraining; False starts from random weights
    val_fraction: float = 0.1  # share of the training split held out for epoch selection
    sizes: tuple[int, ...] = SIZES  # encoder widths 784→100→50→25→2, the decoder mirrors them
    # pretraining, one RBM per layer of `sizes`
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
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise BuildError(f"sizes: expected at least two positive widths, got {self.sizes}")
        if len(self.rbm_lr) != len(self.sizes) - 1:
            raise BuildError(f"rbm_lr: expected {len(self.sizes) - 1} learning rates")

    @classmethod
    def from_json(cls, obj: dict, where: str = "metrics.json") -> "TrainConfig":
        """The config as `metrics.json` holds it (`Metrics.config`: lists for tuples) back
        as a `TrainConfig`; `BuildError` naming `where` when it is not this aedemo's."""
        try:
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in obj.items()})
        except TypeError as e:
            raise BuildError(f"{where}: config is not this aedemo's ({e}): run `aedemo train`") from None

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


class Progress:
    """Where training reports its progress: silent here; the CLI draws bars (`cli.Bars`).

    `bar(label, length)` returns a context manager whose `update(info)` marks one step.
    """

    def bar(self, label: str, length: int) -> "Step":
        return Step()


class Step:
    def __enter__(self) -> "Step":
        return self

    def update(self, info: str) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass


class Observer:
    """What training shows of its intermediate states: nothing here (the time-lapse records).

    `top_rbm_epoch(epoch, encode)`: after each epoch of the top RBM, `encode (n, 784) →
    (n, code)` through the stack as it stands; `unrolled(model)`: the unrolled net before
    fine-tuning; `finetune_epoch(epoch, model)`: after each fine-tuning epoch. `model`
    is the live net, changed by the next step: copy what is kept.
    """

    def top_rbm_epoch(self, epoch: int, encode: Callable[[np.ndarray], np.ndarray]) -> None:
        pass

    def unrolled(self, model: Autoencoder) -> None:
        pass

    def finetune_epoch(self, epoch: int, model: Autoencoder) -> None:
        pass


# ---------------------------------------------------------------- pretraining


def layer_units(i: int, n_layers: int) -> tuple[str, str]:
    """(visible, hidden) unit types of RBM `i` in the stack."""
    visible = "logistic" if i == 0 else "relu"
    hidden = "linear" if i == n_layers - 1 else "nrelu"
    return visible, hidden


def pretrain(x: np.ndarray, cfg: TrainConfig, rng: np.random.Generator, progress: Progress,
             observer: Observer | None = None) -> tuple[Autoencoder, list[list[float]]]:
    """Greedy DBN pretraining on `x (n, 784)`, unrolled into an autoencoder.

    Inputs of upper RBMs are rescaled to unit RMS; the scale is folded back into the
    unrolled weights exactly (ReLU is positively homogeneous). Returns the model and
    each RBM's reconstruction error per epoch.
    """
    enc_W, enc_b, dec_W, dec_b, curves = [], [], [], [], []
    v, sizes, observer = x, cfg.sizes, observer or Observer()
    n_layers = len(sizes) - 1
    for i in range(n_layers):
        visible, hidden = layer_units(i, n_layers)
        c = F32(1.0) if i == 0 else F32(1.0 / max(math.sqrt(float(np.mean(v * v))), 1e-6))
        vs = v * c
        rbm = RBM.init(sizes[i], sizes[i + 1], visible, hidden, cfg.init_std, rng, vs.mean(axis=0))
        rcfg = RBMConfig(lr=cfg.rbm_lr[i], epochs=cfg.rbm_epochs, batch_size=cfg.rbm_batch,
                         k=cfg.cd_k, weight_decay=cfg.rbm_weight_decay)
        name = f"RBM {i + 1} ({sizes[i]}→{sizes[i + 1]})"
        top = i == n_layers - 1

        def on_epoch(epoch: int, err: float, rbm: RBM = rbm, c: np.float32 = c) -> None:
            bar.update(f"recon {err:.4f}")
            if top:
                observer.top_rbm_epoch(epoch, lambda xs: stack_code(enc_W, enc_b, rbm, c, xs))

        with progress.bar(f"pretrain {name}", cfg.rbm_epochs) as bar:
            curves.append(train_rbm(rbm, vs, rcfg, rng, name, on_epoch))
        enc_W.append(rbm.W * c)
        enc_b.append(rbm.b.copy())
        dec_W.insert(0, np.ascontiguousarray(rbm.W.T) / c)
        dec_b.insert(0, rbm.a / c)
        v = rbm.h_mean(vs)
    return Autoencoder(enc_W + dec_W, enc_b + dec_b, cfg.output), curves


def stack_code(W: list[np.ndarray], b: list[np.ndarray], top: RBM, c: np.float32,
               x: np.ndarray) -> np.ndarray:
    """`x (n, 784)` through the unrolled lower layers `W, b` (ReLU), then the linear top
    RBM (its input scaled by `c`): the code the stack gives now. (n, code)"""
    for Wi, bi in zip(W, b):
        x = np.maximum(x @ Wi + bi, 0)
    return (x * c) @ top.W + top.b


def random_init(cfg: TrainConfig, rng: np.random.Generator) -> Autoencoder:
    """He-initialised weights and zero biases, the baseline without pretraining."""
    sizes = unrolled(cfg.sizes)
    W = [(rng.standard_normal((m, n)) * math.sqrt(2.0 / m)).astype(F32)
         for m, n in zip(sizes, sizes[1:])]
    return Autoencoder(W, [np.zeros(n, F32) for n in sizes[1:]], cfg.output)


# ---------------------------------------------------------------- fine-tuning


def batches(n: int, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    order = rng.permutation(n)
    for start in range(0, n, size):
        yield order[start : start + size]


class Adam:
    """Adam on one flat float32 vector θ, in place: ten whole-vector ufuncs per step.

    The moments are kept without their (1 − β) factors, `m = β1·m + g` and `v = β2·v + g²`
    (Adam's m and v times 1/(1 − β1) and 1/(1 − β2)), which the step folds back in:
    the same update as Kingma & Ba's with ε̂ (ε added to √v before v's bias correction),
    two passes cheaper. `decay` are the views of θ that decoupled (AdamW) weight decay
    shrinks: the weights, not the biases.
    """

    def __init__(self, theta: np.ndarray, cfg: TrainConfig, decay: list[np.ndarray] = ()) -> None:
        self.theta, self.cfg, self.decay, self.t = theta, cfg, list(decay), 0
        self.m, self.v, self.s = (np.zeros_like(theta) for _ in range(3))  # s: scratch

    def step(self, g: np.ndarray, lr: float) -> None:
        """One update of θ by the gradient `g` (shaped like θ) at learning rate `lr`."""
        c, self.t = self.cfg, self.t + 1
        m, v, s = self.m, self.v, self.s
        m *= c.beta1
        m += g
        v *= c.beta2
        v += np.multiply(g, g, out=s)
        if c.weight_decay:
            for W in self.decay:
                W *= 1 - lr * c.weight_decay
        # θ ← θ − lr·√(1 − β2^t)/(1 − β1^t) · m̂/(√v̂ + ε), Adam's m̂ = (1 − β1)·m, v̂ = r²·v
        r = math.sqrt(1 - c.beta2)
        step = lr * math.sqrt(1 - c.beta2 ** self.t) / (1 - c.beta1 ** self.t) * (1 - c.beta1) / r
        np.sqrt(v, out=s)
        s += c.eps / r  # √v̂ + ε = r·(√v + ε/r)
        np.divide(m, s, out=s)
        s *= step
        self.theta -= s


def cosine_lr(cfg: TrainConfig, epoch: int) -> float:
    t = epoch / max(cfg.epochs - 1, 1)
    return cfg.lr_final + 0.5 * (cfg.lr - cfg.lr_final) * (1 + math.cos(math.pi * t))


def finetune(model: Autoencoder, x: np.ndarray, x_val: np.ndarray, x_test: np.ndarray,
             cfg: TrainConfig, rng: np.random.Generator, progress: Progress,
             observer: Observer | None = None) -> tuple[Autoencoder, dict[str, object]]:
    """Backprop on reconstruction MSE; returns the epoch with the lowest validation MSE.

    The test MSE is recorded per epoch for the curves only; it never selects anything.
    """
    observer = observer or Observer()
    model, theta = model.flat()
    observer.unrolled(model)
    g = np.zeros_like(theta)  # dL/dθ; each batch size's Buffers write into its views
    opt = Adam(theta, cfg, model.W)
    full, last = min(cfg.batch_size, len(x)), len(x) % cfg.batch_size  # rows of the batches
    buffers = {n: Buffers(model, n, g) for n in (full, last) if n}
    curves: dict[str, list[float]] = {"train_mse": [], "val_mse": [], "test_mse": []}
    best, best_epoch = model.copy(), 0
    with progress.bar("fine-tune", cfg.epochs) as bar:
        for epoch in range(cfg.epochs):
            lr, total = cosine_lr(cfg, epoch), 0.0
            for idx in batches(len(x), cfg.batch_size, rng):
                buf = buffers[len(idx)]
                np.take(x, idx, axis=0, out=buf.x)
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    loss = model.loss_and_grads(buf.x, buf)[0]
                if not math.isfinite(loss) or loss > cfg.max_loss:
                    raise BuildError(f"fine-tuning diverged: epoch {epoch + 1}, training MSE "
                                     f"{loss:.4g}; lower --lr (now {cfg.lr})")
                opt.step(g, lr)
                total += loss * len(idx)
            assert theta.dtype == F32
            curves["train_mse"].append(total / len(x))
            curves["val_mse"].append(mse(model, x_val))
            curves["test_mse"].append(mse(model, x_test))
            if curves["val_mse"][-1] <= min(curves["val_mse"]):
                best, best_epoch = model.copy(), epoch
            observer.finetune_epoch(epoch, model)
            bar.update(f"train {curves['train_mse'][-1]:.4f} val {curves['val_mse'][-1]:.4f}")
    return best, {**curves, "best_epoch": best_epoch + 1}


def split_validation(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


MIN_TRAIN = 20  # training images below which the validation split and kNN-5 make no sense


@dataclass
class Fitted:
    """A net trained by `fit`: the kept model, its curves and the seconds per phase."""

    model: Autoencoder
    cfg: TrainConfig  # as resolved (epochs fixed)
    rbm_curves: list[list[float]]  # reconstruction error per epoch, per RBM; [] without pretraining
    finetune: dict[str, object]  # train_mse, val_mse, test_mse per epoch; best_epoch (1-based)
    seconds: dict[str, float]  # pretrain, finetune
    x: np.ndarray  # (n_train, 784) the images it was trained on (validation held out)
    n_val: int  # validation images held out


def training_split(ds: Dataset, cfg: TrainConfig, rng: np.random.Generator,
                   ) -> tuple[np.ndarray, np.ndarray, TrainConfig]:
    """Training and validation images `(n_tr, 784)`, `(n_va, 784)`, and `cfg` resolved.

    The first draw of `rng`: every net trained with one seed on one data set gets the
    same split.
    """
    if len(ds.x_train) < MIN_TRAIN or len(ds.x_test) < 1:
        raise BuildError(f"data {ds.source}: {len(ds.x_train)} training and {len(ds.x_test)} test "
                         f"images; expected at least {MIN_TRAIN} and 1")
    assert ds.x_train.dtype == F32 and ds.x_test.dtype == F32
    tr, va = split_validation(len(ds.x_train), cfg.val_fraction, rng)
    return ds.x_train[tr], ds.x_train[va], cfg.resolved(len(tr))


def fit(ds: Dataset, cfg: TrainConfig, progress: Progress | None = None,
        observer: Observer | None = None) -> Fitted:
    """Pretrain (or initialise at random) and fine-tune a net of `cfg.sizes` on `ds`.

    One `np.random.default_rng(cfg.seed)` drives the split, every sampler and shuffle.
    """
    progress, rng = progress or Progress(), np.random.default_rng(cfg.seed)
    x, x_val, cfg = training_split(ds, cfg, rng)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    if cfg.pretrain:
        model, rbm_curves = pretrain(x, cfg, rng, progress, observer)
    else:
        model, rbm_curves = random_init(cfg, rng), []
    seconds["pretrain"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model, ft = finetune(model, x, x_val, ds.x_test, cfg, rng, progress, observer)
    seconds["finetune"] = time.perf_counter() - t0
    return Fitted(model, cfg, rbm_curves, ft, seconds, x, len(x_val))


