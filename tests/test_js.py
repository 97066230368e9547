"""The pure page libraries' node unit tests (tests/js/*.test.js, node's own test runner):
a change to format.js, nearest.js or statecodec.js is checked without a browser."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import ROOT

JS_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.js"))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_libraries_pass_their_node_unit_tests() -> None:
    assert JS_TESTS, "tests/js holds the node unit tests"
    run = subprocess.run(["node", "--test", *map(str, JS_TESTS)], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    declared = sum(len(re.findall(r"^test\(", p.read_text(encoding="utf-8"), flags=re.M)) for p in JS_TESTS)
    passed = re.search(r"^# pass (\d+)$", run.stdout, flags=re.M)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert passed and int(passed.group(1)) == declared > 0, run.stdout[-2000:]
