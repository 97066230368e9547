"""The array records of a build folder (`.npz`): one bounded reader for them all and a typed,
validating record per file.

`read_npz(data, where, names)` reads only the named members, checks each member's header
(dtype, shape) before it allocates anything (a header that declares more elements than
the member holds bytes for is refused), and turns every problem of the archive (not a
zip, an unknown compression method, a corrupt deflate stream, a truncated member, an
object array) into one `BuildError` naming `where`.

| record | file | written by |
|---|---|---|
| `Points` | `points.npz`: every image's code `u` (n, 2), `label` (n,), `test` mask, `pca` (n, 2) | train |
| `TestImages` | `digits.npz`: the test split `x_test` (m, 784) in [0, 1], `y_test` (m,) | train |
| `Units` | `units.npz`: what each unit of the decoder's first two hidden layers draws alone | export |
| `PcaBasis` | `pca.npz`: the PCA of the training images, `mean` (784,), `components` (k, 784) | compress |

Each record has the one signature of every record: `Record.read(data: bytes, where: str)`.
Checks that tie two files together (the labels against the classes of `metrics.json`,
the test images against the points' test rows) are the `BuildFolder`'s.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from builder.records.files import BuildError

SIDE = 28  # every record's images are SIDE × SIDE grey
PIXELS = SIDE * SIDE
MAX_ELEMENTS = 1 << 26  # per array; the largest record (70,000 images × 784) holds 55 M


def read_npz(data: bytes, where: str, names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The arrays `names` (None: every array it holds) of an `.npz` archive's bytes, each
    checked before allocation; `BuildError` naming `where` for anything that is not such
    an archive."""
    what = "arrays " + ", ".join(names) if names is not None else "its arrays"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if names is None:
                names = tuple(sorted(n[:-4] for n in z.namelist() if n.endswith(".npy")))
            out = {}
            for name in names:
                try:
                    info = z.getinfo(f"{name}.npy")
                except KeyError:
                    raise BuildError(f"{where}: cannot read {what} (no array {name!r})") from None
                with z.open(info) as member:
                    out[name] = _read_member(member, info.file_size, f"{where}: {name}")
            return out
    except BuildError:
        raise
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, OSError, EOFError,
            RuntimeError) as e:
        raise BuildError(f"{where}: cannot read {what} ({type(e).__name__}: {e})") from None


def _read_member(member, size: int, where: str) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(member)
    header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
    if header is None:
        raise BuildError(f"{where}: unknown .npy version {version}")
    shape, fortran, dtype = header(member)  # the header alone, before any data
    if dtype.hasobject:
        raise BuildError(f"{where}: holds Python objects, not numbers")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if count > MAX_ELEMENTS or count * dtype.itemsize > size:
        raise BuildError(f"{where}: declares an array of shape {shape}, more than the file holds")
    raw = member.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise BuildError(f"{where}: truncated ({len(raw)} of {count * dtype.itemsize} bytes)")
    a = np.frombuffer(raw, dtype=dtype, count=count)
    return (a.reshape(shape[::-1]).T if fortran else a.reshape(shape)).copy()


def _finite(*arrays: np.ndarray) -> bool:
    return all(a.dtype.kind in "fiu" and np.all(np.isfinite(a)) for a in arrays)


@dataclass(frozen=True)
class Points:
    """`points.npz`: `u` float32 (n, 2) the codes of every image, `label` uint8 (n,),
    `test` bool (n,) (the test rows, in the order of the test split), `pca` (n, 2)."""

    u: np.ndarray
    label: np.ndarray
    test: np.ndarray
    pca: np.ndarray

    @classmethod
    def read(cls, data: bytes, where: str) -> "Points":
        f = read_npz(data, where, ("u", "label", "test", "pca"))
        u, label, test, pca = f["u"], f["label"], f["test"], f["pca"]
        n = len(u)
        if u.ndim != 2 or u.shape[1] != 2 or label.shape != (n,) or n == 0 or pca.shape != u.shape:
            raise BuildError(f"{where}: need u and pca of shape (n, 2) and label of shape (n,), got {u.shape}, "
                             f"{pca.shape} and {label.shape}")
        if not _finite(u, pca):
            raise BuildError(f"{where}: u or pca has non-finite values")
        if label.dtype.kind not in "iu" or label.min() < 0 or label.max() > 255:
            raise BuildError(f"{where}: labels must be integers in 0..255")
        if test.shape != (n,) or test.dtype != np.bool_:
            raise BuildError(f"{where}: need a boolean `test` mask of shape (n,)")
        return cls(u.astype(np.float32), label.astype(np.uint8), test, pca)


@dataclass(frozen=True)
class TestImages:
    """`digits.npz`: the test split, `x` float32 (m, 784) in [0, 1] and `y` (m,) its labels."""

    __test__ = False  # a record, not a pytest class

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def read(cls, data: bytes, where: str) -> "TestImages":
        f = read_npz(data, where, ("x_test", "y_test"))
        x, y = f["x_test"], f["y_test"]
        if x.ndim != 2 or x.shape[1] != PIXELS or y.shape != (len(x),):
            raise BuildError(f"{where}: need x_test of shape (n, {PIXELS}) and y_test of shape (n,)")
        if not (_finite(x) and x.min(initial=0) >= 0 and x.max(initial=0) <= 1):
            raise BuildError(f"{where}: x_test must lie in [0, 1]")
        if y.dtype.kind not in "iu":
            raise BuildError(f"{where}: y_test must hold integer labels")
        return cls(x.astype(np.float32), y)


@dataclass(frozen=True)
class Units:
    """`units.npz`: per hidden layer k = 1, 2 of the decoder, `images[k-1]` uint8
    (units, 784) what each unit draws alone and `values[k-1]` (units,) the value it had."""

    images: tuple[np.ndarray, ...]
    values: tuple[np.ndarray, ...]

    @classmethod
    def read(cls, data: bytes, where: str) -> "Units":
        f = read_npz(data, where, ("layer1", "value1", "layer2", "value2"))
        for k in (1, 2):
            images, values = f[f"layer{k}"], f[f"value{k}"]
            if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != PIXELS \
                    or values.shape != images.shape[:1] or not _finite(values):
                raise BuildError(f"{where}: layer{k} must be uint8 (units, {PIXELS}) with one value per unit")
        return cls((f["layer1"], f["layer2"]), (f["value1"], f["value2"]))


@dataclass(frozen=True)
class PcaBasis:
    """`pca.npz`: `mean` float32 (784,) and `components` float32 (k, 784), k ≥ 2."""

    mean: np.ndarray
    components: np.ndarray

    @classmethod
    def read(cls, data: bytes, where: str) -> "PcaBasis":
        f = read_npz(data, where, ("mean", "components"))
        mean, comp = f["mean"], f["components"]
        if mean.shape != (PIXELS,) or comp.ndim != 2 or comp.shape[1] != PIXELS or mean.dtype != np.float32 \
                or comp.dtype != np.float32 or len(comp) < 2 or not _finite(mean, comp):
            raise BuildError(f"{where}: need float32 mean ({PIXELS},) and components (k, {PIXELS})")
        return cls(mean, comp)
