"""RBMs: contrastive divergence learns, stays float32, and reports divergence clearly."""

from __future__ import annotations

import numpy as np
import pytest

from builder.model.rbm import RBM, CDBuffers, RBMConfig, cd_step, sample, train_rbm
from builder.records.files import BuildError


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


def reference_cd(rbm: RBM, v0: np.ndarray, k: int, rng: np.random.Generator):
    """CD-k written out with allocating operations, the float64 error beside it."""
    pos_h, h = rbm.h_mean(v0), rbm.h_sample(v0, rng)
    for step in range(k):
        v = rbm.v_mean(h)
        if step == 0:
            err = float(np.mean((v.astype(np.float64) - v0) ** 2))
        h = rbm.h_sample(v, rng) if step < k - 1 else rbm.h_mean(v)
    n = len(v0)
    return (v0.T @ pos_h - v.T @ h) / n, (v0 - v).mean(axis=0), (pos_h - h).mean(axis=0), err


@pytest.mark.parametrize("visible, hidden, k", [("logistic", "nrelu", 1), ("relu", "linear", 1),
                                                ("logistic", "nrelu", 3)])
def test_buffered_cd_step_is_the_written_out_one(visible: str, hidden: str, k: int) -> None:
    rng = np.random.default_rng(7)
    v = bars(rng, 60)
    rbm = RBM.init(36, 8, visible, hidden, 0.3, rng, v.mean(axis=0))
    rbm.b += rng.normal(0, 0.5, 8).astype(np.float32)
    buf = CDBuffers(rbm, 20)
    for batch in (v[:20], v[20:40]):  # the same buffers twice
        buf.v0[...] = batch
        got = cd_step(rbm, buf.v0, k, np.random.default_rng(1), buf)
        want = reference_cd(rbm, batch, k, np.random.default_rng(1))
        assert all(g.dtype == np.float32 for g in got[:3])
        for g, w in zip(got[:3], want[:3]):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)
        assert got[3] == pytest.approx(want[3], rel=1e-5)
        assert np.shares_memory(got[0], buf.g) and np.array_equal(buf.v0, batch)


def test_flat_rbm_parameters_are_views_of_one_vector(rng: np.random.Generator) -> None:
    rbm = RBM.init(36, 8, "logistic", "nrelu", 0.1, rng, bars(rng, 50).mean(axis=0))
    before = [p.copy() for p in (rbm.W, rbm.a, rbm.b)]
    theta = rbm.flat()
    assert theta.shape == (36 * 8 + 36 + 8,) and theta.dtype == np.float32
    for p, b in zip((rbm.W, rbm.a, rbm.b), before):
        assert p.base is theta and np.array_equal(p, b)
    theta[:] = 0
    assert not (rbm.W.any() or rbm.a.any() or rbm.b.any())
