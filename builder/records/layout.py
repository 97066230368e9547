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
set as it was (its `.next` files are removed by the next stage that writes there); one
killed after it is completed by the next reader (`Manifest.read`), so no reader ever sees a
mix.

Every name a journal lists is checked before anything is renamed: a plain file name of the
layout (one of the names above: no separator, no `..`, never absolute), its staged file a
regular file. A reader completes a journal only in a build folder (one holding a
`manifest.json`); only the stage writing a folder completes one where there is none yet (a
first train killed after its journal). Staged leftovers are removed only by the stage that
writes the folder, and only `.NAME.next` regular files of the layout's own names: nothing
else beside them (`notes/.chapter1.next`, a user's folder) is ever touched.

One writer at a time: a stage's switch (and a reader's completion of a journal) holds an
exclusive lock on the folder's `.aedemo.lock` (`writing`), so the staged names are the
holder's alone; two stages writing one folder at once commit one after the other, each
on the manifest the other left. A lock that is not a regular file (a link, a folder) is
refused in one line and nothing is changed.

`manifest.json` holds, per stage, the sha256 of each file it wrote and of the inputs
it was made from: train's data (the fingerprint of its pixels and labels), the
training files each later stage read (`DEPENDS`). Train drops every later record, so
files made from older weights are no longer part of the set; `verified` refuses any
file whose bytes differ from the manifest or whose stage read other training files,
naming the stage to rerun. Stages and render read a folder through `records/folder.py`
(`BuildFolder`), which does all of this once and hands out the typed records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from builder.records.files import BuildError, parse_json, write_bytes_atomic

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
# One writer at a time: a stage's switch and a reader's completion of a journal hold an
# exclusive lock on this file (flock: the kernel drops it when the process ends, so a killed
# stage never leaves it held; the file itself stays, empty, and is never removed).
LOCK = ".aedemo.lock"

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
# Every file name a build folder's journal may rename: the stages' files and the data cache.
OWN_NAMES = frozenset({DATA_CACHE, *(name for names in STAGES.values() for name in names)})
MAX_RECORD_BYTES = 1 << 20   # the manifest and the journal: a few kB; this bounds the read


def plain_name(name: object) -> bool:
    """True for a plain file name: a non-empty string, no separator, not `.` or `..`,
    no NUL or control character, not absolute."""
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name
            and "\\" not in name and not any(ord(c) < 32 for c in name) and not os.path.isabs(name))


def read_small(path: Path, limit: int = MAX_RECORD_BYTES) -> bytes:
    """The bytes of a small record file (the manifest, the journal); `BuildError` when it
    is not a regular file or is larger than `limit`."""
    with open(path, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise BuildError(f"{path}: not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BuildError(f"{path}: larger than {limit} bytes; not an aedemo record")
    return data


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
                got, inputs = _digests(rec["files"]), _digests(rec["inputs"])
                if sorted(got) != sorted(files):
                    continue   # an older aedemo's stage, with other files: as if not run
                records[name] = StageRecord(got, inputs)
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise BuildError(f"{where}: not an aedemo manifest ({e}); run `aedemo train` again") from None
        return cls(**records)

    @classmethod
    def read(cls, folder: Path, own: bool = False) -> "Manifest":
        """The folder's manifest after completing an interrupted switch; empty when there is none.

        A journal is completed only in a build folder (one with a `manifest.json`), or when
        `own` (the stage writing `folder` calls it so: a first train killed after its journal)."""
        path = folder / MANIFEST
        if own or path.is_file():
            finish_switch(folder)
        if not path.is_file():
            return cls()
        data = read_small(path)
        try:
            obj = parse_json(data, str(path))
        except BuildError as e:   # parse_json's line, led by the path: said as before
            why = str(e)[len(str(path)) + 2:]
            raise BuildError(f"{path}: not readable JSON ({why}); run `aedemo train` again") from None
        return cls.from_json(obj, path)

    def record(self, stage: str) -> StageRecord | None:
        return getattr(self, stage)

    def current(self, stage: str) -> bool:
        """True when `stage` ran on the training files the folder holds now."""
        rec = self.record(stage)
        if rec is None or self.train is None:
            return False
        return all(rec.inputs.get(name) == self.train.files[name] for name in DEPENDS.get(stage, ()))


def _digests(obj: object) -> dict[str, str]:
    """A manifest's `files` or `inputs`: plain names → sha256 hex digests (strings)."""
    if not isinstance(obj, dict):
        raise TypeError("expected an object of names and sha256 digests")
    for k, v in obj.items():
        if not plain_name(k) or not isinstance(v, str) or len(v) > 128:
            raise ValueError(f"bad entry {str(k)[:40]!r}")
    return dict(obj)


def ensure_writable(folder: Path, flag: str = "--out") -> None:
    """Create `folder` if needed and check that a file can be written there, before any work
    (a probe of a unique name of our own, removed at once)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise BuildError(f"{flag} {folder}: cannot write there ({e.strerror or e})") from None


def _staged(name: str) -> str:
    return f".{name}.next"


_held = threading.local()


@contextlib.contextmanager
def writing(folder: Path):
    """Hold `folder`'s write lock (`LOCK`) for the block, waiting for another writer's switch
    to end. Re-entrant within a thread. The staged `.NAME.next` names are the holder's alone:
    two stages writing one folder at once commit one after the other, each on the manifest
    the other left, and neither removes the other's staged files."""
    key = os.path.realpath(folder)
    held = _held.__dict__.setdefault("folders", set())
    if key in held:
        yield
        return
    try:
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise BuildError(f"{folder / LOCK}: cannot open the build folder's lock ({e.strerror or e}); "
                         "nothing was changed") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BuildError(f"{folder / LOCK}: not a regular file; nothing was changed")
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)


def switch_in(folder: Path, stage: str, files: Mapping[str, bytes], inputs: Mapping[str, str],
              extra: Mapping[str, bytes] | None = None) -> Manifest:
    """Make `files` (the stage's outputs, name → bytes) the folder's current set, together.

    `inputs` are the sha256 of what they were made from; `extra` files (the data cache)
    are switched in with them but not listed. Returns the new manifest.
    """
    if sorted(files) != sorted(STAGES[stage]) or not OWN_NAMES.issuperset(extra or {}):
        raise ValueError(f"{stage} writes {STAGES[stage]}, got {sorted(files)}")
    with writing(folder):
        old = Manifest.read(folder, own=True)
        _drop_staged_leftovers(folder)
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


def _regular(path: Path) -> bool:
    """True for a regular file that is not a symbolic link."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _drop_staged_leftovers(folder: Path) -> None:
    """Remove what a stage killed before its journal left: `.NAME.next` regular files of
    the layout's own names only (called by the stage that writes `folder`, never a reader)."""
    if (folder / JOURNAL).exists():
        return
    for name in sorted(OWN_NAMES):
        if _regular(folder / _staged(name)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / _staged(name))


def finish_switch(folder: Path) -> None:
    """Complete a switch whose journal was written (after checking all it names)."""
    journal = folder / JOURNAL
    if not journal.exists() and not journal.is_symlink():
        return
    with writing(folder):
        if journal.exists() or journal.is_symlink():   # not completed meanwhile by another
            _finish_switch(folder, journal)


def _finish_switch(folder: Path, journal: Path) -> None:
    fix = f"; nothing was renamed (move {JOURNAL} away to keep the folder as it is)"
    try:
        if not _regular(journal):
            raise BuildError(f"{journal}: not a regular file{fix}")
        plan = parse_json(read_small(journal), str(journal))
        if not isinstance(plan, dict) or not isinstance(plan.get("renames"), list):
            raise BuildError(f"{journal}: not an aedemo journal (expected renames and a manifest){fix}")
        names = plan["renames"]
        for name in names:
            if not plain_name(name) or name not in OWN_NAMES:
                raise BuildError(f"{journal}: lists {str(name)[:80]!r}, not a file of a build "
                                 f"folder{fix}")
            staged, target = folder / _staged(name), folder / name
            if (staged.exists() or staged.is_symlink()) and not _regular(staged):
                raise BuildError(f"{staged}: not a regular file{fix}")
            if (target.exists() or target.is_symlink()) and not _regular(target):
                raise BuildError(f"{target}: not a regular file{fix}")
        manifest = Manifest.from_json(plan.get("manifest"), journal)
    except OSError as e:
        raise BuildError(f"{journal}: unreadable ({e.strerror or e}){fix}") from None
    for name in names:
        if _regular(folder / _staged(name)):
            os.replace(folder / _staged(name), folder / name)
    write_bytes_atomic(folder / MANIFEST, (json.dumps(manifest.to_json(), indent=2, sort_keys=True)
                                           + "\n").encode())
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
