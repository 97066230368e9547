"""The findings stage: known truth on tiny synthetic data, the same findings through
onnxruntime as in findings.json, and the story's prose true to them."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from builder.records import layout
from builder.records.files import BuildError
from builder.records.findings import Findings
from builder.site.story import story_context
from builder.stages import findings
from builder.stages.findings import FindingsConfig, ground_of, groups_of_class, path_score, shift
from sitefiles import read_site_config, read_site_data
from splitcheck import split_classes

CFG = FindingsConfig()


def blob(rng: np.random.Generator, centre: tuple[float, float], n: int, sd: float = 0.15) -> np.ndarray:
    return rng.normal(centre, sd, (n, 2))


def codes(*parts: tuple[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels from (class, points) parts."""
    return (np.concatenate([p for _, p in parts]),
            np.concatenate([np.full(len(p), c) for c, p in parts]).astype(np.int64))


def stage_groups(u: np.ndarray, label: np.ndarray, c: int, cfg: FindingsConfig = CFG) -> list[dict]:
    return groups_of_class(u, label, c, ground_of(u, label, int(label.max()) + 1, cfg), cfg)


def test_two_groups_with_another_class_between_are_split(rng: np.random.Generator) -> None:
    u, label = codes((0, blob(rng, (-1.2, 0), 300, 0.3)), (0, blob(rng, (1.2, 0), 200, 0.3)),
                     (1, blob(rng, (0, 0), 500, 0.3)), (2, blob(rng, (0, 3), 300, 0.4)))
    groups = stage_groups(u, label, 0)
    assert len(groups) == 2
    # each group holds most of its blob: the codes of one blob are 0…299, of the other 300…499
    assert np.mean(groups[0]["members"] < 300) > 0.95 and np.mean(groups[1]["members"] >= 300) > 0.95
    assert len(groups[0]["members"]) >= 250 and len(groups[1]["members"]) >= 150
    g = ground_of(u, label, 3, CFG)
    way = findings.between(groups[0]["centre"], groups[1]["centre"], 0, g, CFG)
    assert way["classes"] == [1] and way["thinnest"] <= 2
    assert split_classes(u, label, 3) .keys() == {0}        # the independent reading agrees
    assert len(stage_groups(u, label, 1)) == 1               # the class between is one group


def test_an_elongated_class_with_two_peaks_and_nothing_between_is_one_group(rng: np.random.Generator) -> None:
    peaks = np.concatenate([rng.normal((-1.5, 0), (0.35, 0.2), (300, 2)), rng.normal((1.5, 0), (0.35, 0.2), (300, 2))])
    bridge = np.stack([rng.uniform(-1.5, 1.5, 250), rng.normal(0, 0.2, 250)], 1)
    u, label = codes((0, np.concatenate([peaks, bridge])), (1, blob(rng, (0, 3), 400, 0.4)))
    # two density peaks: the middle is thinner than either peak
    counts = np.histogram(u[label == 0, 0], bins=[-2, -1, 1, 2])[0]
    assert counts[1] / 2 < min(counts[0], counts[2])
    assert len(stage_groups(u, label, 0)) == 1
    assert split_classes(u, label, 2) == {}


def test_an_empty_gap_splits_and_a_stray_handful_is_no_group(rng: np.random.Generator) -> None:
    u, label = codes((0, blob(rng, (-2, 0), 300, 0.3)), (0, blob(rng, (2, 0), 250, 0.3)),
                     (1, blob(rng, (0, 4), 400, 0.4)))
    groups = stage_groups(u, label, 0)
    assert [len(g["members"]) > 200 for g in groups] == [True, True]
    way = findings.between(groups[0]["centre"], groups[1]["centre"], 0, ground_of(u, label, 2, CFG), CFG)
    assert way["classes"] == [] and way["gap"] > 0.3
    assert split_classes(u, label, 2).keys() == {0}
    # a handful far away is below 5 % of the class: no group
    u, label = codes((0, blob(rng, (0, 0), 500, 0.3)), (0, blob(rng, (4, 4), 10, 0.05)), (1, blob(rng, (0, 3), 300)))
    assert len(stage_groups(u, label, 0)) == 1 and split_classes(u, label, 2) == {}


def prototype(dx: int = 0) -> np.ndarray:
    img = np.zeros((28, 28), np.float32)
    img[6:22, 10 + dx : 13 + dx] = 1.0       # a vertical stroke
    return img.ravel()


def test_a_jump_is_abrupt_a_blend_smooth_and_a_way_through_noise_chaotic() -> None:
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
    # a smooth path through images no one ever wrote is chaotic
    noise = np.random.default_rng(0).random((16, 784)).astype(np.float32)
    strange = path_score((blend * 0.2 + noise * (t * (1 - t) * 4)).astype(np.float32),
                         np.stack([a, b]), gap, CFG)
    assert strange["unfamiliar"] > 2 and strange["kind"] == "chaotic"


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
        assert a["jump"] == pytest.approx(b["jump"], abs=2e-4)
        assert a["unfamiliar"] == pytest.approx(b["unfamiliar"], abs=2e-4)
    assert again["translation"]["example"] == stored["translation"]["example"]
    for a, b in zip(again["translation"]["shifts"], stored["translation"]["shifts"]):
        assert a == pytest.approx(b, abs=2e-4)
    ra, rb = again["roundtrip"], stored["roundtrip"]
    assert ra["ends"] == pytest.approx(rb["ends"], abs=2e-3)
    figures = ("median_steps", "settled", "moved", "changed")
    assert {k: ra[k] for k in figures} == pytest.approx({k: rb[k] for k in figures}, abs=2e-3)


def test_the_stage_is_deterministic_and_part_of_the_set(quick_build: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "b"
    shutil.copytree(quick_build, copy)
    findings.run_findings(copy)
    assert (copy / layout.FINDINGS).read_bytes() == (quick_build / layout.FINDINGS).read_bytes()
    m = layout.Manifest.read(copy)
    assert m.current("findings") and layout.is_complete(copy)


def test_every_number_of_the_story_is_one_of_the_findings(quick_build: Path) -> None:
    f = Findings.read((quick_build / layout.FINDINGS).read_bytes(), "findings.json")
    classes = [str(c) for c in range(10)]
    story = story_context(f, classes, "MNIST")
    text = " ".join(p for stop in story["stops"] for p in stop["paragraphs"])
    if f.split:
        s = f.split[0]
        assert f"The {s['class']}s do not form one cluster" in text
        assert f"{s['groups'][0]['count']:,} of them" in text
        for t in f.split[1:]:
            assert f"{t['class']}s" in text                      # every split class is named
    else:
        assert "No class splits into separate groups" in text
    kinds = f.kinds()
    assert (f"{len(kinds['smooth'])} are smooth, {len(kinds['abrupt'])} abrupt and "
            f"{len(kinds['chaotic'])} chaotic") in text
    for kind in ("abrupt", "chaotic"):
        assert (f"No walk is {kind} on this map" in text) == (not kinds[kind])
    one = next(r for r in f.translation["shifts"] if r["axis"] == "x" and r["pixels"] == 1)
    assert f"{100 * one['changed']:.0f}\u202f% of the test digits" in text
    r = f.roundtrip
    assert f"median of {r['median_steps']:.0f} steps" in text and f"{100 * r['changed']:.0f}\u202f%" in text
    ex = r["example"]
    if r["changed"] > 0:   # the round trip's example is one that changes class
        assert ex["from"] != ex["to"] and f"test digit {ex['index']:,} starts among the {ex['from']}s" in text
    # facts, never a command
    assert not re.search(r"\bmake (site|bench|test|serve)|\baedemo (train|build|findings|render|bench)", text)
    # words of another data set, and no finding invented where there is none
    g = dataclasses.replace(f, split=[], transitions=[])
    other = story_context(g, [f"c{i}" for i in range(10)], "Letters")
    text = " ".join(p for stop in other["stops"] for p in stop["paragraphs"])
    assert "digit" not in text and "No class splits" in text and "no transition between groups" in text
    assert "groups" not in other["actions"] and "walk" not in other["actions"]


def test_the_record_reads_back_what_the_stage_wrote_and_refuses_a_bad_one(quick_build: Path) -> None:
    data = (quick_build / layout.FINDINGS).read_bytes()
    f = Findings.read(data, "findings.json")
    assert f.to_bytes() == data                                  # the stage writes through the record
    obj = json.loads(data)
    bad = [b"\xff", b"{", json.dumps({**obj, "format": 1}).encode(),
           json.dumps({**obj, "transitions": [{**obj["transitions"][0], "kind": "wild"}]}).encode()
           if obj["transitions"] else json.dumps({**obj, "classes": 11}).encode(),
           json.dumps({k: v for k, v in obj.items() if k != "roundtrip"}).encode(),
           json.dumps({**obj, "groups": obj["groups"][:-1]}).encode()]
    for b in bad:
        with pytest.raises(BuildError) as e:
            Findings.read(b, "build/x/findings.json")
        assert str(e.value).startswith("build/x/findings.json: ") and "\n" not in str(e.value)


def site_points(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """The codes and labels a rendered site's scatter carries (int16 over its box, as render packs them)."""
    import base64

    p = read_site_data(root, "points")
    q = np.frombuffer(base64.b64decode(p["u"]), "<i2").reshape(p["n"], 2).astype(np.float64)
    lo, hi = np.array(p["lo"]), np.array(p["hi"])
    return lo + (q + 32767.0) / 65534.0 * (hi - lo), np.frombuffer(base64.b64decode(p["label"]), np.uint8).astype(np.int64)


def test_the_independent_reading_agrees_class_for_class_on_the_real_build() -> None:
    """On the real default build (AEDEMO_REAL_SITE, as CI sets it after `make site`): the
    classes the page calls split are those tests/splitcheck.py finds in the same codes."""
    real = os.environ.get("AEDEMO_REAL_SITE")
    if not real:
        pytest.skip("set AEDEMO_REAL_SITE=path/to/site to check the real `make site` output")
    root = Path(real)
    config = read_site_config(root)
    u, label = site_points(root)
    page = set(config["story"]["groups"]["split"]) if "groups" in config["story"] else set()
    check = split_classes(u, label, len(config["classes"]))
    print(f"\nsplit on the page: {sorted(page)}; by the kNN-graph reading: {check}")
    assert set(check) == page
