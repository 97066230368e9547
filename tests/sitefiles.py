"""Readers of a rendered site for the tests and the bench: the page's config, its data
scripts and its real digits, unpacked the way the page unpacks them; the words a reader sees."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import numpy as np

PIXELS = 28 * 28
CONFIG_RE = re.compile(r'<script type="application/json" id="aedemo-config">(.*?)</script>', re.S)


def read_site_config(site_dir: Path, page: str = "index.html") -> dict:
    """The page configuration that `index.html` (or `page`) of a rendered site carries."""
    match = CONFIG_RE.search((Path(site_dir) / page).read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{site_dir}/{page}: no page configuration")
    return json.loads(match.group(1))


def read_site_data(site_dir: Path, key: str, page: str = "index.html") -> object:
    """The value that a rendered site's data script for `key` hands to the page.

    `key` is one of "wasm", "glue", "decoder", "encoder", "points", "digits" (of
    compression.html also "decoder30", "encoder30", "pca", "samples").
    """
    path = Path(site_dir) / read_site_config(site_dir, page)["files"][key]
    text = path.read_text(encoding="utf-8")
    start = text.index("] = ", text.index("AEDEMO_DATA")) + len("] = ")
    return json.loads(text[start : text.rindex(";")])


def read_site_model(site_dir: Path, key: str, page: str = "index.html") -> bytes:
    """The ONNX bytes of a model the site's data script for `key` carries (`modelpack`)."""
    from builder.site import modelpack

    return modelpack.unpack(read_site_data(site_dir, key, page))


def read_site_digits(site_dir: Path) -> dict[str, np.ndarray]:
    """A rendered site's real digits: `images` float32 (n, 784), `codes` float32 (n, 2),
    `labels` uint8 (n,)."""
    d = read_site_data(site_dir, "digits")
    palette = np.frombuffer(base64.b64decode(d["palette"]), "<f4")
    index = np.frombuffer(gzip.decompress(base64.b64decode(d["images"])), np.uint8)
    return {
        "images": palette[index].reshape(d["n"], PIXELS).astype(np.float32),
        "codes": np.frombuffer(base64.b64decode(d["codes"]), "<f4").reshape(d["n"], 2).astype(np.float32),
        "labels": np.frombuffer(base64.b64decode(d["labels"]), np.uint8).copy(),
    }


def visible_text(html: str) -> str:
    """The words a reader sees or hears: text outside scripts and styles, labels and titles."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style")
            self.parts += [v for k, v in attrs if k in ("aria-label", "title", "alt") and v]

        def handle_endtag(self, tag):
            self.skip -= tag in ("script", "style")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    t = Text()
    t.feed(html)
    return " ".join(" ".join(t.parts).split())
