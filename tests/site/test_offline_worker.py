"""builder/site/offline.py: the service worker's precache list and version."""

from __future__ import annotations

import json
import re

from builder.site import offline


def parsed(worker: bytes) -> tuple[list[str], str]:
    text = worker.decode()
    files = json.loads(re.search(r"^const PRECACHE = (\[.*\]);$", text, re.M).group(1))
    version = re.search(r'^const VERSION = "([0-9a-f]{16})";$', text, re.M).group(1)
    return files, version


def site_files() -> dict[str, bytes]:
    return {"index.html": b"<p>", "fashion/index.html": b"<p>", "assets/app.0123456789.js": b"1",
            "data/wasm.aaaaaaaaaa.js": b"w", "data/glue.bbbbbbbbbb.js": b"g", ".nojekyll": b"",
            ".aedemo-site": b"{}", "vendor/ort/.hidden": b"x", "vendor/ort/ort.wasm": b"\0asm"}


def test_the_worker_precaches_what_http_pages_load_and_not_the_rest() -> None:
    out = site_files()
    name = offline.add_worker(out, b"/* the worker */\n", ["data/wasm.aaaaaaaaaa.js", "data/glue.bbbbbbbbbb.js"])
    assert name == "sw.js" and out[name].endswith(b"/* the worker */\n")
    files, _ = parsed(out[name])
    assert files == ["assets/app.0123456789.js", "fashion/index.html", "index.html", "vendor/ort/ort.wasm"]


def test_the_version_follows_every_file_and_nothing_else() -> None:
    versions = []
    for change in (None, None, ("assets/app.0123456789.js", b"2"), ("data/wasm.aaaaaaaaaa.js", b"other")):
        out = site_files()
        if change:
            out[change[0]] = change[1]
        offline.add_worker(out, b"", ["data/wasm.aaaaaaaaaa.js", "data/glue.bbbbbbbbbb.js"])
        versions.append(parsed(out["sw.js"])[1])
    assert versions[0] == versions[1], "the same files, the same version"
    assert versions[2] != versions[0], "one changed file, a new version"
    assert versions[3] == versions[0], "a file the worker never caches does not change it"
