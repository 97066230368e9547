"""The page before its runtime (issue 26): the decoder's files are held back, and the page
already answers the pointer with the point's coordinates, its nearest real images and
their class, runs the story's stops that need only the dots, shows how much of the
runtime has come where the first image will be, and decodes the stamps placed meanwhile
once the decoder is there; nothing moves when the indicator goes.

Over http a route holds onnxruntime-web's script, its WebAssembly and the decoder's data
script and lets them go one by one (the indicator must move at each). From file://,
which playwright does not route, an init script holds the same scripts back when the page
adds them (`HOLD`); there every file comes whole at once, so the indicator is only
checked to show and to go.
"""

from __future__ import annotations

import numpy as np
import pytest
from pagetools import Tab

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")

# From file://: the data and runtime scripts the page adds are held until __release().
HOLD = """(() => {
  const held = [];
  let released = false;
  const append = Element.prototype.append;
  Element.prototype.append = function (...nodes) {
    const n = nodes[0];
    if (!released && this === document.head && n instanceof HTMLScriptElement
        && /(data\\/(decoder|wasm|glue)\\.|ort\\.wasm\\.min\\.js)/.test(n.src)) {
      held.push(() => append.apply(this, nodes));
      return undefined;
    }
    return append.apply(this, nodes);
  };
  window.__release = () => { released = true; for (const f of held.splice(0)) f(); };
})();"""


@pytest.fixture(params=["http", "file"])
def mode(request) -> str:
    return request.param


class Held:
    """The routes held back over http, by the end of their URL."""

    def __init__(self, ends: list[str]):
        self.ends = ends
        self.routes: list = []

    def __call__(self, route) -> bool:
        if any(route.request.url.endswith(e) for e in self.ends):
            self.routes.append(route)
            return True
        return False

    def release(self, end: str) -> None:
        for r in [r for r in self.routes if r.request.url.endswith(end)]:
            self.routes.remove(r)
            r.continue_()


def nearest_python(site, u: tuple[float, float], k: int = 8) -> list[int]:
    """The k real test images whose codes lie nearest to u, by numpy (ties by index)."""
    codes = site.digits["codes"].astype(np.float64)
    d2 = ((codes - np.asarray(u, np.float64)) ** 2).sum(axis=1)
    return [int(i) for i in np.lexsort((np.arange(len(d2)), d2))[:k]]


def progress(tab: Tab) -> int:
    return int(tab.js("() => Number(document.getElementById('loading').getAttribute('aria-valuenow'))"))


def boxes(tab: Tab) -> list:
    """Where the preview, the image, the plane and the pad lie in the document."""
    return tab.js("() => ['preview', 'digit', 'plane-canvas', 'pad'].map((id) => {"
                  " const r = document.getElementById(id).getBoundingClientRect();"
                  " return [r.x + scrollX, r.y + scrollY, r.width, r.height]; })")


def test_before_the_decoder_the_page_answers_and_then_decodes(browser, site, mode):
    files = site.config["files"]
    ends = [files["ort"].rsplit("/", 1)[-1], files["wasm_raw"].rsplit("/", 1)[-1], files["decoder"].rsplit("/", 1)[-1]]
    held = Held(ends)
    tab = Tab(browser, site, mode, route=held if mode == "http" else None,
              init_script=HOLD if mode == "file" else None, wait_until="commit")
    try:
        tab.wait("() => window.aedemo && aedemo.timings.scatter !== undefined")
        x, y = tab.at(0.62, 0.58)
        tab.page.mouse.move(x, y)
        tab.wait("() => aedemo.timings.pointer !== undefined")
        assert tab.js("() => [aedemo.timings.ready, aedemo.timings.firstImage]") == [None, None]
        u = tab.plane_point(x, y)
        shown = tab.js("() => [document.getElementById('u1').value, document.getElementById('u2').value]")
        assert [float(s.replace("\u2212", "-")) for s in shown] == pytest.approx(u, abs=6e-4)
        indices = tab.js("() => document.getElementById('nearest').dataset.indices")
        want = nearest_python(site, u)
        assert [int(i) for i in indices.split(",")] == want
        labels = site.digits["labels"][want]
        top = int(np.bincount(labels).max())
        region = tab.js("() => document.getElementById('region').textContent")
        assert region.endswith(f": {top} of 8")
        assert any(site.config["plurals"][c] in region for c in set(labels) if (labels == c).sum() == top)

        # The loading indicator is where the first image will be, and moves as files come.
        assert tab.js("() => !document.getElementById('loading').hidden")
        first = progress(tab)
        assert 0 <= first < 100

        # A stamp placed now is decoded when the decoder is there.
        sx, sy = tab.at(0.3, 0.7)
        at = tab.plane_point(sx, sy)
        tab.page.mouse.click(sx, sy)
        tab.frames(3)
        assert tab.stamps() == []

        # A stop of the story that needs only the dots runs now.
        action = next(a for a in ("groups", "walk", "walk-abrupt", "walk-chaotic") if a in site.config["story"])
        button = tab.page.locator(f'.show-me[data-action="{action}"]')
        assert button.is_visible()
        button.click()
        tab.wait("() => aedemo.plane.dimmed() !== null && aedemo.plane.dimmed().length > 0")
        tab.js("() => document.getElementById('view-reset').click()")
        tab.frames(2)
        before = boxes(tab)   # the story scrolled the plane into view

        if mode == "http":
            held.release(ends[0])           # onnxruntime-web's script
            tab.wait("(v) => Number(document.getElementById('loading').getAttribute('aria-valuenow')) > v", first)
            second = progress(tab)
            held.release(ends[1])           # the WebAssembly
            tab.wait("(v) => Number(document.getElementById('loading').getAttribute('aria-valuenow')) > v", second)
            assert tab.js("() => aedemo.timings.firstImage") is None
            held.release(ends[2])           # the decoder
        else:
            tab.js("() => window.__release()")
        tab.wait_first_image()
        tab.wait("() => document.getElementById('loading').hidden")
        tab.wait_stamps(1)
        tab.frames(2)
        stamp = tab.stamps()[0]
        assert (stamp["u1"], stamp["u2"]) == pytest.approx(at, abs=1e-5)
        tab.assert_stamp_drawn(stamp)
        assert boxes(tab) == before, "nothing moves when the indicator goes"
        tab.assert_clean()
    finally:
        tab.close()
