"""Browser tests of the tools that explore the plane (issue 6): the drawing pad and the
encoder, the real test digits, encode→decode iterations, zoom and pan, the grid of
decoded tiles, the drift field, the nearest real digits, strips, links, stored stamps
and the PNG.

Each test compares what the page computes and draws with Python's own answer: Python
onnxruntime on the models the page ships, a numpy reference of its preprocessing,
brute-force search. Like tests/page/test_page.py, every scenario runs on each site variant
and in both modes (http under /aedemo/ and file://), with no request leaving the
origin and the page's Content-Security-Policy on. To stay quick, one page per mode is
shared by the tests of this module and put back to a clean state before each test.
"""

from __future__ import annotations

import base64
import json
import math
import struct

import numpy as np
import pytest
from pagetools import PIXELS, SIDE, Tab, clear_marks, mnist_reference, shared_tab, to_grey

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")   # the browser tests need it

CODE_TOLERANCE = 1e-4    # page vs Python onnxruntime, for codes and paths (the bound)


# ---------------------------------------------------------------------------- one page per mode


@pytest.fixture(scope="module", params=["http", "file"])
def shared(request, browser, site):
    yield from shared_tab(browser, site, request.param)


def reset(tab: Tab) -> None:
    """Before each test (the `tab` fixture of tests/conftest.py): no stamps, paths, strip, drawing, overlays, zoom."""
    page = tab.page
    clear_marks(tab)
    for selector in ["#grid-toggle", "#drift-toggle"]:
        if page.locator(selector).get_attribute("aria-pressed") == "true":
            page.locator(selector).click()
    for chip in page.locator(".chip").all():
        if chip.get_attribute("aria-pressed") == "false":
            chip.click()
    if tab.js("() => aedemo.plane.view().zoom") != 1:
        page.locator("#plane-canvas").focus()
        page.keyboard.press("0")
    tab.js("() => { document.activeElement.blur(); history.replaceState(null, '', location.href.replace(/#.*$/, ''));"
           " window.scrollTo(0, 0); }")
    tab.wait("() => aedemo.pad.settled() && aedemo.plane.view().zoom === 1"
             " && document.getElementById('plane').dataset.stamps === '0'")
    tab.frames()


def draw_on_pad(tab: Tab, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw polylines given in fractions of the pad with the mouse, then wait for the encoder."""
    pad = tab.page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    to_page = lambda p: (box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"])  # noqa: E731
    for line in strokes:
        tab.page.mouse.move(*to_page(line[0]))
        tab.page.mouse.down()
        for p in line[1:]:
            tab.page.mouse.move(*to_page(p), steps=8)
        tab.page.mouse.up()
    tab.js("() => window.scrollTo(0, 0)")
    tab.wait("() => aedemo.pad.settled() && aedemo.pad.code() !== null")


def view(tab: Tab) -> dict:
    """The view (scale, ox, oy in CSS pixels, zoom, version) with the dpr and the canvas size."""
    return tab.js("() => ({...aedemo.plane.view(), dpr: aedemo.plane.dpr(),"
                  " width: document.getElementById('plane-canvas').width,"
                  " height: document.getElementById('plane-canvas').height})")


def wait_view_change(tab: Tab, version: int) -> dict:
    tab.wait("v => aedemo.plane.view().version !== v", version)
    tab.frames()
    return view(tab)


def runs(tab: Tab) -> dict:
    """Model calls so far: {"decoder", "encoder"} and of those with more than one row, {"decoder_batches", ...}."""
    return tab.js("() => ({...aedemo.stats.runs, decoder_batches: aedemo.stats.batches.decoder,"
                  " encoder_batches: aedemo.stats.batches.encoder})")


# ---------------------------------------------------------------------------- draw and encode


# A 7 with a crossbar-free bend: three segments, drawn in fractions of the pad.
SEVEN = [[(0.24, 0.2), (0.74, 0.18), (0.52, 0.55), (0.4, 0.86)]]
# A capital B: the spine, then two bowls.
LETTER_B = [[(0.3, 0.15), (0.3, 0.85)],
            [(0.3, 0.15), (0.62, 0.2), (0.64, 0.4), (0.3, 0.5)],
            [(0.3, 0.5), (0.7, 0.56), (0.7, 0.8), (0.3, 0.85)]]


def _assert_mnist_like(image: np.ndarray) -> None:
    """Ink fits a 20×20 box touching it on its long side; the centre of mass is within half a pixel of 13.5."""
    im = image.reshape(SIDE, SIDE)
    ys, xs = np.nonzero(im > 0)
    h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert max(h, w) == 20 and min(h, w) <= 20, (h, w)
    mass = im.sum()
    com = ((im.sum(axis=0) * np.arange(SIDE)).sum() / mass, (im.sum(axis=1) * np.arange(SIDE)).sum() / mass)
    assert np.all(np.abs(np.array(com) - 13.5) <= 0.5 + 1e-9), com


@pytest.mark.parametrize("strokes", [SEVEN, LETTER_B], ids=["seven", "letter-B"])
def test_drawing_is_preprocessed_like_mnist_and_encoded(tab, site, strokes):
    draw_on_pad(tab, strokes)
    size = tab.js("() => aedemo.pad.size")
    raster = np.array(tab.js("() => aedemo.pad.raster()"), np.uint8)
    page_input = np.array(tab.js("() => aedemo.pad.input()"), np.float32)
    assert raster.shape == (size * size,) and raster.max() == 255
    reference = mnist_reference(raster, size, size)
    diff = np.abs(page_input - reference).max()
    print(f"\npreprocessing: max |page - numpy reference| = {diff:.2g}")
    assert diff <= 1e-6
    _assert_mnist_like(page_input)

    # the marker sits at the encoder's code of that image; the round trip is its decode
    code = np.array(tab.js("() => aedemo.pad.code()"))
    assert np.abs(code - site.encode(reference)[0]).max() <= CODE_TOLERANCE
    assert tab.js("() => aedemo.plane.marker()") == list(code)
    assert tab.js("() => aedemo.plane.selected()") == list(code), "the drawing's marker is selected"
    assert np.abs(tab.canvas_grey("#pad-input") - to_grey(reference)).max() <= 1
    assert np.abs(tab.canvas_grey("#pad-output") - site.grey(*code)).max() <= 1
    assert "encodes to" in tab.page.locator("#pad-note").inner_text()
    tab.assert_clean()


def test_preprocessing_matches_the_reference_on_edge_cases(tab):
    """The pure function on rasters made in Python: thin, tiny, off-centre, soft, not square."""
    rng = np.random.default_rng(6)
    cases = []
    wide = np.zeros((60, 100), np.uint8)
    wide[28:31, 5:95] = 255                        # a long thin bar: 20 wide, 1 high
    cases.append(wide)
    tiny = np.zeros((60, 100), np.uint8)
    tiny[40:43, 90:92] = 200                       # smaller than 20×20: scaled up
    cases.append(tiny)
    corner = np.zeros((60, 100), np.uint8)
    corner[0:30, 0:4] = 255
    corner[26:30, 0:25] = 255                      # an L in the corner, mass off-centre
    cases.append(corner)
    soft = (rng.random((60, 100)) ** 8 * 255).astype(np.uint8)
    cases.append(soft)                             # scattered soft ink over the whole raster
    dot = np.zeros((60, 100), np.uint8)
    dot[10, 10] = 7                                # one faint pixel
    cases.append(dot)
    got = tab.js("rs => rs.map(r => Array.from(aedemo.preprocess(Uint8Array.from(r), 100, 60)))",
                 [c.ravel().tolist() for c in cases])
    for case, page_image in zip(cases, got):
        reference = mnist_reference(case.ravel(), 100, 60)
        assert np.abs(np.array(page_image, np.float32) - reference).max() <= 1e-6
    assert tab.js("() => aedemo.preprocess(new Uint8Array(100 * 60), 100, 60)") is None
    tab.assert_clean()


def test_a_random_test_digit_lands_on_its_code(tab, site):
    digits = site.digits
    tab.page.locator("#pad-random").click()
    tab.wait("() => document.getElementById('pad').dataset.digit !== undefined && aedemo.pad.settled()")
    index = int(tab.js("() => Number(document.getElementById('pad').dataset.digit)"))
    picked = [index]
    for i in [0, len(digits["labels"]) - 1]:      # and the first and last by the same function
        tab.js("i => aedemo.pad.loadDigit(i)", i)
        tab.wait("i => document.getElementById('pad').dataset.digit === String(i) && aedemo.pad.settled()", i)
        picked.append(i)
        code = np.array(tab.js("() => aedemo.pad.code()"))
        page_input = np.array(tab.js("() => aedemo.pad.input()"), np.float32)
        assert np.array_equal(page_input, digits["images"][i]), "the pad encodes the real pixels"
        python = site.encode(digits["images"][i])[0]
        diff = np.abs(code - python).max()
        print(f"\ntest digit {i}: |page code - python onnxruntime| = {diff:.2g}")
        assert diff <= CODE_TOLERANCE
        assert np.abs(code - digits["codes"][i]).max() <= CODE_TOLERANCE, "and on its dot"
        label = site.config["classes"][digits["labels"][i]]
        assert f"A real {label}" in tab.page.locator("#pad-note").inner_text()
    assert 0 <= picked[0] < len(digits["labels"])
    tab.assert_clean()


# ---------------------------------------------------------------------------- iterate and drift


def _assert_path_is_pythons(site, path: list, start: tuple[float, float]) -> float:
    want = site.iterate(*start)
    got = np.array(path)
    assert got.shape == want.shape, f"{len(got)} points in the page, {len(want)} in Python"
    assert np.array_equal(got[0], want[0])
    diff = float(np.abs(got - want).max())
    assert diff <= CODE_TOLERANCE
    return diff


def test_iterate_from_a_stamp_and_from_the_marker_follows_python(tab, site):
    x, y = tab.at(0.64, 0.42)
    tab.page.mouse.click(x, y)
    tab.wait_stamps(1)
    (stamp,) = tab.stamps()
    assert stamp["selected"]
    start = (stamp["u1"], stamp["u2"])
    dpr = tab.js("() => aedemo.plane.dpr()")
    tab.frames()
    before = tab.plane_rgb()
    tab.page.locator("#iterate").click()
    tab.wait("() => document.getElementById('plane').dataset.paths === '1'")
    (path,) = tab.js("() => aedemo.plane.paths()")
    diff = _assert_path_is_pythons(site, path, start)
    print(f"\niterate: {len(path) - 1} steps, max |page - python| per step {diff:.2g}")
    assert tab.js("([a, b]) => aedemo.iterate(a, b)", list(start)) == path, "the API is the same function"

    # the path is drawn: pixels change at its end (a ring) and along the first segment
    tab.frames()
    after = tab.plane_rgb()
    end = tab.js("([a, b]) => aedemo.plane.toScreen(a, b)", path[-1])
    ex, ey = round(end[0] * dpr), round(end[1] * dpr)
    ring = slice(max(0, ey - 8), ey + 9), slice(max(0, ex - 8), ex + 9)
    assert np.abs(after[ring] - before[ring]).max() > 100

    # from the drawing's marker (selected when drawn)
    draw_on_pad(tab, SEVEN)
    marker = tab.js("() => aedemo.plane.marker()")
    tab.page.locator("#iterate").click()
    tab.wait("() => document.getElementById('plane').dataset.paths === '2'")
    path = tab.js("() => aedemo.plane.paths()")[1]
    assert path[0] == marker
    _assert_path_is_pythons(site, path, tuple(marker))
    tab.assert_clean()


def test_drift_field_is_one_round_trip_of_each_model(tab, site):
    before = runs(tab)
    tab.page.locator("#drift-toggle").click()
    tab.wait("() => aedemo.plane.drift() && aedemo.plane.drift().fresh")
    after = runs(tab)
    assert (after["decoder_batches"] - before["decoder_batches"],
            after["encoder_batches"] - before["encoder_batches"]) == (1, 1), "one batched call of each model"
    d = tab.js("() => aedemo.plane.drift()")
    start = np.array(d["from"], np.float32).reshape(-1, 2)
    end = np.array(d["to"], np.float32).reshape(-1, 2)
    assert len(start) >= 100
    # the arrows start on a grid that covers the visible plane
    v = view(tab)
    sx, sy = v["ox"] + v["scale"] * start[:, 0], v["oy"] - v["scale"] * start[:, 1]
    w, h = v["width"] / v["dpr"], v["height"] / v["dpr"]
    assert 0 < sx.min() < 44 and w - 44 < sx.max() < w and 0 < sy.min() < 44 and h - 44 < sy.max() < h
    assert len(start) == len(np.unique(np.round(sx))) * len(np.unique(np.round(sy)))
    want = site.encode(np.clip(site.decode(start), 0, 1))
    diff = np.abs(end - want).max()
    print(f"\ndrift: {len(start)} arrows, max |page - python| {diff:.2g}")
    assert diff <= CODE_TOLERANCE
    tab.assert_clean()


# ---------------------------------------------------------------------------- zoom and pan


def _isolated_dot(tab: Tab, site, view: dict, avoid: list[tuple[float, float]]) -> tuple[int, int, str]:
    """A dot drawn alone, away from `avoid` (device pixels): its device pixel and colour."""
    from sitefiles import read_site_data

    p = read_site_data(site.root, "points")
    q = np.frombuffer(base64.b64decode(p["u"]), "<i2").reshape(-1, 2).astype(np.float64)
    label = np.frombuffer(base64.b64decode(p["label"]), np.uint8)
    lo, hi = np.array(p["lo"]), np.array(p["hi"])
    u = (lo + (q + 32767) / 65534 * (hi - lo)).astype(np.float32).astype(np.float64)
    d = view["dpr"]
    x = np.round((view["ox"] + view["scale"] * u[:, 0]) * d)
    y = np.round((view["oy"] - view["scale"] * u[:, 1]) * d)
    w, h = view["width"], view["height"]
    inside = (x > 60) & (x < w - 40) & (y > 20) & (y < h - 50)
    for ax, ay in avoid:
        inside &= np.hypot(x - ax, y - ay) > 60 * d
    best, gap = -1, 0.0
    pts = np.stack([x, y], 1)
    candidates = np.flatnonzero(inside)
    for i in np.random.default_rng(0).permutation(candidates)[:400]:
        nearest = np.partition(np.hypot(*(pts - pts[i]).T), 1)[1]
        if nearest > gap:
            best, gap = i, nearest
    assert best >= 0 and gap >= 6 * d, "no isolated dot"
    return int(x[best]), int(y[best]), site.config["palette"][label[best]]


def _assert_dot(tab: Tab, dot: tuple[int, int, str]) -> None:
    x, y, colour = dot
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    assert tab.plane_pixels(x, y, 1, 1)[0, 0].tolist() == rgb


def test_zoom_pan_and_pinch_keep_the_point_under_the_pointer(tab, site):
    tab.page.mouse.click(*tab.at(0.56, 0.52))
    tab.wait_stamps(1)
    v0 = view(tab)
    (stamp,) = tab.stamps()
    stamp_centre = (stamp["x"] + stamp["size"] / 2, stamp["y"] + stamp["size"] / 2)
    x, y = tab.at(0.4, 0.36)

    # wheel: zoom in around the pointer; the plane point under it stays, everything follows
    tab.page.mouse.move(x, y)
    under = tab.plane_point(x, y)
    tab.page.mouse.wheel(0, -300)
    v1 = wait_view_change(tab, v0["version"])
    assert v1["zoom"] > 1.5
    assert tab.plane_point(x, y) == pytest.approx(under, abs=1e-9)
    (moved,) = tab.stamps()
    assert (moved["u1"], moved["u2"]) == (stamp["u1"], stamp["u2"]) and (moved["x"], moved["y"]) != (stamp["x"], stamp["y"])
    tab.assert_stamp_drawn(moved)
    centre = tab.js("([a, b]) => aedemo.plane.toScreen(a, b)", [stamp["u1"], stamp["u2"]])
    assert (moved["x"] + moved["size"] / 2, moved["y"] + moved["size"] / 2) == pytest.approx(
        (centre[0] * v1["dpr"], centre[1] * v1["dpr"]), abs=1.01)
    dot = _isolated_dot(tab, site, v1, [(moved["x"] + moved["size"] / 2, moved["y"] + moved["size"] / 2)])
    _assert_dot(tab, dot)

    # pan: Alt-drag moves the plane with the pointer, and stamps nothing
    tab.page.keyboard.down("Alt")
    tab.page.mouse.move(x, y)
    tab.page.mouse.down()
    tab.page.mouse.move(x + 120, y + 45, steps=5)
    tab.page.mouse.up()
    tab.page.keyboard.up("Alt")
    v2 = wait_view_change(tab, v1["version"])
    assert tab.plane_point(x + 120, y + 45) == pytest.approx(under, abs=1e-9)
    assert v2["scale"] == v1["scale"]
    assert len(tab.stamps()) == 1
    tab.assert_stamp_drawn(tab.stamps()[0])

    # two fingers (touch pointer events): the spread zooms, the midpoint carries the plane
    p1, p2, q1, q2 = (x - 40, y), (x + 40, y), (x - 70, y + 30), (x + 90, y + 30)
    mid_before = tab.plane_point((p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2)
    tab.js("""([p1, p2, q1, q2]) => {
      const c = document.getElementById('plane-canvas');
      const fire = (type, id, [x, y]) => c.dispatchEvent(new PointerEvent(type, {
        pointerId: id, pointerType: 'touch', isPrimary: id === 11, clientX: x, clientY: y, bubbles: true, button: 0 }));
      fire('pointerdown', 11, p1); fire('pointerdown', 12, p2);
      fire('pointermove', 11, q1); fire('pointermove', 12, q2);
      fire('pointerup', 11, q1); fire('pointerup', 12, q2);
    }""", [p1, p2, q1, q2])
    v3 = wait_view_change(tab, v2["version"])
    assert v3["scale"] / v2["scale"] == pytest.approx(math.dist(q1, q2) / math.dist(p1, p2), rel=1e-9)
    assert tab.plane_point((q1[0] + q2[0]) / 2, (q1[1] + q2[1]) / 2) == pytest.approx(mid_before, abs=1e-9)
    assert len(tab.stamps()) == 1, "a pinch stamps nothing"

    # double-click resets the view and leaves no stamp behind
    tab.page.mouse.dblclick(*tab.at(0.2, 0.8))
    v4 = wait_view_change(tab, v3["version"])
    assert v4["zoom"] == 1 and (v4["scale"], v4["ox"], v4["oy"]) == (v0["scale"], v0["ox"], v0["oy"])
    tab.page.wait_for_timeout(300)
    assert len(tab.stamps()) == 1
    (back,) = tab.stamps()
    assert (back["x"] + back["size"] / 2, back["y"] + back["size"] / 2) == stamp_centre
    _assert_dot(tab, _isolated_dot(tab, site, v4, [stamp_centre]))
    tab.assert_clean()


# ---------------------------------------------------------------------------- grid


def _assert_tiles_are_decodes(tab: Tab, site) -> int:
    """Every tile fully inside the canvas (away from the axis labels) shows the decode of its centre."""
    t = tab.js("() => aedemo.plane.tiles()")
    assert t["fresh"]
    tiles = t["tiles"]
    u = np.array([[s["u1"], s["u2"]] for s in tiles], np.float32)
    # each tile is decoded at the plane point under its centre
    v = view(tab)
    cx = np.array([(s["x"] + s["size"] / 2) / v["dpr"] for s in tiles])
    cy = np.array([(s["y"] + s["size"] / 2) / v["dpr"] for s in tiles])
    centres = np.stack([(cx - v["ox"]) / v["scale"], (v["oy"] - cy) / v["scale"]], 1).astype(np.float32)
    assert np.array_equal(u, centres)
    want = site.decode(u)                                         # one batched call, like the page
    pixels = tab.plane_rgb()
    height, width = pixels.shape[:2]
    dpr = tab.js("() => aedemo.plane.dpr()")
    size = tiles[0]["size"]
    zoom = size // SIDE
    inside = [k for k, s in enumerate(tiles)
              if s["x"] >= 40 * dpr and s["y"] >= 0 and s["x"] + size <= width and s["y"] + size <= height - 30 * dpr]
    assert len(inside) >= 20
    for k in inside:
        s = tiles[k]
        got = pixels[s["y"] : s["y"] + size, s["x"] : s["x"] + size]
        expected = np.kron(to_grey(want[k]), np.ones((zoom, zoom)))[..., None]
        assert np.abs(got - expected).max() <= 1, f"tile {k} at {s}"
    return len(inside)


def test_grid_tiles_are_batched_python_decodes_at_any_zoom(tab, site):
    for chip in tab.page.locator(".chip").all():                   # the dots would cover the tiles
        chip.click()
    before = runs(tab)
    tab.page.locator("#grid-toggle").click()
    tab.wait("() => aedemo.plane.tiles() && aedemo.plane.tiles().fresh")
    assert runs(tab)["decoder_batches"] - before["decoder_batches"] == 1, "one batched call"
    tab.frames()
    n = _assert_tiles_are_decodes(tab, site)

    v = view(tab)
    tab.page.mouse.move(*tab.at(0.5, 0.45))
    tab.page.mouse.wheel(0, -400)
    wait_view_change(tab, v["version"])
    tab.wait("v => { const t = aedemo.plane.tiles(); return t && t.fresh && aedemo.plane.view().version !== v; }",
             v["version"])
    tab.frames()
    m = _assert_tiles_are_decodes(tab, site)
    print(f"\ngrid: {n} and {m} tiles checked against Python decodes")
    tab.assert_clean()


# ---------------------------------------------------------------------------- nearest real digits


def _brute_force(codes: np.ndarray, u: tuple[float, float], k: int = 8) -> list[int]:
    c = codes.astype(np.float64)
    d2 = (c[:, 0] - u[0]) ** 2 + (c[:, 1] - u[1]) ** 2
    return np.lexsort((np.arange(len(c)), d2))[:k].tolist()


def test_nearest_real_digits_are_the_brute_force_answer(tab, site):
    digits = site.digits
    for fx, fy in [(0.3, 0.3), (0.55, 0.5), (0.8, 0.75), (0.98, 0.03)]:
        x, y = tab.at(fx, fy)
        tab.page.mouse.move(x, y, steps=3)
        tab.wait_preview(tab.plane_point(x, y))
        point, _ = tab.preview()
        shown = [int(i) for i in tab.js("() => document.getElementById('nearest').dataset.indices").split(",")]
        assert shown == _brute_force(digits["codes"], point)
        thumbs = tab.js("() => [...document.querySelectorAll('#nearest canvas')].map(c => Array.from("
                        "c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0))")
        for i, grey in zip(shown, thumbs):
            assert np.abs(np.array(grey) - np.rint(digits["images"][i] * 255)).max() <= 1

    # many more through the API: random, far out, and exactly on codes (ties at distance 0)
    rng = np.random.default_rng(3)
    queries = np.concatenate([rng.uniform(-5, 5, (300, 2)), rng.uniform(-12, 12, (40, 2)),
                              digits["codes"][rng.choice(len(digits["codes"]), 20)]])
    got = tab.js("qs => qs.map(([a, b]) => aedemo.nearest(a, b, 8).map(r => r.index))", queries.tolist())
    for q, indices in zip(queries, got):
        assert indices == _brute_force(digits["codes"], tuple(q))
    ms = tab.js("""() => {
      const t0 = performance.now();
      let n = 0;
      for (let i = 0; i < 5000; i++) n += aedemo.nearest(6 * Math.sin(i) , 4 * Math.cos(1.7 * i), 8).length;
      return (performance.now() - t0) / 5000;
    }""")
    print(f"\nnearest 8 of {len(digits['codes'])} digits: {1000 * ms:.1f} µs per query")
    assert ms < 2, "fast enough to run on every pointer move"
    tab.assert_clean()


# ---------------------------------------------------------------------------- strip


def test_shift_drag_shows_ten_decodes_along_the_line(tab, site):
    def shift_drag(a: tuple[int, int], b: tuple[int, int]) -> dict:
        version = tab.js("() => Number(document.getElementById('strip').dataset.version || 0)")
        tab.page.keyboard.down("Shift")
        tab.page.mouse.move(*a)
        tab.page.mouse.down()
        tab.page.mouse.move(*b, steps=6)
        tab.page.mouse.up()
        tab.page.keyboard.up("Shift")
        tab.wait("v => aedemo.plane.strip() && Number(document.getElementById('strip').dataset.version) > v", version)
        return tab.js("() => aedemo.plane.strip()")

    a, b = tab.at(0.3, 0.62), tab.at(0.72, 0.33)
    strip = shift_drag(a, b)
    ua, ub = np.float32(tab.plane_point(*a)), np.float32(tab.plane_point(*b))
    assert strip["a"] == ua.tolist() and strip["b"] == ub.tolist()
    u = np.array(strip["u"], np.float32).reshape(10, 2)
    t = np.linspace(0, 1, 10)[:, None]
    np.testing.assert_allclose(u, ua.astype(np.float64) + t * (ub.astype(np.float64) - ua), rtol=0, atol=1e-6)
    want = site.decode(u)
    for i in range(10):
        grey = tab.canvas_grey(f"#strip-images canvas:nth-child({i + 1})")
        assert np.abs(grey - to_grey(want[i])).max() <= 1
    assert tab.page.locator("#strip").is_visible()
    assert tab.stamps() == [], "a Shift-drag stamps nothing"

    # between two stamps: the ends snap to the stamps' points
    s1, s2 = tab.at(0.45, 0.3), tab.at(0.7, 0.7)
    for p in (s1, s2):
        tab.page.mouse.click(*p)
        tab.page.wait_for_timeout(450)                              # not a double-click
    tab.wait_stamps(2)
    first, second = tab.stamps()
    strip = shift_drag((s1[0] + 9, s1[1] - 7), (s2[0] - 11, s2[1] + 6))
    assert strip["a"] == [first["u1"], first["u2"]] and strip["b"] == [second["u1"], second["u2"]]
    tab.page.locator("#strip-close").click()
    assert tab.page.locator("#strip").is_hidden()
    tab.assert_clean()


# ---------------------------------------------------------------------------- keep and share


def _make_state(tab: Tab) -> tuple[list[list[float]], list[float]]:
    """Two stamps and a keyboard cursor moved away from them; returns (stamps, cursor)."""
    for fx, fy in [(0.4, 0.3), (0.75, 0.66)]:
        tab.page.mouse.click(*tab.at(fx, fy))
        tab.page.wait_for_timeout(450)
    tab.wait_stamps(2)
    tab.page.locator("#plane-canvas").focus()
    for key in ["Shift+ArrowRight", "ArrowDown", "ArrowDown"]:
        tab.page.keyboard.press(key)
    cursor = tab.js("() => aedemo.plane.cursor()")
    tab.wait_preview(cursor)
    return [[s["u1"], s["u2"]] for s in tab.stamps()], cursor


def test_copy_link_round_trips_cursor_and_stamps(tab, browser, site):
    stamps, cursor = _make_state(tab)
    tab.page.locator("#copy-link").click()
    tab.wait("() => location.hash.startsWith('#at=')")
    url = tab.page.url
    assert tab.js("() => aedemo.link()") == url
    assert "stamps=" in url and len(url.split("#", 1)[1]) < 120, url

    other = Tab(browser, site, tab.mode, url=url)
    try:
        other.wait_first_image()
        other.wait_stamps(2)
        assert [[s["u1"], s["u2"]] for s in other.stamps()] == stamps
        cursor32 = np.float32(cursor).tolist()
        assert other.js("() => aedemo.plane.cursor()") == cursor32
        other.wait_preview(cursor32)
        point, grey = other.preview()
        assert list(point) == cursor32 and np.abs(grey - site.grey(*point)).max() <= 1
        other.frames()
        for s in other.stamps():
            other.assert_stamp_drawn(s)
        # a hand-edited link with a broken pair keeps what it can read
        other.js("() => { location.hash = '#at=0.5,x&stamps=1.25,-0.5;y,2;-1,1e400'; }")
        other.wait_stamps(1)
        assert other.stamps()[0]["u1"] == 1.25 and other.stamps()[0]["u2"] == -0.5
        other.assert_clean()
    finally:
        other.close()
    tab.assert_clean()


def test_clear_voids_a_stamp_still_decoding(tab, site):
    # one stamp on the plane, so Clear is there; then Enter and Clear in one go: the second
    # stamp is still decoding when Clear is pressed, and must not land after it
    tab.page.locator("#plane-canvas").focus()
    tab.page.keyboard.press("Enter")
    tab.wait_stamps(1)
    pending = tab.js("""() => {
      document.getElementById('plane-canvas').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      const n = aedemo.plane.pending();
      document.getElementById('clear').click();
      return n;
    }""")
    assert pending == 1
    tab.wait("() => aedemo.plane.pending() === 0")
    tab.frames(3)
    assert tab.stamps() == []
    key = f"aedemo:{site.config['modelHash']}:stamps"
    assert tab.js("k => localStorage.getItem(k)", key) is None   # nothing kept
    tab.assert_clean()


def test_stamps_persist_across_reloads_for_the_same_model_only(tab, site):
    stamps, _ = _make_state(tab)
    key = f"aedemo:{site.config['modelHash']}:stamps"
    assert json.loads(tab.js("k => localStorage.getItem(k)", key)) == stamps
    tab.page.reload()
    tab.wait_first_image()
    tab.wait_stamps(2)
    assert [[s["u1"], s["u2"]] for s in tab.stamps()] == stamps
    tab.frames()
    for s in tab.stamps():
        tab.assert_stamp_drawn(s)

    # stamps kept for another model are not this model's
    tab.js("k => { localStorage.removeItem(k); localStorage.setItem('aedemo:0123456789abcdef:stamps', '[[1,2]]'); }", key)
    tab.page.reload()
    tab.wait_first_image()
    tab.wait_loaded()
    tab.frames(3)
    assert tab.stamps() == []
    tab.js("() => localStorage.clear()")
    tab.assert_clean()


# ---------------------------------------------------------------------------- what a link or storage cannot give back

MAX_STAMPS = 500   # templates/decoder/statecodec.js: the one cap on stamps, everywhere
RANGE_SPANS = 1000  # templates/decoder/statecodec.js: how far out (in sides of the points' box) a stamp may lie


def _points_box(site) -> tuple[np.ndarray, np.ndarray, float]:
    """The points' bounding box as the page has it (lo, hi) and its larger side."""
    from sitefiles import read_site_data

    p = read_site_data(site.root, "points")
    lo, hi = np.array(p["lo"], np.float64), np.array(p["hi"], np.float64)
    return lo, hi, float(max(hi - lo))


def _f32(values) -> list[list[float]]:
    """Plane points as the page keeps them: float32, as Python floats."""
    return np.asarray(values, np.float32).astype(np.float64).tolist()


def _text(u: list[float]) -> str:
    """A pair as a link writes it (repr of the float32 as a double reads back to the same float32)."""
    return f"{u[0]!r},{u[1]!r}"


def _grid_points(site, n: int) -> list[list[float]]:
    """n distinct float32 points spread over the points' box."""
    lo, hi, _ = _points_box(site)
    side = math.ceil(math.sqrt(n))
    k = np.arange(n)
    t = np.stack([(k % side + 0.5) / side, (k // side + 0.5) / side], 1)
    return _f32(lo + t * (hi - lo))


def test_a_link_with_unreadable_entries_restores_the_others_and_says_so(tab, site):
    lo, hi, span = _points_box(site)
    good = _f32([[1.25, -0.5], [-1, 1], lo - 0.9 * RANGE_SPANS * span])   # the last: far out, still in range
    far = _f32([hi + 1.1 * RANGE_SPANS * span])[0]                       # out of range
    texts = [_text(good[0]), "y,2", "1,2,3", _text(good[1]), "NaN,0", "-1,1e400", _text(far), ",1",
             _text(good[2])]
    tab.js("h => { location.hash = h; }", "#stamps=" + ";".join(texts))
    tab.wait_stamps(3)
    assert [[s["u1"], s["u2"]] for s in tab.stamps()] == good
    shown = tab.wait_toast("6 of the link's 9 stamps could not be read and were left out.")
    print(f"\nnotice: {shown}")

    # an unreadable position is said too; the stamps that could be read still come
    tab.js("h => { location.hash = h; }", "#at=0.5,x&stamps=" + _text(good[0]))
    tab.wait_stamps(1)
    assert tab.wait_toast("The link's position could not be read.") == "The link's position could not be read."
    # a link that holds nothing unreadable says nothing
    tab.js("() => { document.getElementById('toast').hidden = true; }")
    tab.js("h => { location.hash = h; }", f"#at={_text(good[1])}&stamps={_text(good[0])};{_text(good[1])}")
    tab.wait_stamps(2)
    tab.wait_preview(tuple(good[1]))
    assert tab.page.locator("#toast").is_hidden()
    assert tab.js("() => window.__toasts") == []
    tab.assert_clean()


def test_a_link_over_the_cap_restores_the_first_ones_and_says_so(tab, browser, site):
    stamps = _grid_points(site, 620)
    url = tab.site.url(tab.mode) + "#stamps=" + ";".join(_text(u) for u in stamps)
    other = Tab(browser, site, tab.mode, url=url)
    try:
        other.wait_first_image()
        other.wait_stamps(MAX_STAMPS)
        assert [[s["u1"], s["u2"]] for s in other.stamps()] == stamps[:MAX_STAMPS]
        other.wait_toast(f"The link held 620 stamps; the first {MAX_STAMPS} are shown.")
        # with unreadable ones among them, both are said
        other.js("h => { location.hash = h; }", "#stamps=x;" + ";".join(_text(u) for u in stamps))
        other.wait_toast(f"1 of the link's 621 stamps could not be read and was left out. "
                           f"Of the other 620, the first {MAX_STAMPS} are shown.")
        other.wait_stamps(MAX_STAMPS)
        other.frames()
        other.assert_stamp_drawn(other.stamps()[-1])   # the topmost
        other.assert_clean()
    finally:
        other.close()
    tab.assert_clean()


def test_stored_stamps_are_cut_to_the_cap_and_a_new_one_is_refused_there(tab, site):
    key = f"aedemo:{site.config['modelHash']}:stamps"
    _, hi, span = _points_box(site)
    stamps = _grid_points(site, 620)
    unreadable = ["text", [1, 2, 3], [1e39, 0], (hi + 1.1 * RANGE_SPANS * span).tolist(), None]
    stored = [stamps[0], *unreadable, *stamps[1:]]
    tab.js("([k, v]) => localStorage.setItem(k, v)", [key, json.dumps(stored)])
    tab.page.reload()
    tab.wait_first_image()
    tab.wait_loaded()
    tab.wait_stamps(MAX_STAMPS)
    assert [[s["u1"], s["u2"]] for s in tab.stamps()] == stamps[:MAX_STAMPS]
    tab.wait_toast("5 of the 625 stamps kept in this browser could not be read and were left out. "
                     f"Of the other 620, the first {MAX_STAMPS} are shown.")

    # at the cap a new stamp is refused, and says so; the stored ones stay as they were
    tab.page.locator("#plane-canvas").focus()
    tab.page.keyboard.press("Enter")
    tab.wait_toast(f"The plane holds at most {MAX_STAMPS} stamps")
    tab.page.wait_for_timeout(300)
    assert len(tab.stamps()) == MAX_STAMPS
    assert json.loads(tab.js("k => localStorage.getItem(k)", key)) == stored

    # more stored than the cap, all readable; then a stored text that is no list at all
    tab.js("([k, v]) => localStorage.setItem(k, v)", [key, json.dumps(stamps)])
    tab.page.reload()
    tab.wait_first_image()
    tab.wait_stamps(MAX_STAMPS)
    tab.wait_toast(f"This browser kept 620 stamps; the first {MAX_STAMPS} are shown.")
    tab.js("k => localStorage.setItem(k, '{not json')", key)
    tab.page.reload()
    tab.wait_first_image()
    tab.wait_toast("The stamps kept in this browser could not be read.")
    assert tab.stamps() == []
    tab.js("() => localStorage.clear()")
    tab.assert_clean()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_download_png_holds_the_plane_with_its_stamps(tab, site):
    tab.page.mouse.click(*tab.at(0.6, 0.45))
    tab.wait_stamps(1)
    with tab.page.expect_download() as info:
        tab.page.locator("#download").click()
    download = info.value
    assert download.suggested_filename == "aedemo-plane.png"
    data = open(download.path(), "rb").read()
    size = tab.js("() => [document.getElementById('plane-canvas').width, document.getElementById('plane-canvas').height]")
    assert list(_png_size(data)) == size
    (stamp,) = tab.stamps()
    pixels = tab.js("""async ([b64, x, y, n]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new OffscreenCanvas(bitmap.width, bitmap.height);
      const g = c.getContext('2d');
      g.drawImage(bitmap, 0, 0);
      return Array.from(g.getImageData(x, y, n, n).data);
    }""", [base64.b64encode(data).decode(), stamp["x"], stamp["y"], stamp["size"]])
    got = np.array(pixels).reshape(stamp["size"], stamp["size"], 4)[..., :3]
    zoom = stamp["size"] // SIDE
    expected = np.kron(site.grey(stamp["u1"], stamp["u2"]), np.ones((zoom, zoom)))[..., None]
    assert np.abs(got - expected).max() <= 1
    tab.assert_clean()


# ---------------------------------------------------------------------------- the API


def test_batch_api_matches_python_and_rejects_bad_input(tab, site):
    rng = np.random.default_rng(8)
    u = rng.uniform(-5, 5, (1024, 2)).astype(np.float32)
    before = runs(tab)
    got = tab.js("""async u => {
      const t0 = performance.now();
      const r = await aedemo.decodeBatch(Float32Array.from(u));
      const ms = performance.now() - t0;
      return [r.length, Array.from(r.subarray(0, 784 * 3)), Array.from(r.subarray(784 * 1021)), ms];
    }""", u.ravel().tolist())
    assert runs(tab)["decoder_batches"] - before["decoder_batches"] == 1
    assert got[0] == 1024 * PIXELS
    want = site.decode(u)
    assert np.abs(np.array(got[1]).reshape(3, PIXELS) - want[:3]).max() <= 1e-5
    assert np.abs(np.array(got[2]).reshape(3, PIXELS) - want[1021:]).max() <= 1e-5
    print(f"\ndecodeBatch of 1,024 points: {got[3]:.0f} ms")

    images = site.digits["images"][:16]
    codes = np.array(tab.js("x => aedemo.encodeBatch(Float32Array.from(x)).then(r => Array.from(r))",
                            images.ravel().tolist())).reshape(16, 2)
    assert np.abs(codes - site.encode(images)).max() <= 1e-5
    one = tab.js("x => aedemo.encode(x)", images[3].tolist())
    assert one == codes[3].tolist()

    errors = tab.js("""() => Promise.all([
      aedemo.encode([0.5, 0.5]),
      aedemo.encode(new Array(784).fill(2)),
      aedemo.decodeBatch([1, 2, 3]),
      aedemo.decodeBatch([NaN, 0]),
      aedemo.iterate(Infinity, 0),
    ].map(p => p.then(() => 'resolved', e => e.name)))""")
    assert errors == ["TypeError", "RangeError", "TypeError", "TypeError", "TypeError"]
    assert tab.js("() => aedemo.decodeBatch([]).then(r => r.length)") == 0
    tab.assert_clean()


def test_a_burst_of_pointer_moves_decodes_only_the_newest_point(tab):
    """At most one decode in flight for the pointer: moves while it runs replace each other."""
    tab.page.mouse.move(*tab.at(0.2, 0.2))
    tab.wait_preview(tab.plane_point(*tab.at(0.2, 0.2)))
    tab.frames()
    start = runs(tab)["decoder"]
    x, y = tab.at(0.79, 0.67)
    tab.js("""([x1, y1]) => {
      const c = document.getElementById('plane-canvas');
      for (let k = 0; k <= 100; k++) {
        const x = 200 + (x1 - 200) * k / 100, y = 160 + (y1 - 160) * k / 100;
        c.dispatchEvent(new PointerEvent('pointermove', { pointerId: 1, pointerType: 'mouse', clientX: x, clientY: y, bubbles: true }));
      }
    }""", [x, y])
    tab.wait_preview(tab.plane_point(x, y))
    decodes = runs(tab)["decoder"] - start
    print(f"\n101 pointer moves in one task: {decodes} decode(s)")
    assert decodes == 1
    tab.assert_clean()
