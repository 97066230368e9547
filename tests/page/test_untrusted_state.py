"""The page survives its own storage and links (issue 23): localStorage stamps and the
share link are untrusted alike (on GitHub Pages every project site of a user shares one
origin, so another project can write this page's key). Whatever they hold, the page
reaches its first image, shows only plain pairs of finite numbers as stamps, and says
with the existing notice what it left out; no page error, no console error."""

from __future__ import annotations

import json

import pytest
from pagetools import Tab

pytest_plugins = ["pagetools"]
pytest.importorskip("playwright.sync_api")   # the browser tests need it

STORED = {   # stored text → the stamps the page shows from it
    "objects with toString and valueOf": ('[[{"toString":1},{"valueOf":2}]]', []),
    "5,000 nested brackets": ("[" * 5000 + "]" * 5000, []),
    "100,000 nested brackets": ("[" * 100_000 + "]" * 100_000, []),
    "strings, lists and a good pair": ('[["1","2"],[[1],[2]],[1,2,3],null,[0.5,-0.25]]', [[0.5, -0.25]]),
    "an object that looks like a list": ('{"0":[1,2],"length":1}', []),
    "a lone surrogate": ('"\\ud800"', []),
}

LINKS = {   # the hash → the stamps the page shows from it
    "hex, words and a good pair": ("#stamps=0x10,1;constructor,__proto__;0.5,-0.25", [[0.5, -0.25]]),
    "a position that is no number": ("#at=toString,valueOf", []),
    "5,000 brackets": ("#stamps=" + "[" * 5000 + "," + "]" * 5000, []),
}


def _check_survives(tab: Tab, shown: list, notice: str) -> None:
    """The page reaches its first image, says `notice` in the existing toast, shows exactly
    the stamps `shown` and still decodes, with no page or console error; closes the tab."""
    try:
        tab.wait_first_image()
        said = tab.wait_toast("could not be read")
        assert notice in said, said
        tab.wait_stamps(len(shown))
        assert [[s["u1"], s["u2"]] for s in tab.stamps()] == shown
        assert tab.js("() => aedemo.decode(0.3, -0.2).then(a => a.length)") == 784
        tab.assert_clean()
    finally:
        tab.close()


@pytest.mark.parametrize("what", list(STORED))
def test_hostile_stored_stamps_are_dropped_and_the_page_still_decodes(browser, site, what: str) -> None:
    text, shown = STORED[what]
    key = f"aedemo:{site.config['modelHash']}:stamps"
    script = f"try {{ localStorage.setItem({json.dumps(key)}, {json.dumps(text)}); }} catch (e) {{}}"
    _check_survives(Tab(browser, site, "http", init_script=script), shown, "kept in this browser")


@pytest.mark.parametrize("what", list(LINKS))
def test_hostile_links_are_dropped_and_the_page_still_decodes(browser, site, what: str) -> None:
    hash_, shown = LINKS[what]
    _check_survives(Tab(browser, site, "http", url=site.url("http") + hash_), shown, "could not be read")
