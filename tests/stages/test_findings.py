"""The findings stage: known truth on tiny synthetic data, the same findings through
onnxruntime as in findings.json, and the story's prose true to them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from builder.records import layout
from builder.site.story import story_context
from builder.stages import findings
from builder.stages.findings import FindingsConfig, groups_of, path_score, shift

CFG = FindingsConfig()


def blob(rng: np.random.Generator, centre: tuple[float, float], n: int, sd: float = 0.15) -> np.ndarray:
    return rng.normal(centre, sd, (n, 2))


def test_a_class_of_two_prototypes_is_split_and_a_blob_is_not(rng: np.random.Generator) -> None:
    two = np.concatenate([blob(rng, (-2, 0), 300), blob(rng, (2, 0.5), 200)])
    groups = groups_of(two, CFG)
    assert len(groups) == 2
    assert sorted(len(g["members"]) for g in groups) == [200, 300]
    centres = sorted(tuple(np.round(g["centre"])) for g in groups)
    assert centres == [(-2.0, 0.0), (2.0, 0.0)] or centres == [(-2.0, -0.0), (2.0, 1.0)]
    assert len(groups_of(blob(rng, (0, 0), 500), CFG)) == 1
    # a stray handful is no group: below 5 % of the class
    few = np.concatenate([blob(rng, (0, 0), 500), blob(rng, (5, 5), 10, 0.05)])
    assert len(groups_of(few, CFG)) == 1


def prototype(dx: int = 0) -> np.ndarray:
    img = np.zeros((28, 28), np.float32)
    img[6:22, 10 + dx : 13 + dx] = 1.0       # a vertical stroke
    return img.ravel()


def test_a_jump_between_shifted_prototypes_is_abrupt_and_a_blend_is_smooth() -> None:
    a, b = prototype(0), prototype(8)         # the same stroke 8 pixels over: no pixel in common
    t = np.linspace(0, 1, 16)[:, None]
    jump = np.where(t < 0.5, a, b)            # the path holds A, then B: one step does it all
    blend = (1 - t) * a + t * b               # a gradual blend
    real = np.concatenate([jump, blend])      # every image on both paths is "real" here
    gap = findings.typical_gap(np.stack([prototype(k) for k in range(9)]))
    sharp = path_score(jump.astype(np.float32), real, gap, CFG)
    smooth = path_score(blend.astype(np.float32), real, gap, CFG)
    assert sharp["kind"] == "abrupt" and sharp["jump"] == 1.0
    assert smooth["kind"] == "smooth" and smooth["jump"] == pytest.approx(1 / 15, abs=1e-4)
    # a smooth path through images no one ever wrote is abrupt too
    noise = np.random.default_rng(0).random((16, 784)).astype(np.float32)
    strange = path_score((blend * 0.2 + noise * (t * (1 - t) * 4)).astype(np.float32),
                         np.stack([a, b]), gap, CFG)
    assert strange["unfamiliar"] > 2 and strange["kind"] == "abrupt"


def test_shift_moves_whole_pixels_with_zeros_coming_in() -> None:
    x = np.arange(784, dtype=np.float32)[None] + 1
    s = shift(x, 2, -1).reshape(28, 28)
    ref = np.zeros((28, 28), np.float32)
    ref[:27, 2:] = x.reshape(28, 28)[1:, :26]
    np.testing.assert_array_equal(s, ref)
    assert np.array_equal(shift(shift(x, 3, 0), -3, 0).reshape(28, 28)[:, :25], x.reshape(28, 28)[:, :25])


def ort_maps(build: Path):
    """The exported models in Python onnxruntime: (decode, encode)."""
    dec = ort.InferenceSession(str(build / "decoder.onnx"), providers=["CPUExecutionProvider"])
    enc = ort.InferenceSession(str(build / "encoder.onnx"), providers=["CPUExecutionProvider"])
    run = lambda s, x: np.concatenate([s.run(None, {s.get_inputs()[0].name: x[i : i + 2048]})[0]  # noqa: E731
                                       for i in range(0, len(x), 2048)])
    return (lambda u: run(dec, np.asarray(u, np.float32)), lambda x: run(enc, np.asarray(x, np.float32)))


def test_findings_recomputed_through_onnxruntime_agree(quick_build: Path) -> None:
    stored = json.loads((quick_build / layout.FINDINGS).read_text())
    with np.load(quick_build / "points.npz") as p, np.load(quick_build / "digits.npz") as d:
        decode, encode = ort_maps(quick_build)
        again = findings.compute(decode, encode, p["u"], p["label"], p["test"], d["x_test"], d["y_test"], 10)
    again = json.loads(json.dumps(again))
    assert again.keys() == stored.keys()
    for key in ("method", "groups", "split", "mixed"):
        assert again[key] == stored[key], key
    assert [(t["from"], t["to"], t["kind"]) for t in again["transitions"]] == [
        (t["from"], t["to"], t["kind"]) for t in stored["transitions"]]
    for a, b in zip(again["transitions"], stored["transitions"]):
        assert a["score"] == pytest.approx(b["score"], abs=2e-4)
    assert again["translation"]["example"] == stored["translation"]["example"]
    for a, b in zip(again["translation"]["shifts"], stored["translation"]["shifts"]):
        assert a == pytest.approx(b, abs=2e-4)
    ra, rb = again["roundtrip"], stored["roundtrip"]
    assert ra["ends"] == pytest.approx(rb["ends"], abs=2e-3)
    assert {k: v for k, v in ra.items() if k != "ends"} == pytest.approx(
        {k: v for k, v in rb.items() if k != "ends"}, abs=2e-3)


def test_the_stage_is_deterministic_and_part_of_the_set(quick_build: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "b"
    shutil.copytree(quick_build, copy)
    findings.run_findings(copy)
    assert (copy / layout.FINDINGS).read_bytes() == (quick_build / layout.FINDINGS).read_bytes()
    m = layout.Manifest.read(copy)
    assert m.current("findings") and layout.is_complete(copy)


def test_every_number_of_the_story_is_one_of_the_findings(quick_build: Path) -> None:
    f = json.loads((quick_build / layout.FINDINGS).read_text())
    classes = [str(c) for c in range(10)]
    story = story_context(f, classes, "MNIST")
    text = " ".join(p for stop in story["stops"] for p in stop["paragraphs"])
    if f["split"]:
        s = f["split"][0]
        assert f"The {s['class']}s do not form one cluster" in text
        assert f"{s['groups'][0]['count']:,} of them" in text
    else:
        assert "No class splits into separate groups" in text
    one = next(r for r in f["translation"]["shifts"] if r["axis"] == "x" and r["pixels"] == 1)
    assert f"{100 * one['changed']:.0f}\u202f% of the test digits" in text
    r = f["roundtrip"]
    assert f"median of {r['median_steps']:.0f} steps" in text and f"{100 * r['changed']:.0f}\u202f%" in text
    # words of another data set, and no finding invented where there is none
    g = dict(f, split=[], transitions=[])
    other = story_context(g, [f"c{i}" for i in range(10)], "Letters")
    text = " ".join(p for stop in other["stops"] for p in stop["paragraphs"])
    assert "digit" not in text and "No class splits" in text and "no transition between groups" in text
    assert "groups" not in other["actions"] and "walk" not in other["actions"]
