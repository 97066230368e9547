"""The time-lapse (issue 16): what training records (builder/records/history.py), the timelapse
stage (checkpoint decoders, the no-pretraining twin) and the sentence that compares them."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import NODE_MODULES

from builder.model.autoencoder import symlog
from builder.model.training import QUICK, TrainConfig, fit
from builder.records import layout
from builder.records.folder import BuildFolder
from builder.records.files import BuildError
from builder.records.history import LEVELS, PHASES, History, checkpoint_epochs, dequantise, quantise
from builder.records.timelapse import Scores, pretrained_scores
from builder.site.story import pretraining_sentence, within_spread
from builder.stages.export import FAR, NEAR, TOLERANCE, probe_codes, reference_decode, reference_layers, run, session
from builder.stages.timelapse import twin_config


def history_of(build: Path) -> History:
    return BuildFolder.open(build).history()


def test_moments_run_through_the_whole_training(quick_build: Path) -> None:
    h = history_of(quick_build)
    m = BuildFolder.open(quick_build).metrics()
    phases = [PHASES[p] for p in h.phase]
    R, E = m.config["rbm_epochs"], m.config["epochs"]
    assert phases == ["rbm"] * R + ["unrolled"] + ["finetune"] * E + ["kept"]
    assert h.epoch.tolist() == [*range(1, R + 1), 0, *range(1, E + 1), m.finetune.best_epoch]
    ft = np.flatnonzero(h.phase == PHASES.index("finetune"))
    assert np.array_equal(h.mse[ft], np.array(m.finetune.test_mse))   # the curve of the run itself
    assert np.isnan(h.mse[: R]).all() and h.mse[-1] == m.test_mse and h.knn5[-1] == m.knn5
    assert len(h.rows) == m.data.n_test        # every test image (≤ MAX_RECORDED)


def test_snapshots_recomputed_from_the_checkpoints_reproduce_the_stored_codes(quick_build: Path, mnist) -> None:
    h = history_of(quick_build)
    m = BuildFolder.open(quick_build).metrics()
    labels = [h.label(int(k)) for k in h.checkpoint]
    assert labels[0] == "unrolled" and f"fine-tuning epoch {m.finetune.best_epoch}" in labels
    x = mnist.x_test[h.rows]
    for k, model in zip(h.checkpoint.tolist(), h.weights):
        got = h.codes(k)
        want = symlog(model.encode(x)).astype(np.float64)
        err = np.abs(got - want).max(axis=0)
        assert np.all(err <= h.step(k) / 2 + 1e-6 * np.abs(want).max()), (h.label(k), err, h.step(k))
    # the kept moment's codes are the page's final codes, and the kept checkpoint is the kept net
    with np.load(quick_build / layout.POINTS) as p:
        final = p["u"][p["test"]][h.rows]
    assert np.all(np.abs(h.codes(len(h.phase) - 1) - final).max(axis=0) <= h.step(len(h.phase) - 1) / 2 + 1e-6)
    kept = h.weights[labels.index(f"fine-tuning epoch {m.finetune.best_epoch}")]
    with np.load(quick_build / layout.WEIGHTS) as w:
        assert all(np.array_equal(w[f"W{i}"], kept.W[i]) for i in range(len(kept.W)))


def test_quantisation_is_within_half_a_step(rng) -> None:
    u = rng.standard_normal((500, 2)) * [3, 0.01] + [1, -2]
    q, lo, hi = quantise(u)
    step = (hi.astype(np.float64) - lo) / LEVELS
    assert q.dtype == np.uint16 and np.all(np.abs(dequantise(q, lo, hi) - u) <= step / 2 + 1e-9)


def test_checkpoint_epochs_are_log_spaced() -> None:
    assert checkpoint_epochs(100) == [1, 5, 22]
    assert checkpoint_epochs(3) == [1, 2]
    assert checkpoint_epochs(1) == [1]


def test_recording_does_not_change_the_model(quick_build: Path, mnist) -> None:
    """The recorder only reads: a fit without it gives the same weights."""
    m = BuildFolder.open(quick_build).metrics()
    plain = fit(mnist, dataclasses.replace(TrainConfig(**QUICK), seed=m.config["seed"]))
    with np.load(quick_build / layout.WEIGHTS) as w:
        assert all(np.array_equal(w[f"W{i}"], plain.model.W[i]) for i in range(len(plain.model.W)))


def test_checkpoint_and_twin_onnx_pass_parity(quick_build: Path) -> None:
    h = history_of(quick_build)
    t = BuildFolder.open(quick_build).twin()
    twin, models = t.model, t.decoders
    assert sorted(models) == [f"checkpoint{j}" for j in range(len(h.weights))] + ["twin_decoder"]
    u = np.concatenate([probe_codes(NEAR, 21), probe_codes(FAR, 11)])
    nets = [*zip([f"checkpoint{j}" for j in range(len(h.weights))], h.weights), ("twin_decoder", twin)]
    for key, model in nets:
        s = session(models[key])
        assert np.abs(run(s, u).astype(np.float64) - reference_decode(model, u)).max() <= TOLERANCE, key
        for k, ref in enumerate(reference_layers(model, u)):
            assert np.abs(run(s, u, output=k + 1).astype(np.float64) - ref).max() <= TOLERANCE, key


def test_the_twin_is_the_same_net_from_random_init(quick_build: Path, mnist) -> None:
    m = BuildFolder.open(quick_build).metrics()
    cfg = twin_config(m)
    assert not cfg.pretrain and cfg.epochs == m.config["epochs"] and cfg.seed == m.config["seed"]
    assert dataclasses.replace(cfg, pretrain=True) == dataclasses.replace(TrainConfig(**QUICK), seed=cfg.seed, epochs=cfg.epochs)
    t = BuildFolder.open(quick_build).twin()
    twin_u, twin = t.u, t.model
    again = fit(mnist, cfg).model
    assert all(np.array_equal(a, b) for a, b in zip(again.W, twin.W))
    assert np.array_equal(twin_u, symlog(twin.encode(mnist.x_test)).astype(np.float32))
    rec = BuildFolder.open(quick_build).timelapse()
    assert rec.twin.epochs == m.config["epochs"] and pretrained_scores(m).test_mse == m.test_mse
    assert 0 <= rec.twin.dead_share <= 1 and rec.max_abs_diff <= TOLERANCE


def test_the_stage_names_the_missing_data_cache(quick_build: Path, tmp_path: Path) -> None:
    from builder.stages.timelapse import run_timelapse

    folder = tmp_path / "b"
    shutil.copytree(quick_build, folder)
    (folder / layout.DATA_CACHE).unlink()
    with pytest.raises(BuildError, match=r"data\.npz: the training data cache is missing.*aedemo train"):
        run_timelapse(folder)
    assert layout.Manifest.read(folder).timelapse is not None   # the old record stays


def test_render_without_the_stage_has_no_time_lapse(tmp_path: Path) -> None:
    from factories import make_fake_build

    from builder.site.render import render_site

    build = make_fake_build(tmp_path / "fake")
    render_site(build, tmp_path / "site", NODE_MODULES)
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'id="lapse"' not in html and '"lazy": {}' in html and "mc-lazy" not in html


def S(mse: float, knn: float) -> Scores:
    return Scores(mse, knn, (0.0,), 0.0, 1, 1)


def test_the_sentence_says_which_is_better_from_the_numbers() -> None:
    s = pretraining_sentence(S(0.0363, 0.784), S(0.0378, 0.775))
    assert "0.0363 against 0.0378" in s and "4.0\u202f% lower" in s and "78.4\u202f% against 77.5\u202f%" in s
    assert "pretrained net is ahead on both" in s and "one seed" in s
    s = pretraining_sentence(S(0.040, 0.70), S(0.038, 0.75))
    assert "randomly initialised net is ahead on both" in s
    assert "each is ahead on one" in pretraining_sentence(S(0.036, 0.70), S(0.038, 0.75))
    spread = {"n": 3, "date": "2026-12-02", "pretrained": {"mse_sd": 0.001, "knn5_sd": 0.01},
              "random": {"mse_sd": 0.001, "knn5_sd": 0.01}}
    assert "both differences are within the spread of 3 seeds" in pretraining_sentence(S(0.0363, 0.784), S(0.0370, 0.780), spread)
    assert "beyond" in pretraining_sentence(S(0.030, 0.85), S(0.040, 0.70), spread)
    assert within_spread(0.001, 0.001, 0.001) and not within_spread(0.002, 0.001, 0.001)


def test_the_page_cites_the_bench_spread_of_its_own_config_only(quick_build: Path, tmp_path: Path) -> None:
    """A bench record (bench/pretraining.json, as `make bench` writes it) of this data and
    config gives the sentence the seeds' spread; one of another config is not cited."""
    import json

    from bench.__main__ import pretraining_comparison, pretraining_record
    from bench.common import spread
    from builder.records.timelapse import bench_spread

    m = BuildFolder.open(quick_build).metrics()
    pre = [{"test_mse": 0.046 + 0.001 * i, "knn5": 0.60 + 0.01 * i} for i in range(3)]
    rand = [{"test_mse": 0.052 + 0.0005 * i, "knn5": 0.52 - 0.01 * i} for i in range(3)]
    methods = {"numpy_pretrain": {"test_mse": spread(r["test_mse"] for r in pre), "knn5": spread(r["knn5"] for r in pre)},
               "numpy_random": {"test_mse": spread(r["test_mse"] for r in rand), "knn5": spread(r["knn5"] for r in rand)},
               "pretraining": pretraining_comparison(pre, rand)}
    res = {"date": "2026-12-02T00:54:16+00:00",
           "quality": [{"data": m.data.name, "source": m.data.source, "config": m.config, "methods": methods}]}
    path = tmp_path / "pretraining.json"
    path.write_text(json.dumps(pretraining_record(res)))
    got = bench_spread(m, path)
    assert got is not None and got.n == 3 and got.date == "2026-12-02"
    rec = BuildFolder.open(quick_build).timelapse()
    sentence = pretraining_sentence(pretrained_scores(m), rec.twin, dataclasses.asdict(got))
    assert "the spread of 3 seeds of each" in sentence and "measured 2026-12-02)" in sentence
    assert "make bench" not in sentence   # a fact, not the command that measured it
    assert "both beyond that spread" in sentence     # the made-up nets differ by far more than their seeds
    other = dataclasses.replace(m, config={**m.config, "epochs": m.config["epochs"] + 1})
    assert bench_spread(other, path) is None
    path.write_text("{}")
    with pytest.raises(BuildError, match="not a bench record"):
        bench_spread(m, path)
