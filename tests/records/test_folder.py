"""`BuildFolder`: opens a build folder once and hands out its records, each verified against
the manifest, read by its record's one reader, and checked against the files it must agree
with; every refusal is one line naming the file and the stage to rerun."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from factories import make_fake_build

from builder.records import layout
from builder.records.files import BuildError, npz_bytes
from builder.records.folder import BuildFolder
from builder.records.metrics import Metrics


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_build(tmp_path_factory.mktemp("folder") / "b", n=600)


def test_records_are_the_files_as_written(fake: Path) -> None:
    folder = BuildFolder.open(fake)
    assert folder.metrics() == Metrics.from_json(json.loads((fake / layout.METRICS).read_text()))
    with np.load(fake / layout.POINTS) as p:
        assert np.array_equal(folder.points().u, p["u"]) and np.array_equal(folder.points().test, p["test"])
    with np.load(fake / layout.DIGITS) as d:
        assert np.array_equal(folder.test_images().x, d["x_test"])
    assert folder.decoder().data == (fake / layout.DECODER).read_bytes()
    assert (folder.decoder().n_in, folder.decoder().n_out, folder.encoder().n_in) == (2, 784, 784)
    assert folder.weights().model.sizes[-1] == 2
    assert folder.findings().to_bytes() == (fake / layout.FINDINGS).read_bytes()
    assert folder.inputs_of("findings") == {n: folder.manifest.train.files[n] for n in layout.DEPENDS["findings"]}
    assert folder.metrics() is folder.metrics(), "read once"


def _copy(fake: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(fake, out)
    return out


def _rewrite(folder: Path, stage: str, name: str, data: bytes) -> None:
    """Replace `name` and fix its hash in the manifest, as a hand-edited build would be."""
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / layout.MANIFEST).read_text())
    manifest["stages"][stage]["files"][name] = layout.sha256(data)
    (folder / layout.MANIFEST).write_text(json.dumps(manifest))


def test_a_changed_file_is_refused_naming_the_stage(fake: Path, tmp_path: Path) -> None:
    copy = _copy(fake, tmp_path)
    (copy / layout.UNITS).write_bytes(b"changed")
    with pytest.raises(BuildError, match=r"units\.npz does not match manifest\.json .*aedemo export"):
        BuildFolder.open(copy).units()


def test_labels_beyond_the_classes_and_a_foreign_test_split_are_refused(fake: Path, tmp_path: Path) -> None:
    copy = _copy(fake, tmp_path)
    with np.load(copy / layout.POINTS) as p:
        points = {k: p[k] for k in p.files}
    points["label"] = points["label"].copy()
    points["label"][0] = 12
    _rewrite(copy, "train", layout.POINTS, npz_bytes(points))
    with pytest.raises(BuildError, match=r"points\.npz: labels must lie in 0\.\.9"):
        BuildFolder.open(copy).points()
    points["label"][0] = 0
    points["test"] = points["test"].copy()
    points["test"][np.flatnonzero(~points["test"])[0]] = True   # one more test row than digits.npz holds
    _rewrite(copy, "train", layout.POINTS, npz_bytes(points))
    with pytest.raises(BuildError, match=r"digits\.npz does not match points\.npz \(test split\)"):
        BuildFolder.open(copy).test_images()


# findings.json of the right types but impossible values: each a mutation of the parsed JSON
# and the field the one line must name
NONSENSE = {
    "a group bigger than its class": (lambda f: f["groups"][0][0].__setitem__("count", 10**6), "class 0's groups hold"),
    "a share above one": (lambda f: f["roundtrip"].__setitem__("settled", 1.5), "roundtrip.settled"),
    "a negative share": (lambda f: f["translation"]["shifts"][0].__setitem__("overlap", -0.1), "shifts[].overlap"),
    "a class share above one": (lambda f: f["roundtrip"]["ends"].__setitem__(0, 2.0), "roundtrip.ends"),
    "a negative count": (lambda f: f["groups"][1][0].__setitem__("count", -3), "groups[][].count"),
    "a test image beyond the split": (lambda f: f["roundtrip"]["example"].__setitem__("index", 10**6),
                                      "names test image 1000000"),
    "a transition from a group the class lacks": (lambda f: f["transitions"][0]["from"].__setitem__("group", 40),
                                                  "transitions[0].from.group"),
    "a confusion of more than its pair": (lambda f: f["mixed"][0].__setitem__("a_as_b", f["mixed"][0]["count"] + 1),
                                          "mixed[].count"),
}


@pytest.mark.parametrize("what", list(NONSENSE))
def test_findings_that_cannot_be_true_are_refused_in_one_line(fake: Path, tmp_path: Path, what: str) -> None:
    change, names = NONSENSE[what]
    copy = _copy(fake, tmp_path)
    found = json.loads((copy / layout.FINDINGS).read_text())
    change(found)
    _rewrite(copy, "findings", layout.FINDINGS, json.dumps(found).encode())
    with pytest.raises(BuildError) as e:
        BuildFolder.open(copy).findings()
    line = str(e.value)
    assert names in line and "findings.json" in line and "aedemo findings" in line and "\n" not in line, line
