"""Restricted Boltzmann machines trained by contrastive divergence (CD-k).

Reads float32 `(n, d)` arrays in memory and writes nothing: `pretrain` in
`training.py` stacks these into a deep belief net and saves the result.

Unit types: `logistic` (pixels in [0, 1]), `relu` (rectified, for the visible side of
upper layers: mean-field `max(0, a)`), `nrelu` (noisy rectified linear hidden units,
Nair & Hinton 2010: `max(0, a + N(0, σ(a)))`), `linear` (Gaussian, unit variance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import relu, sigmoid
from .files import BuildError

F32 = np.float32


@dataclass(frozen=True)
class RBMConfig:
    lr: float = 0.01  # learning rate of CD updates
    epochs: int = 20  # sweeps through the training data
    batch_size: int = 100  # examples per CD update
    k: int = 1  # Gibbs steps per CD update (CD-k)
    momentum: float = 0.5  # momentum for the first 5 epochs ...
    final_momentum: float = 0.9  # ... and from then on
    weight_decay: float = 2e-4  # L2 penalty on W


@dataclass
class RBM:
    """Weights `W (n_v, n_h)`, visible bias `a (n_v,)`, hidden bias `b (n_h,)`."""

    W: np.ndarray
    a: np.ndarray
    b: np.ndarray
    visible: str
    hidden: str

    @classmethod
    def init(cls, n_v: int, n_h: int, visible: str, hidden: str, std: float,
             rng: np.random.Generator, v_mean: np.ndarray | None = None) -> "RBM":
        W = (std * rng.standard_normal((n_v, n_h))).astype(F32)
        a = np.zeros(n_v, F32)
        if visible == "logistic" and v_mean is not None:
            p = np.clip(v_mean, 1e-3, 1 - 1e-3)
            a = np.log(p / (1 - p)).astype(F32)
        return cls(W, a, np.zeros(n_h, F32), visible, hidden)

    def h_mean(self, v: np.ndarray) -> np.ndarray:
        """Deterministic hidden activity used to feed the next layer. (n, n_h)"""
        return mean(self.hidden, v @ self.W + self.b)

    def v_mean(self, h: np.ndarray) -> np.ndarray:
        """Mean-field reconstruction of the visible units. (n, n_v)"""
        return mean(self.visible, h @ self.W.T + self.a)

    def h_sample(self, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return sample(self.hidden, v @ self.W + self.b, rng)


def mean(units: str, x: np.ndarray) -> np.ndarray:
    if units == "logistic":
        return sigmoid(x)
    if units in ("relu", "nrelu"):
        return relu(x)
    return x


def sample(units: str, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One stochastic state of the units given their total input `x`. (n, d) float32"""
    noise = rng.standard_normal(x.shape, dtype=F32)
    if units == "nrelu":
        return relu(x + noise * np.sqrt(sigmoid(x)))
    if units == "linear":
        return x + noise
    if units == "logistic":
        return (rng.random(x.shape, dtype=F32) < sigmoid(x)).astype(F32)
    return relu(x)


def cd_step(rbm: RBM, v0: np.ndarray, k: int, rng: np.random.Generator):
    """CD-k gradient estimate (ascent direction) and the batch reconstruction error.

    Returns `(dW (n_v, n_h), da (n_v,), db (n_h,), err)`; err is the mean squared
    difference between `v0` and its mean-field reconstruction after one step.
    """
    pos_h = rbm.h_mean(v0)
    h = rbm.h_sample(v0, rng)
    for step in range(k):
        v = rbm.v_mean(h)
        if step == 0:
            err = float(np.mean((v - v0) ** 2, dtype=np.float64))
        hk = rbm.h_mean(v)
        h = rbm.h_sample(v, rng) if step < k - 1 else hk
    n = F32(len(v0))
    dW = (v0.T @ pos_h - v.T @ h) / n
    da = (v0 - v).mean(axis=0)
    db = (pos_h - h).mean(axis=0)
    return dW, da, db, err


MAX_ERROR = 1e4  # a mean squared reconstruction error above this is divergence


def check_finite(err: float, name: str, epoch: int, weights_ok: bool = True) -> None:
    if not (np.isfinite(err) and err < MAX_ERROR and weights_ok):
        raise BuildError(f"pretraining diverged: {name}, epoch {epoch + 1}: reconstruction "
                         f"error {err:.4g}; lower its learning rate")


def train_rbm(rbm: RBM, v: np.ndarray, cfg: RBMConfig, rng: np.random.Generator,
              name: str = "rbm", on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Train `rbm` in place on `v (n, n_v)` float32; returns reconstruction error per epoch."""
    assert v.dtype == F32, v.dtype
    n = len(v)
    vel = [np.zeros_like(p) for p in (rbm.W, rbm.a, rbm.b)]
    errors: list[float] = []
    lr = F32(cfg.lr)
    for epoch in range(cfg.epochs):
        mom = F32(cfg.momentum if epoch < 5 else cfg.final_momentum)
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, cfg.batch_size):
            batch = v[order[start : start + cfg.batch_size]]
            dW, da, db, err = cd_step(rbm, batch, cfg.k, rng)
            check_finite(err, name, epoch)
            dW -= F32(cfg.weight_decay) * rbm.W
            for p, g, u in zip((rbm.W, rbm.a, rbm.b), (dW, da, db), vel):
                u *= mom
                u += lr * g
                p += u
            total += err * len(batch)
        errors.append(total / n)
        check_finite(errors[-1], name, epoch, np.all(np.isfinite(rbm.W)))
        assert rbm.W.dtype == F32 and rbm.a.dtype == F32 and rbm.b.dtype == F32
        if on_epoch is not None:
            on_epoch(epoch, errors[-1])
    return errors
