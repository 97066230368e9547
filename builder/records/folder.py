"""`BuildFolder`: one build folder, opened once, handing out its records.

Every stage after train and the render read a build folder the same way: read the
manifest (completing an interrupted switch), check each file's bytes against it
(`layout.verified`: made by the stage that lists it, from the training files the folder
holds now), parse it with its record's one reader `Record.read(data, where)`, and check
what ties two files together. `BuildFolder` is that way, written once:

    folder = BuildFolder.open(build_dir)
    metrics = folder.metrics()          # records.metrics.Metrics
    points = folder.points()            # records.arrays.Points, labels within the classes
    images = folder.test_images()       # records.arrays.TestImages, the points' test rows

Each record is read at most once. Every problem is one `BuildError` naming the file and
the stage to rerun.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from builder.records import layout
from builder.records.arrays import PIXELS, PcaBasis, Points, TestImages, Units
from builder.records.compress import Compression
from builder.records.files import BuildError
from builder.records.findings import Findings
from builder.records.history import History
from builder.records.metrics import Metrics
from builder.records.onnxfile import OnnxModel
from builder.records.timelapse import Timelapse, Twin
from builder.records.weights import Weights

PLANE = 2  # the page's code: the decoder's input


class BuildFolder:
    """A build folder whose manifest has been read; its records on demand."""

    def __init__(self, path: Path, manifest: layout.Manifest) -> None:
        self.path = Path(path)
        self.manifest = manifest
        self._cache: dict[str, object] = {}

    @classmethod
    def open(cls, path: Path) -> "BuildFolder":
        path = Path(path)
        return cls(path, layout.Manifest.read(path))

    # --- the raw, verified bytes -------------------------------------------------

    def where(self, name: str) -> str:
        return str(self.path / name)

    def bytes(self, name: str) -> bytes:
        """The bytes of `name`, checked against the manifest (`layout.verified`)."""
        return layout.verified(self.path, self.manifest, name)

    def _record(self, name: str, reader) -> object:
        if name not in self._cache:
            self._cache[name] = reader(self.bytes(name), self.where(name))
        return self._cache[name]

    def has(self, stage: str) -> bool:
        """True when the optional `stage` ran here (its files are then read and verified)."""
        return layout.present(self.path, self.manifest, stage)

    def current(self, stage: str) -> bool:
        return self.manifest.current(stage)

    @cached_property
    def training_inputs(self) -> dict[str, str]:
        """The sha256 of the training files, as a stage records what it read (`DEPENDS`)."""
        if self.manifest.train is None:
            raise BuildError(f"{self.path}: no training record in {layout.MANIFEST}: run `aedemo train`")
        return dict(self.manifest.train.files)

    def inputs_of(self, stage: str) -> dict[str, str]:
        """The training files `stage` reads, by sha256, for its manifest record."""
        return {name: self.training_inputs[name] for name in layout.DEPENDS[stage]}

    # --- train's records ------------------------------------------------------------

    def metrics(self) -> Metrics:
        return self._record(layout.METRICS, Metrics.read)

    def weights(self) -> Weights:
        """The plane's net (a 2-D code)."""
        w: Weights = self._record(layout.WEIGHTS, Weights.read)
        return w.with_code(PLANE, self.where(layout.WEIGHTS))

    def points(self) -> Points:
        """`points.npz`, its labels within the classes of `metrics.json`."""
        p: Points = self._record(layout.POINTS, Points.read)
        n_classes = len(self.metrics().data.classes)
        if p.label.max() >= n_classes:
            raise BuildError(f"{self.where(layout.POINTS)}: labels must lie in 0..{n_classes - 1}")
        return p

    def test_images(self) -> TestImages:
        """`digits.npz`, the same test split as the points' test rows."""
        t: TestImages = self._record(layout.DIGITS, TestImages.read)
        p = self.points()
        if len(t.x) != int(p.test.sum()) or not np.array_equal(p.label[p.test], t.y):
            raise BuildError(f"{self.where(layout.DIGITS)} does not match {layout.POINTS} (test split): "
                             f"run `aedemo train`")
        return t

    def history(self) -> History:
        return self._record(layout.HISTORY, History.read)

    # --- export's -------------------------------------------------------------------

    def decoder(self) -> OnnxModel:
        m: OnnxModel = self._record(layout.DECODER, OnnxModel.read)
        return m.shaped(PLANE, PIXELS, self.where(layout.DECODER))

    def encoder(self) -> OnnxModel:
        m: OnnxModel = self._record(layout.ENCODER, OnnxModel.read)
        return m.shaped(PIXELS, PLANE, self.where(layout.ENCODER))

    def units(self) -> Units:
        return self._record(layout.UNITS, Units.read)

    # --- findings' ------------------------------------------------------------------

    def findings(self) -> Findings:
        """`findings.json`, of this folder's classes, codes and test images: no group holds
        more codes than its class, every test image it names is one of the test split."""
        f: Findings = self._record(layout.FINDINGS, Findings.read)
        where = self.where(layout.FINDINGS)
        p = self.points()
        n = len(self.metrics().data.classes)
        if f.classes != n:
            raise BuildError(f"{where}: made for {f.classes} classes, {layout.METRICS} has {n}: run `aedemo findings`")
        have = np.bincount(p.label, minlength=n)
        sizes = f.group_sizes()
        for s in f.split:   # a split class's groups, as the story tells them
            sizes[s["class"]] = max(sizes[s["class"]], sum(g["count"] for g in s["groups"]))
        for c, size in enumerate(sizes):
            if size > have[c]:
                raise BuildError(f"{where}: class {c}'s groups hold {size} codes, {layout.POINTS} has "
                                 f"{have[c]} of it: run `aedemo findings`")
        tests = int(p.test.sum())
        bad = [i for i in f.test_indices() if i >= tests]
        if bad:
            raise BuildError(f"{where}: names test image {bad[0]}, the test split has {tests}: run `aedemo findings`")
        return f

    # --- the optional stages' ---------------------------------------------------------

    def compression(self) -> Compression:
        return self._record(layout.COMPRESS, Compression.read)

    def code_models(self, n: int) -> tuple[OnnxModel, OnnxModel]:
        """The `n`-D code's decoder and encoder (the compress stage's)."""
        d: OnnxModel = self._record(layout.DECODER30, OnnxModel.read)
        e: OnnxModel = self._record(layout.ENCODER30, OnnxModel.read)
        return d.shaped(n, PIXELS, self.where(layout.DECODER30)), e.shaped(PIXELS, n, self.where(layout.ENCODER30))

    def pca(self) -> PcaBasis:
        return self._record(layout.PCA, PcaBasis.read)

    def timelapse(self) -> Timelapse:
        return self._record(layout.TIMELAPSE_JSON, Timelapse.read)

    def twin(self) -> Twin:
        return self._record(layout.TIMELAPSE, Twin.read)
