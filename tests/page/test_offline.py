"""Offline after one visit: the site's service worker (templates/shared/_worker.js, rendered as
`sw.js` by builder/site/offline.py).

Over http: visit once, go offline, reload: the decoder page decodes and encodes (checked
against Python onnxruntime on the site's own models) and the compression page, never
visited, works from the cache. A site rebuilt with one changed file replaces the cached
one at the next online visit, and the older cache is deleted. From file:// there is no
worker (tests/page/test_early.py loads the page that way too).
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from factories import start_server
from pagetools import CHROMIUM_ARGS, CSP_WATCH, NODE_MODULES, PIXELS, VIEWPORT, Site  # noqa: F401

from builder.site.render import TEMPLATES, render_site

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")

CACHED = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const names = await caches.keys();
  return { scope: registration.scope, names, active: !!registration.active };
}"""


@pytest.fixture
def offline_site(compressed_build, tmp_path):
    """A site of its own (it is rebuilt by a test), with its own copy of the templates."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    root = tmp_path / "site"
    render_site(compressed_build, root, NODE_MODULES, templates=templates)
    running = start_server(root)
    yield compressed_build, templates, root, running
    running.stop()


class Visitor:
    """One browser context (its own cache and service workers), errors collected."""

    def __init__(self, browser, origin: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(60_000)
        self.context.add_init_script(CSP_WATCH)
        self.origin = origin
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.context.on("request", lambda r: None if r.url.startswith((origin + "/", "data:", "blob:"))
                        else self.foreign.append(r.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def first_image(self) -> None:
        self.page.wait_for_function("() => window.aedemo && aedemo.timings.firstImage !== undefined")

    def assert_clean(self) -> None:
        assert self.errors == [] and self.foreign == []
        assert self.page.evaluate("() => window.__cspViolations") == []


def worker_version(root) -> str:
    return re.search(r'const VERSION = "([0-9a-f]+)";', (root / "sw.js").read_text()).group(1)


def check_models(v: Visitor, site: Site) -> None:
    """decode and encode in the page give what Python onnxruntime gives on the same models."""
    u = np.array([[0.3, -0.2]], np.float32)
    got = np.array(v.page.evaluate("() => aedemo.decode(0.3, -0.2).then(Array.from)"), np.float32)
    assert np.abs(got - site.decode(u)[0]).max() < 1e-4
    image = np.clip(site.decode(u)[0], 0, 1)
    code = np.array(v.page.evaluate("(x) => aedemo.encode(x)", image.tolist()), np.float32)
    assert np.abs(code - site.encode(image[None])[0]).max() < 1e-4


def test_both_pages_work_offline_after_one_visit(browser, offline_site):
    build, templates, root, running = offline_site
    site = Site(root=root, origin=running.origin)
    v = Visitor(browser, running.origin)
    v.page.goto(running.url)
    v.first_image()
    state = v.page.evaluate(CACHED)
    assert state["active"] and state["scope"] == running.url
    assert state["names"] == [f"aedemo-{worker_version(root)}"]
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", (root / "sw.js").read_text()).group(1))
    assert {"index.html", "compression.html"} <= set(precache)
    assert not any(p.startswith("data/wasm.") or p.startswith("data/glue.") for p in precache), "file:// only"
    cached = v.page.evaluate("async (n) => (await (await caches.open(n)).keys()).length", state["names"][0])
    assert cached == len(precache)

    v.context.set_offline(True)
    v.page.reload()
    v.first_image()
    v.page.wait_for_function("() => aedemo.timings.loaded !== undefined")
    check_models(v, site)
    v.page.goto(running.url + "compression.html")   # never visited: from the precache
    v.page.wait_for_function("() => window.aedemo && aedemo.ready() && aedemo.settled()")
    panels = v.page.evaluate("() => Object.keys(aedemo.state().panels)")
    assert len(panels) == 6
    v.assert_clean()
    v.context.close()


def test_a_rebuilt_site_replaces_the_cached_one_at_the_next_online_visit(browser, offline_site):
    build, templates, root, running = offline_site
    v = Visitor(browser, running.origin)
    v.page.goto(running.url)
    v.first_image()
    old = v.page.evaluate(CACHED)["names"]
    assert v.page.evaluate("() => window.__aedemoRebuilt") is None

    lib = templates / "shared" / "format.js"
    lib.write_text(lib.read_text() + "\nwindow.__aedemoRebuilt = 1;\n")
    render_site(build, root, NODE_MODULES, templates=templates)
    new = f"aedemo-{worker_version(root)}"
    assert [new] != old

    v.page.reload()   # online: the new page, its new script
    v.first_image()
    assert v.page.evaluate("() => window.__aedemoRebuilt") == 1
    v.page.wait_for_function("(n) => caches.keys().then((k) => k.length === 1 && k[0] === n)", arg=new,
                             polling=100)
    v.context.set_offline(True)
    v.page.reload()
    v.first_image()
    assert v.page.evaluate("() => window.__aedemoRebuilt") == 1
    v.assert_clean()
    v.context.close()


def test_no_worker_from_file(browser, offline_site):
    build, templates, root, running = offline_site
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto((root / "index.html").as_uri())
    page.wait_for_function("() => window.aedemo && aedemo.timings.firstImage !== undefined")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)
    assert page.evaluate("() => !('serviceWorker' in navigator) || navigator.serviceWorker.controller === null")
    context.close()
