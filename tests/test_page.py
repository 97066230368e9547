"""Browser tests of the rendered page: Debian's chromium driven by Python playwright.

Every scenario runs on each site variant — one rendered here from the `quick_build`
fixture, and (when the environment variable AEDEMO_REAL_SITE names a folder, as CI
does after `make site`) that real site — and in two modes: served under /aedemo/ from
127.0.0.1 as GitHub Pages serves a project site, and opened straight from disk as
file://. Every request to any other host is aborted and counted; the count must be 0.
The page's Content-Security-Policy stays on (the tests never bypass it): console
errors and CSP violations fail the test.

Chromium: /usr/bin/chromium (Debian's package), or the path in AEDEMO_CHROMIUM.
Without it the tests are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from builder.render import read_site_config, read_site_data, render_site

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
]
NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
SUB_PATH = "/aedemo/"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 30_000
SIDE = 28

sync_api = pytest.importorskip("playwright.sync_api")


# ---------------------------------------------------------------------------- sites


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder under /aedemo/ only, like a GitHub Pages project site."""

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith(SUB_PATH):
            return str(Path(self.directory) / ".not-served")
        return super().translate_path("/" + path[len(SUB_PATH) :])

    def log_message(self, *args) -> None:
        pass


@dataclass
class Site:
    """A rendered site, its server, and Python-side truth about its model."""

    root: Path
    origin: str
    build: Path | None = None
    _session: object = field(default=None, repr=False)

    def url(self, mode: str) -> str:
        if mode == "http":
            return f"{self.origin}{SUB_PATH}"
        return (self.root / "index.html").as_uri()

    @functools.cached_property
    def config(self) -> dict:
        return read_site_config(self.root)

    @functools.cached_property
    def decoder_bytes(self) -> bytes:
        import base64

        return base64.b64decode(read_site_data(self.root, "decoder"))

    def decode(self, u: np.ndarray) -> np.ndarray:
        """Python onnxruntime on the decoder.onnx that the page ships."""
        if self._session is None:
            import onnxruntime as ort

            self._session = ort.InferenceSession(self.decoder_bytes, providers=["CPUExecutionProvider"])
        u = np.asarray(u, dtype=np.float32).reshape(-1, 2)
        return self._session.run([self.config["output"]], {self.config["input"]: u})[0]

    def grey(self, u1: float, u2: float) -> np.ndarray:
        """The 28×28 grey levels the page should draw for the point (u1, u2)."""
        values = self.decode(np.array([[u1, u2]], dtype=np.float32))[0]
        return np.rint(np.clip(values, 0.0, 1.0) * 255.0).reshape(SIDE, SIDE)


def _serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_SubPathHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="session", params=["quick", "real"])
def site(request, tmp_path_factory):
    if request.param == "real":
        real = os.environ.get("AEDEMO_REAL_SITE")
        if not real:
            pytest.skip("set AEDEMO_REAL_SITE=path/to/site to test the real `make site` output")
        root, build = Path(real).resolve(), None
        if not (root / "index.html").is_file():
            pytest.fail(f"AEDEMO_REAL_SITE={real}: no index.html there")
    else:
        build = request.getfixturevalue("quick_build")
        root = tmp_path_factory.mktemp("site") / "site"
        render_site(build, root, NODE_MODULES)
    server, origin = _serve(root)
    yield Site(root=root, origin=origin, build=build)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def site_relu(quick_build_relu, tmp_path_factory):
    """The page for a decoder with a ReLU output, whose values leave [0, 1]."""
    root = tmp_path_factory.mktemp("site_relu") / "site"
    render_site(quick_build_relu, root, NODE_MODULES)
    server, origin = _serve(root)
    yield Site(root=root, origin=origin, build=quick_build_relu)
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["http", "file"])
def mode(request) -> str:
    return request.param


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


class Tab:
    """A page in its own browser context, with a fence around the network."""

    def __init__(self, browser, site: Site, mode: str, *, dpr: float = 1, init_script: str | None = None,
                 route=None):
        self.site, self.mode = site, mode
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=dpr)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", functools.partial(self._route, route))
        self.context.on("request", self._on_request)
        self.context.add_init_script(CSP_WATCH)
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.goto(site.url(mode))

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
        self.page.wait_for_function(predicate, arg=arg)

    def wait_first_image(self) -> None:
        self.wait("() => window.aedemo && aedemo.timings.firstImage !== undefined")

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

    def plane_pixels(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        """RGB pixels of the plane canvas in device pixels, shape (h, w, 3)."""
        data = self.js(
            "([x, y, w, h]) => Array.from(document.getElementById('plane-canvas')"
            ".getContext('2d').getImageData(x, y, w, h).data)",
            [x, y, w, h],
        )
        return np.array(data, dtype=np.int32).reshape(h, w, 4)[..., :3]

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
        got = self.js(
            """() => {
              const d = document.getElementById('preview').dataset;
              const px = document.getElementById('digit').getContext('2d').getImageData(0, 0, 28, 28).data;
              return [Number(d.u1), Number(d.u2), Array.from(px)];
            }"""
        )
        pixels = np.array(got[2], dtype=np.int32).reshape(SIDE, SIDE, 4)
        assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 3] == 255).all()
        return (got[0], got[1]), pixels[..., 0]

    def stamps(self) -> list[dict]:
        return self.js("() => aedemo.plane.stamps()")

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


@pytest.fixture
def open_tab(browser, site, mode):
    tabs = []

    def open_(**kwargs) -> Tab:
        tabs.append(Tab(browser, site, mode, **kwargs))
        return tabs[-1]

    yield open_
    for t in tabs:
        t.close()


@pytest.fixture
def tab(open_tab) -> Tab:
    t = open_tab()
    t.wait_first_image()
    return t


# ---------------------------------------------------------------------------- scenarios


def test_page_becomes_ready_without_errors(tab, site, mode, record_property):
    assert tab.js("() => aedemo.ready.then(api => api === window.aedemo)")
    assert tab.page.locator("#status").is_hidden()
    assert tab.js("() => document.getElementById('plane').getAttribute('aria-busy')") is None
    version = site.config["ortVersion"]
    assert f"onnxruntime-web {version}" in tab.page.locator("footer").inner_text()
    timings = tab.js("() => aedemo.timings")
    record_property(f"first_image_ms_{mode}", timings["firstImage"])
    print(f"\n[{mode}] navigation → scatter {timings['scatter']} ms, ready {timings['ready']} ms, "
          f"first decoded image {timings['firstImage']} ms")
    # the canvas is sharp: one canvas pixel per device pixel
    size = tab.js("() => { const c = document.getElementById('plane-canvas');"
                  " return [c.width, c.height, c.clientWidth, c.clientHeight]; }")
    assert abs(size[0] - size[2]) <= 1 and abs(size[1] - size[3]) <= 1
    tab.assert_clean()


def _parity_points() -> tuple[np.ndarray, np.ndarray]:
    """Points to decode in the page and in Python: (near, far).

    near: an 11×11 grid over [-6, 6]² and 60 random points in it, and the origin.
    far: rings at |u| = 8 and 12 (|z| ≈ 3,000 and 160,000, far beyond any digit).
    """
    grid = np.stack(np.meshgrid(np.linspace(-6, 6, 11), np.linspace(-6, 6, 11)), -1).reshape(-1, 2)
    random = np.clip(np.random.default_rng(4).normal(0.0, 2.5, (60, 2)), -6, 6)
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], -1)
    special = np.array([[0, 0], [1e-7, -1e-7]])
    near = np.concatenate([grid, random, special]).astype(np.float32)
    corners = np.array([[1, 1], [-1, 1], [1, -1], [-1, -1]])
    far = np.concatenate([8 * ring, 12 * ring, 8 * corners, 12 * corners]).astype(np.float32)
    return near, far


def test_decode_matches_python_onnxruntime(tab, site):
    if site.build is not None:
        assert site.decoder_bytes == (site.build / "decoder.onnx").read_bytes()
    near, far = _parity_points()
    u = np.concatenate([near, far])
    assert len(u) >= 200
    got = tab.js(
        """async us => {
          await aedemo.ready;
          const out = [];
          for (const [a, b] of us) out.push(Array.from(await aedemo.decode(a, b)));
          return out;
        }""",
        u.astype(np.float64).tolist(),
    )
    got = np.array(got, dtype=np.float32)
    assert got.shape == (len(u), SIDE * SIDE)
    diff = np.abs(got - site.decode(u))
    # Far out (|z| up to 160,000) a float32 net would amplify rounding to ~1e-3; the
    # decoder computes in float64, so the page and Python agree to 1e-5 there too.
    print(f"\nmax |page - python|: {diff[: len(near)].max():.2g} near, "
          f"{diff[len(near):].max():.2g} far out")
    np.testing.assert_array_less(diff, 1e-5)
    # concurrent calls are queued, not lost or mixed up
    both = tab.js("() => Promise.all([aedemo.decode(0.5, -0.25), aedemo.decode(-2, 3)])"
                  ".then(r => r.map(a => Array.from(a)))")
    np.testing.assert_allclose(np.array(both, np.float32), site.decode([[0.5, -0.25], [-2, 3]]),
                               rtol=0, atol=1e-5)
    assert tab.js("() => aedemo.decode(NaN, 0).then(() => 'resolved', e => e.name)") == "TypeError"
    tab.assert_clean()


def _hover(tab: Tab, fx: float, fy: float) -> tuple[float, float]:
    """Move the mouse to a fraction of the plane; return the plane point under it."""
    box = tab.canvas_box()
    x, y = round(box["x"] + fx * box["width"]), round(box["y"] + fy * box["height"])
    tab.page.mouse.move(x, y, steps=4)
    return tuple(tab.js("([x, y, r]) => aedemo.plane.toPlane(x - r.x, y - r.y)", [x, y, box]))


def test_hover_decodes_the_point_under_the_pointer(tab, site):
    shown = []
    for fx, fy in [(0.42, 0.3), (0.8, 0.72)]:
        u = _hover(tab, fx, fy)
        tab.wait(
            "([a, b]) => { const d = document.getElementById('preview').dataset;"
            " return Math.abs(d.u1 - a) < 1e-4 && Math.abs(d.u2 - b) < 1e-4; }",
            list(u),
        )
        point, grey = tab.preview()
        assert np.abs(grey - site.grey(*point)).max() <= 1
        shown.append(grey)
    assert np.abs(shown[0] - shown[1]).sum() > 255, "the two points should decode to different images"
    assert tab.page.locator("#u1").inner_text().strip() != "\u2013"
    tab.assert_clean()


def test_relu_output_is_clamped_when_drawn(browser, site_relu, mode):
    tab = Tab(browser, site_relu, mode)
    try:
        tab.wait_first_image()
        for fx, fy in [(0.5, 0.5), (0.9, 0.15)]:
            u = _hover(tab, fx, fy)
            tab.wait(
                "([a, b]) => { const d = document.getElementById('preview').dataset;"
                " return Math.abs(d.u1 - a) < 1e-4 && Math.abs(d.u2 - b) < 1e-4; }",
                list(u),
            )
            point, grey = tab.preview()
            assert np.abs(grey - site_relu.grey(*point)).max() <= 1
        tab.assert_clean()
    finally:
        tab.close()


@pytest.mark.parametrize("dpr", [1, 2])
def test_click_stamps_survive_moves_and_resize_until_cleared(open_tab, dpr):
    tab = open_tab(dpr=dpr)
    tab.wait_first_image()
    assert tab.js("() => aedemo.plane.dpr()") == pytest.approx(dpr, abs=0.01)
    box = tab.canvas_box()
    x, y = round(box["x"] + 0.62 * box["width"]), round(box["y"] + 0.45 * box["height"])
    tab.page.mouse.click(x, y)
    tab.wait("() => document.getElementById('plane').dataset.stamps === '1'")
    (stamp,) = tab.stamps()
    centre = (stamp["x"] + stamp["size"] / 2, stamp["y"] + stamp["size"] / 2)
    assert centre == pytest.approx(((x - box["x"]) * dpr, (y - box["y"]) * dpr), abs=1.01)

    _hover(tab, 0.15, 0.85)
    tab.frames()
    tab.assert_stamp_drawn(tab.stamps()[0])

    tab.page.set_viewport_size({"width": 900, "height": 640})
    tab.wait("w => document.getElementById('plane-canvas').width === Math.round("
             "document.getElementById('plane-canvas').clientWidth * w)", dpr)
    tab.frames(3)
    (moved,) = tab.stamps()
    assert (moved["u1"], moved["u2"]) == (stamp["u1"], stamp["u2"])
    assert (moved["x"], moved["y"]) != (stamp["x"], stamp["y"])
    tab.assert_stamp_drawn(moved)

    assert tab.page.locator("#clear").is_enabled()
    tab.page.locator("#clear").click()
    tab.wait("() => document.getElementById('plane').dataset.stamps === '0'")
    tab.frames()
    with pytest.raises(AssertionError):
        tab.assert_stamp_drawn(moved)
    assert tab.page.locator("#clear").is_disabled()
    tab.assert_clean()


def test_keyboard_moves_a_cursor_that_decodes_and_stamps(tab, site):
    canvas = tab.page.locator("#plane-canvas")
    start = tab.js("() => aedemo.plane.cursor()")
    sx, sy = tab.js("([a, b]) => aedemo.plane.toScreen(a, b)", start)
    dpr = tab.js("() => aedemo.plane.dpr()")
    region = (round(sx * dpr) - 24, round(sy * dpr) - 24, 48, 48)
    before = tab.plane_pixels(*region)

    canvas.focus()
    for key in ["ArrowRight", "ArrowRight", "ArrowRight", "Shift+ArrowUp"]:
        tab.page.keyboard.press(key)
    moved = tab.js("() => aedemo.plane.cursor()")
    mx, my = tab.js("([a, b]) => aedemo.plane.toScreen(a, b)", moved)
    assert (mx - sx, my - sy) == pytest.approx((12, -40), abs=1e-3)
    tab.wait(
        "([a, b]) => { const d = document.getElementById('preview').dataset;"
        " return Math.abs(d.u1 - a) < 1e-4 && Math.abs(d.u2 - b) < 1e-4; }",
        moved,
    )
    point, grey = tab.preview()
    assert np.abs(grey - site.grey(*point)).max() <= 1

    for key in ["ArrowLeft"] * 3 + ["Shift+ArrowDown"]:
        tab.page.keyboard.press(key)
    tab.frames()
    assert np.abs(tab.plane_pixels(*region) - before).max() > 100, "the keyboard cursor should be visible"

    tab.page.keyboard.press("Enter")
    tab.wait("() => document.getElementById('plane').dataset.stamps === '1'")
    tab.page.keyboard.press("ArrowLeft")
    tab.page.keyboard.press(" ")
    tab.wait("() => document.getElementById('plane').dataset.stamps === '2'")
    first, second = tab.stamps()
    assert (first["u1"], first["u2"]) == pytest.approx(start, abs=1e-4)
    assert second["u1"] < first["u1"]
    canvas.blur()   # the cursor is drawn only while the plane has the focus
    tab.frames()
    tab.assert_stamp_drawn(second)
    tab.assert_clean()


def test_legend_click_hides_and_shows_a_class(tab, site):
    palette = site.config["palette"]
    counts = [tab.count_colour(c) for c in palette]
    k = int(np.argmax(counts))
    other = int(np.argsort(counts)[-2])
    assert counts[k] > 20 and counts[other] > 0
    chip = tab.page.locator(f".chip[data-class='{k}']")
    chip.click()
    assert chip.get_attribute("aria-pressed") == "false"
    tab.frames()
    assert tab.count_colour(palette[k]) == 0
    assert tab.count_colour(palette[other]) >= counts[other]
    chip.click()
    assert chip.get_attribute("aria-pressed") == "true"
    tab.frames()
    assert tab.count_colour(palette[k]) == counts[k]
    tab.assert_clean()


def test_without_webassembly_the_page_says_so(open_tab, site):
    tab = open_tab(init_script="delete window.WebAssembly;")
    tab.wait("() => { const s = document.getElementById('status');"
             " return !s.hidden && s.classList.contains('error'); }")
    text = tab.page.locator("#status").inner_text()
    assert "WebAssembly" in text
    assert tab.js("() => aedemo.ready.then(() => 'resolved', () => 'rejected')") == "rejected"
    tab.wait("() => aedemo.timings.scatter !== undefined")
    tab.frames()
    assert sum(tab.count_colour(c) for c in site.config["palette"]) > 0, "the dots still show"
    tab.assert_clean()


def test_a_model_that_cannot_load_gives_a_message(open_tab, site, mode):
    if mode == "file":
        pytest.skip("a broken file is served over http only (file:// is not routed)")
    decoder = site.config["files"]["decoder"]

    def broken(route) -> bool:
        if route.request.url.endswith(decoder):
            route.fulfill(content_type="text/javascript",
                          body='(window.AEDEMO_DATA = window.AEDEMO_DATA || {}).decoder = "AAAA";')
            return True
        return False

    tab = open_tab(route=broken)
    tab.wait("() => document.getElementById('status').classList.contains('error')")
    assert "could not be loaded" in tab.page.locator("#status").inner_text()
    print("\nerrors:", tab.errors)
    tab.assert_clean()
