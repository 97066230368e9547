"""The page's packed models (`builder/site/modelpack.py`): exact, smaller, and what the page reads."""

from __future__ import annotations

import base64
import gzip
import json

import numpy as np
import onnx
import pytest
from factories import random_model

from builder.site import modelpack
from builder.stages import export

META = {"seed": 0, "data": "test", "source": "test", "test_mse": 0.5}


@pytest.fixture(scope="module", params=["decoder", "encoder"])
def model_bytes(request: pytest.FixtureRequest) -> bytes:
    model = random_model(seed=3)
    proto = (export.decoder_proto if request.param == "decoder" else export.encoder_proto)(model, META)
    return export._serialized(proto)


def test_pack_then_unpack_gives_the_same_bytes(model_bytes: bytes) -> None:
    packed = modelpack.pack(model_bytes)
    assert modelpack.unpack(packed) == model_bytes
    assert json.loads(json.dumps(packed)) == packed   # as the data script carries it


def test_every_large_float32_initializer_is_in_byte_planes(model_bytes: bytes) -> None:
    inits = {t.name: t for t in onnx.load_model_from_string(model_bytes).graph.initializer}
    large = [t for t in inits.values() if t.data_type == onnx.TensorProto.FLOAT
             and len(t.raw_data) >= 4 * modelpack.MIN_FLOATS]
    planes = modelpack.float_planes(model_bytes)
    assert len(planes) == len(large) >= 4
    for at, n in planes:
        block = np.frombuffer(model_bytes, "<f4", n, at)
        assert any(np.array_equal(block, np.frombuffer(t.raw_data, "<f4")) for t in large)
    body = gzip.decompress(base64.b64decode(modelpack.pack(model_bytes)["gz"]))
    at, n = max(planes, key=lambda p: p[1])
    first_bytes = np.frombuffer(model_bytes, np.uint8, 4 * n, at)[0::4]
    assert np.array_equal(np.frombuffer(body, np.uint8, n, at), first_bytes)


def test_packing_is_smaller_than_gzip_alone(model_bytes: bytes) -> None:
    packed = len(base64.b64decode(modelpack.pack(model_bytes)["gz"]))
    plain = len(gzip.compress(model_bytes, compresslevel=9, mtime=0))
    assert packed < 0.97 * plain


def test_a_damaged_pack_is_refused(model_bytes: bytes) -> None:
    packed = modelpack.pack(model_bytes)
    packed["planes"][0][0] += 1
    with pytest.raises(ValueError, match="does not unpack"):
        modelpack.unpack(packed)

