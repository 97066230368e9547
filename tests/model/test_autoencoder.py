"""The autoencoder's maths: gradients against finite differences, symlog, weights file."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from builder.model.activations import activate, relu, sigmoid
from builder.model.autoencoder import Autoencoder, Buffers, symexp, symlog, views

SMALL = (9, 6, 5, 4, 2)


def small_model(rng: np.random.Generator, output: str = "sigmoid", sizes=SMALL) -> Autoencoder:
    s = list(sizes) + list(sizes[-2::-1])
    W = [rng.normal(0, 0.6, (m, n)).astype(np.float32) for m, n in zip(s, s[1:])]
    b = [rng.normal(0, 0.3, n).astype(np.float32) for n in s[1:]]
    return Autoencoder(W, b, output)


def as_float64(m: Autoencoder) -> Autoencoder:
    m64 = m.copy()
    m64.W = [W.astype(np.float64) for W in m.W]
    m64.b = [b.astype(np.float64) for b in m.b]
    return m64


@pytest.mark.parametrize("output", ["sigmoid", "relu"])
def test_backprop_matches_finite_differences(rng: np.random.Generator, output: str) -> None:
    m = as_float64(small_model(rng, output))
    x = rng.random((7, SMALL[0]))
    _, dW, db = m.loss_and_grads(x)
    h = 1e-6
    for params, grads in ((m.W, dW), (m.b, db)):
        for p, g in zip(params, grads):
            for idx in list(np.ndindex(p.shape))[:: max(1, p.size // 6)]:
                old = p[idx]
                p[idx] = old + h
                up = m.loss_and_grads(x)[0]
                p[idx] = old - h
                down = m.loss_and_grads(x)[0]
                p[idx] = old
                assert g[idx] == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-9)


def test_forward_is_float32_and_chains(rng: np.random.Generator) -> None:
    m = small_model(rng)
    x = rng.random((4, SMALL[0]), dtype=np.float32)
    z = m.encode(x)
    assert z.dtype == np.float32 and z.shape == (4, 2)
    np.testing.assert_array_equal(m.decode(z), m.reconstruct(x))
    loss, dW, db = m.loss_and_grads(x)
    assert all(g.dtype == np.float32 for g in dW + db)
    assert m.sizes == SMALL


def test_code_layer_is_linear_and_hidden_layers_rectified(rng: np.random.Generator) -> None:
    m = small_model(rng, "relu")
    x = rng.random((50, SMALL[0]), dtype=np.float32)
    hs = m.forward(x)
    assert (hs[4] < 0).any(), "the 2-D code must be able to go negative"
    for i in (1, 2, 3, 5, 6, 7, 8):
        assert (hs[i] >= 0).all()


def test_inputs_are_not_mutated(rng: np.random.Generator) -> None:
    m = small_model(rng)
    x = rng.random((5, SMALL[0]), dtype=np.float32)
    x0, W0 = x.copy(), [W.copy() for W in m.W]
    m.loss_and_grads(x)
    m.reconstruct(x)
    np.testing.assert_array_equal(x, x0)
    for a, b in zip(m.W, W0):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, (16,), elements=st.floats(-1e4, 1e4, width=32)))
def test_symlog_inverts(z: np.ndarray) -> None:
    u = symlog(z)
    assert u.dtype == np.float32
    np.testing.assert_allclose(symexp(u), z, rtol=2e-6, atol=1e-6)
    assert np.array_equal(np.sign(u), np.sign(z))


def test_symlog_known_values() -> None:
    z = np.array([-(np.e - 1), 0, np.e ** 2 - 1], dtype=np.float32)
    np.testing.assert_allclose(symlog(z), [-1, 0, 2], rtol=1e-6)


def test_float64_weights_are_refused(rng: np.random.Generator) -> None:
    m = small_model(rng)
    with pytest.raises(TypeError, match="float32"):
        Autoencoder([W.astype(np.float64) for W in m.W], m.b)


def test_shapes_must_chain(rng: np.random.Generator) -> None:
    m = small_model(rng)
    W = list(m.W)
    W[2] = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="layer 2"):
        Autoencoder(W, m.b)


def test_weights_file_round_trip_is_byte_stable(rng: np.random.Generator, tmp_path) -> None:
    m = small_model(rng, "relu")
    m.save(tmp_path / "a.npz", seed=7, data="MNIST", test_mse=0.5)
    m.save(tmp_path / "b.npz", seed=7, data="MNIST", test_mse=0.5)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    m2, meta = Autoencoder.load(tmp_path / "a.npz")
    assert meta == {"seed": 7, "data": "MNIST", "test_mse": 0.5}
    assert m2.output == "relu" and m2.sizes == SMALL
    for a, b in zip(m.W + m.b, m2.W + m2.b):
        assert np.array_equal(a, b) and b.dtype == np.float32
    with np.load(tmp_path / "a.npz") as f:
        assert list(f["activations"]) == ["relu"] * 3 + ["linear"] + ["relu"] * 3 + ["relu"]
        assert list(f["sizes"]) == list(SMALL)


def test_activate_in_place_matches_the_shared_activations(rng: np.random.Generator) -> None:
    a = (rng.standard_normal((64, 784)) * 8).astype(np.float32)
    for kind, reference in (("relu", relu), ("sigmoid", sigmoid), ("linear", lambda v: v)):
        b = a.copy()
        assert activate(kind, b) is b
        assert np.array_equal(b, reference(a)), kind


def test_flat_parameters_are_views_of_one_vector(rng: np.random.Generator) -> None:
    m = small_model(rng)
    f, theta = m.flat()
    assert theta.dtype == np.float32 and theta.shape == (sum(W.size + b.size for W, b in zip(m.W, m.b)),)
    for a, b in zip(m.W + m.b, f.W + f.b):
        assert np.array_equal(a, b) and b.base is theta and b.flags.c_contiguous
    theta += 1  # one write to θ is a write to every layer
    for a, b in zip(m.W + m.b, f.W + f.b):
        np.testing.assert_array_equal(b, a + 1)
    W, b = views(np.arange(theta.size, dtype=np.float32), [W.shape for W in m.W])
    assert W[0][0, 0] == 0 and b[0][0] == W[0].size and W[1][0, 0] == W[0].size + b[0].size
    with pytest.raises(ValueError, match="flat vector"):
        views(theta[:-1], [W.shape for W in m.W])


def test_reused_buffers_give_the_gradients_of_fresh_ones(rng: np.random.Generator) -> None:
    m, theta = small_model(rng).flat()
    g = np.zeros_like(theta)
    gW, gb = views(g, [W.shape for W in m.W])
    bufs = {n: Buffers(m, n, g) for n in (7, 3)}
    for n in (7, 3, 7):  # two batch sizes share one flat gradient vector
        x = rng.random((n, SMALL[0]), dtype=np.float32)
        want_loss, want_dW, want_db = m.copy().loss_and_grads(x)  # fresh buffers
        bufs[n].x[...] = x
        loss, dW, db = m.loss_and_grads(bufs[n].x, bufs[n])
        assert loss == pytest.approx(want_loss, rel=1e-6)
        for got, want, view in zip(dW + db, want_dW + want_db, gW + gb):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
            assert np.shares_memory(got, view) and np.array_equal(got, view)
