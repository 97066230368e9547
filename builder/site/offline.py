"""The site's service worker, `sw.js` (templates/shared/_worker.js): what it precaches.

A small hand-written worker rather than Workbox: the site is static and every file but
the pages already has a content-hashed name (the runtime a versioned folder), so the
worker needs only a list of files and a version, two cache strategies (pages network
first, the rest cache first) and the deletion of older caches; Workbox would bring a
build step or a runtime library of its own (and its loader uses `importScripts` from a
CDN by default) for the same three things. `render` calls `add_worker` last.
"""

from __future__ import annotations

import hashlib
import json

WORKER = "sw.js"
# Files a page loads only from file:// (the WebAssembly and the glue as data scripts):
# over http(s), where the worker runs, they are never asked for.
FILE_ONLY = ("wasm", "glue")


def precache_list(out: dict[str, bytes], file_only: list[str]) -> list[str]:
    """Every file of the site a page may load over http(s), sorted: no dotfiles, no `file_only`."""
    skip = set(file_only) | {WORKER}
    return sorted(rel for rel in out if rel not in skip and not any(p.startswith(".") for p in rel.split("/")))


def add_worker(out: dict[str, bytes], source: bytes, file_only: list[str]) -> str:
    """Write `sw.js` into `out`: PRECACHE and VERSION, then `source`. Returns its name."""
    files = precache_list(out, file_only)
    digest = hashlib.sha256()
    for rel in files:
        digest.update(rel.encode() + b"\0" + hashlib.sha256(out[rel]).digest())
    head = (f"const PRECACHE = {json.dumps(files)};\n"
            f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n")
    out[WORKER] = head.encode() + source
    return WORKER
