"""The build folder: the one place that names its files, and the manifest that binds them.

A build folder (`build/NAME/`, or `--out`) holds:

| file | written by | read by |
|---|---|---|
| `data.npz` | train (the data stage's parse cache) | train, compress, timelapse (they fit on the same data) |
| `weights.npz` | train (record: `records/weights.py` `Weights`) | export, findings, compress, timelapse |
| `metrics.json` | train (`records/metrics.py` `Metrics`) | findings, compress, timelapse, render |
| `points.npz` | train: codes of every image (`records/arrays.py` `Points`) | findings, render |
| `digits.npz` | train: the test images the page shows (`TestImages`) | findings, compress, render |
| `history.npz` | train: the time-lapse of this run (`records/history.py` `History`) | timelapse, render |
| `decoder.onnx`, `encoder.onnx`, `units.npz` | export (`records/onnxfile.py` `OnnxModel`; `Units`) | render (`units.npz`: what the decoder's units draw) |
| `findings.json` | findings (`stages/findings.py`; record: `records/findings.py` `Findings`) | render |
| `timelapse.npz`, `timelapse.json` | timelapse (`stages/timelapse.py`; record: `records/timelapse.py`): checkpoint decoders, the no-pretraining twin | render (optional: without them the page has no time-lapse) |
| `compress.json`, `weights30.npz`, `decoder30.onnx`, `encoder30.onnx`, `pca.npz` | compress (`stages/compress.py`; record: `records/compress.py`: the 30-D net, PCA-30, the denoising curves) | render (the compression page) |
| `manifest.json` | every stage | every later stage, the CLI |

A stage's outputs are one set: every file is first written beside the old ones as
`.NAME.next`; then a journal `.switch.json` names the renames and the new manifest
(writing it is the moment of commit); then the renames run, `manifest.json` is
replaced and the journal removed. A stage killed before the journal leaves the old
set as it was (its `.next` files are removed by the next stage); one killed after it
is completed by the next reader (`Manifest.read`), so no reader ever sees a mix.

`manifest.json` holds, per stage, the sha256 of each file it wrote and of the inputs
it was made from: train's data (the content fingerprint of the source files), the
training files each later stage read (`DEPENDS`). Train drops every later record, so
files made from older weights are no longer part of the set; `verified` refuses any
file whose bytes differ from the manifest or whose stage read other training files,
naming the stage to rerun. Stages and render read a folder through `records/folder.py`
(`BuildFolder`), which does all of this once and hands out the typed records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from builder.records.files import BuildError, write_bytes_atomic

DATA_CACHE = "data.npz"
WEIGHTS = "weights.npz"
METRICS = "metrics.json"
POINTS = "points.npz"
DIGITS = "digits.npz"
HISTORY = "history.npz"
DECODER = "decoder.onnx"
ENCODER = "encoder.onnx"
UNITS = "units.npz"
FINDINGS = "findings.json"
TIMELAPSE = "timelapse.npz"
TIMELAPSE_JSON = "timelapse.json"
COMPRESS = "compress.json"
WEIGHTS30 = "weights30.npz"
DECODER30 = "decoder30.onnx"
ENCODER30 = "encoder30.onnx"
PCA = "pca.npz"
MANIFEST = "manifest.json"
JOURNAL = ".switch.json"

TRAIN_FILES = (WEIGHTS, METRICS, POINTS, DIGITS, HISTORY)
EXPORT_FILES = (DECODER, ENCODER, UNITS)
COMPRESS_FILES = (COMPRESS, WEIGHTS30, DECODER30, ENCODER30, PCA)
STAGES = {"train": TRAIN_FILES, "export": EXPORT_FILES, "findings": (FINDINGS,),
          "compress": COMPRESS_FILES, "timelapse": (TIMELAPSE, TIMELAPSE_JSON)}
DEPENDS = {"export": (WEIGHTS,), "findings": (WEIGHTS, METRICS, POINTS, DIGITS),  # training files each read
           "compress": (WEIGHTS, METRICS, DIGITS), "timelapse": (WEIGHTS, METRICS, HISTORY)}
# A folder without these is complete: its site then has no compression page, no time-lapse.
OPTIONAL = ("compress", "timelapse")
REMEDY = {stage: f"aedemo {stage}" for stage in STAGES}
FORMAT = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StageRecord:
    """What one stage wrote (`files`: name → sha256) and what it was made from (`inputs`)."""

    files: dict[str, str]
    inputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """The stages whose outputs the folder holds now; `None` for a stage not (or no longer) run."""

    train: StageRecord | None = None
    export: StageRecord | None = None
    findings: StageRecord | None = None
    compress: StageRecord | None = None
    timelapse: StageRecord | None = None

    def to_json(self) -> dict:
        stages = {name: {"files": dict(sorted(rec.files.items())), "inputs": dict(sorted(rec.inputs.items()))}
                  for name in STAGES if (rec := self.record(name)) is not None}
        return {"format": FORMAT, "stages": stages}

    @classmethod
    def from_json(cls, obj: object, where: Path) -> "Manifest":
        """The one validating reader; raises `BuildError` naming `where`."""
        try:
            if not isinstance(obj, dict) or obj.get("format") != FORMAT:
                raise ValueError(f"expected format {FORMAT}")
            stages = obj["stages"]
            records = {}
            for name, files in STAGES.items():
                if name not in stages:
                    continue
                rec = stages[name]
                got = {str(k): str(v) for k, v in rec["files"].items()}
                if sorted(got) != sorted(files):
                    continue   # an older aedemo's stage, with other files: as if not run
                records[name] = StageRecord(got, {str(k): str(v) for k, v in rec["inputs"].items()})
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise BuildError(f"{where}: not an aedemo manifest ({e}); run `aedemo train` again") from None
        return cls(**records)

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        """The folder's manifest after completing an interrupted switch; empty when there is none."""
        finish_switch(folder)
        path = folder / MANIFEST
        if not path.is_file():
            return cls()
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BuildError(f"{path}: not readable JSON ({e}); run `aedemo train` again") from None
        return cls.from_json(obj, path)

    def record(self, stage: str) -> StageRecord | None:
        return getattr(self, stage)

    def current(self, stage: str) -> bool:
        """True when `stage` ran on the training files the folder holds now."""
        rec = self.record(stage)
        if rec is None or self.train is None:
            return False
        return all(rec.inputs.get(name) == self.train.files[name] for name in DEPENDS.get(stage, ()))


def ensure_writable(folder: Path, flag: str = "--out") -> None:
    """Create `folder` if needed and check that a file can be written there, before any work."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise BuildError(f"{flag} {folder}: cannot write there ({e.strerror or e})") from None


def _staged(name: str) -> str:
    return f".{name}.next"


def switch_in(folder: Path, stage: str, files: Mapping[str, bytes], inputs: Mapping[str, str],
              extra: Mapping[str, bytes] | None = None) -> Manifest:
    """Make `files` (the stage's outputs, name → bytes) the folder's current set, together.

    `inputs` are the sha256 of what they were made from; `extra` files (the data cache)
    are switched in with them but not listed. Returns the new manifest.
    """
    if sorted(files) != sorted(STAGES[stage]):
        raise ValueError(f"{stage} writes {STAGES[stage]}, got {sorted(files)}")
    old = Manifest.read(folder)
    record = StageRecord({name: sha256(data) for name, data in files.items()}, dict(inputs))
    new = Manifest(train=record) if stage == "train" else dataclasses.replace(old, **{stage: record})
    everything = {**files, **(extra or {})}
    try:
        for name, data in sorted(everything.items()):
            write_bytes_atomic(folder / _staged(name), data)
        journal = {"renames": sorted(everything), "manifest": new.to_json()}
        write_bytes_atomic(folder / JOURNAL, json.dumps(journal, sort_keys=True).encode())
    except BaseException:
        for name in everything:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / _staged(name))
        raise
    finish_switch(folder)
    return new


def finish_switch(folder: Path) -> None:
    """Complete a switch whose journal was written; drop staged files of one that was not."""
    journal = folder / JOURNAL
    if not journal.is_file():
        for stale in folder.glob(".*.next") if folder.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(stale)
        return
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        names = [str(n) for n in plan["renames"]]
        manifest = json.dumps(plan["manifest"], indent=2, sort_keys=True) + "\n"
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BuildError(f"{journal}: unreadable ({e}); run `aedemo train` again") from None
    for name in names:
        if (folder / _staged(name)).is_file():
            os.replace(folder / _staged(name), folder / name)
    write_bytes_atomic(folder / MANIFEST, manifest.encode())
    os.unlink(journal)


def verified(folder: Path, manifest: Manifest, name: str) -> bytes:
    """The bytes of `name` after checking them against the manifest; `BuildError` naming the
    stage to rerun when the folder lacks it, or the file was changed or belongs to other weights."""
    stage = next(s for s, names in STAGES.items() if name in names)
    record = manifest.record(stage)
    path = folder / name
    stale = f"{path} was {'exported' if stage == 'export' else 'made'} from other weights: run `{REMEDY[stage]}`"
    if record is None and stage != "train" and manifest.train is not None and path.is_file():
        raise BuildError(stale)
    if record is None:
        raise BuildError(f"{path}: not made by `{REMEDY[stage]}` for this folder "
                         f"(no {stage} record in {MANIFEST}): run `{REMEDY[stage]}`")
    if stage != "train" and not manifest.current(stage):
        raise BuildError(stale)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BuildError(f"{path} not found: run `{REMEDY[stage]}`") from None
    if sha256(data) != record.files[name]:
        raise BuildError(f"{path} does not match {MANIFEST} (changed after `{REMEDY[stage]}` "
                         f"wrote it): run `{REMEDY[stage]}`")
    return data


def is_complete(folder: Path) -> bool:
    """True when every stage ran on the training files the folder holds now."""
    try:
        m = Manifest.read(folder)
    except BuildError:
        return False
    required = [stage for stage in STAGES if stage not in OPTIONAL]
    return (m.train is not None and all(m.current(stage) for stage in DEPENDS if stage not in OPTIONAL)
            and all((folder / n).is_file() for stage in required for n in STAGES[stage]))


def present(folder: Path, manifest: Manifest, stage: str) -> bool:
    """True when an optional `stage` has run here (a record, or any of its files): its
    files are then read with `verified`, which refuses a set made from other weights,
    naming the stage to rerun, rather than leaving its page out."""
    return manifest.record(stage) is not None or any((folder / n).is_file() for n in STAGES[stage])
