"""The page on emulated networks, beside the floor: first answer to the pointer, first image.

Chromium's DevTools protocol slows one page's network (`Network.emulateNetworkConditions`:
a download and upload rate and a round-trip latency added to every request), and the
site is served gzip-compressed, as GitHub Pages serves it: `GzipPagesHandler` is the
bench's sub-path server (builder/site/serve.py) with `Content-Encoding: gzip` for the
types Pages compresses (HTML, JavaScript, CSS, JSON, SVG, WebAssembly), never for
`application/octet-stream` (the floor page's `decoder.onnx`, which Pages sends as is).

Each round loads the page cold, then the bare floor page (bench/browser.py `bare_site`),
each in a fresh browser, under the same conditions. In the page, an init script moves a
synthetic pointer over the plane every `POINTER_MS` from the start, so
`aedemo.timings.pointer` (templates/decoder/preview.js: the first time the preview has
drawn a point's coordinates and its nearest real images) is the first answer to the
pointer, give or take that step.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import os
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Iterator

from builder.site import serve as pages

from .common import ratio_pairs, timing

# (key, what the report calls it, bits per second down and up, round trip in ms)
NETWORKS = (
    ("10mbit", "10 Mbit/s, 40 ms", 10e6, 40),
    ("1.6mbit", "1.6 Mbit/s, 150 ms", 1.6e6, 150),
)
POINTER_MS = 20
# What GitHub Pages sends gzip-compressed (by type), when the browser accepts it.
COMPRESSED = ("text/html", "application/javascript", "text/css", "application/json", "image/svg+xml",
              "application/wasm", "text/plain")

POINTER_PROBE = """(() => {
  const tick = () => {
    const t = window.aedemo && window.aedemo.timings;
    if (t && t.pointer !== undefined) return;
    const c = document.getElementById('plane-canvas');
    const r = c && c.getBoundingClientRect();
    if (r && r.width) {
      c.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, pointerId: 1, pointerType: 'mouse',
        isPrimary: true, clientX: r.left + 0.6 * r.width, clientY: r.top + 0.6 * r.height }));
    }
    setTimeout(tick, %d);
  };
  tick();
})();""" % POINTER_MS

WAIT_POINTER = """async () => {
  const t0 = performance.now();
  while (!(window.aedemo && window.aedemo.timings && window.aedemo.timings.pointer !== undefined)) {
    if (performance.now() - t0 > 300000) throw new Error('no timings.pointer');
    await new Promise((r) => setTimeout(r, 5));
  }
  return window.aedemo.timings.pointer;
}"""


class GzipPagesHandler(pages.PagesHandler):
    """PagesHandler, with each compressible file sent gzip-compressed (kept compressed in memory)."""

    cache: dict = {}
    cache_lock = threading.Lock()

    def send_head(self) -> Any:
        url = urllib.parse.urlsplit(self.path)
        rel = urllib.parse.unquote(url.path[len(self.base):]) if url.path.startswith(self.base) else None
        path = self.translate_path(self.path)
        kind = self.guess_type(path)
        if (rel is None or any(p.startswith(".") for p in rel.split("/")) or not os.path.isfile(path)
                or "gzip" not in self.headers.get("Accept-Encoding", "")
                or not kind.startswith(COMPRESSED)):
            return super().send_head()
        body = compressed(self.cache, self.cache_lock, path)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def compressed(cache: dict, lock: threading.Lock, path: str) -> bytes:
    """The file at `path` gzip-compressed (level 6), kept in `cache` by path and mtime."""
    key = (path, os.stat(path).st_mtime_ns)
    with lock:
        body = cache.get(key)
    if body is None:
        body = gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
        with lock:
            cache[key] = body
    return body


class _Server(pages._Server):
    """The sub-path server, quiet when a browser closes mid-download (the bench closes
    each browser at its first image, while the page still fetches its encoder)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve_gzip(site: Path) -> Iterator[str]:
    """Serve `site` under /aedemo/ on 127.0.0.1 with gzip as Pages does; yields the page's URL.
    Every compressible file is compressed before the first request, as a CDN has it ready."""
    handler = type("Handler", (GzipPagesHandler,), {"base": pages.DEFAULT_BASE, "lock": threading.Lock(),
                                                    "cache": {}, "cache_lock": threading.Lock()})
    for path in sorted(Path(site).rglob("*")):
        if path.is_file() and pages.MIME_TYPES.get(path.suffix.lower(), "").startswith(COMPRESSED):
            compressed(handler.cache, handler.cache_lock, str(path))
    server = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, name="aedemo-bench-gzip", daemon=True)
    thread.start()
    running = pages.Running(server, thread, pages.DEFAULT_BASE, handler.lock)
    try:
        yield running.url
    finally:
        running.stop()


def conditions(bits_per_second: float, latency_ms: float) -> dict[str, Any]:
    """The DevTools protocol's parameters (bytes per second) for one network."""
    return {"offline": False, "latency": latency_ms,
            "downloadThroughput": bits_per_second / 8, "uploadThroughput": bits_per_second / 8}


def emulated_loads(chrome: Any, page_url: str, bare_url: str, loads: int,
                   networks: tuple = NETWORKS, log=lambda s: None) -> dict[str, Any]:
    """`loads` rounds per network: the page cold, then the floor cold, both emulated."""
    from .browser import WAIT_FIRST_IMAGE

    out: dict[str, Any] = {}
    for key, label, bps, latency in networks:
        rows: dict[str, list[float]] = {"pointer": [], "page": [], "floor": []}
        for i in range(loads):
            with chrome.open(page_url, page_url, network=conditions(bps, latency),
                             init_script=POINTER_PROBE) as page:
                image = page.evaluate(WAIT_FIRST_IMAGE)["firstImage"]
                rows["pointer"].append(page.evaluate(WAIT_POINTER))
                rows["page"].append(image)
            with chrome.open(bare_url, bare_url, network=conditions(bps, latency)) as page:
                rows["floor"].append(page.evaluate(WAIT_FIRST_IMAGE)["firstImage"])
            log(f"  {label}, round {i + 1}/{loads}: pointer {rows['pointer'][-1]:.0f} ms, first image "
                f"{rows['page'][-1]:.0f} ms, floor {rows['floor'][-1]:.0f} ms")
        out[key] = {
            "label": label, "bits_per_second": bps, "latency_ms": latency, "gzip": True,
            "pointer_ms": timing(rows["pointer"]),
            "first_image_ms": timing(rows["page"]),
            "floor_ms": timing(rows["floor"]),
            "ratio": timing(ratio_pairs(rows["page"], rows["floor"])),
        }
    return out
