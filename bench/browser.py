"""The page in headless Debian chromium: load time, decode latency, batch decode, bytes.

The site is served from 127.0.0.1 under /aedemo/ (as GitHub Pages serves a project
site) and opened from file://. Requests to any other host are refused by chromium's
host resolver (no request interception, which would slow every load) and counted.

What the page offers and what is measured with it (templates/decoder/api.js, window.aedemo):
  - `aedemo.timings.firstImage`: `performance.now()` (ms since navigation start) when
    the first decoded image is drawn in the preview; without it, the moment
    `await aedemo.ready; await aedemo.decode(0, 0)` resolves.
  - `aedemo.decode(u1, u2)`: one point, timed call by call on a page served with
    COOP/COEP headers (bench only), which gives `performance.now()` a 5 µs clock instead
    of 100 µs, and in runs of 100 sequential calls, which needs no fine clock.
  - a batch of points: `aedemo.decodeBatch(Float32Array(2n))` when the page has it,
    else an `ort.InferenceSession` of the page's own onnxruntime-web and decoder bytes.
  - the floor: a bare page (`bare_site`) that does nothing but load the site's own
    onnxruntime-web files its own way, create the decoder's session and run it once,
    loaded cold beside the page in the same rounds: what onnxruntime-web's start costs
    on this machine before the page does anything.
  - one refresh of each map over the plane (Smooth, Unfamiliar) for the default view:
    the map's button switched on, the refresh's own `ms` (and of it the batched decode,
    `decodeMs`) read from `aedemo.plane.maps()` once it is fresh, switched off; repeated.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from tests.factories import serve  # the one sub-path server of the tests and the bench

from . import network as netem
from .common import percentile, timing

CHROMIUM = Path(os.environ.get("AEDEMO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A fresh headless chromium starts the omnibox popup's WebUI renderer with its first
    # page: in a traced cold load its main thread was busy about 1.4 s while the page
    # loaded, on the same 2 cores. A visitor's browser has done that long before.
    "--disable-features=WebUIOmniboxPopup,PreloadTopChromeWebUI",
    # Any host but the local server resolves to nothing: no request leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 120_000


# ---------------------------------------------------------------- the site


def site_bytes(site: Path) -> dict[str, int]:
    """Files, total bytes raw, and total of each file compressed with gzip -9."""
    files = sorted(p for p in Path(site).rglob("*") if p.is_file())
    raw = [p.read_bytes() for p in files]
    return {
        "files": len(files),
        "bytes": sum(len(b) for b in raw),
        "gzip9_bytes": sum(len(gzip.compress(b, compresslevel=9, mtime=0)) for b in raw),
    }


BARE_HTML = """<!doctype html>
<meta charset="utf-8">
<title>onnxruntime-web alone</title>
<script src="vendor/ort.wasm.min.js"></script>
<script src="bare.js"></script>
"""

# The timings the bench reads from the page (WAIT_FIRST_IMAGE), from onnxruntime-web alone:
# its own fetch and streaming compile of the WebAssembly beside its script (wasmPaths),
# the decoder's session, one run on (0, 0).
BARE_JS = """'use strict';
(() => {
  const timings = {};
  const ready = (async () => {
    const { env } = window.ort;
    env.wasm.numThreads = 1;
    env.wasm.proxy = false;
    env.wasm.wasmPaths = new URL('vendor/', document.baseURI).href;
    const bytes = new Uint8Array(await (await fetch('decoder.onnx')).arrayBuffer());
    const session = await window.ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    timings.ready = Math.round(performance.now());
    const u = new window.ort.Tensor('float32', new Float32Array(2), [1, 2]);
    await session.run({ [session.inputNames[0]]: u });
    timings.firstImage = Math.round(performance.now());
  })();
  window.aedemo = { ready, timings };
})();
"""


def bare_site(site: Path, decoder: bytes, folder: Path) -> Path:
    """A page in `folder` (new) with the site's onnxruntime-web files and `decoder` only."""
    vendor = next((site / "vendor").glob("onnxruntime-web-*"))
    (folder / "vendor").mkdir(parents=True)
    for f in vendor.iterdir():
        shutil.copyfile(f, folder / "vendor" / f.name)
    (folder / "decoder.onnx").write_bytes(decoder)
    (folder / "index.html").write_text(BARE_HTML)
    (folder / "bare.js").write_text(BARE_JS)
    return folder


# ---------------------------------------------------------------- in the page

WAIT_FIRST_IMAGE = """async () => {
  const t0 = performance.now();
  while (!window.aedemo) await new Promise((r) => setTimeout(r, 1));
  await window.aedemo.ready;
  const timings = window.aedemo.timings;
  if (timings && typeof timings === 'object') {
    while (timings.firstImage === undefined) {
      if (performance.now() - t0 > %(timeout)d) throw new Error('no timings.firstImage');
      await new Promise((r) => setTimeout(r, 2));
    }
    return { source: 'aedemo.timings.firstImage', firstImage: timings.firstImage,
             ready: timings.ready ?? null, scatter: timings.scatter ?? null };
  }
  await window.aedemo.decode(0, 0);
  return { source: 'aedemo.ready then decode(0, 0)', firstImage: performance.now(),
           ready: null, scatter: null };
}""" % {"timeout": TIMEOUT_MS}

# Random points over the plane from a fixed-seed generator; their values do not change
# the work (dense layers), only keep any cache of the last answer from helping.
DECODE_LATENCY = """async ([calls, run]) => {
  let s = 12345;
  const rand = () => { s = (1103515245 * s + 12345) %% 2147483648; return 6 * s / 2147483648 - 3; };
  await window.aedemo.ready;
  for (let i = 0; i < 200; i++) await window.aedemo.decode(rand(), rand());
  let resolution = Infinity;
  for (let i = 0, last = performance.now(); i < 200000 && resolution > 0.0005; i++) {
    const now = performance.now();
    if (now > last) { resolution = Math.min(resolution, now - last); last = now; }
  }
  const single = [];
  for (let i = 0; i < calls; i++) {
    const u1 = rand(), u2 = rand();
    const t0 = performance.now();
    await window.aedemo.decode(u1, u2);
    single.push(performance.now() - t0);
  }
  const runs = [];
  for (let r = 0; r < Math.max(1, Math.round(calls / run)); r++) {
    const t0 = performance.now();
    for (let i = 0; i < run; i++) await window.aedemo.decode(rand(), rand());
    runs.push((performance.now() - t0) / run);
  }
  return { single, runs, resolution, isolated: !!window.crossOriginIsolated };
}""".replace("%%", "%")

DECODE_BATCH = """async ([decoderB64, n, reps]) => {
  await window.aedemo.ready;
  const u = new Float32Array(2 * n);
  for (let i = 0; i < u.length; i++) u[i] = 6 * ((i * 0.6180339887) % 1) - 3;
  let run, how;
  if (typeof window.aedemo.decodeBatch === 'function') {
    how = 'aedemo.decodeBatch';
    run = async () => (await window.aedemo.decodeBatch(u)).length;
  } else {
    how = 'ort.InferenceSession of the page\\'s onnxruntime-web and decoder';
    const bytes = Uint8Array.from(atob(decoderB64), (c) => c.charCodeAt(0));
    const session = await window.ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const input = session.inputNames[0];
    const output = session.outputNames[0];
    run = async () => {
      const result = await session.run({ [input]: new window.ort.Tensor('float32', u, [n, 2]) });
      const length = result[output].data.length;
      result[output].dispose();
      return length;
    };
  }
  const length = await run();
  if (length !== n * 784) throw new Error(`batch of ${n} gave ${length} values`);
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return { ms, how };
}"""


# Each map switched on (its button), timed by the page from the start of its refresh to
# its shaded result, and switched off again; null when the page has no maps.
MAP_REFRESH = """async ([name, reps]) => {
  await window.aedemo.loaded;
  const button = document.getElementById(`${name}-toggle`);
  if (!button || !window.aedemo.plane.maps) return null;
  const ms = [], decodeMs = [];
  let cells = 0;
  for (let r = 0; r < reps; r++) {
    button.click();
    for (let m = null; !(m && m.fresh); await new Promise((done) => setTimeout(done, 5))) {
      m = window.aedemo.plane.maps()[name];
      if (m && m.fresh) { ms.push(m.ms); decodeMs.push(m.decodeMs); cells = m.values.length; }
    }
    button.click();
  }
  return { ms, decodeMs, cells };
}"""


class Chromium:
    """Playwright's sync API on Debian's chromium; one browser process per `open`."""

    def __init__(self, executable: Path = CHROMIUM) -> None:
        from playwright.sync_api import sync_playwright

        self.executable = Path(executable)
        self._pw = sync_playwright().start()
        self.version: str | None = None
        self.foreign_requests: list[str] = []
        self.requests: list[str] = []   # the local URLs of the last page opened, in order

    def close(self) -> None:
        self._pw.stop()

    @contextlib.contextmanager
    def open(self, url: str, local: str, network: dict | None = None,
             init_script: str | None = None) -> Iterator[Any]:
        """A fresh browser (cold: no cache, no compiled code) with one page at `url`;
        `network`: DevTools `Network.emulateNetworkConditions` parameters for it
        (bench/network.py), `init_script`: run in the page before its own scripts."""
        browser = self._pw.chromium.launch(executable_path=str(self.executable),
                                           args=CHROMIUM_ARGS, headless=True)
        self.version = browser.version
        try:
            context = browser.new_context(viewport=VIEWPORT)
            if init_script:
                context.add_init_script(init_script)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            if network:
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", network)
            self.requests = []
            page.on("request", lambda r: (self.requests.append(r.url) if r.url.startswith(local) else None)
                    if r.url.startswith((local, "file:", "blob:", "data:")) else self.foreign_requests.append(r.url))
            page.goto(url, wait_until="commit")
            yield page
        finally:
            browser.close()


def cold_loads(chrome: Chromium, urls: dict[str, str], loads: int, site: Path | None = None,
               log=lambda s: None) -> dict[str, dict[str, Any]]:
    """`loads` cold loads of each URL, alternating between them; ms from navigation start.

    Each cold load is followed by a warm reload in the same browser (its cache and the
    compiled WebAssembly kept), timed the same way. Over http, with `site`, the files a
    visitor downloads until everything has loaded (`visitor`: each one's bytes, gzip -9).
    """
    raw: dict[str, list[dict[str, Any]]] = {mode: [] for mode in urls}
    warm: dict[str, list[dict[str, Any]]] = {mode: [] for mode in urls}
    visitor: dict[str, int] = {}
    for i in range(loads):
        for mode, url in urls.items():
            local = "file:" if mode == "file" else url
            with chrome.open(url, local) as page:
                raw[mode].append(page.evaluate(WAIT_FIRST_IMAGE))
                if mode == "http" and site is not None and not visitor:
                    page.wait_for_function("() => window.aedemo && window.aedemo.timings.loaded")
                    visitor = downloaded(site, url, chrome.requests)
                page.reload(wait_until="commit")
                warm[mode].append(page.evaluate(WAIT_FIRST_IMAGE))
            log(f"  cold load {i + 1}/{loads} {mode}: first image at "
                f"{raw[mode][-1]['firstImage']:.0f} ms, warm reload {warm[mode][-1]['firstImage']:.0f} ms")
    out: dict[str, dict[str, Any]] = {}
    for mode, runs in raw.items():
        out[mode] = {
            "first_image_ms": timing(r["firstImage"] for r in runs),
            "ready_ms": timing(r["ready"] for r in runs if r["ready"] is not None),
            "scatter_ms": timing(r["scatter"] for r in runs if r["scatter"] is not None),
            "warm_first_image_ms": timing(r["firstImage"] for r in warm[mode]),
            "source": runs[0]["source"] if runs else None,
        }
    if visitor:
        out["http"]["visitor_gzip_bytes"] = visitor
    return out


def downloaded(site: Path, base: str, urls: list[str]) -> dict[str, int]:
    """The site files behind `urls` (under `base`), each with its size compressed by gzip -9."""
    out = {}
    for url in urls:
        rel = url.split("?", 1)[0].split("#", 1)[0][len(base):] or "index.html"
        path = site / rel
        if path.is_file() and rel not in out:
            out[rel] = len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
    return out


def decode_latency(page: Any, calls: int, run: int = 100) -> dict[str, Any]:
    r = page.evaluate(DECODE_LATENCY, [calls, run])
    single_us = [1000.0 * v for v in r["single"]]
    runs_us = [1000.0 * v for v in r["runs"]]
    return {
        "calls": calls,
        "isolated": r["isolated"],
        "clock_resolution_us": 1000.0 * r["resolution"] if r["resolution"] != float("inf") else None,
        "single_us": {**timing(single_us), "p50": percentile(single_us, 50),
                      "p99": percentile(single_us, 99), "values": []},
        "run_of": run,
        "run_mean_us": {**timing(runs_us), "p50": percentile(runs_us, 50),
                        "p99": percentile(runs_us, 99)},
    }


def decode_batch(page: Any, decoder: bytes, n: int, reps: int) -> dict[str, Any]:
    r = page.evaluate(DECODE_BATCH, [base64.b64encode(decoder).decode(), n, reps])
    return {"points": n, "ms": timing(r["ms"]), "how": r["how"]}


def map_refresh(page: Any, reps: int = 6) -> dict[str, Any] | None:
    """One refresh of each map for the default view: the first (cold) and the others."""
    out: dict[str, Any] = {}
    for name in ("smooth", "unfamiliar"):
        r = page.evaluate(MAP_REFRESH, [name, reps])
        if r is None:
            return None
        out[name] = {"cells": r["cells"], "first_ms": r["ms"][0], "ms": timing(r["ms"][1:]),
                     "decode_ms": timing(r["decodeMs"][1:])}
    return out


def measure(site: Path, decoder: bytes, loads: int, calls: int, batch: int, batch_reps: int,
            executable: Path = CHROMIUM, log=lambda s: None, network_loads: int = 0) -> dict[str, Any]:
    """Everything the bench measures in the browser, on the rendered `site`; with
    `network_loads`, that many rounds on each emulated network (bench/network.py)."""
    site = Path(site).resolve()
    chrome = Chromium(executable)
    try:
        with tempfile.TemporaryDirectory(prefix="aedemo-bare-") as tmp, \
                serve(site) as http_url, serve(site, isolate=True) as isolated_url, \
                serve(bare_site(site, decoder, Path(tmp) / "bare")) as bare_url:
            loads_out = cold_loads(chrome, {"http": http_url, "file": (site / "index.html").as_uri(),
                                            "bare": bare_url}, loads, site, log)
            networks_out = None
            if network_loads:
                with netem.serve_gzip(site) as gz_url, netem.serve_gzip(Path(tmp) / "bare") as gz_bare:
                    networks_out = netem.emulated_loads(chrome, gz_url, gz_bare, network_loads, log=log)
            with chrome.open(isolated_url, isolated_url) as page:
                page.evaluate(WAIT_FIRST_IMAGE)
                latency = decode_latency(page, calls)
                log(f"  decode 1 point: p50 {latency['single_us']['p50']:.0f} µs "
                    f"(clock {latency['clock_resolution_us']} µs)")
                batch_out = decode_batch(page, decoder, batch, batch_reps)
                log(f"  decode {batch} points: {batch_out['ms']['median']:.1f} ms")
                maps_out = map_refresh(page)
                for name, m in (maps_out or {}).items():
                    log(f"  {name} map, one refresh of {m['cells']} cells: {m['ms']['median']:.0f} ms")
        return {
            "chromium": chrome.version,
            "loads": loads_out,
            "networks": networks_out,
            "decode": latency,
            "batch": batch_out,
            "maps": maps_out,
            "foreign_requests": len(chrome.foreign_requests),
        }
    finally:
        chrome.close()
