"""The links between pages: the series bar (the parts of one demo) and the data-set
switcher (one page per build folder)."""

from __future__ import annotations

# key, file, title: the series' pages of one demo, in reading order (part 2 onwards)
SERIES = (("decoder", "index.html", "The decoder"), ("compression", "compression.html", "Compression and denoising"))


def series(link: dict, current: str) -> list[dict]:
    """The series' pages of one demo (both in its folder), for the navigation; none when
    the demo has only the decoder page."""
    if not link["compression"]:
        return []
    return [{"title": title, "href": href, "current": key == current, "part": i + 2}
            for i, (key, href, title) in enumerate(SERIES)]


def switcher(links: list[dict], current: int, up: str, page: str) -> list[dict]:
    """One entry per demo: its `page` ("decoder" or "compression", where that demo has
    it, else its decoder page), relative to the current page's folder (`up`)."""
    def href(link: dict) -> str:
        name = "compression" if page == "compression" and link["compression"] else "index"
        return f"{up}{link['path']}{name}.html"

    return [{"name": link["name"], "href": href(link), "current": i == current} for i, link in enumerate(links)]
