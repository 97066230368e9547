"""`parse_json`, the one JSON parser of every record: what `json.loads` reads, except what no
record holds (deep nesting, non-finite or huge numbers, text that is not UTF-8), which is
one `BuildError` line naming the file instead of a traceback."""

from __future__ import annotations

import json

import pytest

from builder.records.files import MAX_JSON_DEPTH, BuildError, json_bytes, parse_json


@pytest.mark.parametrize("obj", [{"a": [1, 2.5, -3e-7, "x\"[{", None, True]}, [[[]]], "brackets ] } in text", 0])
def test_parse_json_reads_what_json_loads_reads(obj: object) -> None:
    data = json_bytes(obj)
    assert parse_json(data, "f.json") == json.loads(data)


def test_nesting_up_to_the_limit_is_read() -> None:
    data = ("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode()
    assert parse_json(data, "f.json") == json.loads(data)


@pytest.mark.parametrize("data", [b"[1e400]", b"[-1e999]", b"NaN", b'{"a": Infinity}', b"1" + b"0" * 5000,
                                  b"[" * 100_000, b"\xff\xfe", b'{"a": 1', b"", b'{"a": "\xc3"}'])
def test_what_no_record_holds_is_one_line(data: bytes) -> None:
    with pytest.raises(BuildError) as e:
        parse_json(data, "build/x/metrics.json")
    assert str(e.value).startswith("build/x/metrics.json: not") and "\n" not in str(e.value)
