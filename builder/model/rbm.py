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

from builder.model.activations import activate, relu, sigmoid
from builder.records.files import BuildError

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

    def flat(self) -> np.ndarray:
        """Moves `W`, `a`, `b` into one new flat vector θ = [W, a, b], as its views; returns θ."""
        theta = np.concatenate([self.W.ravel(), self.a, self.b])
        self.W, self.a, self.b = views(theta, *self.W.shape)
        return theta


def views(theta: np.ndarray, n_v: int, n_h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`W (n_v, n_h)`, `a (n_v,)`, `b (n_h,)` as views of the flat vector `theta`, in that order."""
    k = n_v * n_h
    return theta[:k].reshape(n_v, n_h), theta[k : k + n_v], theta[k + n_v :]


MEAN = {"logistic": "sigmoid", "relu": "relu", "nrelu": "relu", "linear": "linear"}


def mean(units: str, x: np.ndarray) -> np.ndarray:
    """Mean-field activity of the units given their total input `x`: x itself, overwritten."""
    return activate(MEAN[units], x)


def sample(units: str, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One stochastic state of the units given their total input `x`. (n, d) float32, new"""
    noise = rng.standard_normal(x.shape, dtype=F32)
    if units == "nrelu":
        return relu(x + noise * np.sqrt(sigmoid(x)))
    if units == "linear":
        return x + noise
    if units == "logistic":
        return (rng.random(x.shape, dtype=F32) < sigmoid(x)).astype(F32)
    return relu(x)


class CDBuffers:
    """What a CD-k update of `rbm` on batches of `n` rows writes, allocated once.

    `v` (2n, n_v): the batch `v0 = v[:n]` (for the caller to fill) above its
    reconstruction; `h` (2n, n_h): the hidden means of v0 above the last hidden state,
    negated, so that `vᵀh` is the CD statistic; `g`: the gradient [dW, da, db] (`views`);
    `e` (n, n_v) the reconstruction's error; `sign` (2n,) +1 above −1, `ones` (2n,).
    """

    def __init__(self, rbm: RBM, n: int) -> None:
        (n_v, n_h), dt = rbm.W.shape, rbm.W.dtype
        self.n, self.v, self.h = n, np.empty((2 * n, n_v), dt), np.empty((2 * n, n_h), dt)
        self.v0, self.e = self.v[:n], np.empty((n, n_v), dt)
        self.g = np.empty(n_v * n_h + n_v + n_h, dt)
        self.dW, self.da, self.db = views(self.g, n_v, n_h)
        self.sign = np.repeat(np.array([1, -1], dt), n)
        self.ones = np.ones(2 * n, dt)


def cd_step(rbm: RBM, v0: np.ndarray, k: int, rng: np.random.Generator,
            buf: CDBuffers | None = None):
    """CD-k gradient estimate (ascent direction) and the batch reconstruction error.

    Returns `(dW (n_v, n_h), da (n_v,), db (n_h,), err)`, the arrays views of `buf.g`
    (`buf` for len(v0) rows; one is made when not given); err is the mean squared
    difference between `v0` and its mean-field reconstruction after one step.
    """
    n = len(v0)
    buf = CDBuffers(rbm, n) if buf is None else buf
    if v0 is not buf.v0:
        buf.v0[...] = v0
    v, h = buf.v[n:], buf.h[n:]
    a = hidden_input(rbm, buf.v0, buf.h[:n])
    h_k = sample(rbm.hidden, a, rng)
    mean(rbm.hidden, a)  # the positive statistics, h[:n]
    for step in range(k):
        np.matmul(h_k, rbm.W.T, out=v)
        v += rbm.a
        mean(rbm.visible, v)
        if step == 0:
            e = np.subtract(v, buf.v0, out=buf.e)
            err = float(np.dot(e.ravel(), e.ravel())) / e.size
        a = hidden_input(rbm, v, h)
        h_k = sample(rbm.hidden, a, rng) if step < k - 1 else mean(rbm.hidden, a)
    np.negative(h, out=h)
    np.matmul(buf.v.T, buf.h, out=buf.dW)  # v0ᵀh0 − vₖᵀhₖ
    np.matmul(buf.sign, buf.v, out=buf.da)  # Σ v0 − Σ vₖ
    np.matmul(buf.ones, buf.h, out=buf.db)  # Σ h0 − Σ hₖ
    buf.g /= n
    return buf.dW, buf.da, buf.db, err


def hidden_input(rbm: RBM, v: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`v @ W + b`, written into `out`. (n, n_h)"""
    np.matmul(v, rbm.W, out=out)
    out += rbm.b
    return out


MAX_ERROR = 1e4  # a mean squared reconstruction error above this is divergence


def check_finite(err: float, name: str, epoch: int, weights_ok: bool = True) -> None:
    if not (np.isfinite(err) and err < MAX_ERROR and weights_ok):
        raise BuildError(f"pretraining diverged: {name}, epoch {epoch + 1}: reconstruction "
                         f"error {err:.4g}; lower its learning rate")


def train_rbm(rbm: RBM, v: np.ndarray, cfg: RBMConfig, rng: np.random.Generator,
              name: str = "rbm", on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Train `rbm` in place on `v (n, n_v)` float32; returns reconstruction error per epoch.

    Its `W`, `a`, `b` become views of one flat vector θ (`RBM.flat`); each update is
    `u ← μ·u + lr·(g − λ·[W, 0, 0])`, `θ ← θ + u` with g the CD-k estimate.
    """
    assert v.dtype == F32, v.dtype
    n = len(v)
    theta = rbm.flat()
    u = np.zeros_like(theta)
    u_W = views(u, *rbm.W.shape)[0]
    full, last = min(cfg.batch_size, n), n % cfg.batch_size  # rows of the batches
    buffers = {m: CDBuffers(rbm, m) for m in (full, last) if m}
    errors: list[float] = []
    for epoch in range(cfg.epochs):
        mom = cfg.momentum if epoch < 5 else cfg.final_momentum
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            buf = buffers[len(idx)]
            np.take(v, idx, axis=0, out=buf.v0)
            *_, err = cd_step(rbm, buf.v0, cfg.k, rng, buf)
            check_finite(err, name, epoch)
            u *= mom
            buf.g *= cfg.lr
            u += buf.g
            u_W -= np.multiply(rbm.W, cfg.lr * cfg.weight_decay, out=buf.dW)
            theta += u
            total += err * len(idx)
        errors.append(total / n)
        check_finite(errors[-1], name, epoch, np.all(np.isfinite(rbm.W)))
        assert theta.dtype == F32
        if on_epoch is not None:
            on_epoch(epoch, errors[-1])
    return errors
