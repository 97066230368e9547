"""What the page's data scripts carry, shaped from the records: compact, JSON-safe values.

Pure functions of typed records (`records.arrays`, `records.history`, `records.timelapse`);
each returns a plain dict the page's scripts decode (`templates/shared/data.js` and their
users). Deterministic: fixed shuffles and samples, gzip with mtime 0.
"""

from __future__ import annotations

import base64
import gzip

import numpy as np

from builder.records.arrays import PcaBasis, Units
from builder.records.files import BuildError
from builder.records.history import PHASES, History
from builder.records.onnxfile import OnnxModel
from builder.records.timelapse import Twin

MAX_DIGITS = 5000   # real digits shipped for the nearest-digit search and the drawing pad


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()


def points_payload(u: np.ndarray, label: np.ndarray) -> dict:
    """The scatter as compact JSON: int16 codes over the bounding box, uint8 labels."""
    n = len(u)
    u = u.astype(np.float64)
    lo, hi = u.min(axis=0), u.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    q = np.rint((u - lo) / span * 65534.0 - 32767.0).astype("<i2")
    # A fixed shuffle so no class is always drawn on top of the others.
    order = np.random.default_rng(0).permutation(n)
    return {
        "n": int(n),
        "lo": [float(x) for x in lo],
        "hi": [float(x) for x in lo + span],
        "u": base64.b64encode(q[order].tobytes()).decode(),
        "label": base64.b64encode(label[order].astype(np.uint8).tobytes()).decode(),
    }


def digits_payload(x_test: np.ndarray, y_test: np.ndarray, u_test: np.ndarray, limit: int = MAX_DIGITS) -> dict:
    """The real digits the page shows: at most `limit` test images with their codes.

    `x_test` (m, 784), `y_test` (m,) are the test split, `u_test` (m, 2) their codes (the
    points' test rows, in the same order: `BuildFolder.test_images` checks that they are).
    With more than `limit` test images a fixed random subset (in their order) is shipped.

    Images go as uint8 indices into `palette` (float32, at most 256 grey levels): exact
    when the data has at most 256 distinct levels (MNIST has 256), else levels rounded
    to k/255. The index bytes are gzipped (mtime 0). Codes are the points' float32 `u`.
    """
    m = len(x_test)
    keep = np.arange(m) if m <= limit else np.sort(np.random.default_rng(0).choice(m, limit, replace=False))
    x = x_test[keep]
    levels = np.unique(x)
    if len(levels) <= 256:
        palette, index, exact = levels, np.searchsorted(levels, x), True
    else:
        palette, index, exact = np.arange(256) / 255.0, np.rint(x.astype(np.float64) * 255.0), False
    packed = gzip.compress(index.astype(np.uint8).tobytes(), compresslevel=9, mtime=0)
    return {
        "n": int(len(keep)),
        "of": int(m),
        "exact": exact,
        "palette": base64.b64encode(np.asarray(palette, "<f4").tobytes()).decode(),
        "images": base64.b64encode(packed).decode(),
        "codes": base64.b64encode(u_test[keep].astype("<f4").tobytes()).decode(),
        "labels": base64.b64encode(y_test[keep].astype(np.uint8).tobytes()).decode(),
    }


def units_payload(units: Units) -> dict:
    """What the decoder's units draw, for the page: per layer its size, each unit's value
    and its 28×28 picture (uint8 grey, gzip, base64)."""
    return {"layers": [{"n": int(len(values)), "values": [float(v) for v in values.astype(np.float64)],
                        "images": base64.b64encode(gzip.compress(images.tobytes(), 9, mtime=0)).decode()}
                       for images, values in zip(units.images, units.values)]}


def layer_outputs(decoder: OnnxModel) -> list[dict]:
    """The decoder's outputs after the image: [{name, size}] (its hidden layers)."""
    return [{"name": name, "size": size} for name, size in decoder.layers]


def pca_payload(basis: PcaBasis) -> dict:
    """PCA of the training images for the compression page: float32 mean and components, base64."""
    return {"k": int(len(basis.components)), "mean": base64.b64encode(basis.mean.astype("<f4").tobytes()).decode(),
            "components": base64.b64encode(basis.components.astype("<f4").tobytes()).decode()}


def timelapse_payload(h: History, twin: Twin, u_test: np.ndarray, y_test: np.ndarray,
                      where: object) -> tuple[dict, dict[str, bytes]]:
    """The time-lapse's payload: the recorded test codes per moment (uint16 as recorded,
    base64), the kept net's exact codes and the twin's of the same images (float32), the
    moments' figures; and the ONNX bytes of the checkpoint decoders and the twin's decoder
    (the kept checkpoint left out: it is the page's own decoder, the same weights)."""
    rows, models = h.rows, twin.decoders
    try:
        kept_moment, unrolled = h.moment_of("finetune", int(h.epoch[-1])), h.moment_of("unrolled", 0)
    except KeyError as e:
        raise BuildError(f"{where}: history.npz has no moment {e}: run `aedemo train`") from None
    if len(twin.u) != len(u_test) or rows.max(initial=0) >= len(u_test) or len(models) != len(h.checkpoint) + 1 \
            or kept_moment not in h.checkpoint.tolist():
        raise BuildError(f"{where} does not match history.npz: run `aedemo timelapse`")
    moments = [{"label": h.label(i), "phase": PHASES[int(h.phase[i])], "epoch": int(h.epoch[i]),
                "mse": None if not np.isfinite(h.mse[i]) else float(h.mse[i]), "knn5": float(h.knn5[i])}
               for i in range(len(h.phase))]
    payload = {
        "n": int(len(rows)), "m": len(moments), "moments": moments,
        "q": b64(h.q.astype("<u2")), "lo": [float(v) for v in h.lo.ravel()], "hi": [float(v) for v in h.hi.ravel()],
        "labels": b64(y_test[rows].astype(np.uint8)), "final": b64(u_test[rows].astype("<f4")),
        "twin": b64(twin.u[rows].astype("<f4")),
        "checkpoints": [{"moment": int(m), "key": None if m == kept_moment else f"checkpoint{j}"}
                        for j, m in enumerate(h.checkpoint)],
        "unrolled": unrolled, "kept": len(moments) - 1,
        "nTest": int(len(u_test)),
    }
    kept = f"checkpoint{h.checkpoint.tolist().index(kept_moment)}"
    return payload, {k: models[k] for k in sorted(models) if k != kept}


def typical_rms_gap(x: np.ndarray, limit: int = 1000) -> float:
    """The median RMS pixel distance from a real image to its nearest other real image, over
    the first `limit` rows of `x` (n, d): the Unfamiliar map's legend compares with it."""
    v = np.asarray(x[:limit], np.float64)
    sq = (v**2).sum(1)
    d2 = sq[:, None] - 2 * v @ v.T + sq[None]
    np.fill_diagonal(d2, np.inf)
    return float(np.median(np.sqrt(np.maximum(d2.min(1), 0.0) / v.shape[1])))
