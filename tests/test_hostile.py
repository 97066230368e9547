"""Hostile and unlucky inputs, as a careful user would try them (issue 10).

Every case runs in pytest's temporary folders (a fake home folder too: HOME points
there), never at the real home folder or the checkout. Each asserts the exit status,
exactly one line on stderr naming the file or flag, and that every earlier output is
sha256-identical afterwards.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import NODE_MODULES
from factories import random_model, write_idx_set

from builder.cli import main
from builder.model import training
from builder.model.autoencoder import Autoencoder
from builder.records import layout
from builder.records.files import BuildError
from builder.records.metrics import Metrics
from builder.site import sitedir


def tree(*folders: Path) -> dict[str, str]:
    """sha256 of every file below `folders` (dotfiles too), by path."""
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")) if folder.exists() else ():
            if p.is_file() and not p.is_symlink():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def cli(*args: str | Path) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line(result, *needles: str, code: int = 1) -> str:
    """The one line on stderr of a failed command; it names each of `needles`."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of our own, with a file in it, as HOME for the test."""
    h = tmp_path / "home"
    (h / "notes").mkdir(parents=True)
    (h / "notes" / "todo.txt").write_text("keep me")
    monkeypatch.setenv("HOME", str(h))
    assert Path.home() == h
    return h


@pytest.fixture
def build(quick_build: Path, tmp_path: Path) -> Path:
    """A copy of a complete quick build folder: tmp/build/mnist."""
    dest = tmp_path / "build" / "mnist"
    shutil.copytree(quick_build, dest)
    return dest


def render(build: Path, site: Path | str) -> object:
    return cli("render", build, "--site", site, "--node-modules", NODE_MODULES)


# ---------------------------------------------------------------- 1. a safe --site


def test_site_that_holds_the_build_folders_is_refused(build: Path) -> None:
    before = tree(build.parent)
    line = one_line(render(build, build.parent), "--site", "an input of the site", "refusing")
    assert str(build) in line
    assert tree(build.parent) == before


def test_site_that_is_the_current_folder_or_above_is_refused(build: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    (work / "mine.txt").write_text("mine")
    monkeypatch.chdir(work)
    before = tree(tmp_path)
    for site in (".", "..", str(work), str(tmp_path / "work")):
        one_line(render(build, site), f"--site {site}", "current folder", "refusing")
    assert tree(tmp_path) == before


def test_the_home_folder_is_refused(build: Path, home: Path) -> None:
    before = tree(home)
    one_line(render(build, home), f"--site {home}", "home folder", "refusing")
    one_line(render(build, home / "notes"), "not an aedemo site", "refusing")
    assert tree(home) == before


def test_the_root_folder_is_refused_by_the_check_itself() -> None:
    # The check is the first thing render and build do; it is run here alone, so that no
    # test ever hands `/` to the code that replaces folders.
    with pytest.raises(BuildError, match=r"^--site /: is the root folder; refusing to replace it$"):
        sitedir.check_site(Path("/"), [])


def test_a_folder_that_is_not_an_aedemo_site_is_refused(build: Path, tmp_path: Path) -> None:
    site = tmp_path / "photos"
    site.mkdir()
    (site / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    before = tree(site)
    line = one_line(render(build, site), f"--site {site}", "not an aedemo site (no .aedemo-site)",
                    "refusing to replace it")
    assert line == f"Error: --site {site}: not an aedemo site (no .aedemo-site); refusing to replace it"
    assert tree(site) == before


def test_an_aedemo_site_with_a_file_of_the_users_is_refused(build: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert render(build, site).exit_code == 0
    (site / "CNAME").write_text("example.org")
    before = tree(site)
    one_line(render(build, site), "holds CNAME, which aedemo did not write", "refusing")
    assert tree(site) == before


@pytest.mark.parametrize("kind", ["symlink", "file", "forged marker"])
def test_links_files_and_forged_markers_are_refused(build: Path, tmp_path: Path, kind: str) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.txt").write_text("precious")
    site = tmp_path / "site"
    if kind == "symlink":
        site.symlink_to(real, target_is_directory=True)
        want, code = ("symbolic link", "refusing"), 1
    elif kind == "file":
        site.write_text("a file")
        want, code = ("--site", "is a file"), 2   # click's own check of the flag: a usage error
    else:
        site = real
        (real / ".aedemo-site").write_text("{}")
        want, code = ("is not an aedemo marker", "refusing"), 1
    before = tree(tmp_path)
    one_line(render(build, site), *want, code=code)
    assert tree(tmp_path) == before
    assert (real / "data.txt").read_text() == "precious"


def test_an_empty_folder_and_an_earlier_site_are_replaced(build: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    assert render(build, site).exit_code == 0
    first = tree(site)
    assert str(site / ".aedemo-site") in first and str(site / "index.html") in first
    result = render(build, site)
    assert result.exit_code == 0, result.stderr
    assert tree(site) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "site"]


def test_leftovers_of_a_killed_render_are_cleaned_and_only_those(build: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert render(build, site).exit_code == 0
    killed = tmp_path / ".site.abc123.tmp"          # a render killed half-way: it carries the marker
    shutil.copytree(site, killed)
    empty = tmp_path / ".site.x.tmp"                 # killed right after mkdtemp
    empty.mkdir()
    old = tmp_path / ".site.old"                     # killed between the two renames
    shutil.copytree(site, old)
    users = tmp_path / ".site.mine.tmp"              # looks like one, but is not ours
    users.mkdir()
    (users / "keep.txt").write_text("keep")
    assert render(build, site).exit_code == 0
    assert not killed.exists() and not empty.exists() and not old.exists()
    assert (users / "keep.txt").read_text() == "keep"


def test_a_foreign_folder_in_the_way_of_the_switch_is_left_alone(build: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert render(build, site).exit_code == 0
    old = tmp_path / ".site.old"
    old.mkdir()
    (old / "thesis.tex").write_text("years of work")
    before = tree(tmp_path)
    one_line(render(build, site), ".site.old", "not a leftover of aedemo")
    assert tree(tmp_path) == before


def test_build_refuses_a_bad_site_before_training(build: Path, tmp_path: Path, home: Path) -> None:
    out = tmp_path / "new"
    result = cli("build", "--quick", "--quiet", "--out", out, "--site", home,
                 "--node-modules", NODE_MODULES)
    one_line(result, "home folder")
    assert not out.exists(), "nothing trained"


# ---------------------------------------------------------------- 2. one consistent set


def test_a_failed_train_leaves_a_complete_folder_renderable(build: Path, tmp_path: Path) -> None:
    before = tree(build)
    idx = tmp_path / "three"
    write_idx_set(idx, np.random.default_rng(0), n_train=3, n_test=2)
    one_line(cli("train", "--data", idx, "--out", build, "--quick", "--quiet"),
             "3 training and 2 test images; expected at least 20")
    assert tree(build) == before
    assert render(build, tmp_path / "site").exit_code == 0


def test_ctrl_c_during_training_changes_nothing(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(build)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "finetune", interrupted)
    result = cli("train", "--quick", "--quiet", "--seed", "1", "--out", build,
                 "--node-modules", NODE_MODULES)
    assert result.exit_code == 1 and "Aborted!" in result.stderr
    assert tree(build) == before


def test_a_kill_between_the_renames_is_completed_by_the_next_reader(
        build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_finish = layout.finish_switch
    calls = []

    def killed_after_the_journal(folder: Path) -> None:   # the journal is on disk, no rename ran
        calls.append(folder)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_finish(folder)

    monkeypatch.setattr(layout, "finish_switch", killed_after_the_journal)
    result = cli("train", "--quick", "--quiet", "--seed", "1", "--out", build,
                 "--node-modules", NODE_MODULES)
    assert result.exit_code == 1 and (build / layout.JOURNAL).is_file()
    monkeypatch.setattr(layout, "finish_switch", real_finish)
    # seed-1 weights are staged beside seed-0 ONNX: the reader completes the switch and,
    # since the ONNX files belong to the old weights, refuses to mix them in
    one_line(render(build, tmp_path / "site"), "decoder.onnx was exported from other weights",
             "aedemo export")
    assert not (build / layout.JOURNAL).exists() and not list(build.glob(".*.next"))
    manifest = layout.Manifest.read(build)
    assert manifest.train.files[layout.WEIGHTS] == layout.sha256((build / layout.WEIGHTS).read_bytes())
    assert cli("export", "--out", build).exit_code == 0
    one_line(render(build, tmp_path / "site"), "findings.json was made from other weights: run `aedemo findings`")
    assert cli("findings", "--out", build).exit_code == 0
    assert render(build, tmp_path / "site").exit_code == 0


def test_train_alone_over_an_exported_folder_is_not_rendered_with_old_models(build: Path, tmp_path: Path) -> None:
    assert cli("train", "--quick", "--quiet", "--seed", "2", "--out", build,
               "--node-modules", NODE_MODULES).exit_code == 0
    one_line(render(build, tmp_path / "site"), "decoder.onnx was exported from other weights: run `aedemo export`")
    assert not (tmp_path / "site").exists()


def test_out_below_a_regular_file_is_refused_before_training(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = cli("train", "--quick", "--quiet", "--out", tmp_path / "file" / "b", "--node-modules", NODE_MODULES)
    one_line(result, "--out", "cannot write there")
    assert (tmp_path / "file").read_text() == "x"


# ---------------------------------------------------------------- 3. one line, never a traceback


@pytest.mark.parametrize("seed", ["-1", str(2**64), "many"])
def test_a_seed_out_of_range_is_a_usage_error(tmp_path: Path, seed: str) -> None:
    one_line(cli("train", "--quick", "--seed", seed, "--out", tmp_path / "b"), "--seed", code=2)
    assert not (tmp_path / "b").exists()


def test_the_largest_seed_trains_and_saves(tmp_path: Path) -> None:
    seed = 2**64 - 1
    result = cli("train", "--quick", "--quiet", "--seed", str(seed), "--out", tmp_path / "b",
                 "--node-modules", NODE_MODULES)
    assert result.exit_code == 0, result.stderr
    model, meta = Autoencoder.load(tmp_path / "b" / layout.WEIGHTS)
    assert int(meta["seed"]) == seed, "the weights record the seed they were trained with"
    assert all(np.all(np.isfinite(W)) for W in model.W)
    metrics = Metrics.read((tmp_path / "b" / layout.METRICS).read_bytes(), "metrics.json")
    assert metrics.config["seed"] == seed and f"--seed {seed}" in metrics.command


def test_an_unreadable_data_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    idx = tmp_path / "idx"
    write_idx_set(idx, np.random.default_rng(0))
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "train-labels-idx1-ubyte":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    one_line(cli("train", "--data", idx, "--quick", "--out", tmp_path / "b"),
             "train-labels-idx1-ubyte: cannot read (Permission denied)")


def test_corrupt_deflate_data_is_one_line(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    write_idx_set(idx, np.random.default_rng(0), gz=True)
    gz = idx / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(gz.read_bytes())
    raw[20:60] = b"\x00" * 40
    gz.write_bytes(bytes(raw))
    one_line(cli("train", "--data", idx, "--quick", "--out", tmp_path / "b"),
             "t10k-images-idx3-ubyte.gz: corrupt gzip data")


@pytest.mark.parametrize("damage, needle", [
    (lambda b: (b / "points.npz").write_bytes((b / "points.npz").read_bytes()[:1000]),
     "points.npz does not match manifest.json"),
    (lambda b: (b / "metrics.json").write_text("{}"), "metrics.json does not match manifest.json"),
    (lambda b: (b / "manifest.json").write_bytes(b"\x00garbage"), "manifest.json: not readable JSON"),
])
def test_a_damaged_build_folder_is_one_line_and_the_site_stays(build: Path, tmp_path: Path, damage, needle) -> None:
    site = tmp_path / "site"
    assert render(build, site).exit_code == 0
    damage(build)
    before = tree(build, site)
    one_line(render(build, site), needle)
    assert tree(build, site) == before


def test_a_garbage_data_cache_is_parsed_anew(build: Path) -> None:
    (build / "data.npz").write_bytes(b"garbage")
    result = cli("train", "--quick", "--quiet", "--out", build, "--node-modules", NODE_MODULES)
    assert result.exit_code == 0, result.stderr
    assert (build / "data.npz").read_bytes()[:2] == b"PK"


def weights_file(folder: Path, model=None, data: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "weights.npz"
    if data is not None:
        path.write_bytes(data)
    else:
        model.save(path, seed=0, data="x", source="synthetic", test_mse=0.1)
    return folder


@pytest.mark.parametrize("case, needle", [
    ("code 3-D", "the code has 3 units; the page needs a 2-D code"),
    ("empty", "weights.npz: not an aedemo weights file"),
    ("garbage", "weights.npz: not an aedemo weights file"),
    ("missing", "weights.npz: not found"),
])
def test_export_of_bad_weights_is_one_line(tmp_path: Path, case: str, needle: str) -> None:
    folder = tmp_path / "b"
    if case == "code 3-D":
        weights_file(folder, random_model(sizes=(784, 64, 3)))
    elif case == "empty":
        weights_file(folder, data=b"")
    elif case == "garbage":
        weights_file(folder, data=b"PK\x03\x04 not really")
    else:
        folder.mkdir()
    before = tree(folder)
    one_line(cli("export", "--out", folder), needle)
    assert tree(folder) == before


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS])
@pytest.mark.parametrize("stage", ["train", "export", "render"])
def test_a_full_or_read_only_disk_is_one_line(build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             stage: str, err: int) -> None:
    site = tmp_path / "site"
    assert render(build, site).exit_code == 0
    before = tree(build, site)

    def full(path: Path, data: bytes) -> None:   # every staged write of train and export
        raise OSError(err, os.strerror(err), str(path))

    monkeypatch.setattr(layout, "write_bytes_atomic", full)
    if stage == "render":
        real_write = Path.write_bytes
        monkeypatch.setattr(Path, "write_bytes", lambda self, data: (_ for _ in ()).throw(
            OSError(err, os.strerror(err), str(self))) if ".site." in str(self) else real_write(self, data))
        result = render(build, site)
    elif stage == "export":
        result = cli("export", "--out", build)
    else:
        result = cli("train", "--quick", "--quiet", "--seed", "3", "--out", build, "--node-modules", NODE_MODULES)
    one_line(result, os.strerror(err), "nothing was replaced")
    assert tree(build, site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "site"], "no temporary folder left"


# ---------------------------------------------------------------- 4. reproducible, and honest about it


def test_relative_and_absolute_data_paths_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_idx_set(tmp_path / "good", np.random.default_rng(0), n_train=60, n_test=20)
    monkeypatch.chdir(tmp_path)
    sites = []
    for name, data in (("rel", "good"), ("abs", str(tmp_path / "good"))):
        out, site = tmp_path / name / "good", tmp_path / f"site-{name}"
        result = cli("build", "--quick", "--quiet", "--data", data, "--name", "good", "--out", out,
                     "--site", site, "--node-modules", NODE_MODULES)
        assert result.exit_code == 0, result.stderr
        sites.append(site)
        for f in ("weights.npz", "decoder.onnx", "encoder.onnx", "metrics.json", "points.npz"):
            assert str(tmp_path) not in (out / f).read_bytes().decode("latin-1"), f
    a, b = (tmp_path / "rel" / "good", tmp_path / "abs" / "good")
    for f in ("weights.npz", "decoder.onnx", "encoder.onnx", "points.npz"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    rel, abs_ = ({k[len(str(s)):]: v for k, v in tree(s).items()} for s in sites)
    assert rel == abs_
    for p in sites[0].rglob("*"):
        if p.is_file():
            assert str(tmp_path).encode() not in p.read_bytes(), p
