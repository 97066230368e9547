"""Browser tests of probing the decoder (issue 14): the probe kit under the pad
(templates/decoder/probe.js, transforms.js), the smoothness and unfamiliarity maps over the plane
(templates/decoder/maps.js, overlays.js) and the decoder's layers beside the preview
(templates/decoder/layers.js).

What the page computes is checked against Python's own answer: numpy references of
each transform written from the formulas in templates/shared/transforms.js (and of the MNIST
preprocessing), Python onnxruntime on the models the page ships (all the decoder's
outputs), brute-force finite differences and a brute-force nearest-image search over
the real images the page ships. Like tests/page/test_explore.py, every scenario runs on each
site variant and in both modes (http under /aedemo/ and file://), with no request
leaving the origin, the page's Content-Security-Policy on and no console error; one
page per mode is shared by the tests and put back to a clean state before each.
"""

from __future__ import annotations

import base64
import gzip
import math

import numpy as np
import pytest
from pagetools import PIXELS, SIDE, Tab, mnist_reference
from test_explore import reset, shared  # noqa: F401  (its one page per mode, shared here too)
from test_story import _TouchBrowser

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")   # the browser tests need it

CODE_TOLERANCE = 1e-4     # page vs Python onnxruntime, for codes (as tests/page/test_explore.py)
IMAGE_TOLERANCE = 1e-6    # a transform in the page vs its numpy reference, preprocessed
LAYER_TOLERANCE = 1e-5    # the decoder's activations, page vs Python onnxruntime (as the image)
PAD = 224                 # templates/shared/pad.js SIZE


# ---------------------------------------------------------------------------- numpy references


def bilinear(values: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """templates/shared/transforms.js `bilinear`, element by element in the same order (float64)."""
    h, w = values.shape
    v = values.astype(np.float64)
    x0, y0 = np.floor(sx), np.floor(sy)
    fx, fy = sx - x0, sy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)

    def at(x, y):
        inside = (x >= 0) & (y >= 0) & (x < w) & (y < h)
        out = np.zeros(x.shape)
        out[inside] = v[y[inside], x[inside]]
        return out

    a, b, c, d = at(x0, y0), at(x0 + 1, y0), at(x0, y0 + 1), at(x0 + 1, y0 + 1)
    top = a + fx * (b - a)
    bottom = c + fx * (d - c)
    return top + fy * (bottom - top)


def rotate(ink: np.ndarray, cos: float, sin: float) -> np.ndarray:
    """transforms.rotate: about c = (size − 1)/2, bilinear, rounded half up to bytes."""
    size = ink.shape[0]
    c = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    sx = c + cos * (x - c) + sin * (y - c)
    sy = c - sin * (x - c) + cos * (y - c)
    return np.floor(bilinear(ink, sx, sy) + 0.5).astype(np.uint8)


def morph(ink: np.ndarray, r: int, pick) -> np.ndarray:
    """transforms.dilate (np.maximum) / erode (np.minimum): over the disc dx² + dy² ≤ r², zero outside."""
    size = ink.shape[0]
    padded = np.zeros((size + 2 * r, size + 2 * r), np.uint8)
    padded[r:-r, r:-r] = ink
    out = np.full(ink.shape, 0 if pick is np.maximum else 255, np.uint8)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy <= r * r:
                out = pick(out, padded[r + dy : r + dy + size, r + dx : r + dx + size])
    return out


def place(image: np.ndarray, scale: float, dx: int, dy: int) -> np.ndarray:
    """transforms.place: scaled about c = (side − 1)/2 and moved by (dx, dy), bilinear, zero outside."""
    im = np.asarray(image, np.float32).reshape(SIDE, SIDE)
    c = (SIDE - 1) / 2
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    return bilinear(im, (x - dx - c) / scale + c, (y - dy - c) / scale + c).astype(np.float32).ravel()


def mulberry32(seed: int, n: int) -> np.ndarray:
    """transforms.mulberry32: n draws in [0, 1), in 32-bit arithmetic."""
    m = 0xFFFFFFFF
    a, out = seed & m, []
    for _ in range(n):
        a = (a + 0x6D2B79F5) & m
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & m
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & m)) & m)) & m
        out.append(((t ^ (t >> 14)) & m) / 4294967296)
    return np.array(out)


def noise(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """transforms.noise: + sigma·(2r − 1), clipped to [0, 1]."""
    v = np.asarray(image, np.float32).astype(np.float64)
    return np.minimum(1, np.maximum(0, v + sigma * (2 * mulberry32(seed, v.size) - 1))).astype(np.float32)


def expected_input(raster: np.ndarray, state: dict) -> np.ndarray:
    """What the page encodes: the raster preprocessed, then the probe's settings (move, size, noise)."""
    image = mnist_reference(raster, PAD, PAD)
    if state["dx"] or state["dy"] or state["size"] or state["sigma"]:
        image = place(image, state["scale"], state["dx"], state["dy"])
        if state["sigma"]:
            image = noise(image, state["sigma"], state["seed"])
    return image


# ---------------------------------------------------------------------------- one page per mode


@pytest.fixture
def tab(shared) -> Tab:
    """The shared page, back to a clean state (tests/page/test_explore.py's), no map shown and the pen."""
    for name in ["smooth", "unfamiliar"]:
        if shared.page.locator(f"#{name}-toggle").get_attribute("aria-pressed") == "true":
            shared.page.locator(f"#{name}-toggle").click()
    if shared.js("() => aedemo.pad.probe().eraser"):
        shared.page.locator('[data-probe="erase"]').click()
    reset(shared)
    assert shared.js("() => aedemo.pad.trail()") == []
    return shared


def settled(tab: Tab) -> None:
    tab.wait("() => aedemo.pad.settled() && aedemo.pad.code() !== null")


def probe(tab: Tab, name: str, how: str = "click") -> None:
    """One probe action by its button (or `how` = a key pressed on the focused pad), then wait for its code."""
    if how == "click":
        tab.page.locator(f'[data-probe="{name}"]').click()
    else:
        tab.page.locator("#pad").focus()
        tab.page.keyboard.press(how)
    settled(tab)


def raster(tab: Tab) -> np.ndarray:
    """The pad's ink as the page encoded it last, in one base64 transfer."""
    text = tab.js("""() => { const r = aedemo.pad.raster(); let s = '';
      for (let i = 0; i < r.length; i += 0x8000) s += String.fromCharCode(...r.slice(i, i + 0x8000));
      return btoa(s); }""")
    return np.frombuffer(base64.b64decode(text), np.uint8).reshape(PAD, PAD)


def pad_input(tab: Tab) -> np.ndarray:
    return np.array(tab.js("() => aedemo.pad.input()"), np.float32)


def draw_preset(tab: Tab, letter: str = "B") -> None:
    tab.page.locator(f'[data-preset="{letter}"]').click()
    settled(tab)


def assert_input(tab: Tab, ink: np.ndarray) -> None:
    got, want = pad_input(tab), expected_input(ink, tab.js("() => aedemo.pad.probe()"))
    assert np.abs(got - want).max() <= IMAGE_TOLERANCE


def runs(tab: Tab) -> dict:
    return tab.js("() => ({...aedemo.stats.runs, decoder_batches: aedemo.stats.batches.decoder})")


# ---------------------------------------------------------------------------- the probe kit


def test_each_transform_matches_its_numpy_reference(tab, site):
    draw_preset(tab, "B")
    ink = raster(tab)
    assert_input(tab, ink)
    for name, how in [("right", "click"), ("right", "click"), ("up", "ArrowUp"), ("bigger", "click"),
                      ("smaller", "-"), ("smaller", "click")]:
        probe(tab, name, how)
        assert np.array_equal(raster(tab), ink), f"{name} leaves the pad's ink as it was"
        assert_input(tab, ink)
    state = tab.js("() => aedemo.pad.probe()")
    assert (state["dx"], state["dy"], state["size"]) == (2, -1, -1)
    cos, sin = tab.js("d => [Math.cos(d * Math.PI / 180), Math.sin(d * Math.PI / 180)]", 5)
    print(f"\ncos, sin of 5°: the page's vs numpy's differ by {abs(cos - math.cos(math.radians(5))):.1g}, "
          f"{abs(sin - math.sin(math.radians(5))):.1g}")
    for name, how, reference in [
        ("cw", "click", lambda a: rotate(a, cos, sin)),
        ("ccw", "[", lambda a: rotate(a, cos, -sin)),
        ("thicker", "click", lambda a: morph(a, 3, np.maximum)),
        ("thinner", "l", lambda a: morph(a, 3, np.minimum)),
    ]:
        probe(tab, name, how)
        new = raster(tab)
        want = reference(ink)
        assert np.array_equal(new, want), f"{name}: {np.count_nonzero(new != want)} pixels differ"
        assert_input(tab, new)
        ink = new
    # noise: the slider, by the keyboard (4 steps of 0.05), the same seeded pattern at any amplitude
    tab.page.locator("#probe-noise").focus()
    for _ in range(4):
        tab.page.keyboard.press("ArrowRight")
    tab.wait("() => aedemo.pad.probe().sigma === 0.2")
    settled(tab)
    assert_input(tab, ink)
    assert "seed 1" in tab.page.locator("#probe-noise-value").inner_text()
    text = tab.page.locator("#probe-state").inner_text()
    assert text.startswith("moved 2 right, 1 up") and "noise 0.20" in text, text
    assert ", changed, encodes to" in tab.page.locator("#pad-note").inner_text()
    tab.assert_clean()


def test_a_real_image_is_moved_pixel_by_pixel_and_its_code_walks(tab, site):
    ones = np.flatnonzero(site.digits["labels"] == 1)
    index = int(ones[0]) if len(ones) else 0
    tab.js("i => aedemo.pad.loadDigit(i)", index)
    settled(tab)
    image = site.digits["images"][index]
    assert np.array_equal(pad_input(tab), image)
    for k in range(1, 4):
        probe(tab, "right")
        want = np.zeros((SIDE, SIDE), np.float32)
        want[:, k:] = image.reshape(SIDE, SIDE)[:, :-k]
        assert np.array_equal(pad_input(tab), want.ravel()), "whole-pixel moves copy pixels exactly"
    trail = np.array(tab.js("() => aedemo.pad.trail()"))
    assert trail.shape == (4, 2)
    moved = np.hypot(*(trail - trail[0]).T)
    print(f"\na real {site.config['classes'][site.digits['labels'][index]]} moved right 1, 2, 3 pixels:"
          f" its code moves {', '.join(f'{d:.2f}' for d in moved[1:])}")
    assert moved[-1] > 0
    # loading something new starts the settings and the trail again
    tab.page.locator("#pad-random").click()
    settled(tab)
    assert tab.js("() => [aedemo.pad.probe().dx, aedemo.pad.trail().length]") == [0, 0]
    tab.assert_clean()


def test_the_trail_grows_with_each_change_and_holds_the_pages_encodings(tab, site):
    draw_preset(tab, "A")
    start = tab.js("() => aedemo.pad.code()")
    inputs, codes = [], []
    for name in ["left", "cw", "thicker", "bigger", "down"]:
        probe(tab, name)
        trail = tab.js("() => aedemo.pad.trail()")
        assert len(trail) == len(codes) + 2 and trail[0] == start
        assert trail[-1] == tab.js("() => aedemo.pad.code()")
        inputs.append(pad_input(tab))
        codes.append(trail[-1])
    assert np.abs(np.array(codes) - site.encode(np.array(inputs))).max() <= CODE_TOLERANCE
    # the trail is on the plane: a dot in ink at each point (the one farthest from the marker, looked at)
    tab.frames()
    screen = np.array(tab.js("ps => ps.map(([a, b]) => aedemo.plane.toScreen(a, b))", [start, *codes]))
    far = int(np.argmax(np.hypot(*(screen - screen[-1]).T)))
    print(f"\ntrail: {len(screen)} points, the farthest {np.hypot(*(screen[far] - screen[-1])):.0f} px from the marker")
    if np.hypot(*(screen[far] - screen[-1])) > 14:    # clear of the marker's diamond
        dpr = tab.js("() => aedemo.plane.dpr()")
        x, y = (int(v) for v in np.round(screen[far] * dpr))
        ink = [int(site.config["theme"]["ink"][i : i + 2], 16) for i in (1, 3, 5)]
        assert tab.plane_pixels(x, y, 1, 1)[0, 0].tolist() == ink
    # a pen stroke starts a new drawing: the trail goes, the settings stay
    pad = tab.page.locator("#pad").bounding_box()
    tab.page.mouse.move(pad["x"] + 20, pad["y"] + 20)
    tab.page.mouse.down()
    tab.page.mouse.move(pad["x"] + 40, pad["y"] + 30, steps=4)
    tab.page.mouse.up()
    settled(tab)
    assert tab.js("() => aedemo.pad.trail()") == []
    assert tab.js("() => aedemo.pad.probe().dx") == -1
    tab.assert_clean()


def test_erasing_part_of_the_drawing_is_encoded_as_it_goes(tab, site):
    draw_preset(tab, "X")
    before = raster(tab)
    probe(tab, "erase", "e")
    assert tab.page.locator('[data-probe="erase"]').get_attribute("aria-pressed") == "true"
    pad = tab.page.locator("#pad").bounding_box()
    tab.page.mouse.move(pad["x"] + 0.2 * pad["width"], pad["y"] + 0.5 * pad["height"])
    tab.page.mouse.down()
    tab.page.mouse.move(pad["x"] + 0.8 * pad["width"], pad["y"] + 0.5 * pad["height"], steps=10)
    tab.page.mouse.up()
    settled(tab)
    after = raster(tab)
    assert after.sum() < before.sum() * 0.95 and (after <= before).all(), "erasing only takes ink away"
    assert np.abs(pad_input(tab) - mnist_reference(after, PAD, PAD)).max() <= IMAGE_TOLERANCE
    trail = tab.js("() => aedemo.pad.trail()")
    assert len(trail) >= 2 and trail[-1] == tab.js("() => aedemo.pad.code()")
    assert "A capital X, changed," in tab.page.locator("#pad-note").inner_text()
    tab.page.locator('[data-probe="erase"]').click()
    assert tab.js("() => aedemo.pad.probe().eraser") is False
    tab.assert_clean()


# ---------------------------------------------------------------------------- the maps


def wait_map(tab: Tab, name: str, version: int | None = None) -> dict:
    tab.wait("([n, v]) => { const m = aedemo.plane.maps()[n]; return m && m.fresh"
             " && (v === null || aedemo.plane.view().version !== v); }", [name, version])
    tab.frames()
    return tab.js("n => aedemo.plane.maps()[n]", name)


def assert_covers_the_plane(tab: Tab, m: dict) -> None:
    w, h = tab.js("() => { const c = document.getElementById('plane-canvas'); return [c.clientWidth, c.clientHeight]; }")
    assert m["cols"] * m["step"] >= w > (m["cols"] - 1) * m["step"]
    assert m["rows"] * m["step"] >= h > (m["rows"] - 1) * m["step"]
    assert len(m["values"]) == m["cols"] * m["rows"] == len(m["u"]) // 2


def assert_legend(tab: Tab, name: str, m: dict) -> None:
    legend = tab.page.locator("#map-legend")
    assert legend.is_visible() and legend.get_attribute("data-map") == name
    assert tab.page.locator(f'#map-legend [data-map="{name}"]').is_visible()
    lo, hi = (float(tab.page.locator(f"#map-legend [data-{k}]").inner_text()) for k in ("lo", "hi"))
    assert lo == pytest.approx(m["lo"], rel=0.05, abs=0.005) and hi == pytest.approx(m["hi"], rel=0.05)


def smoothness_reference(site, m: dict) -> np.ndarray:
    """Central differences ‖D(u ± h·e_k)‖ by Python onnxruntime at the page's own cell centres."""
    u = np.array(m["u"], np.float64).reshape(-1, 2)
    h = m["h"]
    offsets = [np.array(o) for o in ([h, 0], [-h, 0], [0, h], [0, -h])]
    d = [site.decode((u + o).astype(np.float32)).astype(np.float64) for o in offsets]
    g1 = np.linalg.norm(d[0] - d[1], axis=1) / (2 * h)
    g2 = np.linalg.norm(d[2] - d[3], axis=1) / (2 * h)
    return np.sqrt(g1 ** 2 + g2 ** 2)


def test_smoothness_map_is_the_decoders_stretch_by_central_differences(tab, site):
    before = runs(tab)
    tab.page.locator("#smooth-toggle").click()
    m = wait_map(tab, "smooth")
    assert runs(tab)["decoder_batches"] - before["decoder_batches"] == 1, "one batched call per refresh"
    assert_covers_the_plane(tab, m)
    assert m["h"] == pytest.approx(m["delta"] / 2)
    want = smoothness_reference(site, m)
    got = np.array(m["values"])
    err = np.abs(got - want) / want.max()
    print(f"\nsmoothness: {len(got)} cells, {got.min():.3g} – {got.max():.3g}, max |page − python| / max "
          f"{err.max():.2g}; refresh {m['ms']:.0f} ms")
    assert err.max() <= 1e-4
    assert_legend(tab, "smooth", m)
    # a new view: recomputed once it rests, for the new cells, with one more batch
    v = tab.js("() => aedemo.plane.view().version")
    before = runs(tab)
    tab.page.mouse.move(*tab.at(0.6, 0.5))
    tab.page.mouse.wheel(0, -300)
    m2 = wait_map(tab, "smooth", v)
    assert runs(tab)["decoder_batches"] - before["decoder_batches"] >= 1
    assert m2["delta"] < m["delta"]
    idx = np.linspace(0, len(m2["values"]) - 1, 40).astype(int)
    sub = {**m2, "u": np.array(m2["u"]).reshape(-1, 2)[idx].ravel().tolist()}
    want2 = smoothness_reference(site, sub)
    assert np.abs(np.array(m2["values"])[idx] - want2).max() / want2.max() <= 1e-4
    tab.assert_clean()


def test_unfamiliar_map_is_the_distance_to_the_nearest_real_image(tab, site):
    tab.page.locator("#smooth-toggle").click()
    before = runs(tab)
    tab.page.locator("#unfamiliar-toggle").click()
    assert tab.page.locator("#smooth-toggle").get_attribute("aria-pressed") == "false", "one map at a time"
    m = wait_map(tab, "unfamiliar")
    assert tab.js("() => aedemo.plane.maps().smooth") is None
    assert runs(tab)["decoder_batches"] - before["decoder_batches"] == 1, "one batched call per refresh"
    assert_covers_the_plane(tab, m)
    u = np.array(m["u"], np.float32).reshape(-1, 2)
    decoded = np.clip(site.decode(u), 0, 1).astype(np.float64)
    real = site.digits["images"].astype(np.float64)
    d2 = (decoded ** 2).sum(1)[:, None] + (real ** 2).sum(1)[None] - 2 * decoded @ real.T   # brute force
    best = np.sqrt(np.maximum(d2.min(1), 0) / PIXELS)
    got = np.array(m["values"])
    nearest = np.array(m["nearest"])
    exact = np.sqrt(((decoded - real[nearest]) ** 2).sum(1) / PIXELS)
    print(f"\nunfamiliar: {len(got)} cells × {len(real)} real images, {got.min():.3g} – {got.max():.3g}, "
          f"max |page − brute force| {np.abs(got - best).max():.2g}; refresh {m['ms']:.0f} ms")
    assert np.abs(got - best).max() <= 1e-5
    assert np.abs(exact - best).max() <= 1e-5, "the page's nearest image is a nearest one"
    assert_legend(tab, "unfamiliar", m)
    tab.page.locator("#unfamiliar-toggle").click()
    assert tab.page.locator("#map-legend").is_hidden()
    tab.assert_clean()


def test_the_maps_shade_the_plane_darker_where_the_value_is_higher(tab, site):
    for chip in tab.page.locator(".chip").all():                   # the dots would cover the shading
        chip.click()
    try:
        tab.page.locator("#smooth-toggle").click()
        m = wait_map(tab, "smooth")
        values = np.array(m["values"]).reshape(m["rows"], m["cols"])
        dpr = tab.js("() => aedemo.plane.dpr()")
        rgb = tab.plane_rgb()
        inner = values[1:-1, 1:-1]
        r, c = np.unravel_index(np.argmax(inner), inner.shape)
        r0, c0 = np.unravel_index(np.argmin(inner), inner.shape)

        def shade(r, c):   # the screen's pixel at the centre of inner cell (r, c)
            x = (rgb.shape[1] / dpr - m["cols"] * m["step"]) / 2 + (c + 1.5) * m["step"]
            y = (rgb.shape[0] / dpr - m["rows"] * m["step"]) / 2 + (r + 1.5) * m["step"]
            return rgb[round(y * dpr), round(x * dpr)].sum()

        assert shade(r, c) < shade(r0, c0) - 100, "the largest value is the darkest cell"
    finally:
        for chip in tab.page.locator(".chip").all():
            chip.click()
    tab.assert_clean()


# ---------------------------------------------------------------------------- the decoder's layers


def decoder_outputs(site, u: np.ndarray) -> dict[str, np.ndarray]:
    """Every output of the page's decoder.onnx (image and layers) from Python onnxruntime."""
    import onnxruntime as ort

    session = ort.InferenceSession(site.decoder_bytes, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {site.config["input"]: np.asarray(u, np.float32)})))


def test_layer_activations_match_python_onnxruntime_near_and_far(tab, site):
    rng = np.random.default_rng(14)
    near = rng.normal(0, 1.5, (160, 2))
    far = np.concatenate([rng.uniform(-12, 12, (40, 2)), [[12, 12], [-12, 12], [12, -12], [-12, -12]]])
    u = np.concatenate([near, far]).astype(np.float32)
    assert len(u) >= 200
    got = tab.js("""async us => { const out = [];
      for (const [a, b] of us) { const r = await aedemo.decodeLayers(a, b);
        out.push([Array.from(r.image), ...r.layers.map(l => Array.from(l))]); }
      return out; }""", u.astype(np.float64).tolist())
    want = decoder_outputs(site, u)
    names = [site.config["output"]] + [layer["name"] for layer in site.config["decoderLayers"]]
    assert [layer["size"] for layer in site.config["decoderLayers"]] == [25, 50, 100]
    for k, name in enumerate(names):
        page = np.array([g[k] for g in got], np.float32)
        diff = np.abs(page - want[name])
        print(f"\n{name}: max |page − python| {diff[:160].max():.2g} near, {diff[160:].max():.2g} far")
        assert diff.max() <= LAYER_TOLERANCE
    tab.assert_clean()


def test_the_layer_panel_follows_the_preview(tab, site):
    for fx, fy in [(0.45, 0.55), (0.8, 0.3), (0.3, 0.8)]:
        x, y = tab.at(fx, fy)
        tab.page.mouse.move(x, y, steps=3)
        point = tab.plane_point(x, y)
        tab.wait_preview(point)
        tab.wait("([a, b]) => { const s = aedemo.layers.shown(); return s && Math.abs(s.u[0] - a) < 1e-4"
                 " && Math.abs(s.u[1] - b) < 1e-4; }", list(point))
        shown = tab.js("() => aedemo.layers.shown()")
        want = decoder_outputs(site, np.array([shown["u"]], np.float32))
        for layer, values in zip(site.config["decoderLayers"], shown["layers"]):
            assert np.abs(np.array(values, np.float32) - want[layer["name"]][0]).max() <= LAYER_TOLERANCE
        counts = [int(t.split()[0]) for t in tab.page.locator("#layers [data-on]").all_inner_texts()]
        assert counts == [int((want[layer["name"]][0] > 0).sum()) for layer in site.config["decoderLayers"]]
    # every unit's cell is wide and tall enough to point at: the 100 units in lines of 25
    for k, layer in enumerate(site.config["decoderLayers"]):
        cells = tab.page.locator(f'#layers [data-layer="{k}"] canvas')
        box, cols = cells.bounding_box(), int(cells.get_attribute("width"))
        lines = int(cells.get_attribute("height"))
        assert cols * lines >= layer["size"] > cols * (lines - 1)
        assert box["width"] / cols >= 5 and box["height"] / lines >= 5, (layer["size"], box, cols, lines)
    tab.assert_clean()


def unit_pictures(site) -> list[np.ndarray]:
    from sitefiles import read_site_data

    units = read_site_data(site.root, "units")
    return [np.frombuffer(gzip.decompress(base64.b64decode(layer["images"])), np.uint8).reshape(layer["n"], PIXELS)
            for layer in units["layers"]]


def hover_unit(tab: Tab, layer: int, index: int, how: str = "mouse") -> np.ndarray:
    cells = tab.page.locator(f'#layers [data-layer="{layer}"] canvas')
    box = cells.bounding_box()
    cols, lines = int(cells.get_attribute("width")), int(cells.get_attribute("height"))   # unit j at (j % cols, j // cols)
    x = box["x"] + (index % cols + 0.5) * box["width"] / cols
    y = box["y"] + (index // cols + 0.5) * box["height"] / lines
    if how == "tap":
        tab.page.touchscreen.tap(x, y)
    else:
        tab.page.mouse.move(x, y, steps=6)     # across the preview, which lets the plane hover under it
    tab.wait("k => document.getElementById('layers').dataset.unitShown === k", f"{layer}:{index}")
    if not tab.js("() => document.getElementById('unit-image').getContext('2d').getImageData(0, 0, 1, 1).data[3]"):
        return None   # a unit of a layer whose units the page does not draw alone: the figure stays empty
    return tab.canvas_grey("#unit-image").ravel()


def test_hovering_a_unit_shows_what_it_draws_alone(tab, site):
    pictures = unit_pictures(site)
    x, y = tab.at(0.8, 0.75)   # clear of the preview (which the layers make tall), where the pointer rests
    tab.page.mouse.move(x, y)
    point = tab.plane_point(x, y)
    tab.wait_preview(point)
    tab.page.wait_for_timeout(300)          # the pointer rests there (preview.js REST_MS)
    for layer, index in [(0, 3), (0, 24), (1, 0), (1, 31), (1, 49), (2, 99)]:
        got = hover_unit(tab, layer, index)
        # the layers shown are those of the point the pointer rested at, not of those it crossed
        tab.wait("([a, b]) => { const s = aedemo.layers.shown(); return s && Math.abs(s.u[0] - a) < 1e-4"
                 " && Math.abs(s.u[1] - b) < 1e-4; }", list(point))
        if layer < len(pictures):   # the units of the first two hidden layers draw alone
            assert np.array_equal(got, pictures[layer][index]), f"unit {index} of layer {layer}"
        else:
            assert got is None, "the 100-unit layer's units are not drawn alone"
        assert tab.js("() => aedemo.layers.unit()") == {"layer": layer, "index": index}
        assert tab.page.locator("#unit-caption").inner_text().startswith(
            f"unit {index + 1} of {site.config['decoderLayers'][layer]['size']}")
    tab.page.mouse.move(*tab.at(0.8, 0.75))
    tab.wait("() => aedemo.layers.unit() === null")
    tab.assert_clean()


@pytest.fixture(params=["http", "file"])
def touch_tab(request, browser, site):
    """A page of its own on a touch screen, once the encoder and the real images are there."""
    tab = Tab(_TouchBrowser(browser), site, request.param)
    tab.wait_loaded()
    yield tab
    tab.close()


def test_touch_probes_the_pad_and_the_units(touch_tab, site):
    tab = touch_tab
    tab.page.locator('[data-preset="B"]').tap()
    settled(tab)
    tab.page.locator('[data-probe="right"]').tap()
    settled(tab)
    assert len(tab.js("() => aedemo.pad.trail()")) == 2
    assert_input(tab, raster(tab))
    tab.js("() => window.scrollTo(0, 0)")
    got = hover_unit(tab, 1, 7, how="tap")
    assert np.array_equal(got, unit_pictures(site)[1][7])
    tab.assert_clean()
