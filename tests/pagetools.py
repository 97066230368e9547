"""Shared tools of the browser tests (tests/page/test_page.py, tests/page/test_explore.py).

A pytest plugin (the test modules name it in `pytest_plugins`, so its session-scoped
fixtures exist once per session): Debian's chromium driven by Python playwright, the
rendered sites and their Python-side truth (the page's own ONNX models run in Python
onnxruntime, its real digits, a numpy reference of its MNIST preprocessing).

Every scenario runs on each site variant — one rendered here from the `quick_build`
fixture, and (when the environment variable AEDEMO_REAL_SITE names a folder, as CI
does after `make site`) that real site — and in each of two modes: served under /aedemo/
from 127.0.0.1 as GitHub Pages serves a project site, and opened straight from disk as
file://. A scenario that varies on both runs the real site served and the quick site
from disk (tests/conftest.py PAIRS; AEDEMO_ALL_VARIANTS=1 runs all four). Every request to any other host is aborted and counted; the count must be 0.
The page's Content-Security-Policy stays on (the tests never bypass it): console
errors and CSP violations fail the test.

Chromium: /usr/bin/chromium (Debian's package), or the path in AEDEMO_CHROMIUM.
Without it the tests are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import base64
import functools
import http.server
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from factories import SUB_PATH, start_server
from sitefiles import read_site_config, read_site_digits, read_site_model

from bench.browser import CHROMIUM, CHROMIUM_ARGS  # the one browser set-up
from builder.site.render import render_site

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 30_000
SIDE = 28
PIXELS = SIDE * SIDE
ITERATE_TOLERANCE = 1e-3   # what templates/shared/runtime.js uses
ITERATE_STEPS = 50


# ---------------------------------------------------------------------------- Python truth


def mnist_reference(ink: np.ndarray, width: int, height: int) -> np.ndarray | None:
    """The MNIST preprocessing of templates/shared/mnist.js in numpy: (height*width,) ink bytes → (784,) float32.

    Crop to the bounding box of ink > 0; scale to fit 20×20 keeping the aspect ratio by
    area averaging (output cell j covers input [j·n/m, (j+1)·n/m)); shift by whole
    pixels, floor(14 − centre of mass + 1e-9), so the centre of mass lands at 13.5 ± 0.5
    (the 1e-9 settles exact ties the same way whatever the summation order).
    None when there is no ink.
    """
    v = np.asarray(ink, np.float64).reshape(height, width) / 255.0
    ys, xs = np.nonzero(v > 0)
    if len(xs) == 0:
        return None
    crop = v[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    s = 20 / max(w, h)
    ow = max(1, min(20, math.floor(w * s + 0.5)))
    oh = max(1, min(20, math.floor(h * s + 0.5)))
    small = _area_matrix(h, oh) @ crop @ _area_matrix(w, ow).T
    mass = small.sum()
    dx = math.floor(14 - (small.sum(axis=0) * np.arange(ow)).sum() / mass + 1e-9)
    dy = math.floor(14 - (small.sum(axis=1) * np.arange(oh)).sum() / mass + 1e-9)
    out = np.zeros((SIDE + 2 * 40, SIDE + 2 * 40))   # room for any shift, then cut
    out[40 + dy : 40 + dy + oh, 40 + dx : 40 + dx + ow] = small
    return np.clip(out[40 : 40 + SIDE, 40 : 40 + SIDE], 0, 1).astype(np.float32).ravel()


def _area_matrix(n: int, m: int) -> np.ndarray:
    """(m, n) weights: the overlap of input cell i with output cell j's interval, over its length."""
    r = n / m
    a = np.arange(m)[:, None] * r
    b = (np.arange(m)[:, None] + 1) * r
    i = np.arange(n)[None, :]
    return np.clip(np.minimum(b, i + 1) - np.maximum(a, i), 0, None) / r


@dataclass
class Site:
    """A rendered site, its server, and Python-side truth about its models and digits."""

    root: Path
    origin: str
    build: Path | None = None
    _sessions: dict = field(default_factory=dict, repr=False)

    def url(self, mode: str) -> str:
        if mode == "http":
            return f"{self.origin}{SUB_PATH}"
        return (self.root / "index.html").as_uri()

    @functools.cached_property
    def config(self) -> dict:
        return read_site_config(self.root)

    def model_bytes(self, which: str) -> bytes:
        return read_site_model(self.root, which)

    @functools.cached_property
    def decoder_bytes(self) -> bytes:
        return self.model_bytes("decoder")

    @functools.cached_property
    def digits(self) -> dict[str, np.ndarray]:
        """`images` (n, 784), `codes` (n, 2), `labels` (n,) as the page has them."""
        return read_site_digits(self.root)

    def _run(self, which: str, x: np.ndarray) -> np.ndarray:
        if which not in self._sessions:
            import onnxruntime as ort

            self._sessions[which] = ort.InferenceSession(self.model_bytes(which), providers=["CPUExecutionProvider"])
        names = {"decoder": ("input", "output"), "encoder": ("encoderInput", "encoderOutput")}[which]
        return self._sessions[which].run([self.config[names[1]]], {self.config[names[0]]: x})[0]

    def decode(self, u: np.ndarray) -> np.ndarray:
        """Python onnxruntime on the decoder.onnx that the page ships: (n, 2) → (n, 784)."""
        return self._run("decoder", np.asarray(u, dtype=np.float32).reshape(-1, 2))

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Python onnxruntime on the page's encoder.onnx: (n, 784) in [0, 1] → (n, 2)."""
        return self._run("encoder", np.asarray(images, dtype=np.float32).reshape(-1, PIXELS))

    def grey(self, u1: float, u2: float) -> np.ndarray:
        """The 28×28 grey levels the page should draw for the point (u1, u2)."""
        return to_grey(self.decode(np.array([[u1, u2]], dtype=np.float32))[0])

    def iterate(self, u1: float, u2: float) -> np.ndarray:
        """The encode→decode path from (u1, u2), as templates/shared/runtime.js runs it: (steps + 1, 2)."""
        u = np.array([u1, u2], np.float32)
        path = [u]
        for _ in range(ITERATE_STEPS):
            image = np.clip(self.decode(u[None])[0], 0, 1)
            nxt = self.encode(image[None])[0]
            path.append(nxt)
            moved = math.hypot(float(nxt[0]) - float(u[0]), float(nxt[1]) - float(u[1]))
            u = nxt
            if moved < ITERATE_TOLERANCE:
                break
        return np.array(path)


def to_grey(values: np.ndarray) -> np.ndarray:
    """Model output (784,) → the 28×28 grey levels 0..255 the page draws."""
    return np.rint(np.clip(values, 0.0, 1.0) * 255.0).reshape(SIDE, SIDE)


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve `root` under /aedemo/ (the shared server of tests/factories.py): the server,
    to `shutdown()` and `server_close()`, and its origin."""
    running = start_server(root)
    return running.server, running.origin


def rendered_site(build: Path, tmp: Path) -> tuple[Site, http.server.ThreadingHTTPServer]:
    """Render `build` under `tmp` and serve it."""
    root = tmp / "site"
    render_site(build, root, NODE_MODULES)
    server, origin = serve(root)
    return Site(root=root, origin=origin, build=build), server


def real_site_root(page: str = "index.html") -> Path:
    """The real `make site` output that AEDEMO_REAL_SITE names (skips the test without it)."""
    real = os.environ.get("AEDEMO_REAL_SITE")
    if not real:
        pytest.skip("set AEDEMO_REAL_SITE=path/to/site to test the real `make site` output")
    root = Path(real).resolve()
    if not (root / page).is_file():
        pytest.fail(f"AEDEMO_REAL_SITE={real}: no {page} there")
    return root


def served_site(request, tmp_path_factory, build: str, page: str = "index.html"):
    """A served site for a fixture parametrised "quick" (rendered from the `build` fixture's
    folder) or "real" (the `make site` output holding `page`); a generator: yields the Site."""
    if request.param == "real":
        root = real_site_root(page)
        server, origin = serve(root)
        s = Site(root=root, origin=origin)
    else:
        s, server = rendered_site(request.getfixturevalue(build), tmp_path_factory.mktemp(build))
    yield s
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session", params=["quick", "real"])
def site(request, tmp_path_factory):
    yield from served_site(request, tmp_path_factory, "quick_build")


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


# The page's tools that wait until asked (templates/decoder/disclosures.js) start open in the
# tests that use them; a Tab with `tools_open=False` sees the page as a new reader does.
TOOLS_OPEN = """
try { localStorage.setItem('aedemo:open', JSON.stringify(['probe', 'layers', 'maps'])); } catch (e) {}
"""

CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""

# Every text the toast showed, in order: a notice stays a few seconds, and on a loaded machine
# the page can take longer than that to reach the point a test waits for first.
TOAST_LOG = """
window.__toasts = [];
new MutationObserver(() => {
  const t = document.getElementById('toast');
  if (!t || t.hidden) { window.__toastShown = null; return; }
  if (t.textContent !== window.__toastShown) window.__toasts.push(window.__toastShown = t.textContent);
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden'] });
"""


class Tab:
    """A page in its own browser context, with a fence around the network."""

    def __init__(self, browser, site: Site, mode: str, *, dpr: float = 1, init_script: str | None = None,
                 route=None, url: str | None = None, viewport: dict | None = None, tools_open: bool = True,
                 wait_until: str = "load"):
        self.site, self.mode = site, mode
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.context = browser.new_context(viewport=viewport or VIEWPORT, device_scale_factor=dpr)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", functools.partial(self._route, route))
        self.context.on("request", self._on_request)
        self.context.add_init_script(CSP_WATCH)
        self.context.add_init_script(TOAST_LOG)
        if tools_open:
            self.context.add_init_script(TOOLS_OPEN)
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.goto(url or site.url(mode), wait_until=wait_until)

    def _allowed(self, url: str) -> bool:
        if url.startswith(("data:", "blob:")):
            return True
        if self.mode == "file":
            return url.startswith("file://")
        return url.startswith(self.site.origin + "/")

    def _route(self, custom, route) -> None:
        url = route.request.url
        if not self._allowed(url):
            self.foreign.append(url)
            route.abort()
        elif custom is not None and custom(route):
            pass
        else:
            route.continue_()

    def _on_request(self, request) -> None:
        if not self._allowed(request.url) and request.url not in self.foreign:
            self.foreign.append(request.url)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    # -- helpers ------------------------------------------------------------

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def wait(self, predicate: str, arg=None) -> None:
        """Until `predicate` (a JS function of `arg`) is true; a timeout says what the page
        reported meanwhile (its errors, its status line, its stamps), not only that it waited."""
        try:
            self.page.wait_for_function(predicate, arg=arg)
        except Exception as e:
            if "Timeout" not in type(e).__name__:
                raise
            state = self.page.evaluate("""() => ({status: (document.getElementById('status') || {}).textContent,
              stamps: (document.getElementById('plane') || {dataset: {}}).dataset.stamps,
              toasts: window.__toasts, hash: location.hash})""")
            raise AssertionError(f"waited {TIMEOUT_MS / 1000:.0f} s for {predicate[:120]!r} ({arg!r:.80}); "
                                 f"page errors: {self.errors}; page: {state}") from e

    def wait_toast(self, text: str) -> str:
        """Until the toast has shown a notice holding `text` since this page loaded (or since
        the last notice this returned); returns that notice in full."""
        return self.page.wait_for_function(
            "s => { const i = window.__toasts.findIndex(t => t.includes(s));"
            " return i >= 0 && window.__toasts.splice(0, i + 1)[i]; }", arg=text).json_value()

    def wait_first_image(self) -> None:
        self.wait("() => window.aedemo && aedemo.timings.firstImage !== undefined")

    def wait_loaded(self) -> None:
        """Until the encoder and the real digits are there too."""
        self.wait("() => window.aedemo && aedemo.timings.loaded !== undefined")

    def frames(self, n: int = 2) -> None:
        """Let the page draw: wait for `n` animation frames."""
        self.js(
            "n => new Promise(done => { const step = k => k ? requestAnimationFrame(() => step(k - 1)) : done(); step(n); })",
            n,
        )

    def canvas_box(self) -> dict:
        return self.js(
            "() => { const r = document.getElementById('plane-canvas').getBoundingClientRect();"
            " return {x: r.left, y: r.top, width: r.width, height: r.height}; }"
        )

    def at(self, fx: float, fy: float) -> tuple[int, int]:
        """Page coordinates (whole CSS pixels) of a fraction of the plane."""
        box = self.canvas_box()
        return round(box["x"] + fx * box["width"]), round(box["y"] + fy * box["height"])

    def plane_point(self, x: float, y: float) -> tuple[float, float]:
        """The plane point under the page coordinates (x, y)."""
        return tuple(self.js("([x, y]) => { const r = document.getElementById('plane-canvas')"
                             ".getBoundingClientRect(); return aedemo.plane.toPlane(x - r.left, y - r.top); }",
                             [x, y]))

    def plane_pixels(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        """RGB pixels of the plane canvas in device pixels, shape (h, w, 3)."""
        data = self.js(
            "([x, y, w, h]) => Array.from(document.getElementById('plane-canvas')"
            ".getContext('2d').getImageData(x, y, w, h).data)",
            [x, y, w, h],
        )
        return np.array(data, dtype=np.int32).reshape(h, w, 4)[..., :3]

    def plane_rgb(self) -> np.ndarray:
        """All RGB pixels of the plane canvas, shape (height, width, 3), in one transfer."""
        text = self.js("""() => {
          const c = document.getElementById('plane-canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let s = '';
          for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode(...d.subarray(i, i + 0x8000));
          return [c.width, c.height, btoa(s)];
        }""")
        w, h, b64 = text
        return np.frombuffer(base64.b64decode(b64), np.uint8).reshape(h, w, 4)[..., :3].astype(np.int32)

    def canvas_grey(self, selector: str) -> np.ndarray:
        """The red channel of a SIDE×SIDE canvas (grey images), checking it is grey and opaque."""
        data = self.js(
            "s => Array.from(document.querySelector(s).getContext('2d').getImageData(0, 0, 28, 28).data)",
            selector,
        )
        pixels = np.array(data, dtype=np.int32).reshape(SIDE, SIDE, 4)
        assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 3] == 255).all()
        return pixels[..., 0]

    def count_colour(self, hex_colour: str) -> int:
        return self.js(
            """hex => {
              const c = document.getElementById('plane-canvas');
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              const v = parseInt(hex.slice(1), 16), r = v >> 16, g = (v >> 8) & 255, b = v & 255;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
              return n;
            }""",
            hex_colour,
        )

    def preview(self) -> tuple[tuple[float, float], np.ndarray]:
        """The point the preview shows and its 28×28 grey levels (red channel)."""
        d = self.js("() => { const d = document.getElementById('preview').dataset; return [Number(d.u1), Number(d.u2)]; }")
        return (d[0], d[1]), self.canvas_grey("#digit")

    def wait_preview(self, u: tuple[float, float]) -> None:
        """Until the preview shows the point u (to float32 precision)."""
        self.wait(
            "([a, b]) => { const d = document.getElementById('preview').dataset;"
            " return Math.abs(d.u1 - a) < 1e-4 && Math.abs(d.u2 - b) < 1e-4; }",
            list(u),
        )

    def stamps(self) -> list[dict]:
        return self.js("() => aedemo.plane.stamps()")

    def wait_stamps(self, n: int) -> None:
        self.wait("n => document.getElementById('plane').dataset.stamps === String(n)", n)

    def assert_stamp_drawn(self, stamp: dict) -> None:
        """The plane shows exactly the decoded image of the stamp's point, crisply scaled."""
        size = stamp["size"]
        zoom = size // SIDE
        assert zoom * SIDE == size
        expected = np.kron(self.site.grey(stamp["u1"], stamp["u2"]), np.ones((zoom, zoom)))
        got = self.plane_pixels(stamp["x"], stamp["y"], size, size)
        assert np.abs(got - expected[..., None]).max() <= 1

    def assert_clean(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.js("() => window.__cspViolations") == []

    def close(self) -> None:
        self.context.close()


def clear_marks(tab: "Tab") -> None:
    """The pointer off the plane, no stamps, an empty pad: what every shared page's reset starts with."""
    page = tab.page
    page.mouse.move(1, 1)
    # a stamp still decoding would land after the clear and be kept (and could overwrite
    # what the next test stores)
    tab.wait("() => aedemo.plane.pending() === 0")
    if page.locator("#clear").is_enabled():
        page.locator("#clear").click()
    if page.locator("#pad").get_attribute("data-empty") != "true":
        page.locator("#pad-clear").click()


def shared_tab(browser, site: Site, mode: str, ready: str | None = None):
    """One page per module and mode, loaded: first image, encoder and digits, and `ready`
    (a JS predicate) when given. A generator for a module fixture: yields the Tab, closes it."""
    tab = Tab(browser, site, mode)
    tab.wait_first_image()
    tab.wait_loaded()
    if ready is not None:
        tab.wait(ready)
    yield tab
    tab.close()
