"""builder/records/layout.py: one writer at a time (the folder's lock)."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from builder.records import layout
from builder.records.files import BuildError

TRAIN = {name: f"train {name}".encode() for name in layout.STAGES["train"]}


def _train_folder(folder: Path) -> dict[str, str]:
    """A folder with a train record (made-up bytes: switch_in does not read them); its inputs
    for the later stages."""
    folder.mkdir(parents=True, exist_ok=True)
    m = layout.switch_in(folder, "train", TRAIN, {"data": "0" * 64})
    return dict(m.train.files)


def _files(stage: str, k: int) -> dict[str, bytes]:
    return {name: f"{stage} {k} {name}".encode() for name in layout.STAGES[stage]}


def _switch_many(folder: str, stage: str, inputs: dict[str, str], n: int) -> None:
    for k in range(n):
        layout.switch_in(Path(folder), stage, _files(stage, k), inputs)


def test_two_stages_writing_one_folder_at_once_both_land(tmp_path):
    folder = tmp_path / "build"
    inputs = _train_folder(folder)
    n = 60
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_switch_many, args=(str(folder), stage, inputs, n))
               for stage in ("findings", "timelapse")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    m = layout.Manifest.read(folder)
    for stage in ("findings", "timelapse"):   # neither commit undid the other's
        assert m.record(stage) is not None, stage
        for name, data in _files(stage, n - 1).items():
            assert m.record(stage).files[name] == layout.sha256(data)
            assert layout.verified(folder, m, name) == data
    assert not list(folder.glob(".*.next")) and not (folder / layout.JOURNAL).exists()


def test_a_writer_waits_for_the_holder_and_leaves_its_staged_files(tmp_path):
    folder = tmp_path / "build"
    inputs = _train_folder(folder)
    staged = folder / ".findings.json.next"
    errors: list[BaseException] = []

    def other_stage():
        try:
            layout.switch_in(folder, "timelapse", _files("timelapse", 0), inputs)
        except BaseException as e:   # reported below
            errors.append(e)

    with layout.writing(folder):
        staged.write_bytes(b"the holder's staged findings")
        t = threading.Thread(target=other_stage)
        t.start()
        time.sleep(0.5)
        assert t.is_alive(), "the second writer did not wait for the lock"
        assert staged.read_bytes() == b"the holder's staged findings"
        assert layout.Manifest.read(folder).timelapse is None
    t.join(30)
    assert not errors
    assert layout.Manifest.read(folder).timelapse is not None
    assert not staged.exists()   # the holder is gone: now a leftover, removed by the next writer


@pytest.mark.parametrize("kind", ["symlink", "folder"])
def test_a_lock_that_is_not_our_file_is_one_line_and_nothing_changes(tmp_path, kind):
    folder = tmp_path / "build"
    inputs = _train_folder(folder)
    lock = folder / layout.LOCK
    lock.unlink()
    mine = tmp_path / "mine.txt"
    mine.write_text("a user's file")
    if kind == "symlink":
        lock.symlink_to(mine)
    else:
        lock.mkdir()
        (lock / "inside.txt").write_text("kept")
    before = (folder / layout.MANIFEST).read_bytes()
    with pytest.raises(BuildError) as e:
        layout.switch_in(folder, "findings", _files("findings", 0), inputs)
    assert str(lock) in str(e.value) and "\n" not in str(e.value)
    assert (folder / layout.MANIFEST).read_bytes() == before
    assert mine.read_text() == "a user's file"
    assert not list(folder.glob(".*.next"))
    if kind == "folder":
        assert (lock / "inside.txt").read_text() == "kept"


def test_the_lock_is_not_a_file_of_the_set(tmp_path):
    folder = tmp_path / "build"
    _train_folder(folder)
    assert (folder / layout.LOCK).is_file()
    m = json.loads((folder / layout.MANIFEST).read_text())
    assert layout.LOCK not in json.dumps(m)
    assert layout.LOCK not in layout.OWN_NAMES
