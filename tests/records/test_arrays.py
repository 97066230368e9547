"""The array records and their one bounded reader (`builder.records.arrays`): every record
round-trips what the stages write; a damaged archive is one `BuildError` line, never a
traceback or an allocation the file cannot back."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from builder.records.arrays import MAX_ELEMENTS, PIXELS, PcaBasis, Points, TestImages, Units, read_npz
from builder.records.files import BuildError, npz_bytes


def points(n: int = 50, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    rng = rng or np.random.default_rng(0)
    u = rng.normal(size=(n, 2)).astype(np.float32)
    return {"u": u, "label": (np.arange(n) % 10).astype(np.uint8), "test": np.arange(n) % 3 == 0,
            "pca": (u * 2).astype(np.float32)}


def one_line(e: pytest.ExceptionInfo, where: str) -> None:
    assert str(e.value).startswith(where) and "\n" not in str(e.value)


def test_read_npz_gives_the_arrays_np_load_gives(rng: np.random.Generator) -> None:
    arrays = {"a": rng.normal(size=(7, 3)).astype(np.float32), "b": np.arange(5, dtype=np.int64),
              "s": np.array("sigmoid"), "f": np.asfortranarray(rng.normal(size=(4, 6)))}
    data = npz_bytes(arrays)
    got = read_npz(data, "x.npz", tuple(arrays))
    with np.load(io.BytesIO(data)) as ref:
        for k in arrays:
            assert got[k].dtype == ref[k].dtype and np.array_equal(got[k], ref[k]), k


def _with_member(name: str, payload: bytes, method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr(name, payload)
    return buf.getvalue()


def _npy(arr: np.ndarray) -> bytes:
    b = io.BytesIO()
    np.lib.format.write_array(b, arr)
    return b.getvalue()


@pytest.mark.parametrize("case", ["not a zip", "truncated", "missing", "huge header", "objects",
                                  "short data", "bad deflate", "unknown method"])
def test_a_damaged_archive_is_one_line(case: str) -> None:
    good = npz_bytes({"a": np.zeros((3, 2), np.float32)})
    data = {
        "not a zip": b"hello",
        "truncated": good[: len(good) // 2],
        "missing": npz_bytes({"b": np.zeros(2)}),
        # a header that declares (10^10, 784) floats, with none of them present
        "huge header": _with_member("a.npy", _npy_header((10_000_000_000, 784))),
        "objects": _with_member("a.npy", _npy_header((2,), "|O")),
        "short data": _with_member("a.npy", _npy(np.zeros((3, 2), np.float32))[:-5]),
        "bad deflate": _corrupt_deflate(),
        "unknown method": _unknown_method(good),
    }[case]
    with pytest.raises(BuildError) as e:
        read_npz(data, "x.npz", ("a",))
    one_line(e, "x.npz")


def _npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": False, "shape": shape})
    return b.getvalue()


def _corrupt_deflate() -> bytes:
    data = bytearray(_with_member("a.npy", _npy(np.arange(4000, dtype=np.float32)), zipfile.ZIP_DEFLATED))
    data[60:80] = b"\xff" * 20   # inside the deflate stream (the local header is 30 + 5 bytes)
    return bytes(data)


def _unknown_method(good: bytes) -> bytes:
    data = bytearray(good)
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):   # the method field of the local and central headers
        i = data.index(sig)
        off = 8 if sig == b"PK\x03\x04" else 10
        data[i + off: i + off + 2] = (99).to_bytes(2, "little")
    return bytes(data)


def test_the_limit_is_far_above_the_largest_record() -> None:
    assert MAX_ELEMENTS > 70_000 * PIXELS


def test_points_round_trip_and_refuse_what_the_page_cannot_draw(rng: np.random.Generator) -> None:
    p = points(rng=rng)
    got = Points.read(npz_bytes(p), "points.npz")
    assert all(np.array_equal(getattr(got, k), p[k]) for k in p)
    for change, why in [({"u": p["u"][:, :1]}, "shape"), ({"u": np.where(p["u"] > 1, np.inf, p["u"])}, "non-finite"),
                        ({"test": p["test"].astype(np.uint8)}, "boolean"), ({"label": -p["label"].astype(np.int8) - 1}, "labels")]:
        with pytest.raises(BuildError) as e:
            Points.read(npz_bytes({**p, **change}), "points.npz")
        one_line(e, "points.npz")


def test_test_images_units_and_pca_check_their_shapes_and_ranges(rng: np.random.Generator) -> None:
    x = rng.random((6, PIXELS)).astype(np.float32)
    t = TestImages.read(npz_bytes({"x_test": x, "y_test": np.arange(6, dtype=np.uint8)}), "digits.npz")
    assert np.array_equal(t.x, x) and t.y.tolist() == list(range(6))
    with pytest.raises(BuildError, match=r"digits\.npz: x_test must lie in \[0, 1\]"):
        TestImages.read(npz_bytes({"x_test": x * 2, "y_test": np.arange(6, dtype=np.uint8)}), "digits.npz")
    images = rng.integers(0, 256, (4, PIXELS)).astype(np.uint8)
    ok = {"layer1": images, "value1": np.ones(4, np.float32), "layer2": images[:2], "value2": np.ones(2, np.float32)}
    u = Units.read(npz_bytes(ok), "units.npz")
    assert [len(v) for v in u.values] == [4, 2] and np.array_equal(u.images[0], images)
    with pytest.raises(BuildError, match=r"units\.npz: layer2"):
        Units.read(npz_bytes({**ok, "value2": np.ones(3, np.float32)}), "units.npz")
    mean, comp = np.zeros(PIXELS, np.float32), rng.normal(size=(3, PIXELS)).astype(np.float32)
    assert PcaBasis.read(npz_bytes({"mean": mean, "components": comp}), "pca.npz").components.shape == (3, PIXELS)
    with pytest.raises(BuildError, match=r"pca\.npz: need float32"):
        PcaBasis.read(npz_bytes({"mean": mean, "components": comp[:1]}), "pca.npz")
