"""Browser tests of the layout (issue 25, templates/decoder/scrolly.css, scrolly.js, undo.js,
disclosures.js, viewlink.js): the story's stops play beside (or under) the plane without
moving the page, with the stop's text and the plane both on screen; neither page is wider
than the screen at 320–430 px; axe-core finds no serious or critical violation; Reset view
gives back the state before a stop; a share link carries zoom, centre, overlays and open
disclosures. Desktop 1366×900 and phone 390×844 with touch, http and file://.
"""

from __future__ import annotations

import math

import pytest
from pagetools import NODE_MODULES, Site, Tab, served_site

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")

LAYOUTS = {"desktop": ({"width": 1366, "height": 900}, False), "phone": ({"width": 390, "height": 844}, True)}
AXE = NODE_MODULES / "axe-core" / "axe.min.js"


class _Browser:
    """A browser whose contexts have touch (the phone layout)."""

    def __init__(self, browser, touch: bool) -> None:
        self.browser, self.touch = browser, touch

    def new_context(self, **options):
        return self.browser.new_context(has_touch=self.touch, **options)


@pytest.fixture(scope="module", params=["quick", "real"])
def lsite(request, tmp_path_factory):
    """A site with both pages (the decoder page and the compression page), served."""
    yield from served_site(request, tmp_path_factory, "compressed_build", "compression.html")


def page_url(site: Site, mode: str, page: str) -> str:
    return site.url(mode) + ("" if page == "index.html" else page) if mode == "http" else (site.root / page).as_uri()


def open_tab(browser, site, mode, layout, page="index.html", **options) -> Tab:
    viewport, touch = LAYOUTS[layout]
    return Tab(_Browser(browser, touch), site, mode, viewport=viewport, url=page_url(site, mode, page), **options)


def loaded(tab: Tab) -> None:
    tab.wait_first_image()
    tab.wait_loaded()
    tab.wait("() => aedemo.story.outside() !== null")


def action_points(tab: Tab, site: Site, action: str) -> list:
    """The plane points a stop's action is about (config.story, or what the page measured)."""
    s = site.config["story"][action] if action != "outside" else None
    if action == "groups":
        return s["centres"]
    if action in ("walk", "walk-abrupt", "walk-chaotic"):
        return s["path"]
    if action == "shift":
        return s["codes"]
    if action == "iterate":
        return tab.js("() => aedemo.plane.paths().at(-1)")
    return [tab.js("() => aedemo.plane.marker()")]


def boxes(tab: Tab, stop_id: str) -> dict:
    return tab.js("""id => {
      const r = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
      const stop = document.getElementById('stop-' + id);
      return {plane: r(document.getElementById('plane')), title: r(stop.querySelector('h3')),
              text: r(stop.querySelector('p')), h: innerHeight, w: innerWidth, y: scrollY};
    }""", stop_id)


def assert_points_in_plane(tab: Tab, points) -> None:
    box = tab.js("() => { const c = document.getElementById('plane-canvas'); return [c.clientWidth, c.clientHeight]; }")
    for x, y in tab.js("ps => ps.map(([a, b]) => aedemo.plane.toScreen(a, b))", [list(map(float, u)) for u in points]):
        assert 0 <= x <= box[0] and 0 <= y <= box[1], f"({x:.0f}, {y:.0f}) is outside the visible plane {box}"


@pytest.mark.parametrize("layout", ["desktop", "phone"])
@pytest.mark.parametrize("mode", ["http", "file"])
def test_each_stop_plays_beside_its_text_without_moving_the_page(browser, lsite, mode, layout):
    tab = open_tab(browser, lsite, mode, layout)
    try:
        loaded(tab)
        stops = tab.js("() => [...document.querySelectorAll('.stop')].map(s => [s.dataset.stop,"
                       " (s.querySelector('.show-me:not([hidden])') || {dataset: {}}).dataset.action || null])")
        played = 0
        for stop_id, action in stops:
            if action is None:
                continue
            tab.js("id => document.getElementById('stop-' + id).scrollIntoView({block: 'start'})", stop_id)
            button = tab.page.locator(f"#stop-{stop_id} .show-me[data-action='{action}']")
            button.scroll_into_view_if_needed()
            tab.frames()
            before = tab.js("() => [scrollY, aedemo.story.state().runs]")
            if layout == "phone":
                button.tap()
            else:
                button.click()
            tab.wait("([n, a]) => { const s = aedemo.story.state(); return s.runs > n && s.last === a && s.running === null; }",
                     [before[1], action])
            tab.wait("() => aedemo.pad.settled()")
            tab.frames()
            b = boxes(tab, stop_id)
            assert b["y"] == before[0], f"{action}: the page moved from {before[0]} to {b['y']}"
            assert_points_in_plane(tab, action_points(tab, lsite, action))
            plane, title, text = b["plane"], b["title"], b["text"]
            assert plane[1] >= -1 and plane[3] <= b["h"] + 1, f"{action}: the plane {plane} is not all on screen"
            for name, r in (("title", title), ("first paragraph", text)):
                assert r[1] >= 0 and r[3] <= b["h"], f"{action}: the stop's {name} {r} is off screen"
                overlaps = r[0] < plane[2] and r[2] > plane[0] and r[1] < plane[3] and r[3] > plane[1]
                assert not overlaps, f"{action}: the stop's {name} {r} is under the plane {plane}"
            played += 1
            tab.page.locator("#view-reset").click()
            tab.wait("() => !aedemo.story.state().active")
        assert played, "the story has stops with buttons"
        tab.assert_clean()
    finally:
        tab.close()


@pytest.mark.parametrize("layout", ["desktop", "phone"])
def test_the_preview_leaves_the_y_axis_labels_in_view(browser, lsite, layout):
    tab = open_tab(browser, lsite, "http", layout)
    try:
        loaded(tab)
        tab.frames()
        # the widest label the plane's y axis can draw (plane.js: 11px, left-aligned at x = 8)
        room = tab.js("""() => {
          const g = document.createElement('canvas').getContext('2d');
          g.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
          const plane = document.getElementById('plane-canvas').getBoundingClientRect();
          const card = document.getElementById('preview').getBoundingClientRect();
          return [8 + g.measureText('\u22128.88').width, card.left - plane.left];
        }""")
        assert room[1] >= room[0], f"the preview starts {room[1]:.0f} px into the plane, the labels need {room[0]:.0f}"
        tab.assert_clean()
    finally:
        tab.close()


@pytest.mark.parametrize("width", [320, 390, 430])
@pytest.mark.parametrize("page", ["index.html", "compression.html"])
def test_no_page_is_wider_than_a_phone(browser, lsite, page, width):
    tab = Tab(_Browser(browser, True), lsite, "http", viewport={"width": width, "height": 844},
              url=page_url(lsite, "http", page))
    try:
        tab.wait("() => document.readyState === 'complete'")
        tab.wait("() => !document.querySelector('[aria-busy=\"true\"]')")
        tab.frames()
        sizes = tab.js("() => [document.documentElement.scrollWidth, innerWidth]")
        assert sizes[0] <= sizes[1], f"{page} at {width} px: {sizes[0]} px wide"
        tab.assert_clean()
    finally:
        tab.close()


def axe_run(tab: Tab) -> list:
    """axe-core run in the test page (loaded as a blob script, which the page's CSP allows): serious and critical violations."""
    tab.js("""src => new Promise((done, fail) => {
      const s = document.createElement('script');
      s.src = URL.createObjectURL(new Blob([src], {type: 'text/javascript'}));
      s.onload = done; s.onerror = fail; document.head.append(s);
    })""", AXE.read_text())
    found = tab.js("() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>"
                   " ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 4)})))")
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("layout", ["desktop", "phone"])
@pytest.mark.parametrize("page", ["index.html", "compression.html"])
def test_axe_finds_no_serious_violation(browser, lsite, page, layout):
    if not AXE.exists():
        pytest.fail(f"{AXE} not found: run make install (axe-core is a devDependency)")
    tab = open_tab(browser, lsite, "http", layout, page)
    try:
        tab.wait("() => document.readyState === 'complete'")
        tab.wait("() => !document.querySelector('[aria-busy=\"true\"]')")
        tab.frames(3)
        assert axe_run(tab) == []
    finally:
        tab.close()


def state(tab: Tab) -> dict:
    return tab.js("""() => ({
      view: (({scale, ox, oy, zoom}) => ({scale, ox, oy, zoom}))(aedemo.plane.view()), dimmed: aedemo.plane.dimmed(), rings: aedemo.plane.rings(), trail: aedemo.plane.trail(),
      stamps: aedemo.plane.stamps().map(s => [s.u1, s.u2]), paths: aedemo.plane.paths().length,
      pad: document.getElementById('pad').dataset.empty, strip: document.getElementById('strip').hidden,
      toast: document.getElementById('toast').hidden,
      preview: [document.getElementById('preview').dataset.u1, document.getElementById('preview').dataset.u2],
    })""")


@pytest.mark.parametrize("mode", ["http", "file"])
def test_reset_view_gives_back_the_state_before_the_stops(browser, lsite, mode):
    tab = open_tab(browser, lsite, mode, "desktop")
    try:
        loaded(tab)
        tab.frames(3)
        before = state(tab)
        ran = []
        for action in ("groups", "walk", "shift", "outside", "iterate"):
            button = tab.page.locator(f".show-me[data-action='{action}']")
            if not button.count() or not button.first.is_visible():
                continue
            n = tab.js("() => aedemo.story.state().runs")
            button.first.click()
            tab.wait("n => aedemo.story.state().runs > n && aedemo.story.state().running === null", n)
            tab.wait("() => aedemo.pad.settled()")
            ran.append(action)
        assert ran, "some stop ran"
        assert state(tab) != before
        tab.page.locator("#view-reset").click()
        tab.wait("() => !aedemo.story.state().active && aedemo.plane.view().zoom === 1 && aedemo.pad.settled()")
        tab.wait("u => { const d = document.getElementById('preview').dataset; return d.u1 === u[0] && d.u2 === u[1]; }",
                 before["preview"])
        tab.frames(3)
        assert state(tab) == before, f"after {ran}"
        tab.assert_clean()
    finally:
        tab.close()


@pytest.mark.parametrize("mode", ["http", "file"])
def test_a_share_link_carries_zoom_pan_overlays_and_disclosures(browser, lsite, mode):
    tab = open_tab(browser, lsite, mode, "desktop", tools_open=False)
    other = None
    try:
        loaded(tab)
        assert tab.js("() => aedemo.layout.open()") == [], "the tools wait until asked"
        tab.page.locator(".maps-disclosure > summary").click()
        tab.page.locator(".probe-disclosure > summary").click()
        tab.page.locator("#grid-toggle").click()
        tab.page.locator("#smooth-toggle").click()
        x, y = tab.at(0.6, 0.55)
        tab.page.mouse.move(x, y)
        for _ in range(4):
            tab.page.mouse.wheel(0, -200)
        tab.wait("() => aedemo.plane.view().zoom > 1.5")
        tab.page.keyboard.down("Alt")
        tab.page.mouse.move(x, y)
        tab.page.mouse.down()
        tab.page.mouse.move(x - 80, y + 40, steps=4)
        tab.page.mouse.up()
        tab.page.keyboard.up("Alt")
        tab.frames(2)
        want = tab.js("() => { const v = aedemo.plane.view(); const c = document.getElementById('plane-canvas');"
                      " return [v.zoom, aedemo.plane.toPlane(c.clientWidth / 2, c.clientHeight / 2)]; }")
        tab.page.locator("#copy-link").click()
        tab.wait("() => location.hash.includes('view=')")
        url = tab.js("() => location.href")
        other = Tab(browser, lsite, mode, viewport=LAYOUTS["desktop"][0], url=url, tools_open=False)
        other.wait_first_image()
        other.wait_loaded()
        other.wait("() => aedemo.plane.view().zoom > 1.5")
        other.frames(2)
        got = other.js("() => { const v = aedemo.plane.view(); const c = document.getElementById('plane-canvas');"
                       " return [v.zoom, aedemo.plane.toPlane(c.clientWidth / 2, c.clientHeight / 2)]; }")
        assert math.isclose(got[0], want[0], rel_tol=1e-5)
        span = other.js("() => { const c = document.getElementById('plane-canvas'); const a = aedemo.plane.toPlane(0, 0),"
                        " b = aedemo.plane.toPlane(c.clientWidth, 0); return b[0] - a[0]; }")
        assert abs(got[1][0] - want[1][0]) < 1e-4 * span and abs(got[1][1] - want[1][1]) < 1e-4 * span
        assert other.js("() => ['grid', 'smooth', 'drift', 'unfamiliar'].map(n =>"
                        " document.getElementById(n + '-toggle').getAttribute('aria-pressed'))") == ["true", "true", "false", "false"]
        assert sorted(other.js("() => aedemo.layout.open()")) == ["maps", "probe"]
        other.assert_clean()
        tab.assert_clean()
    finally:
        tab.close()
        if other is not None:
            other.close()
