"""Byte-stable, all-or-nothing file output shared by every stage.

Writes files only through a temporary sibling that is renamed into
place, so an error leaves the previous output intact. `.npz` archives carry a
fixed zip timestamp, so the same arrays always give the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """A problem with the user's input or flags; the CLI prints it as one line."""


MAX_JSON_DEPTH = 64  # no build record nests deeper than about 6; this bounds the parser's recursion
MAX_JSON_DIGITS = 40  # digits of an integer literal; no record holds a larger count


def parse_json(data: bytes, where: str) -> Any:
    """The one JSON parser of every record: UTF-8 text, nesting at most `MAX_JSON_DEPTH`,
    finite numbers only (no NaN, Infinity or 1e400), integers of at most `MAX_JSON_DIGITS`
    digits. Anything else is one `BuildError` naming `where`; never a traceback."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuildError(f"{where}: not UTF-8 text (byte {e.start})") from None
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:  # bracket depth outside strings, before the recursive parser sees it
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    if deepest > MAX_JSON_DEPTH:
        raise BuildError(f"{where}: not valid JSON (nested {deepest} deep; at most {MAX_JSON_DEPTH})")

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise ValueError(f"number out of range: {literal[:20]}")
        return value

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_JSON_DIGITS:
            raise ValueError(f"integer with {len(literal)} digits")
        return int(literal)

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not a number")

    try:
        return json.loads(text, parse_float=number, parse_int=integer, parse_constant=constant)
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise BuildError(f"{where}: not valid JSON ({str(e)[:120]})") from None


# An npm package's version as it may become a folder name or text of the site: digits, then
# an optional pre-release of letters, digits, dots and hyphens (no slash, no `*/`, no quote).
VERSION = re.compile(r"[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,9}(?:-[0-9A-Za-z][0-9A-Za-z.-]{0,63})?")


def package_version(data: bytes, where: str) -> str:
    """The `version` of an npm `package.json` (its bytes), checked against `VERSION` before
    it becomes a path or text; anything else is one `BuildError` naming `where`."""
    obj = parse_json(data, where)
    version = obj.get("version") if isinstance(obj, dict) else None
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        shown = repr(version)[:60] if version is not None else "none"
        raise BuildError(f"{where}: version {shown} is not a version number such as 1.22.0 — run `npm ci`")
    return version


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def json_bytes(obj: object) -> bytes:
    """Pretty, key-sorted JSON with a trailing newline."""
    return (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def write_json(path: Path, obj: object) -> None:
    """`json_bytes(obj)`, written atomically."""
    write_bytes_atomic(path, json_bytes(obj))


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed `.npz` archive whose bytes depend only on the arrays."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            z.writestr(info, member.getvalue())
    return buf.getvalue()


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    write_bytes_atomic(path, npz_bytes(arrays))
