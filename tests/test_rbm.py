"""RBMs: contrastive divergence learns, stays float32, and reports divergence clearly."""

from __future__ import annotations

import numpy as np
import pytest

from builder.files import BuildError
from builder.rbm import RBM, RBMConfig, cd_step, sample, train_rbm


def bars(rng: np.random.Generator, n: int = 600, side: int = 6) -> np.ndarray:
    """Images of random horizontal or vertical bars: structure an RBM can learn."""
    x = np.zeros((n, side, side), np.float32)
    for img in x:
        lines = rng.random(side) < 0.3
        if rng.random() < 0.5:
            img[lines, :] = 1
        else:
            img[:, lines] = 1
    return x.reshape(n, -1)


@pytest.mark.parametrize("visible, hidden", [("logistic", "nrelu"), ("relu", "nrelu"), ("relu", "linear")])
def test_cd_lowers_reconstruction_error(rng: np.random.Generator, visible: str, hidden: str) -> None:
    v = bars(rng)
    rbm = RBM.init(36, 16, visible, hidden, 0.01, rng, v.mean(axis=0))
    lr = 0.01 if hidden == "nrelu" else 0.002
    errors = train_rbm(rbm, v, RBMConfig(lr=lr, epochs=15, batch_size=20), rng)
    assert len(errors) == 15
    assert errors[-1] < 0.7 * errors[0], errors
    assert rbm.W.dtype == rbm.a.dtype == rbm.b.dtype == np.float32


def test_cd_k_runs_k_steps_and_keeps_float32(rng: np.random.Generator) -> None:
    v = bars(rng, 40)
    rbm = RBM.init(36, 8, "logistic", "nrelu", 0.1, rng)
    for k in (1, 3):
        dW, da, db, err = cd_step(rbm, v, k, rng)
        assert dW.shape == (36, 8) and da.shape == (36,) and db.shape == (8,)
        assert dW.dtype == np.float32 and np.isfinite(err)


def test_training_does_not_mutate_data(rng: np.random.Generator) -> None:
    v = bars(rng, 100)
    v0 = v.copy()
    train_rbm(RBM.init(36, 8, "logistic", "nrelu", 0.01, rng), v, RBMConfig(epochs=2), rng)
    np.testing.assert_array_equal(v, v0)


def test_divergence_names_layer_and_epoch(rng: np.random.Generator) -> None:
    v = bars(rng, 200) * 50
    rbm = RBM.init(36, 16, "relu", "linear", 0.5, rng)
    with pytest.raises(BuildError, match=r"RBM 3 \(36→16\), epoch \d+"):
        train_rbm(rbm, v, RBMConfig(lr=5.0, epochs=30, batch_size=10), rng, name="RBM 3 (36→16)")


def test_noisy_relu_samples(rng: np.random.Generator) -> None:
    x = np.full((20000, 1), 2.0, np.float32)
    s = sample("nrelu", x, rng)
    assert (s >= 0).all() and s.dtype == np.float32
    # mean of max(0, 2 + N(0, sigmoid(2))) is close to 2 (little mass below zero)
    assert abs(s.mean() - 2.0) < 0.03
    assert abs(s.var() - 1 / (1 + np.exp(-2))) < 0.05
