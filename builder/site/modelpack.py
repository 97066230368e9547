"""The page's form of an ONNX model: its float32 weights in byte planes, gzip, base64.

Used by `render` (which writes the packed models into `site/data/`) and mirrored by
`unpackModel` in `templates/shared/runtime.js`, which rebuilds the exact ONNX bytes before
`InferenceSession.create`. Reads and writes nothing itself.

float32 weights compress badly as they are (gzip keeps ~93 % of their bytes) because
each number's exponent byte sits between three noisy mantissa bytes. Stored as four
planes (every weight's first byte, then every second byte, …) the exponents line up
and gzip keeps ~84 %: about 50 KB less per model for every visitor, exactly lossless.
Only each large float32 initializer's `raw_data` is rearranged; everything else of the
file stays as it is, so `unpack(pack(data)) == data` byte for byte.
"""

from __future__ import annotations

import base64
import gzip
import hashlib

import numpy as np

MIN_FLOATS = 16  # initializers with fewer numbers stay as they are


def float_planes(data: bytes) -> list[tuple[int, int]]:
    """`[(offset, n), …]`: where each large float32 initializer's n numbers lie in `data`.

    Found by searching the file for the initializer's bytes; one found twice (it
    could be a copy inside another) is left alone. Sorted, never overlapping.
    """
    import onnx

    model = onnx.load_model_from_string(data)
    spans = []
    for t in model.graph.initializer:
        raw = t.raw_data
        if t.data_type != onnx.TensorProto.FLOAT or len(raw) < 4 * MIN_FLOATS:
            continue
        at = data.find(raw)
        if at >= 0 and data.find(raw, at + 1) < 0:
            spans.append((at, len(raw) // 4))
    spans.sort()
    for (a, n), (b, _) in zip(spans, spans[1:]):
        if a + 4 * n > b:
            raise ValueError("overlapping initializers")
    return spans


def shuffled(data: bytes, planes: list[tuple[int, int]], inverse: bool = False) -> bytes:
    """`data` with each span's `(n, 4)` bytes stored as `(4, n)` (or back, `inverse`)."""
    out = bytearray(data)
    for at, n in planes:
        block = np.frombuffer(data, np.uint8, 4 * n, at)
        out[at : at + 4 * n] = (block.reshape(4, n).T if inverse else block.reshape(n, 4).T).tobytes()
    return bytes(out)


def pack(data: bytes) -> dict:
    """The model as the page loads it: `{"gz": base64 of gzip (mtime 0) of the shuffled
    bytes, "planes": [[offset, n], …], "bytes": length, "sha256": of the ONNX file}`."""
    planes = float_planes(data)
    body = gzip.compress(shuffled(data, planes), compresslevel=9, mtime=0)
    return {"gz": base64.b64encode(body).decode(), "planes": [list(p) for p in planes],
            "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def unpack(packed: dict) -> bytes:
    """The ONNX bytes back from `pack`'s output, checked against its length and sha256."""
    data = shuffled(gzip.decompress(base64.b64decode(packed["gz"])),
                    [tuple(p) for p in packed["planes"]], inverse=True)
    if len(data) != packed["bytes"] or hashlib.sha256(data).hexdigest() != packed["sha256"]:
        raise ValueError("the packed model does not unpack to its own bytes")
    return data
