"""The time-lapse section in the browser (issue 16), over http and from file://: it loads
only when opened, the scrubber's last moment is the final map and its unrolled moment the
unrolled net's, play advances and stops, and the linked cursor decodes with both decoders
as Python onnxruntime does."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
from pagetools import Tab  # noqa: E402
from sitefiles import read_site_config

from builder.model.autoencoder import symlog
from builder.records import layout
from builder.records.folder import BuildFolder
from builder.site import modelpack

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")


@pytest.fixture(params=["http", "file"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def tab(browser, site, mode):
    if "timelapse" not in read_site_config(site.root)["lazy"]:
        pytest.skip("this site has no time-lapse")
    t = Tab(browser, site, mode)
    t.wait_first_image()
    yield t
    t.close()


def lazy_urls(site) -> list[str]:
    group = read_site_config(site.root)["lazy"]["timelapse"]
    return [*group["scripts"], *group["data"].values()]


def open_lapse(tab: Tab) -> None:
    tab.js("() => aedemo.lapse.open()")
    tab.wait("() => aedemo.lapse.state() === 'ready'")


def settle(tab: Tab) -> dict:
    tab.wait("() => { const s = aedemo.lapse.shown(); return s.position === s.target; }")
    tab.frames(2)
    return tab.js("() => aedemo.lapse.shown()")


def session_of(data: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def site_model(site, key: str) -> bytes:
    """The ONNX bytes of a lazily loaded model of the site (`modelpack`)."""
    path = site.root / read_site_config(site.root)["lazy"]["timelapse"]["data"][key]
    text = path.read_text()
    start = text.index("] = ", text.index("AEDEMO_DATA")) + 4
    return modelpack.unpack(json.loads(text[start : text.rindex(";")]))


def test_it_loads_only_when_opened(tab, site) -> None:
    names = [u.rsplit("/", 1)[-1] for u in lazy_urls(site)]
    loaded = lambda: tab.js("() => performance.getEntriesByType('resource').map((e) => e.name)")  # noqa: E731
    tab.wait_loaded()
    tab.frames(3)
    assert tab.js("() => aedemo.lapse.state()") == "closed"
    in_dom = lambda: tab.js("() => [...document.scripts].map((s) => s.src)")  # noqa: E731
    assert not [n for n in names if any(r.endswith(n) for r in in_dom())]
    if tab.mode == "http":
        assert not [n for n in names if any(r.endswith(n) for r in loaded())]
    open_lapse(tab)
    assert all(any(r.endswith(n) for r in in_dom()) for n in names)
    card = tab.js("() => Number(document.querySelector('.mc-lazy').dataset.lazyBytes)")
    assert card == sum((site.root / u).stat().st_size for u in lazy_urls(site))
    tab.assert_clean()


def needs_build(site) -> None:
    if site.build is None:
        pytest.skip("needs the build folder of the site")


def test_last_moment_is_the_final_map_and_unrolled_is_the_unrolled_net(tab, site) -> None:
    needs_build(site)
    open_lapse(tab)
    build = site.build
    h = BuildFolder.open(build).history()
    with np.load(build / layout.POINTS) as p:
        final = p["u"][p["test"]][h.rows].astype(np.float32)
    s = settle(tab)
    assert s["moment"] == len(h.phase) - 1 and s["label"].startswith("kept")
    assert np.array_equal(np.array(s["codes"]).reshape(-1, 2), final.astype(np.float64))   # exactly
    tab.js("() => document.querySelector('[data-jump=\"unrolled\"]').click()")
    s = settle(tab)
    k = h.moment_of("unrolled", 0)
    assert s["moment"] == k and s["label"] == "unrolled" and s["position"] == k
    shown = np.array(s["codes"]).reshape(-1, 2)
    assert np.array_equal(shown, h.codes(k))
    with np.load(build / layout.DIGITS) as d:
        x = d["x_test"][h.rows]
    want = symlog(h.weights[0].encode(x))
    assert np.all(np.abs(shown - want) <= h.step(k) / 2 + 1e-6 * np.abs(want).max())
    # the card's fine-tuning curve shows where the scrubber is
    assert tab.js("() => document.querySelector('[data-chart=\"finetune\"] .mc-scrub').getAttribute('visibility')") == "visible"
    tab.js("() => aedemo.lapse.seek(0)")
    s = settle(tab)
    assert s["position"] == 0 and s["label"] == "top RBM epoch 1"
    assert tab.js("() => document.querySelector('[data-chart=\"pretraining\"] .mc-scrub').dataset.epoch") == "1"
    tab.assert_clean()


def test_play_advances_and_stops(tab) -> None:
    open_lapse(tab)
    tab.js("() => aedemo.lapse.seek(0)")
    settle(tab)
    tab.js("() => aedemo.lapse.play()")
    tab.wait("() => aedemo.lapse.shown().position > 0.5")
    assert tab.js("() => aedemo.lapse.shown().playing") is True
    assert tab.js("() => document.getElementById('lapse-play').textContent") == "Pause"
    tab.js("() => aedemo.lapse.pause()")
    a = settle(tab)
    tab.frames(5)
    b = tab.js("() => aedemo.lapse.shown()")
    assert not b["playing"] and a["position"] == b["position"] and 0 < b["position"]
    tab.js("() => aedemo.lapse.play()")
    tab.wait("() => { const s = aedemo.lapse.shown(); return !s.playing && s.position === s.target; }")
    end = tab.js("() => aedemo.lapse.shown()")
    assert end["label"].startswith("kept") and end["position"] == end["target"]
    assert tab.js("() => document.getElementById('lapse-play').textContent") == "Play"
    tab.assert_clean()


def test_hover_decodes_with_the_nearest_checkpoint(tab, site) -> None:
    needs_build(site)
    open_lapse(tab)
    h = BuildFolder.open(site.build).history()
    tab.js("() => aedemo.lapse.seek(0)")
    settle(tab)
    tab.js("() => aedemo.lapse.hover(0.25, -0.5)")
    tab.wait("() => { const d = aedemo.lapse.decoded(); return d && d.moment === 0; }")
    d = tab.js("() => aedemo.lapse.decoded()")
    assert d["checkpoint"] == h.moment_of("unrolled", 0)   # before unrolling: the first decoder
    want = session_of(site_model(site, "checkpoint0")).run(None, {"u": np.array([[0.25, -0.5]], np.float32)})[0]
    assert np.abs(np.array(d["image"]) - want[0]).max() <= 1e-5
    # at the kept moment: the kept checkpoint, which is the page's own decoder
    tab.js("() => document.querySelector('[data-jump=\"kept\"]').click()")
    settle(tab)
    tab.js("() => aedemo.lapse.hover(0.25, -0.5)")
    last = len(h.phase) - 1
    tab.wait("(k) => { const d = aedemo.lapse.decoded(); return d && d.moment === k; }", last)
    d = tab.js("() => aedemo.lapse.decoded()")
    assert d["checkpoint"] == h.moment_of("finetune", int(h.epoch[-1]))
    assert np.abs(np.array(d["image"]) - site.decode(np.array([[0.25, -0.5]]))[0]).max() <= 1e-5
    tab.assert_clean()


def test_the_linked_cursor_decodes_with_both_decoders(tab, site) -> None:
    open_lapse(tab)
    u = np.array([[0.75, 0.4]], np.float32)
    tab.js("() => aedemo.lapse.point(0.75, 0.4)")
    tab.wait("() => { const p = aedemo.lapse.pair(); return p.decoded && p.decoded.u[0] === 0.75; }")
    p = tab.js("() => aedemo.lapse.pair()")
    pre = site.decode(u)[0]
    twin = session_of(site_model(site, "twin")).run(None, {"u": u})[0][0]
    assert np.abs(np.array(p["decoded"]["images"][0]) - pre).max() <= 1e-5
    assert np.abs(np.array(p["decoded"]["images"][1]) - twin).max() <= 1e-5
    assert np.abs(pre - twin).max() > 1e-3      # two different nets
    # moving the pointer over the twin's map moves the cursor on both
    tab.js("() => document.getElementById('pair-twin').scrollIntoView()")
    box = tab.js("() => { const r = document.getElementById('pair-twin').getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }")
    tab.page.mouse.move(box[0] + box[2] * 0.3, box[1] + box[3] * 0.6)
    tab.wait("() => { const p = aedemo.lapse.pair(); return p.decoded && p.decoded.u[0] !== 0.75; }")
    tab.assert_clean()
