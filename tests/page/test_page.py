"""Browser tests of the rendered page: the scatter, the decoder under the pointer,
stamps, keyboard, legend and the failure states. The tools for exploring the plane
are tested in tests/page/test_explore.py.

Every scenario runs on each site variant (the quick build rendered here, and the real
`make site` output when AEDEMO_REAL_SITE names it) and in two modes (served under
/aedemo/ from 127.0.0.1, and opened as file://) with no request leaving the origin and
the page's Content-Security-Policy on: see tests/pagetools.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from pagetools import SIDE, Tab, rendered_site

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")   # the browser tests need it


@pytest.fixture(scope="session")
def site_relu(quick_build_relu, tmp_path_factory):
    """The page for a decoder with a ReLU output, whose values leave [0, 1]."""
    s, server = rendered_site(quick_build_relu, tmp_path_factory.mktemp("site_relu"))
    yield s
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["http", "file"])
def mode(request) -> str:
    return request.param


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


@pytest.mark.all_variants
def test_page_becomes_ready_without_errors(tab, site, mode, record_property):
    assert tab.js("() => aedemo.ready.then(api => api === window.aedemo)")
    assert tab.page.locator("#status").is_hidden()
    assert tab.js("() => document.getElementById('plane').getAttribute('aria-busy')") is None
    version = site.config["ortVersion"]
    assert f"onnxruntime-web {version}" in tab.page.locator("footer").inner_text()
    # then the encoder and the real digits, which wait for the decoder so as not to delay it
    assert tab.js("() => aedemo.loaded.then(api => api === window.aedemo)")
    timings = tab.js("() => aedemo.timings")
    assert timings["loaded"] >= timings["ready"]
    for selector in ["#pad-random", "#pad-clear", "#drift-toggle", "#grid-toggle", "#copy-link", "#download"]:
        assert tab.page.locator(selector).is_enabled(), selector
    assert tab.page.locator("#pad").get_attribute("aria-disabled") is None
    tab.wait("() => (document.getElementById('nearest').dataset.indices || '').split(',').length === 8")
    record_property(f"first_image_ms_{mode}", timings["firstImage"])
    print(f"\n[{mode}] navigation → scatter {timings['scatter']} ms, ready {timings['ready']} ms, "
          f"first decoded image {timings['firstImage']} ms, encoder and digits {timings['loaded']} ms")
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


@pytest.mark.all_variants
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
        tab.wait_preview(_hover(tab, fx, fy))
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
            tab.wait_preview(_hover(tab, fx, fy))
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


def test_bench_floor_page_runs_the_sites_own_decoder(browser, site, tmp_path):
    """The bench's bare page (bench/browser.py): the site's onnxruntime-web files and
    decoder and nothing else; the timings the bench reads come after a real run."""
    from factories import serve

    from bench.browser import WAIT_FIRST_IMAGE, bare_site

    bare = bare_site(site.root, site.model_bytes("decoder"), tmp_path / "bare")
    assert sorted(p.name for p in bare.iterdir()) == ["bare.js", "decoder.onnx", "index.html", "vendor"]
    with serve(bare) as url:
        page = browser.new_context().new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url, wait_until="commit")
        r = page.evaluate(WAIT_FIRST_IMAGE)
        page.context.close()
    assert errors == []
    assert r["source"] == "aedemo.timings.firstImage" and 0 < r["ready"] <= r["firstImage"]
    names = {u.rsplit("/", 1)[-1] for u in requests}
    assert {"ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm", "decoder.onnx"} <= names
    assert all(u.startswith(url) for u in requests)
