"""The parse cache `data.npz`: a data set's arrays and names, keyed twice: by the source
key (what was read: the kind, the short name, the files' names and bytes), so a second
build skips reading and converting, and by the content fingerprint, so the stages after
train (compress, timelapse) find the very data train recorded."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from builder.data.dataset import PIXELS, Dataset
from builder.records.arrays import read_npz
from builder.records.files import BuildError, npz_bytes, parse_json

CACHE_FORMAT = 3  # of data.npz; a cache of another format is parsed anew
ARRAYS = ("x_train", "y_train", "x_test", "y_test")
INFO = ("kind", "split", "converted", "inverted", "skipped")


def source_key(kind: str, short: str, files: list[tuple[str, Path]]) -> str:
    """sha256 over the kind, the short name and each file's name (relative) and bytes."""
    h = hashlib.sha256(f"{kind}\0{short}\0".encode())
    for name, path in files:
        try:
            h.update(name.encode() + b"\0" + path.read_bytes())
        except FileNotFoundError:
            raise BuildError(f"{path}: file not found") from None
        except OSError as e:
            raise BuildError(f"{path}: cannot read ({e.strerror or e})") from None
    return h.hexdigest()


def read_cache(cache: Path, fingerprint: str, key: str | None = None) -> Dataset | None:
    """The data set in `cache` when it holds the data of content `fingerprint` (or, given
    `key`, of that source key), else None."""
    try:
        # bounded (each header checked before allocation): a broken cache is parsed anew
        f = read_npz(cache.read_bytes(), str(cache), ("key", "fingerprint", "meta", *ARRAYS))
        if key is not None and str(f["key"]) != key or key is None and str(f["fingerprint"]) != fingerprint:
            return None
        meta = parse_json(str(f["meta"]).encode("utf-8", "surrogateescape"), str(cache))
        if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
            return None
        arrays = {k: f[k] for k in ARRAYS}
        found = str(f["fingerprint"])
        ds = Dataset(**arrays, name=str(meta["name"]), source=str(meta["source"]),
                     classes=tuple(str(c) for c in meta["classes"]), fingerprint=found,
                     **{k: meta[k] for k in INFO})
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, BuildError):
        return None
    ok = (ds.x_train.dtype == np.float32 and ds.x_test.dtype == np.float32
          and ds.x_train.ndim == 2 and ds.x_train.shape[1:] == ds.x_test.shape[1:] == (PIXELS,)
          and ds.y_train.shape == (len(ds.x_train),) and ds.y_test.shape == (len(ds.x_test),))
    return ds if ok else None


def cache_bytes(ds: Dataset, key: str) -> bytes:
    """The parse cache of `ds`: its arrays, its names, keyed by `key` and its fingerprint."""
    arrays: dict[str, np.ndarray] = {k: getattr(ds, k) for k in ARRAYS}
    meta = {"name": ds.name, "source": ds.source, "classes": list(ds.classes), "format": CACHE_FORMAT,
            **{k: getattr(ds, k) for k in INFO}}
    arrays.update(key=np.array(key), fingerprint=np.array(ds.fingerprint), meta=np.array(json.dumps(meta)))
    return npz_bytes(arrays)
