"""The training stage: determinism, outputs, evaluation helpers, divergence."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from builder import data
from builder.autoencoder import Autoencoder, symlog
from builder.files import BuildError
from builder.training import (Progress, TrainConfig, cosine_lr, knn_accuracy, nearest, pca2,
                              split_validation, train)

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
        train(small, dataclasses.replace(TINY, seed=seed), tmp_path / name, Progress(quiet=True))
    a, b, c = (weights(tmp_path / n) for n in "abc")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    for f in ("weights.npz", "points.npz"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_outputs_describe_themselves(small: data.Dataset, tmp_path: Path) -> None:
    m = train(small, dataclasses.replace(TINY, output="relu"), tmp_path, Progress(quiet=True))
    model, meta = Autoencoder.load(tmp_path / "weights.npz")
    assert model.output == "relu" and model.sizes == (784, 100, 50, 25, 2)
    assert meta["seed"] == 0 and meta["data"] == "MNIST" and meta["test_mse"] == m["test_mse"]
    assert all(p.dtype == np.float32 for p in model.W + model.b)
    with np.load(tmp_path / "points.npz") as p:
        assert p["u"].shape == (800, 2) and p["u"].dtype == np.float32
        assert p["test"].sum() == 200 and p["pca"].shape == (800, 2)
        np.testing.assert_array_equal(p["label"][p["test"]], small.y_test)
        np.testing.assert_allclose(p["u"][p["test"]], symlog(model.encode(small.x_test)), atol=1e-6)
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    assert on_disk["test_mse"] == m["test_mse"]


def test_metrics_have_every_field(small: data.Dataset, tmp_path: Path) -> None:
    m = train(small, TINY, tmp_path, Progress(quiet=True))
    assert m["config"] == dataclasses.asdict(TINY)
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
    train(small, TINY, tmp_path, Progress(quiet=True))
    for a, b in zip(before, (small.x_train, small.y_train, small.x_test)):
        np.testing.assert_array_equal(a, b)


def test_pretrained_net_has_almost_no_dead_units(small: data.Dataset, tmp_path: Path) -> None:
    pre = train(small, TINY, tmp_path / "pre", Progress(quiet=True))
    rand = train(small, dataclasses.replace(TINY, pretrain=False), tmp_path / "rand", Progress(quiet=True))
    assert rand["pretraining"] == [] and len(pre["pretraining"]) == 4
    assert pre["dead_units"][0] < 0.05 and len(pre["dead_units"]) == 3


def test_finetune_divergence_is_a_clear_error(small: data.Dataset, tmp_path: Path) -> None:
    cfg = dataclasses.replace(TINY, lr=50.0, lr_final=50.0, pretrain=False, output="relu")
    with pytest.raises(BuildError, match=r"fine-tuning diverged: epoch \d+"):
        train(small, cfg, tmp_path, Progress(quiet=True))
    assert not (tmp_path / "weights.npz").exists()


def test_bad_config_is_refused() -> None:
    with pytest.raises(BuildError, match="--output"):
        TrainConfig(output="tanh")


def test_validation_split_is_disjoint_and_seeded() -> None:
    tr, va = split_validation(100, 0.1, np.random.default_rng(0))
    assert len(va) == 10 and not set(tr) & set(va) and len(set(tr) | set(va)) == 100
    tr2, va2 = split_validation(100, 0.1, np.random.default_rng(0))
    np.testing.assert_array_equal(va, va2)


def test_knn_matches_brute_force(rng: np.random.Generator) -> None:
    a, ya = rng.normal(size=(300, 2)), rng.integers(0, 4, 300)
    q, yq = rng.normal(size=(100, 2)), rng.integers(0, 4, 100)
    correct = 0
    for p, y in zip(q, yq):
        order = np.argsort(((a - p) ** 2).sum(1), kind="stable")[:5]
        counts = np.bincount(ya[order], minlength=4)
        best = np.flatnonzero(counts == counts.max())
        pred = next(ya[i] for i in order if ya[i] in best)  # tie: the nearest tied class
        correct += pred == y
    assert knn_accuracy(a, ya, q, yq) == correct / 100


def test_pca2_on_data_that_lies_in_a_plane(rng: np.random.Generator) -> None:
    basis = np.linalg.qr(rng.normal(size=(784, 2)))[0].T
    x = (rng.normal(size=(400, 2)) @ basis + 0.5).astype(np.float32)
    y = (x @ basis[0] > 0.5 * basis[0].sum()).astype(np.uint8)
    r, codes = pca2(x[:300], x[300:], y[:300], y[300:])
    assert r["test_mse"] < 1e-10 and r["knn5"] > 0.9
    assert codes.shape == (400, 2) and codes.dtype == np.float32
    # the codes are the data's coordinates in the plane, up to rotation: distances agree
    d = lambda c: ((c[:, None] - c[None]) ** 2).sum(-1)  # noqa: E731
    np.testing.assert_allclose(d(codes[:50]), d(x[:50].astype(np.float64)), atol=1e-4)


def test_cosine_schedule_ends_at_final_lr() -> None:
    cfg = TrainConfig(epochs=10, lr=1e-3, lr_final=1e-4)
    assert cosine_lr(cfg, 0) == pytest.approx(1e-3) and cosine_lr(cfg, 9) == pytest.approx(1e-4)


@pytest.mark.parametrize("n, k", [(3000, 5), (7, 5), (5, 5), (3, 3)])
def test_nearest_is_exact_on_clustered_and_tiny_sets(rng: np.random.Generator, n: int, k: int) -> None:
    a = np.exp(2 * rng.normal(size=(n, 2))) * rng.choice([-1, 1], (n, 2))  # heavy tails, clusters
    q = np.concatenate([np.exp(2 * rng.normal(size=(200, 2))), a[:5] + 1e-9])
    got = nearest(a, q, k)
    want = np.array([np.argsort(((a - p) ** 2).sum(1), kind="stable")[:k] for p in q])
    d_got = np.take_along_axis(((a[None] - q[:, None]) ** 2).sum(-1), got, 1)
    d_want = np.take_along_axis(((a[None] - q[:, None]) ** 2).sum(-1), want, 1)
    np.testing.assert_array_equal(d_got, d_want)


def test_automatic_epochs_follow_the_data_size() -> None:
    assert TrainConfig().resolved(8100).epochs == 100
    assert TrainConfig().resolved(54000).epochs == 30
    assert TrainConfig().resolved(10**7).epochs == 10
    assert TrainConfig(epochs=7).resolved(54000).epochs == 7
