"""Never destroy what is not ours, round two (issue 23): journals, build folders and site
markers are untrusted input.

Every case runs jailed in pytest's temporary folder (with a fake HOME there): the decoys
are files of our own below it, and each test asserts that every file below the jail is
sha256-identical afterwards (or changed only where aedemo may write).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import NODE_MODULES
from test_hostile import cli, one_line, render, tree

from builder.cli import demo_folders
from builder.records import layout
from builder.site import sitedir


@pytest.fixture
def jail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's whole world: HOME and the current folder inside it, a decoy beside."""
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "decoy").mkdir()
    (tmp_path / "decoy" / "f1.txt").write_text("precious")
    return tmp_path


@pytest.fixture
def build(quick_build: Path, jail: Path) -> Path:
    dest = jail / "build" / "mnist"
    shutil.copytree(quick_build, dest)
    return dest


def journal(folder: Path, renames: object, manifest: object | None = None) -> None:
    if manifest is None:
        manifest = json.loads((folder / layout.MANIFEST).read_text())
    (folder / layout.JOURNAL).write_text(json.dumps({"renames": renames, "manifest": manifest}))


# ---------------------------------------------------------------- 1. journals name plain files


@pytest.mark.parametrize("name", ["../../decoy/f1.txt", "ABSOLUTE", "sub/weights.npz", "..", ".",
                                  "", "notes.txt", "weights.npz\x00", 5, None, ["weights.npz"]])
def test_a_journal_naming_anything_but_a_file_of_the_layout_touches_nothing(
        build: Path, jail: Path, name: object) -> None:
    if name == "ABSOLUTE":
        name = str(jail / "decoy" / "f1.txt")
    if isinstance(name, str) and "\x00" not in name:
        staged = build / f".{name}.next"   # where the payload of the old code's rename lay
        if jail in staged.resolve().parents and not staged.resolve().is_dir():
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_text("pwned")
    journal(build, [name])
    before = tree(jail)
    line = one_line(render(build, jail / "site"), str(build / layout.JOURNAL), "nothing was renamed")
    assert "Traceback" not in line
    assert tree(jail) == before
    assert (jail / "decoy" / "f1.txt").read_text() == "precious"


@pytest.mark.parametrize("plan", ["[1, 2]", '{"renames": "weights.npz", "manifest": {}}',
                                  '{"renames": [], "manifest": {"format": 1, "stages": {"train": 3}}}',
                                  "[" * 5000 + "]" * 5000, "\xff\xfe"])
def test_a_malformed_journal_is_one_line(build: Path, jail: Path, plan: str) -> None:
    (build / layout.JOURNAL).write_bytes(plan.encode("latin-1"))
    before = tree(jail)
    one_line(render(build, jail / "site"), str(build / layout.JOURNAL))
    assert tree(jail) == before


def test_a_journal_whose_staged_file_is_a_link_or_folder_touches_nothing(build: Path, jail: Path) -> None:
    (build / ".weights.npz.next").symlink_to(jail / "decoy" / "f1.txt")
    (build / ".points.npz.next").mkdir()
    journal(build, ["points.npz", "weights.npz"])
    before = tree(jail)
    one_line(render(build, jail / "site"), "not a regular file", "nothing was renamed")
    assert tree(jail) == before and (build / ".points.npz.next").is_dir()


# ---------------------------------------------------------------- 2. only our own build folders


def sibling_decoys(root: Path) -> None:
    """The issue's siblings: a notes folder and a project with dotfiles named like ours."""
    (root / "notes").mkdir(parents=True)
    (root / "notes" / ".chapter1.next").write_text("chapter one")
    (root / "notes" / ".weights.npz.next").write_text("not aedemo's")
    (root / "proj").mkdir()
    (root / "proj" / ".env.next").write_text("SECRET=1")
    (root / "proj" / ".cache.next").mkdir()
    (root / "proj" / ".cache.next" / "keep").write_text("keep")
    journal(root / "proj", ["weights.npz"], {"format": 1, "stages": {}})
    (root / "proj" / ".weights.npz.next").write_text("staged by someone else")


def test_looking_for_build_folders_touches_none_that_are_not(build: Path, jail: Path) -> None:
    sibling_decoys(build.parent)
    before = tree(jail)
    assert demo_folders(build.parent) == [build]
    assert tree(jail) == before
    assert not (build.parent / "proj" / layout.MANIFEST).exists()


@pytest.mark.parametrize("stage", ["findings", "compress", "timelapse", "export", "render"])
def test_a_stage_on_a_folder_that_is_not_a_build_folder_touches_nothing(jail: Path, stage: str) -> None:
    sibling_decoys(jail / "bb")
    before = tree(jail)
    for folder in ("notes", "proj"):
        target = jail / "bb" / folder
        result = render(target, jail / "site") if stage == "render" else cli(stage, "--out", target)
        one_line(result, str(target))
        assert tree(jail) == before, (stage, folder)


def test_a_staged_leftover_of_ours_is_removed_by_the_next_stage_writing_there(build: Path, jail: Path) -> None:
    (build / ".findings.json.next").write_text("a findings stage killed before its journal")
    (build / ".chapter1.next").write_text("not ours")
    (build / ".write-check").write_text("a file of the user's named like the old probe")
    assert render(build, jail / "site").exit_code == 0
    assert (build / ".findings.json.next").exists(), "a reader removes nothing"
    result = cli("findings", "--out", build)
    assert result.exit_code == 0, result.stderr
    assert not (build / ".findings.json.next").exists()
    assert (build / ".chapter1.next").read_text() == "not ours"
    assert (build / ".write-check").read_text().startswith("a file of the user's")


def test_build_never_sweeps_the_siblings_of_out(jail: Path) -> None:
    root = jail / "bb"
    sibling_decoys(root)
    before = tree(root / "notes", root / "proj")
    result = cli("build", "--quick", "--quiet", "--no-timelapse", "--out", root / "mine",
                 "--site", jail / "site", "--node-modules", NODE_MODULES)
    assert result.exit_code == 0, result.stderr
    assert tree(root / "notes", root / "proj") == before
    assert not (root / "notes" / layout.MANIFEST).exists() and not (root / "proj" / layout.MANIFEST).exists()
    assert (jail / "decoy" / "f1.txt").read_text() == "precious"


# ---------------------------------------------------------------- 3. the marker's sums


def test_a_hand_edited_site_file_is_named_and_nothing_is_replaced(build: Path, jail: Path) -> None:
    site = jail / "site"
    assert render(build, site).exit_code == 0
    index = site / "index.html"
    index.write_text(index.read_text().replace("<body", "<p>MY NOTES</p><body", 1))
    before = tree(jail)
    one_line(render(build, site), f"--site {site}", "holds index.html, which was changed after aedemo wrote it",
             "refusing")
    assert tree(jail) == before


def test_a_link_inside_a_site_is_refused(build: Path, jail: Path) -> None:
    site = jail / "site"
    assert render(build, site).exit_code == 0
    (site / "favicon.svg").unlink()
    (site / "favicon.svg").symlink_to(jail / "decoy" / "f1.txt")
    before = tree(jail)
    one_line(render(build, site), "favicon.svg", "refusing")
    assert tree(jail) == before


@pytest.mark.parametrize("listed", ["../decoy/f1.txt", "/etc/passwd", "a//b", "./index.html"])
def test_a_marker_listing_paths_outside_its_folder_is_not_a_marker(build: Path, jail: Path, listed: str) -> None:
    site = jail / "site"
    assert render(build, site).exit_code == 0
    marker = json.loads((site / sitedir.MARKER).read_text())
    marker["files"][listed] = "0" * 64
    (site / sitedir.MARKER).write_text(json.dumps(marker))
    before = tree(jail)
    one_line(render(build, site), "is not an aedemo marker", "refusing")
    assert tree(jail) == before


@pytest.mark.parametrize("site_name", ["site", "g*", "[s]ite"])
def test_leftovers_are_removed_only_when_every_file_matches_their_marker(
        build: Path, jail: Path, site_name: str) -> None:
    site = jail / site_name
    assert render(build, site).exit_code == 0
    ours = jail / f".{site_name}.abc123.tmp"        # a killed render's copy: every sum matches
    shutil.copytree(site, ours)
    edited = jail / f".{site_name}.x.tmp"           # the marker, and a user's file beside it
    shutil.copytree(site, edited)
    (edited / "other.txt").write_text("mine")
    changed = jail / f".{site_name}.y.tmp"          # the marker, and a file edited since
    shutil.copytree(site, changed)
    (changed / "index.html").write_text("my page")
    neighbour = jail / ".gallery.abc.tmp"           # another site's leftover: `g*` must not match it
    shutil.copytree(site, neighbour)
    (neighbour / "other.txt").write_text("the gallery's")
    assert render(build, site).exit_code == 0
    assert not ours.exists()
    assert (edited / "other.txt").read_text() == "mine"
    assert (changed / "index.html").read_text() == "my page"
    assert (neighbour / "other.txt").read_text() == "the gallery's"


def test_an_old_leftover_with_a_users_file_is_kept(build: Path, jail: Path) -> None:
    site = jail / "site"
    assert render(build, site).exit_code == 0
    old = jail / ".site.old"
    shutil.copytree(site, old)
    (old / "thesis.tex").write_text("years of work")
    before = tree(jail)
    one_line(render(build, site), ".site.old", "not a leftover of aedemo")
    assert tree(jail) == before


# ---------------------------------------------------------------- 5. the runtime's version


def fake_runtime(jail: Path, version: object) -> Path:
    """node_modules with onnxruntime-web's real files and a package.json of `version`."""
    modules = jail / "node_modules"
    package = modules / "onnxruntime-web"
    package.mkdir(parents=True)
    (package / "dist").symlink_to(NODE_MODULES / "onnxruntime-web" / "dist", target_is_directory=True)
    (package / "package.json").write_text(json.dumps({"name": "onnxruntime-web", "version": version}))
    return modules


@pytest.mark.parametrize("version", ["/../../../../decoy/pwn", "1.22.0 */ alert(1) /*", "../1.2.3",
                                     "1.2.3/x", '1.2.3"', "", 1.22, None, "1.2"])
def test_a_runtime_version_that_is_not_a_version_is_one_line(build: Path, jail: Path, version: object) -> None:
    modules = fake_runtime(jail, version)
    before = tree(jail)
    one_line(cli("render", build, "--site", jail / "site", "--node-modules", modules),
             str(modules / "onnxruntime-web" / "package.json"), "version")
    assert tree(jail) == before and not (jail / "site").exists()


@pytest.mark.parametrize("version", ["1.22.0", "1.23.0-dev.20250101-abc123", "0.0.1"])
def test_versions_of_npm_pass(version: str) -> None:
    from builder.records.files import package_version

    assert package_version(json.dumps({"version": version}).encode(), "package.json") == version
