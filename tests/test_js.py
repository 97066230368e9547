"""The pure page libraries' node unit tests (tests/js/*.test.js, node's own test runner):
a change to format.js, nearest.js, statecodec.js, transforms.js, latest.js or the model
unpacking of runtime.js is checked without a browser."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

JS_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.js"))


def packed_model() -> dict:
    """A decoder's ONNX file packed by `modelpack.pack`, for tests/js/modelpack.test.js."""
    from factories import random_model

    from builder.site import modelpack
    from builder.stages import export

    data = export._serialized(export.decoder_proto(random_model(seed=5), {"seed": 0, "data": "t", "source": "t",
                                                                          "test_mse": 0.5}))
    packed = modelpack.pack(data)
    return {"packed": packed, "sha256": hashlib.sha256(data).hexdigest(), "planes": len(packed["planes"])}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_libraries_pass_their_node_unit_tests(tmp_path) -> None:
    assert JS_TESTS, "tests/js holds the node unit tests"
    fixture = tmp_path / "packed.json"
    fixture.write_text(json.dumps(packed_model()))
    run = subprocess.run(["node", "--test", *map(str, JS_TESTS)], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, env={**os.environ, "AEDEMO_PACKED_MODEL": str(fixture)})
    declared = sum(len(re.findall(r"^test\(", p.read_text(encoding="utf-8"), flags=re.M)) for p in JS_TESTS)
    passed = re.search(r"^# pass (\d+)$", run.stdout, flags=re.M)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert passed and int(passed.group(1)) == declared > 0, run.stdout[-2000:]
