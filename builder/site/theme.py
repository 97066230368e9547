"""The page's look in one place: class palette, named colours, unit names.

Imports nothing. `render` hands `COLOURS` and `PALETTE` to the style sheets and the
favicon (jinja2 templates) and to the page config (`config.theme`, `config.palette`),
so the canvas code and the CSS draw with the same values; `card` takes the palette for
its series colours and `UNIT_NAMES` for the architecture labels.
"""

from __future__ import annotations

# Petroff's ten-colour sequence (2021), designed to stay distinguishable under the
# common colour-vision deficiencies; matplotlib ships it as "petroff10".
PALETTE = (
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
    "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd",
)

# Named colours of the page; keys are camelCase because the page reads them as
# `config.theme.<key>` (and the CSS as `--<key>` through the style template).
COLOURS = {
    "ink": "#1d2433",       # text, pen of the drawing pad, strokes of the marks
    "inkSoft": "#3d4558",   # axis names on the plane
    "muted": "#5b6478",     # secondary text
    "tick": "#6b7386",      # tick labels on the plane
    "line": "#dde1ea",      # borders
    "paper": "#f5f6fa",     # page background
    "card": "#ffffff",      # panels, the plane's background, halos
    "accent": "#2f6fdb",    # buttons and links
    "mark": "#e4007c",      # the drawing's marker and the selection: a colour no class uses
    "gridLine": "#eef0f5",  # the plane's grid
    "axisLine": "#c3cad8",  # the plane's axes through 0
}

UNIT_NAMES = {"relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear"}


def rgba(hex_colour: str, alpha: float) -> str:
    """`#rrggbb` with an opacity, as CSS `rgba(r, g, b, a)`."""
    v = int(hex_colour[1:], 16)
    return f"rgba({v >> 16 & 255}, {v >> 8 & 255}, {v & 255}, {alpha:g})"
