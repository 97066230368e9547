"""Small shared pieces of the benchmark: statistics, MAC counts, threads, machine facts."""

from __future__ import annotations

import math
import os
import platform
import statistics
from pathlib import Path
from typing import Iterable, Sequence

from builder.model.autoencoder import SIZES

ROOT = Path(__file__).resolve().parent.parent

# Every variable that sets the thread count of a BLAS or OpenMP runtime that numpy or
# torch may load. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the machine has them.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
# Variables that change which kernels a library picks; reported, never changed.
KERNEL_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE", "MKL_DEBUG_CPU_TYPE",
               "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")


# ---------------------------------------------------------------- statistics


def timing(values: Iterable[float]) -> dict[str, object]:
    """min, median, max (and n, the values) of a list of timings."""
    v = [float(x) for x in values]
    if not v:
        return {"n": 0, "min": None, "median": None, "max": None, "values": []}
    return {"n": len(v), "min": min(v), "median": statistics.median(v), "max": max(v), "values": v}


def spread(values: Iterable[float]) -> dict[str, object]:
    """mean, min, max and sample standard deviation of per-seed results."""
    v = [float(x) for x in values]
    if not v:
        return {"n": 0, "mean": None, "min": None, "max": None, "sd": None, "values": []}
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return {"n": len(v), "mean": statistics.fmean(v), "min": min(v), "max": max(v), "sd": sd,
            "values": v}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), linear between closest ranks (numpy's default)."""
    v = sorted(float(x) for x in values)
    if not v:
        raise ValueError("percentile of no values")
    pos = (len(v) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def ratio_pairs(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """Ratios a[i]/b[i] of paired measurements (round i of an A B A B run)."""
    return [x / y for x, y in zip(a, b) if y > 0]


# ---------------------------------------------------------------- multiply-accumulates


def layer_sizes(sizes: Sequence[int] = SIZES) -> list[int]:
    """Widths of the unrolled net: 784→100→50→25→2→25→50→100→784."""
    return list(sizes) + list(sizes[-2::-1])


def layer_macs(sizes: Sequence[int] = SIZES) -> list[int]:
    full = layer_sizes(sizes)
    return [m * n for m, n in zip(full, full[1:])]


def macs_forward(sizes: Sequence[int] = SIZES) -> int:
    """Multiply-accumulates of one image through encoder and decoder (matrix products only)."""
    return sum(layer_macs(sizes))


def macs_decode(sizes: Sequence[int] = SIZES) -> int:
    """Multiply-accumulates of decoding one 2-D code into an image."""
    macs = layer_macs(sizes)
    return sum(macs[len(macs) // 2 :])


def macs_train_example(sizes: Sequence[int] = SIZES) -> int:
    """Forward, weight gradients (same count) and input gradients of every layer but the first."""
    macs = layer_macs(sizes)
    return 3 * sum(macs) - macs[0]


def macs_epoch(n_train: int, n_eval: int, sizes: Sequence[int] = SIZES) -> dict[str, int]:
    """MACs of one fine-tuning epoch as builder.model.training.finetune runs it: a backprop sweep
    over `n_train` images, then the validation and test MSE (forward only) on `n_eval`."""
    train = n_train * macs_train_example(sizes)
    evaluate = n_eval * macs_forward(sizes)
    return {"train": train, "evaluate": evaluate, "total": train + evaluate}


def gflops(macs: float, seconds: float | None) -> float | None:
    """GFLOP/s implied by `macs` multiply-accumulates (2 flops each) in `seconds`."""
    if not seconds or seconds <= 0:
        return None
    return 2.0 * macs / seconds / 1e9


# ---------------------------------------------------------------- processes and machine


def thread_env(threads: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment with every thread-count variable set to `threads`."""
    env = dict(os.environ if base is None else base)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def kernel_vars() -> dict[str, str]:
    return {k: os.environ[k] for k in KERNEL_VARS if k in os.environ}


def threadpools() -> list[dict[str, object]]:
    """What threadpoolctl sees in this process (BLAS/OpenMP libraries, threads, kernels)."""
    try:
        import threadpoolctl
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "num_threads", "version", "architecture",
            "threading_layer", "prefix")
    return [{k: info[k] for k in keep if info.get(k) is not None}
            for info in threadpoolctl.threadpool_info()]


def machine() -> dict[str, object]:
    import numpy

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "kernel_vars": kernel_vars(),
    }
