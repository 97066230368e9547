"""The site folder: which folder render may replace, and the switch that replaces it.

Reads the `--site` folder (its marker `.aedemo-site`, the list of what it holds) and
writes only there and beside it: a temporary sibling `.NAME.XXXX.tmp` that becomes the
new site, and `.NAME.old`, the previous site for the instant between two renames.

A folder may be replaced only when it is absent, empty, or an earlier aedemo site:
it holds a marker `.aedemo-site` (JSON: `generator`, and `files`, the sha256 of every
file render wrote, by relative paths of plain names) and nothing else, and every file in
it still has the sha256 the marker lists (a file edited by hand is named, and nothing is
replaced); no symbolic link anywhere in it. Whatever it holds, render refuses `/`, the home
folder, the current folder and every folder above it, a symbolic link, and any folder
that holds one of the render's inputs (the build folders, the templates, the npm
folder, the checkout). Leftovers of a killed render (`.NAME.*.tmp`, `.NAME.old`, the site
name escaped in the pattern) are removed by the next one, and only with the same proof
(or when empty): nothing render did not write is ever deleted.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, ContextManager, Iterable, Iterator, Mapping

from builder.records.files import BuildError, parse_json
from builder.records.layout import plain_name, read_small

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


def _walk(folder: Path) -> tuple[set[str], set[str], list[str]]:
    """The files, the folders and the other entries (symbolic links, devices...) below
    `folder`, as POSIX paths relative to it; links are never followed."""
    files, folders, other = set(), set(), []
    for root, dirs, names in os.walk(folder, followlinks=False):
        for name in [*dirs, *names]:
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode):
                folders.add(rel)
            elif stat.S_ISREG(mode):
                files.add(rel)
            else:
                other.append(rel)
    return files, folders, sorted(other)


def _marker_listing(path: Path) -> dict[str, str] | None:
    """The marker's `files` (relative path → sha256), or None when `path` is not an aedemo
    marker (not a regular file, not bounded JSON, another generator, a listed path that is
    not made of plain names)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        marker = parse_json(read_small(path), str(path))
    except (OSError, BuildError):
        return None
    if not isinstance(marker, dict) or marker.get("generator") != GENERATOR \
            or not isinstance(marker.get("files"), dict):
        return None
    files = marker["files"]
    for rel, digest in files.items():
        if not isinstance(digest, str) or rel == MARKER \
                or not all(plain_name(part) for part in rel.split("/")):
            return None
    return files


def _why_not_ours(folder: Path) -> str | None:
    """None for an empty folder or an aedemo site holding nothing but what render wrote,
    each file with the sha256 its marker lists; else what is wrong, for the message."""
    files, folders, other = _walk(folder)
    if not files and not folders and not other:
        return None
    if other:
        return f"holds {other[0]}, which is not a plain file (a symbolic link?), so aedemo did not write it"
    if MARKER not in files:
        return f"not an aedemo site (no {MARKER})"
    listing = _marker_listing(folder / MARKER)
    if listing is None:
        return f"{MARKER} is not an aedemo marker"
    parents = {parent.as_posix() for rel in listing for parent in Path(rel).parents if parent != Path(".")}
    foreign = sorted((files - set(listing) - {MARKER}) | (folders - parents))
    if foreign:
        return f"holds {foreign[0]}, which aedemo did not write"
    for rel in sorted(files - {MARKER}):
        try:
            digest = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
        except OSError as e:
            return f"cannot read {rel} ({e.strerror or e})"
        if digest != listing[rel]:
            return f"holds {rel}, which was changed after aedemo wrote it"
    return None


def _check_ours(folder: Path, flag: str) -> None:
    """Pass for an empty folder or an aedemo site holding nothing but what render wrote."""
    why = _why_not_ours(folder)
    if why is not None:
        hint = " (move it away first)" if why.startswith("holds") else ""
        raise BuildError(f"{flag}: {why}; refusing to replace it{hint}")


def _is_leftover(path: Path) -> bool:
    """A render's own leftover: a real folder, empty or an aedemo site whose every file
    matches its marker."""
    if path.is_symlink() or not path.is_dir():
        return False
    return _why_not_ours(path) is None


def clean_leftovers(target: Path) -> None:
    """Remove `.NAME.*.tmp` and `.NAME.old` beside `target` that a killed render left."""
    parent = target.parent
    if not parent.is_dir():
        return
    for path in [*parent.glob(f".{glob.escape(target.name)}.*.tmp"), parent / f".{target.name}.old"]:
        if _is_leftover(path):
            shutil.rmtree(path)


@contextlib.contextmanager
def replace_site(site: Path, inputs: Iterable[Path],
                 switch_lock: ContextManager[Any] | None = None) -> Iterator[Path]:
    """Yield an empty temporary folder beside `site`; on success it becomes `site`.

    `switch_lock` (a lock of `aedemo serve`) is held for the switch alone: the last
    check and the two renames.

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
        with switch_lock or contextlib.nullcontext():
            check_site(site, inputs)
            if target.exists():
                os.replace(target, old)
            os.replace(tmp, target)
        if old.exists() and _is_leftover(old):
            shutil.rmtree(old)
    finally:   # the folder mkdtemp made for this render: ours, whatever it holds now
        if not tmp.is_symlink() and tmp.is_dir():
            shutil.rmtree(tmp)
