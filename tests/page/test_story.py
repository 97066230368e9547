"""Browser tests of the story's "Show me" actions (issue 12, templates/decoder/story.js): each
action brings its finding into view and drives the plane, the strip, the preview and
the pad through their own functions; the letters outside the data are measured in the
page; Reset view undoes what the story shows; keyboard and touch run the actions.

What the page computes is checked against Python's own answer: Python onnxruntime on
the models the page ships, the numpy reference of its preprocessing, brute-force kNN
over the real test images the page ships. Like tests/page/test_explore.py, every scenario
runs on each site variant and in both modes (http under /aedemo/ and file://), with no
request leaving the origin, the page's Content-Security-Policy on and no console error;
one page per mode is shared by the tests and put back to a clean state before each.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from pagetools import SIDE, Site, Tab, clear_marks, mnist_reference, serve, shared_tab, to_grey

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")   # the browser tests need it

CODE_TOLERANCE = 1e-4    # page vs Python onnxruntime on the same input
STORED_TOLERANCE = 1e-3  # page vs findings.json (made from unrounded pixels, in float64)
KNN = 5


# ---------------------------------------------------------------------------- one page per mode


@pytest.fixture(scope="module", params=["http", "file"])
def shared(request, browser, site):
    yield from shared_tab(browser, site, request.param, "() => aedemo.story.outside() !== null")


def reset(tab: Tab) -> None:
    """Before each test (the `tab` fixture of tests/conftest.py): nothing the story shows, no stamps, strip, drawing or zoom."""
    page = tab.page
    if page.locator("#view-reset").is_visible():
        page.locator("#view-reset").click()
    clear_marks(tab)
    tab.js("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    tab.wait("() => aedemo.pad.settled() && aedemo.plane.view().zoom === 1 && !aedemo.story.state().active"
             " && aedemo.story.state().running === null && document.getElementById('strip').hidden"
             " && document.getElementById('plane').dataset.stamps === '0'")
    tab.frames()


def story(site) -> dict:
    return site.config["story"]


def finding(site, action: str) -> dict:
    """What the page's config holds for `action`; the test is skipped when this model has no such finding."""
    found = story(site).get(action)
    if found is None:
        pytest.skip(f"this model has no finding for {action}")
    return found


def run(tab: Tab, action: str, how: str = "click") -> None:
    """Press the action's "Show me" button (click, Enter on it, or a tap) and wait until it has played."""
    before = tab.js("() => aedemo.story.state().runs")
    button = tab.page.locator(f'.show-me[data-action="{action}"]')
    assert button.is_visible(), f"the {action} button shows once the page can run it"
    if how == "key":
        button.focus()
        tab.page.keyboard.press("Enter")
    elif how == "tap":
        button.tap()
    else:
        button.click()
    wait_played(tab, action, before)


def wait_played(tab: Tab, action: str, before: int) -> None:
    tab.wait("([n, a]) => { const s = aedemo.story.state(); return s.runs > n && s.last === a && s.running === null; }",
             [before, action])
    tab.wait("() => aedemo.pad.settled()")
    tab.frames()


def assert_in_view(tab: Tab, points) -> None:
    """Every plane point is on the canvas, clear of the preview."""
    box = tab.js("""() => {
      const c = document.getElementById('plane-canvas').getBoundingClientRect();
      const p = document.getElementById('preview').getBoundingClientRect();
      return {w: c.width, h: c.height, preview: [p.left - c.left, p.top - c.top, p.right - c.left, p.bottom - c.top]};
    }""")
    screen = tab.js("ps => ps.map(([a, b]) => aedemo.plane.toScreen(a, b))", [list(map(float, u)) for u in points])
    x0, y0, x1, y1 = box["preview"]
    for u, (x, y) in zip(points, screen):
        assert 0 <= x <= box["w"] and 0 <= y <= box["h"], f"{u} is outside the visible plane at ({x:.0f}, {y:.0f})"
        assert not (x0 <= x <= x1 and y0 <= y <= y1), f"{u} is under the preview"


def assert_dimmed_but(tab: Tab, site, kept: list[int]) -> None:
    """The story dims every class but `kept`: no dot of theirs keeps its full colour."""
    n = len(site.config["classes"])
    assert tab.js("() => aedemo.plane.dimmed()") == [k for k in range(n) if k not in kept]
    palette = site.config["palette"]
    for k in range(n):
        count = tab.count_colour(palette[k])
        if k in kept:
            assert count > 0, f"class {k} keeps its colour"
        else:
            assert count == 0, f"class {k} is dimmed"


def assert_reset_undoes(tab: Tab, how: str = "button") -> None:
    assert tab.page.locator("#view-reset").is_visible(), "Reset view shows after every action"
    if how == "key":
        tab.page.locator("#plane-canvas").focus()
        tab.page.keyboard.press("0")
    elif how == "tap":
        tab.page.locator("#view-reset").tap()
    else:
        tab.page.locator("#view-reset").click()
    tab.wait("() => !aedemo.story.state().active && aedemo.plane.view().zoom === 1")
    tab.frames()
    assert tab.js("() => [aedemo.plane.dimmed(), aedemo.plane.rings(), aedemo.plane.trail()]") == [[], [], []]
    assert tab.page.locator("#view-reset").is_hidden()


def knn_class(site, u) -> tuple[int, int]:
    """kNN-5 over the page's real test images, ties to the class of the nearest: (class, votes)."""
    d = site.digits
    d2 = ((d["codes"].astype(np.float64) - np.asarray(u, np.float64)) ** 2).sum(1)
    labels = d["labels"][np.lexsort((np.arange(len(d2)), d2))[:KNN]]
    counts = {}
    for label in labels:
        counts[int(label)] = counts.get(int(label), 0) + 1
    best = max(counts.values())
    return next(int(c) for c in labels if counts[int(c)] == best), best


def shifted(image: np.ndarray, axis: str, k: int) -> np.ndarray:
    """As builder/stages/findings.py's shift: right (x) or down (y) by k pixels, zeros coming in."""
    im = np.asarray(image, np.float32).reshape(SIDE, SIDE)
    out = np.zeros_like(im)
    dx, dy = (k, 0) if axis == "x" else (0, k)
    ys = slice(max(0, -dy), SIDE - max(0, dy))
    xs = slice(max(0, -dx), SIDE - max(0, dx))
    out[max(0, dy) : SIDE + min(0, dy), max(0, dx) : SIDE + min(0, dx)] = im[ys, xs]
    return out.ravel()


# ---------------------------------------------------------------------------- the tests


def test_buttons_wait_for_the_page_then_show(tab, site):
    html = (site.root / "index.html").read_text(encoding="utf-8")
    tags = re.findall(r'<button[^>]*class="action show-me"[^>]*>', html)
    assert tags and all(tag.endswith(" hidden>") for tag in tags), "hidden until the page can run them"
    shown = tab.js("() => [...document.querySelectorAll('.show-me')].filter(b => !b.hidden).map(b => b.dataset.action)")
    expected = {"outside"} | set(story(site))
    assert set(shown) == expected
    tab.assert_clean()


def test_the_letters_are_measured_in_the_page(tab, site):
    classes = site.config["classes"]
    found = tab.js("() => aedemo.story.outside()")
    assert [f["letter"] for f in found] == ["B", "A", "X"]
    rasters = tab.js("""() => { const lib = window.AEDEMO_LIB;
      const theme = JSON.parse(document.getElementById('aedemo-config').textContent).theme;
      return Object.values(lib.letters).map(s => Array.from(lib.pad.rasterise(s, theme))); }""")
    text = tab.page.locator('[data-measured="outside"]').inner_text()
    print(f"\n{text}")
    for f, raster in zip(found, rasters):
        image = mnist_reference(np.array(raster, np.uint8), 224, 224)
        code = site.encode(image)[0]
        assert np.abs(np.array(f["code"]) - code).max() <= CODE_TOLERANCE
        assert (f["lands"]["label"], f["lands"]["count"]) == knn_class(site, f["code"])
        back = site.encode(np.clip(site.decode(np.array([f["code"]], np.float32)), 0, 1))[0]
        assert np.abs(np.array(f["back"]) - back).max() <= CODE_TOLERANCE
        assert f["returns"]["label"] == knn_class(site, f["back"])[0]
        lands, returns = classes[f["lands"]["label"]], classes[f["returns"]["label"]]
        votes = f["lands"]["votes"]
        assert sum(c for _, c in votes) == KNN and votes[0] == [f["lands"]["label"], f["lands"]["count"]]
        if 2 * f["lands"]["count"] > KNN:      # most of its nearest: among them
            assert f"A capital {f['letter']} lands among the {lands}s ({votes[0][1]} of its {KNN} nearest" in text
        else:                                  # else it lies between the two it is nearest to
            assert f"A capital {f['letter']} lies between the {lands}s and the {classes[votes[1][0]]}s" in text
        assert f"{returns}-like {site.config['words']['noun']}" in text
    tab.assert_clean()


def test_groups_fly_ring_and_dim(tab, site):
    g = finding(site, "groups")
    run(tab, "groups")
    assert_in_view(tab, g["centres"])
    assert tab.js("() => aedemo.plane.rings()") == g["centres"]
    assert_dimmed_but(tab, site, [g["class"]])
    assert_reset_undoes(tab)
    assert_dimmed_but(tab, site, list(range(len(site.config["classes"]))))
    tab.assert_clean()


@pytest.mark.parametrize("action", ["walk", "walk-abrupt", "walk-chaotic"])
def test_walk_shows_the_decoded_path(tab, site, action):
    w = finding(site, action)
    run(tab, action)
    path = w["path"]
    assert_in_view(tab, path)
    assert_dimmed_but(tab, site, w["classes"])
    assert tab.js("() => aedemo.plane.trail()") == path
    # the pointer walked to the end: the preview shows the decoder's image there
    end = np.float32(path[-1])
    tab.wait_preview(tuple(map(float, end)))
    tab.page.wait_for_function("() => aedemo.plane.strip() !== null")
    at, grey = tab.preview()
    assert np.abs(grey - site.grey(*end)).max() <= 1
    # the strip: the images decoded along the path's line, as Python onnxruntime decodes them
    strip = tab.js("() => aedemo.plane.strip()")
    assert np.allclose(strip["a"], np.float32(path[0])) and np.allclose(strip["b"], end)
    u = np.array(strip["u"], np.float32).reshape(-1, 2)
    expected = site.decode(u)
    for i in range(len(u)):
        got = tab.canvas_grey(f"#strip-images canvas:nth-child({i + 1})")
        assert np.abs(got - to_grey(expected[i])).max() <= 1
    classes = site.config["classes"]
    caption = tab.page.locator("#strip-caption").inner_text()
    assert caption == f"Decoded along the walk from the {classes[w['classes'][0]]}s to the {classes[w['classes'][1]]}s"
    assert_reset_undoes(tab)
    assert tab.page.locator("#strip").is_hidden(), "Reset view closes the strip the walk opened"
    tab.assert_clean()


def test_shift_plays_and_its_trail_is_the_measured_codes(tab, site):
    s = finding(site, "shift")
    run(tab, "shift")
    n = (len(s["codes"]) - 1) // 2
    order = [k if s["step"] > 0 else -k for k in range(-n, n + 1)]
    trail = np.array(tab.js("() => aedemo.plane.trail()"))
    assert trail.shape == (len(s["codes"]), 2)
    labels = tab.js("() => aedemo.plane.trailLabels()")   # each point says its shift
    assert labels == [(f"{k:+d} px" if k else "0").replace("-", "\u2212") for k in order]
    stored = np.array(s["codes"])[[k + n for k in order]]
    diff = np.abs(trail - stored).max()
    print(f"\nshift trail: max |page - findings.json| = {diff:.2g}")
    assert diff <= STORED_TOLERANCE
    images = np.array([shifted(s["image"], s["axis"], k) for k in order])
    assert np.abs(trail - site.encode(images)).max() <= CODE_TOLERANCE
    assert np.array_equal(np.array(tab.js("() => aedemo.pad.input()"), np.float32), images[-1])
    assert tab.js("() => aedemo.pad.code()") == list(trail[-1])
    assert_in_view(tab, s["codes"])
    assert_dimmed_but(tab, site, s["classes"])
    assert f"Test {site.config['words']['noun']} {s['index']:,}" in tab.page.locator("#pad-note").inner_text()
    assert_reset_undoes(tab, "key")
    tab.assert_clean()


def test_outside_draws_the_letters_into_the_pad(tab, site):
    found = {f["letter"]: f for f in tab.js("() => aedemo.story.outside()")}
    button = tab.page.locator('.show-me[data-action="outside"]')
    for letter in ["B", "A"]:
        assert button.inner_text().endswith(f" {letter}")
        run(tab, "outside")
        code = tab.js("() => aedemo.pad.code()")
        assert code == found[letter]["code"], "the pad rasterises the letter as the measurement did"
        assert f"A capital {letter} encodes to" in tab.page.locator("#pad-note").inner_text()
        assert_in_view(tab, [code])
        assert tab.js("() => aedemo.plane.rings()") == [code]
        assert_dimmed_but(tab, site, [found[letter]["lands"]["label"]])
    # the letters in the measured sentence are links that do the same
    before = tab.js("() => aedemo.story.state().runs")
    tab.page.locator('[data-measured="outside"] [data-letter="X"]').click()
    wait_played(tab, "outside", before)
    assert tab.js("() => aedemo.pad.code()") == found["X"]["code"]
    assert_reset_undoes(tab)
    tab.assert_clean()


def test_iterate_stamps_the_test_image_and_follows_it(tab, site):
    it = finding(site, "iterate")
    run(tab, "iterate")
    stamps = tab.stamps()
    assert len(stamps) == 1 and stamps[0]["selected"]
    assert np.allclose([stamps[0]["u1"], stamps[0]["u2"]], np.float32(it["from"]))
    path = np.array(tab.js("() => aedemo.plane.paths()")[0])
    expected = site.iterate(*np.float32(it["from"]))
    assert path.shape == expected.shape and np.abs(path - expected).max() <= CODE_TOLERANCE
    assert_in_view(tab, path)
    assert tab.js("() => aedemo.plane.rings()") == [list(path[-1])]
    assert_reset_undoes(tab)
    tab.assert_clean()


def test_keyboard_runs_an_action(tab, site):
    action = "groups" if "groups" in story(site) else "outside"
    run(tab, action, how="key")
    assert tab.js("() => aedemo.story.state().active")
    assert tab.js("() => aedemo.plane.dimmed()") != []
    assert_reset_undoes(tab, "key")
    tab.assert_clean()


def test_a_new_action_or_the_plane_cancels_the_one_running(tab, site):
    if "walk" not in story(site) or "groups" not in story(site):
        pytest.skip("needs a transition and a split class")
    before = tab.js("() => aedemo.story.state().runs")
    tab.page.locator('.show-me[data-action="walk"]').click()
    tab.wait("() => aedemo.story.state().running === 'walk'")
    tab.page.locator('.show-me[data-action="groups"]').click()
    wait_played(tab, "groups", before)
    assert tab.js("() => aedemo.story.state().runs") == before + 1, "the walk was cancelled"
    assert tab.js("() => aedemo.plane.trail()") == [], "and its marks replaced"
    # a key on the plane stops the walk where it is; its marks stay until Reset view
    tab.page.locator('.show-me[data-action="walk"]').click()
    tab.wait("() => aedemo.story.state().running === 'walk'")
    tab.page.locator("#plane-canvas").focus()
    tab.page.keyboard.press("ArrowLeft")
    assert tab.js("() => aedemo.story.state()") == {"running": None, "last": "groups", "runs": before + 1, "active": True}
    assert_reset_undoes(tab)
    tab.assert_clean()


class _TouchBrowser:
    """The browser, handing out contexts with a touch screen."""

    def __init__(self, browser):
        self.browser = browser

    def new_context(self, **options):
        return self.browser.new_context(has_touch=True, **options)


@pytest.mark.parametrize("mode", ["http", "file"])
def test_touch_runs_an_action_and_resets(browser, site, mode):
    tab = Tab(_TouchBrowser(browser), site, mode)
    try:
        tab.wait_first_image()
        tab.wait_loaded()
        action = "groups" if "groups" in story(site) else "outside"
        if action == "outside":
            tab.wait("() => aedemo.story.outside() !== null")
        run(tab, action, how="tap")
        assert tab.js("() => aedemo.plane.dimmed()") != []
        assert_reset_undoes(tab, "tap")
        tab.assert_clean()
    finally:
        tab.close()


# ---------------------------------------------------------------------------- another data set's words


@pytest.fixture(scope="module")
def fashion_site(tmp_path_factory):
    """A quick one-page site of Fashion-MNIST-like blobs (tests/factories.py), served."""
    from factories import build_fashion_like
    from pagetools import NODE_MODULES

    tmp = tmp_path_factory.mktemp("fashion")
    build_fashion_like(tmp, NODE_MODULES)
    server, origin = serve(tmp / "site")
    yield Site(root=tmp / "site", origin=origin, build=tmp / "build" / "fashion-mnist")
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["http", "file"])
def test_the_scripts_speak_the_data_sets_words(browser, fashion_site, mode):
    from builder.data import FASHION_CLASSES

    tab = Tab(browser, fashion_site, mode)
    try:
        tab.wait_loaded()
        tab.wait("() => aedemo.story.outside() !== null")
        assert tab.page.locator("#pad-note").inner_text() == "Draw an image, or load a real one."
        text = tab.page.locator('[data-measured="outside"]').inner_text()
        assert re.search(r"lands among the (%s)s" % "|".join(map(re.escape, FASHION_CLASSES)), text), text
        assert "-like image" in text
        for action in ["shift", "outside"]:     # the actions that write about the data
            if tab.page.locator(f'.show-me[data-action="{action}"]').count():
                run(tab, action)
        words = tab.js("() => [document.body.innerText, ...[...document.querySelectorAll('[title], [aria-label]')]"
                       ".map(e => `${e.title} ${e.getAttribute('aria-label') || ''}`)].join(' ')")
        assert "digit" not in words.lower()
        tab.assert_clean()
    finally:
        tab.close()
