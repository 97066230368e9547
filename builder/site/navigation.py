"""The links between pages: the series bar (the parts of one demo) and the data-set
switcher (one page per build folder)."""

from __future__ import annotations

# key, file, title, line: the series' parts of one demo, in reading order. Part 1, the
# encoder's scatter, has no page of its own: it is the plane of the decoder page.
SERIES = (
    ("encoder", None, "The encoder's scatter",
     "every image at the two numbers the encoder gives it: the plane on the decoder page"),
    ("decoder", "index.html", "The decoder", "point anywhere on that plane and see what the decoder draws there"),
    ("compression", "compression.html", "Compression and denoising",
     "how much of an image survives a code of 2 or of 30 numbers, against PCA, on noisy and damaged input"),
)


def series(link: dict, current: str) -> list[dict]:
    """The series' parts of one demo (its pages in its folder), for the navigation; the
    compression part only when the demo has that page."""
    return [{"title": title, "href": href, "line": line, "current": key == current, "part": i + 1}
            for i, (key, href, title, line) in enumerate(SERIES) if key != "compression" or link["compression"]]


def switcher(links: list[dict], current: int, up: str, page: str) -> list[dict]:
    """One entry per demo: its `page` ("decoder" or "compression", where that demo has
    it, else its decoder page), relative to the current page's folder (`up`)."""
    def href(link: dict) -> str:
        name = "compression" if page == "compression" and link["compression"] else "index"
        return f"{up}{link['path']}{name}.html"

    return [{"name": link["name"], "href": href(link), "current": i == current} for i, link in enumerate(links)]
