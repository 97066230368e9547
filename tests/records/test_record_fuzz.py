"""A fuzz test of the build records (issue 23): every record a render reads, mutated as a
corrupted or hand-edited build would be (bytes and JSON values; the manifest's hash of the
file fixed, so the mutation reaches the readers), then `aedemo render`. Each run ends in
one clear line and a non-zero exit, or in a complete site whose every file matches its
marker; never a traceback, never a write outside the site.

Bounded: a few mutations per record drawn from a seeded generator (the same ones on every
run); the runtime's files are stand-ins of a few bytes (the real version's package.json),
so each render takes about a second. Everything happens in pytest's temporary folder with
HOME pointing there.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import NODE_MODULES

from builder.cli import main
from builder.records import layout
from builder.records.files import npz_bytes
from builder.site import sitedir

MUTATIONS = 3   # per record and run
RECORDS = [layout.MANIFEST, layout.METRICS, layout.FINDINGS, layout.TIMELAPSE_JSON, layout.POINTS,
           layout.DIGITS, layout.UNITS, layout.HISTORY, layout.TIMELAPSE, layout.DECODER, layout.ENCODER]
HOSTILE = ["INF", "NAN", "BIGINT", "BIGFLOAT", None, 0, -1, 1e308, "", "x", [], {}, True, [1, 2],
           {"a": 1}, 2**63, 1e-320]
LITERALS = {'"INF"': "Infinity", '"NAN"': "NaN", '"BIGINT"': "1" + "0" * 5000, '"BIGFLOAT"': "1e400"}


def _leaves(obj, path=()):
    yield path
    children = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in children:
        yield from _leaves(value, (*path, key))


def _dump(obj) -> bytes:
    text = json.dumps(obj)
    for sentinel, literal in LITERALS.items():
        text = text.replace(sentinel, literal)
    return text.encode()


def mutate_json(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    roll = rng.random()
    if roll < 0.15:
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.choice([0x00, 0xFF, 0xC3, ord("{"), ord('"')])
        return bytes(b), "bytes"
    if roll < 0.2:
        return data[: rng.randrange(len(data))], "truncated"
    if roll < 0.25:
        return b"[" * 100_000 + b"]" * 100_000, "nested 100,000 deep"
    obj = json.loads(data)
    path = rng.choice([p for p in _leaves(obj) if p])
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    if roll < 0.35:
        del parent[path[-1]]
        return _dump(obj), f"{path} deleted"
    parent[path[-1]] = value = rng.choice(HOSTILE)
    return _dump(obj), f"{path} = {value!r}"[:120]


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def _npy_header(descr: str, shape: tuple) -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def mutate_npz(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    name = rng.choice(sorted(members))
    roll = rng.randrange(8)
    if roll == 0:
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b), "bytes"
    if roll == 1:
        return data[: rng.randrange(len(data))], "truncated"
    if roll == 2:   # a header declaring (10**10, 784) floats: must be refused before allocating
        members[name] = _npy_header("<f4", (10**10, 784)) + b"\0" * 64
        return _zip(members), f"{name}: huge shape"
    if roll == 3:
        z = bytearray(_zip(members, zipfile.ZIP_DEFLATED))
        z[len(z) // 3: len(z) // 3 + 32] = b"\xff" * 32
        return bytes(z), "corrupt deflate"
    if roll == 4:   # compression method 99 in every header
        z = bytearray(_zip(members))
        for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
            at = z.find(signature)
            while at >= 0:
                z[at + offset: at + offset + 2] = struct.pack("<H", 99)
                at = z.find(signature, at + 4)
        return bytes(z), "unknown method"
    if roll == 5:
        members[name] = _npy_header("|O", (3,)) + b"\x80\x04N."
        return _zip(members), f"{name}: object dtype"
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    key = name.removesuffix(".npy")
    a = arrays[key]
    if roll == 6 and a.dtype.kind == "f" and a.size:
        a = a.copy()
        a.flat[rng.randrange(a.size)] = rng.choice([np.nan, np.inf, -1e30])
        what = "not finite"
    else:
        a, what = rng.choice([(a.reshape(-1), "flattened"), (a[:0], "empty"), (np.array(7), "scalar"),
                              (a.astype(np.float64) if a.dtype.kind != "U" else np.array(5), "float64")])
    arrays[key] = a
    return npz_bytes(arrays), f"{name}: {what}"


def mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if rng.random() < 0.4:
        return data[: rng.randrange(len(data))], "truncated"
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b), "bytes"


def mutate(name: str, data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = Path(name).suffix
    return {".json": mutate_json, ".npz": mutate_npz}.get(kind, mutate_bytes)(data, rng)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def jail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("keep me")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def stand_in_runtime(jail: Path) -> Path:
    """node_modules with the real onnxruntime-web package.json and dist files of a few bytes."""
    package = jail / "node_modules" / "onnxruntime-web"
    (package / "dist").mkdir(parents=True)
    shutil.copyfile(NODE_MODULES / "onnxruntime-web" / "package.json", package / "package.json")
    for name in ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"):
        (package / "dist" / name).write_text(f"// stand-in for {name}\n")
    return package.parent


def _set(path: tuple, value: object):
    """A mutation that sets one field of a JSON record (`value` may be a sentinel of LITERALS)."""
    def mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
        obj = json.loads(data)
        parent = obj
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
        return _dump(obj), f"{path} = {value!r}"[:80]
    return mutation


def _raw(data: bytes):
    return lambda original, rng: (data, f"{data[:20]!r}…")


# The tamperings the issue found to end in a traceback, each once.
KNOWN = [
    (layout.FINDINGS, _set(("roundtrip",), None)),
    (layout.FINDINGS, _set(("transitions", 0, "from"), 2**63)),
    (layout.FINDINGS, _set(("split",), [{"a": 1}])),
    (layout.TIMELAPSE_JSON, _set(("twin", "test_mse"), 0)),
    (layout.TIMELAPSE_JSON, _set(("twin", "test_mse"), "INF")),
    (layout.METRICS, _set(("test_mse",), "BIGFLOAT")),
    (layout.METRICS, _set(("finetune", "best_epoch"), "BIGINT")),
    (layout.METRICS, _raw(b"\xff\xfe{}")),
    (layout.MANIFEST, _raw(b"[" * 100_000 + b"]" * 100_000)),
    (layout.POINTS, lambda data, rng: mutate_npz(data, _Fixed(2))),   # a (10**10, 784) header
]


class _Fixed(random.Random):
    """A generator whose randrange gives `roll` first (mutate_npz's choice of damage)."""

    def __init__(self, roll: int) -> None:
        super().__init__(0)
        self.roll = roll

    def randrange(self, *args, **kwargs):
        if len(args) == 1 and args[0] == 8:
            return self.roll
        return super().randrange(*args, **kwargs)


@pytest.mark.parametrize("name, mutation", KNOWN, ids=[f"{n}-{i}" for i, (n, _) in enumerate(KNOWN)])
def test_the_issues_tamperings_are_one_line(quick_build: Path, jail: Path, stand_in_runtime: Path,
                                            name: str, mutation) -> None:
    check_mutations(quick_build, jail, stand_in_runtime, name, [mutation], must_fail=True)


@pytest.mark.parametrize("name", RECORDS)
def test_a_mutated_record_is_one_line_or_a_correct_site(quick_build: Path, jail: Path, stand_in_runtime: Path,
                                                        name: str) -> None:
    check_mutations(quick_build, jail, stand_in_runtime, name, [mutate] * MUTATIONS)


def check_mutations(quick_build: Path, jail: Path, stand_in_runtime: Path, name: str, mutations: list,
                    must_fail: bool = False) -> None:
    build = jail / "build" / "mnist"
    shutil.copytree(quick_build, build, ignore=shutil.ignore_patterns(layout.DATA_CACHE))
    original, manifest = (build / name).read_bytes(), (build / layout.MANIFEST).read_bytes()
    rng = random.Random(f"issue 23: {name}")
    outside = {p: snapshot(p) for p in (jail / "home", stand_in_runtime)}
    for i, mutation in enumerate(mutations):
        data, what = mutation(original, rng) if mutation is not mutate else mutate(name, original, rng)
        (build / name).write_bytes(data)
        if name != layout.MANIFEST:   # the hash fixed: the mutation reaches the reader
            m = json.loads(manifest)
            for record in m["stages"].values():
                if name in record["files"]:
                    record["files"][name] = hashlib.sha256(data).hexdigest()
            (build / layout.MANIFEST).write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
        site = jail / f"site{i}"
        result = CliRunner().invoke(main, ["render", str(build), "--site", str(site),
                                           "--node-modules", str(stand_in_runtime)])
        case = f"{name} {what}: exit {result.exit_code}, {result.exception!r}, {result.stderr[-300:]!r}"
        assert result.exception is None or isinstance(result.exception, SystemExit), case
        assert "Traceback" not in result.output, case
        if result.exit_code == 0:
            assert not must_fail, case
            assert (site / "index.html").is_file(), case
            sitedir.check_site(site, [])   # every file matches the marker: render may replace it again
        else:
            assert result.exit_code == 1, case
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: ") and len(lines[0]) < 600, case
            assert not site.exists(), case
        assert {p: snapshot(p) for p in outside} == outside, case
        assert sorted(p.name for p in jail.iterdir() if p.name.startswith(".")) == [], case
        (build / name).write_bytes(original)
        (build / layout.MANIFEST).write_bytes(manifest)
