"""Fast unit tests of the benchmark's helpers (bench/); the benchmark itself is `make bench`.

The PyTorch reference must compute what aedemo computes: the same loss and gradients
for the same weights, the same Adam step, and the same fine-tuning run. Those tests
are skipped when torch (the bench extra) is not installed.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request

import numpy as np
import time

import pytest
from factories import serve  # noqa: E402

from bench import common, report
from bench.__main__ import Plan, make_plan, parse_args, run_worker
from bench.browser import site_bytes  # noqa: E402
from bench.worker import OverBudget, TimingProgress  # noqa: E402
from builder.model.autoencoder import Buffers  # noqa: E402
from builder.model.training import Adam, Progress, TrainConfig, finetune, random_init  # noqa: E402

# ---------------------------------------------------------------- statistics and counts


def test_timing_spread_percentile() -> None:
    t = common.timing([3.0, 1.0, 2.0, 10.0])
    assert (t["n"], t["min"], t["median"], t["max"]) == (4, 1.0, 2.5, 10.0)
    assert common.timing([])["median"] is None
    s = common.spread([1.0, 3.0])
    assert (s["mean"], s["min"], s["max"]) == (2.0, 1.0, 3.0)
    assert s["sd"] == pytest.approx(np.std([1.0, 3.0], ddof=1))
    assert common.spread([5.0])["sd"] == 0.0
    values = np.random.default_rng(0).random(2000)
    for q in (0, 50, 99, 100):
        assert common.percentile(list(values), q) == pytest.approx(np.percentile(values, q))
    assert common.ratio_pairs([2.0, 3.0], [1.0, 6.0]) == [2.0, 0.5]


def test_multiply_accumulates() -> None:
    assert common.layer_sizes() == [784, 100, 50, 25, 2, 25, 50, 100, 784]
    assert common.macs_decode() == 2 * 25 + 25 * 50 + 50 * 100 + 100 * 784 == 84_700
    assert common.macs_forward() == 2 * 84_700
    # forward + weight gradients (each = forward) + input gradients of layers 2..8
    assert common.macs_train_example() == 3 * 169_400 - 784 * 100
    e = common.macs_epoch(8100, 1900)
    assert e == {"train": 8100 * 429_800, "evaluate": 1900 * 169_400,
                 "total": 8100 * 429_800 + 1900 * 169_400}
    assert common.gflops(1e9, 1.0) == 2.0
    assert common.gflops(1e9, 0.0) is None


def test_thread_env_sets_every_thread_variable_only() -> None:
    env = common.thread_env(3, {"OPENBLAS_CORETYPE": "Haswell", "PATH": "/bin"})
    assert all(env[v] == "3" for v in common.THREAD_VARS)
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["PATH"] == "/bin"


def test_timing_progress_records_each_step() -> None:
    progress = TimingProgress()
    t0 = time.perf_counter()
    with progress.bar("fine-tune", 3) as bar:
        for _ in range(3):
            time.sleep(0.02)
            bar.update("x")
    with progress.bar("pretrain RBM 1", 2) as bar:
        bar.update("y")
    wall = time.perf_counter() - t0
    steps = progress.seconds("fine-tune")
    assert len(steps) == 3 and len(progress.seconds("pretrain")) == 1
    assert all(s >= 0.015 for s in steps), f"each step's time covers its 20 ms of work: {steps}"
    assert sum(progress.seconds("")) <= wall, "steps are timed apart, never counted twice"


def test_time_budget_cuts_the_timed_run_after_the_minimum_steps() -> None:
    progress = TimingProgress(budget=0.0, min_steps=2)
    steps = 0
    with pytest.raises(OverBudget):
        with progress.bar("fine-tune (PyTorch)", 10) as bar:
            for _ in range(10):
                steps += 1
                bar.update("")
    assert steps == 2 and len(progress.seconds("fine-tune")) == 2
    with progress.bar("pretrain RBM 1", 3) as bar:  # other bars are never cut
        for _ in range(3):
            bar.update("")


def test_plan_flags() -> None:
    plan = make_plan(parse_args(["--quick", "--seeds", "3"]))
    assert plan.quick and plan.seeds == 3 and plan.speed_rounds == Plan.quick_plan().speed_rounds
    full = make_plan(parse_args(["--loads", "7", "--skip", "browser", "--threads", "2,1,2"]))
    assert not full.quick and full.loads == 7 and full.seeds >= 2 and full.decode_calls == 2000
    assert full.threads == (1, 2) and 1 in Plan().threads
    assert full.network_loads == 5 and plan.network_loads == 1
    assert make_plan(parse_args(["--network-loads", "0"])).network_loads == 0
    for bad in (["--seeds", "0"], ["--threads", "0"], ["--threads", "two"]):
        with pytest.raises(SystemExit):
            make_plan(parse_args(bad))


# ---------------------------------------------------------------- report


def fake_results() -> dict:
    t = lambda *v: common.timing(v)  # noqa: E731
    s = lambda *v: common.spread(v)  # noqa: E731
    method = {"test_mse": s(0.03, 0.031), "knn5": s(0.7, 0.72), "epochs": 60}
    return {
        "date": "2030-01-01T00:00:00+00:00", "threads": [1, 2], "plan": {"quick": False},
        "machine": {"cpu": "Test CPU", "cores": 2, "numpy": "2.0", "kernel_vars": {}},
        "load_average": {"start": [0.1, 0, 0], "end": [0.2, 0, 0]},
        "runtime": {"numpy": "openblas", "torch": "2.13.0"},
        "speed": {"rounds": 2, "epochs": 2, "batch_size": 64, "torch_adam": "fused",
                  "macs_epoch": common.macs_epoch(8100, 1900),
                  "threads": {k: {"numpy": t(1.0, 1.2), "torch": t(2.0, 2.2), "ratio": 0.5,
                                  "ratio_rounds": t(0.45, 0.55), "runs_over_budget": 0,
                                  "pretrain_seconds": t(5.0, 6.0),
                                  "profile": {"products": t(0.5, 0.6), "backprop_rest": t(0.1),
                                              "adam": t(0.2), "evaluate": t(0.05),
                                              "gather": t(0.02)}} for k in ("1", "2")}},
        "train_config": {"rbm_lr": [0.01] * 4, "rbm_epochs": 20},
        "build": {"seconds": t(90.0), "stages": {"data": 1.0, "pretrain": 10.0, "total": 80.0}},
        "quality": [{"data": "MNIST", "methods": {
            "pca2": {"test_mse": s(0.055), "knn5": s(0.44)},
            "torch": method, "numpy_random": method, "numpy_pretrain": method}}],
        "browser": {"chromium": "1.0", "loads": {m: {"first_image_ms": t(900.0, 1000.0),
                                                     "ready_ms": t(800.0)} for m in ("http", "file", "bare")},
                    "decode": {"calls": 2000, "clock_resolution_us": 5.0, "run_of": 100,
                               "single_us": {**t(50.0, 70.0), "p50": 55.0, "p99": 90.0},
                               "run_mean_us": {**t(60.0, 61.0), "p50": 60.5, "p99": 61.0}},
                    "batch": {"points": 1024, "ms": t(20.0, 25.0), "how": "ort"},
                    "networks": {"10mbit": {"label": "10 Mbit/s, 40 ms", "pointer_ms": t(800.0, 900.0),
                                            "first_image_ms": t(4300.0, 4400.0), "floor_ms": t(4200.0, 4300.0),
                                            "ratio": t(1.01, 1.03)}}},
        "site": {"files": 10, "bytes": 5_000_000, "gzip9_bytes": 4_000_000},
        "floor": {"macs_decode": 84_700, "n_train": 8100, "n_eval": 1900,
                  "macs_epoch": common.macs_epoch(8100, 1900),
                  "gemm": {"1": {"numpy": {**t(50.0, 60.0), "size": 1024},
                                 "torch": {**t(40.0, 60.0), "size": 1024}}}},
    }


def test_markdown_table_has_every_section_and_straight_columns() -> None:
    text = report.markdown(fake_results())
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len({row.count(" | ") for row in rows if not row.startswith("|---")}) == 1
    for needle in ("aedemo numpy, 1 thread", "PyTorch, 2 threads", "ratio aedemo / PyTorch",
                   "pretraining, aedemo, 2 threads", "GEMM 1024³, PyTorch, 1 thread",
                   "`aedemo build`", "PCA-2", "aedemo, pretrained", "aedemo, no pretraining",
                   "file://", "p99", "1,024 points", "gzip -9", "84,700", "GFLOP/s",
                   "1 thread: matrix products (s) | 0.550 |", "50 % of the epoch; rest of backprop 0.10",
                   "the measured epoch takes 8.0 × that", "onnxruntime-web alone, http (ms) | 950.0"):
        assert needle in text, needle
    json.dumps(fake_results(), allow_nan=False)  # what goes into bench.json is plain JSON


def test_network_and_ratio_rows_read_the_rounds() -> None:
    """The page/floor rows come from the rounds' own values; each emulated network gives
    its pointer, first-image, floor and ratio rows with their targets."""
    r = fake_results()
    r["browser"]["loads"]["http"]["first_image_ms"] = common.timing([1200.0, 900.0, 1000.0])
    r["browser"]["loads"]["bare"]["first_image_ms"] = common.timing([1000.0, 600.0, 1000.0])
    rows = [line for line in report.markdown(r).splitlines() if line.startswith("| browser")]
    loop = next(line for line in rows if "page / floor, http loopback" in line)
    assert "| 1.20 | 1.00 – 1.50 |" in loop and "3 rounds" in loop and "≤ 1.25" in loop
    net = [line for line in rows if line.startswith("| browser | 10 Mbit/s, 40 ms, gzip")]
    assert len(net) == 4
    assert "first answer to the pointer (ms) | 850.0 | 800.0 – 900.0 |" in net[0] and "≤ 1,000 ms" in net[0]
    assert "first decoded image (ms) | 4350 | 4300 – 4400 |" in net[1] and "floor" in net[2]
    assert "page / floor | 1.02 | 1.01 – 1.03 |" in net[3] and "≤ 1.03" in net[3]
    del r["browser"]["networks"]
    assert not any("Mbit/s" in line for line in report.markdown(r).splitlines())


def test_profile_row_never_prints_a_negative_rest() -> None:
    r = fake_results()
    r["speed"]["threads"]["2"]["profile"]["backprop_rest"] = common.timing([0.9])   # parts > epoch
    row = next(line for line in report.markdown(r).splitlines() if "2 threads: matrix products" in line)
    assert "loop and the rest" not in row and "more than the whole epoch" in row and " -0" not in row


def test_report_survives_failed_and_missing_sections() -> None:
    r = fake_results()
    r["speed"] = {"error": "RuntimeError: worker failed"}
    r["browser"] = {"skipped": "no chromium"}
    r["build"] = {"error": "RuntimeError: aedemo build failed\nError: templates/x.js not found"}
    del r["quality"], r["floor"]["gemm"]
    text = report.markdown(r)
    assert "failed" in text and "skipped" in text


def test_number_format() -> None:
    assert report.num(0.012345) == "0.0123"
    assert report.num(1234.6) == "1,235" and report.num(-98765.4) == "-98,765"
    assert report.num(None) == "–"


# ---------------------------------------------------------------- browser helpers


def test_server_serves_the_sub_path_only(tmp_path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><p>hi</p>")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.js").write_bytes(b"a" * 1000)
    sizes = site_bytes(tmp_path)
    assert sizes["files"] == 2 and sizes["bytes"] == 1000 + len("<!doctype html><p>hi</p>")
    assert sizes["gzip9_bytes"] < sizes["bytes"]
    for isolate in (False, True):
        with serve(tmp_path, isolate=isolate) as url:
            assert url.startswith("http://127.0.0.1:") and url.endswith("/aedemo/")
            with urllib.request.urlopen(url) as r:
                assert b"hi" in r.read()
                assert (r.headers.get("Cross-Origin-Embedder-Policy") == "require-corp") == isolate
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(url.replace("/aedemo/", "/index.html"))


# ---------------------------------------------------------------- the PyTorch reference


@pytest.fixture
def torch_ref():
    pytest.importorskip("torch")
    from bench import torch_ref

    return torch_ref


@pytest.mark.parametrize("output", ["sigmoid", "relu"])
def test_torch_computes_the_same_loss_and_gradients(torch_ref, output: str) -> None:
    rng = np.random.default_rng(0)
    model = random_init(TrainConfig(output=output), rng)
    for b in model.b:  # non-zero biases, so their gradients are checked too
        b += rng.normal(0, 0.1, b.shape).astype(np.float32)
    x = rng.random((16, 784), dtype=np.float32)
    net = torch_ref.build_net(model)
    back = torch_ref.to_autoencoder(net, output)
    assert all(np.array_equal(a, b) for a, b in zip(model.W + model.b, back.W + back.b))
    loss, dW, db = model.loss_and_grads(x)
    t_loss, t_dW, t_db = torch_ref.loss_and_grads(net, x)
    assert t_loss == pytest.approx(loss, rel=1e-5)
    for i, (a, b) in enumerate(zip(dW + db, t_dW + t_db)):
        assert a.shape == b.shape, i
        assert np.linalg.norm(a - b) <= 1e-4 * np.linalg.norm(a) + 1e-9, i


@pytest.mark.parametrize("impl", ["fused", "foreach", "default"])
def test_torch_adam_takes_the_same_steps(torch_ref, impl: str) -> None:
    rng = np.random.default_rng(1)
    cfg = dataclasses.replace(TrainConfig(), weight_decay=0.01)
    model, theta = random_init(cfg, rng).flat()
    net = torch_ref.build_net(model)
    ours, theirs = Adam(theta, cfg, model.W), torch_ref.AdamLikeAedemo(net, cfg, impl)
    x = rng.random((32, 784), dtype=np.float32)
    buf = Buffers(model, len(x))
    for lr in (1e-3, 8e-4, 5e-4, 2e-4):
        model.loss_and_grads(x, buf)
        ours.step(buf.grads, lr)
        torch_ref.loss_and_grads(net, x)
        theirs.step(lr)
    got = torch_ref.to_autoencoder(net, cfg.output)
    for a, b in zip(model.W + model.b, got.W + got.b):
        np.testing.assert_allclose(b, a, rtol=0, atol=2e-6)


def test_torch_finetune_follows_aedemo_epoch_by_epoch(torch_ref) -> None:
    rng = np.random.default_rng(2)
    x, x_val, x_test = (rng.random((n, 784), dtype=np.float32) ** 4 for n in (300, 60, 60))
    cfg = dataclasses.replace(TrainConfig(), epochs=3, batch_size=64)
    model = random_init(cfg, np.random.default_rng(3))
    quiet = Progress()
    best, ft = finetune(model, x, x_val, x_test, cfg, np.random.default_rng(4), quiet)
    net, t_ft = torch_ref.finetune(torch_ref.build_net(model), x, x_val, x_test, cfg,
                                   np.random.default_rng(4), quiet)
    assert t_ft["best_epoch"] == ft["best_epoch"]
    for key in ("train_mse", "val_mse", "test_mse"):
        np.testing.assert_allclose(t_ft[key], ft[key], rtol=1e-4)
    # Adam moves a weight whose gradient is ~0 by up to lr per step whichever sign float32
    # round-off gives that gradient, so compare the whole layers, not single weights.
    got = torch_ref.to_autoencoder(net, cfg.output)
    for a, b in zip(best.W + best.b, got.W + got.b):
        assert np.linalg.norm(a - b) <= 1e-3 * np.linalg.norm(a) + 1e-6


# ---------------------------------------------------------------- the worker process


def test_worker_times_epochs_in_its_own_process(tmp_path) -> None:
    r = run_worker({"kind": "speed", "impl": "numpy", "seed": 0, "epochs": 1, "warmup": 0,
                    "cache": str(tmp_path / "data.npz"), "profile": True}, threads=1)
    assert len(r["epoch_seconds"]) == 1 and r["epoch_seconds"][0] > 0
    assert set(r["profile"]) == {"gather", "products", "backprop_rest", "adam", "evaluate"}
    assert 0 < r["profile"]["products"] < r["epoch_seconds"][0] * 2
    assert r["n_train"] + r["n_eval"] == 10_000 and r["batch_size"] == TrainConfig.batch_size
    assert all(p["num_threads"] == 1 for p in r["runtime"]["threadpools"])


def test_pretraining_comparison_agrees_with_the_pages_sentence() -> None:
    """`make bench` compares pretrained and random init over its seeds (mean and spread of
    the per-seed differences); fed the same figures, the page's sentence says the same."""
    from bench.__main__ import pretraining_comparison, quality_methods
    from bench.report import quality_rows
    from builder.records.timelapse import Scores
    from builder.site.story import pretraining_sentence

    pre = [{"test_mse": 0.0363, "knn5": 0.784}, {"test_mse": 0.0366, "knn5": 0.770}, {"test_mse": 0.0361, "knn5": 0.791}]
    rand = [{"test_mse": 0.0378, "knn5": 0.775}, {"test_mse": 0.0372, "knn5": 0.781}, {"test_mse": 0.0375, "knn5": 0.770}]
    cmp = pretraining_comparison(pre, rand)
    assert cmp["seeds"] == 3
    assert abs(cmp["test_mse"]["difference"]["mean"] - (0.03633333 - 0.03750)) < 1e-6
    sd = lambda rs, k: float(np.std([r[k] for r in rs], ddof=1))  # noqa: E731
    spread = {"n": 3, "date": "2026-12-02",
              "pretrained": {"mse_sd": sd(pre, "test_mse"), "knn5_sd": sd(pre, "knn5")},
              "random": {"mse_sd": sd(rand, "test_mse"), "knn5_sd": sd(rand, "knn5")}}
    mean = lambda rs, k: float(np.mean([r[k] for r in rs]))  # noqa: E731
    sentence = pretraining_sentence(Scores(mean(pre, "test_mse"), mean(pre, "knn5"), (0.0,), 0.0, 1, 1),
                                    Scores(mean(rand, "test_mse"), mean(rand, "knn5"), (0.0,), 0.0, 1, 1), spread)
    assert cmp["test_mse"]["within_spread"] is False and cmp["knn5"]["within_spread"] is True
    assert "the MSE difference is beyond" not in sentence and "kNN-5 difference is within and the MSE difference beyond" in sentence
    q = {"data": "MNIST", "methods": {"pretraining": cmp}}
    rows = [r for r in quality_rows({"quality": [q]}) if "pretrained − no pretraining" in r[1]]
    assert [r[4].split("; ")[1].split(" (")[0] for r in rows] == ["beyond the seeds' spread", "within the seeds' spread"]
    assert quality_methods("pretraining") == ("numpy_random", "numpy_pretrain")
