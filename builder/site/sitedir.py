"""The site folder: which folder render may replace, and the switch that replaces it.

Reads the `--site` folder (its marker `.aedemo-site`, the list of what it holds) and
writes only there and beside it: a temporary sibling `.NAME.XXXX.tmp` that becomes the
new site, and `.NAME.old`, the previous site for the instant between two renames.

A folder may be replaced only when it is absent, empty, or an earlier aedemo site:
it holds a marker `.aedemo-site` (JSON: `generator`, and `files`, the sha256 of every
file render wrote) and nothing else. Whatever it holds, render refuses `/`, the home
folder, the current folder and every folder above it, a symbolic link, and any folder
that holds one of the render's inputs (the build folders, the templates, the npm
folder, the checkout). Leftovers of a killed render (`.NAME.*.tmp`, `.NAME.old`) are
removed by the next one, and only when they carry the marker (or are empty): nothing
render did not write is ever deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from builder.records.files import BuildError

MARKER = ".aedemo-site"
GENERATOR = "aedemo"


def marker_bytes(files: Mapping[str, bytes]) -> bytes:
    """The marker's content for a site of `files` (relative path → bytes)."""
    listing = {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}
    return (json.dumps({"generator": GENERATOR, "files": listing}, indent=1, sort_keys=True)
            + "\n").encode()


def _flag(site: Path) -> str:
    return f"--site {site}"


def _holds(folder: Path, path: Path) -> bool:
    """True when `path` is `folder` or lies anywhere below it (both resolved)."""
    return path == folder or folder in path.parents


def check_site(site: Path, inputs: Iterable[Path]) -> None:
    """Raise `BuildError` unless render may replace `site` (see the module docstring)."""
    flag = _flag(site)
    if site.is_symlink():
        raise BuildError(f"{flag}: is a symbolic link; refusing to replace it")
    target = site.resolve()
    protected = {Path("/"): "the root folder", Path.home().resolve(): "the home folder"}
    if target in protected:
        raise BuildError(f"{flag}: is {protected[target]}; refusing to replace it")
    if _holds(target, Path.cwd().resolve()):
        raise BuildError(f"{flag}: is the current folder or holds it; refusing to replace it")
    for path in inputs:
        if _holds(target, Path(path).resolve()):
            raise BuildError(f"{flag}: holds {path}, an input of the site; refusing to replace it")
    if not target.exists():
        return
    if not target.is_dir():
        raise BuildError(f"{flag}: is a file, not a folder; refusing to replace it")
    _check_ours(target, flag)


def _listing(folder: Path) -> set[str]:
    """Every file and folder below `folder`, as POSIX paths relative to it."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _check_ours(folder: Path, flag: str) -> None:
    """Pass for an empty folder or an aedemo site holding nothing but what render wrote."""
    present = _listing(folder)
    if not present:
        return
    if MARKER not in present:
        raise BuildError(f"{flag}: not an aedemo site (no {MARKER}); refusing to replace it")
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        files = set(marker["files"])
        if marker.get("generator") != GENERATOR:
            raise ValueError("generator")
    except (OSError, ValueError, KeyError, TypeError):
        raise BuildError(f"{flag}: {MARKER} is not an aedemo marker; refusing to replace it") from None
    folders = {parent.as_posix() for rel in files for parent in Path(rel).parents if parent != Path(".")}
    foreign = sorted(present - files - folders - {MARKER})
    if foreign:
        raise BuildError(f"{flag}: holds {foreign[0]}, which aedemo did not write; "
                         f"refusing to replace it (move it away first)")


def _is_leftover(path: Path) -> bool:
    """A render's own leftover: a real folder, empty or with the marker."""
    if path.is_symlink() or not path.is_dir():
        return False
    return (path / MARKER).is_file() or not any(path.iterdir())


def clean_leftovers(target: Path) -> None:
    """Remove `.NAME.*.tmp` and `.NAME.old` beside `target` that a killed render left."""
    parent = target.parent
    if not parent.is_dir():
        return
    for path in [*parent.glob(f".{target.name}.*.tmp"), parent / f".{target.name}.old"]:
        if _is_leftover(path):
            shutil.rmtree(path)


@contextlib.contextmanager
def replace_site(site: Path, inputs: Iterable[Path]) -> Iterator[Path]:
    """Yield an empty temporary folder beside `site`; on success it becomes `site`.

    `site` is checked first (`check_site`) and again just before the switch. The marker
    is written into the temporary folder before anything else, so a leftover is always
    recognisable. On an exception the temporary folder is removed and `site` is untouched.
    """
    inputs = list(inputs)
    check_site(site, inputs)
    target = site.resolve() if site.exists() else site.parent.resolve() / site.name
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    old = target.with_name(f".{target.name}.old")
    if old.exists() or old.is_symlink():
        raise BuildError(f"{_flag(site)}: {old} is in the way and is not a leftover of "
                         f"aedemo; refusing to touch it (move it away first)")
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        (tmp / MARKER).write_bytes(marker_bytes({}))
        yield tmp
        tmp.chmod(0o755)
        check_site(site, inputs)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        if old.exists() and _is_leftover(old):
            shutil.rmtree(old)
    finally:
        if tmp.exists() and _is_leftover(tmp):
            shutil.rmtree(tmp)
