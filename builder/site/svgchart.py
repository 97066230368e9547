"""Inline SVG line charts, drawn at build time without JavaScript or a plotting library: the
model card's training curves and the compression page's denoising chart.

`chart(series, y_label, x_label, marker, aria, xs)` returns the geometry one chart template
draws (viewBox, plot area, ticks, one polyline per series, an optional marker); `table`
the rounded figures of the collapsed table under it. Every plotted number also goes into
the markup exactly (`exact`: the `repr` of each float), so a test can parse a curve back.
The y axis is logarithmic when the values span more than `LOG_RATIO`; ticks fall on
round values. Fixed float formatting (`num`), so the same numbers give the same bytes.
"""

from __future__ import annotations

import math

# Line charts: viewBox size and the plot area inside it, in viewBox units (≈ px).
CHART_W, CHART_H = 480, 264
PLOT_L, PLOT_R, PLOT_T, PLOT_B = 56, 468, 14, 222
LOG_RATIO = 4.0  # a curve set spanning more than this factor is drawn on a log scale
MAX_DOTS = 30  # curves with at most this many points also get a dot per point


def exact(values: list[float]) -> str:
    """Floats as their shortest round-trip repr, space-separated (what json.loads gives back)."""
    return " ".join(repr(float(v)) for v in values)


def num(v: float) -> str:
    """A coordinate in the SVG: at most two decimals, no trailing zeros, never "-0"."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def fig(v: float) -> str:
    """A figure in running text: four significant digits."""
    return f"{float(v):.4g}"




def linear_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Multiples of a 1, 2, 2.5 or 5 × 10^e step inside [lo, hi]: the step giving 4 to 7
    ticks closest to 5 (ties: the larger step), each as (value, label)."""
    e0 = math.floor(math.log10(hi - lo))
    best = None
    for e in range(e0 - 2, e0 + 1):
        for m in (1, 2, 2.5, 5):
            step = float(f"{m}e{e}")
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            count = last - first + 1
            key = (abs(count - 5) if 4 <= count <= 7 else 99 + count, -step)
            if best is None or key < best[0]:
                best = (key, step, max(0, -e) + (1 if m == 2.5 else 0), first, last)
    _, step, decimals, first, last = best
    labels = [f"{i * step:.{decimals}f}" for i in range(first, last + 1)]
    return [(float(label), label) for label in labels]


def log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1, 2, 5), (1,)):
        ticks = [float(f"{m}e{k}") for k in range(k0, k1 + 1) for m in mantissas]
        ticks = [t for t in ticks if lo <= t <= hi]
        if len(ticks) <= 7:
            break
    return [(t, f"{t:g}") for t in ticks]


def epoch_ticks(n: int) -> list[int]:
    if n <= 1:
        return [1]
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000) if n / s <= 6) \
        if n <= 6000 else 10 ** math.ceil(math.log10(n / 6))
    ticks = list(range(step, n + 1, step))
    if not ticks or ticks[0] - 1 >= step / 2:
        ticks.insert(0, 1)
    return ticks


def chart(series: list[dict], y_label: str, x_label: str, marker: tuple[int, int] | None,
           aria: str, xs: list[float] | None = None) -> dict:
    """Geometry of one line chart: `series` are dicts with `name`, `colour`, `dash`, `values`.

    `marker` is (epoch, index of the series it sits on), 1-based epoch. The x axis is the
    epoch 1…n, or with `xs` those values (one per point, increasing; ticks at round ones).
    """
    values = [float(v) for s in series for v in s["values"]]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("a training curve holds a non-finite value")
    lo, hi = min(values), max(values)
    log = lo > 0 and hi / lo > LOG_RATIO
    t = math.log10 if log else (lambda v: v)
    if log:
        pad = (hi / lo) ** 0.05
        lo, hi = lo / pad, hi * pad
        ticks = log_ticks(lo, hi)
    else:
        span = hi - lo if hi > lo else max(abs(hi) * 0.1, 1e-3)
        lo, hi = lo - 0.08 * span, hi + 0.08 * span
        ticks = linear_ticks(lo, hi)
    n = max(len(s["values"]) for s in series)
    e_lo, e_hi = (1, n) if n > 1 else (0, 2)
    at = (lambda i: float(xs[i])) if xs is not None else (lambda i: i + 1.0)  # noqa: E731
    if xs is not None:
        e_lo, e_hi = float(xs[0]), float(xs[-1])
        if not e_hi > e_lo:
            raise ValueError("a chart's x values must increase")

    def px(epoch: float) -> float:
        return PLOT_L + (epoch - e_lo) / (e_hi - e_lo) * (PLOT_R - PLOT_L)

    def py(v: float) -> float:
        return PLOT_B - (t(v) - t(lo)) / (t(hi) - t(lo)) * (PLOT_B - PLOT_T)

    out_series = []
    for s in series:
        pts = [(px(at(i)), py(float(v))) for i, v in enumerate(s["values"])]
        out_series.append({
            "name": s["name"], "colour": s["colour"], "dash": s["dash"], "n": len(pts),
            "exact": exact(s["values"]),
            "points": " ".join(f"{num(x)},{num(y)}" for x, y in pts),
            "dots": [{"x": num(x), "y": num(y)} for x, y in pts] if len(pts) <= MAX_DOTS else [],
        })
    mark = None
    if marker is not None:
        epoch, k = marker
        x, v = px(epoch), float(series[k]["values"][epoch - 1])
        right = x > (PLOT_L + PLOT_R) / 2
        mark = {"epoch": epoch, "x": num(x), "y": num(py(v)), "value": repr(v),
                "series": series[k]["name"], "label_x": num(x - 5 if right else x + 5),
                "anchor": "end" if right else "start", "label_y": num(PLOT_T + 11)}
    return {
        "width": CHART_W, "height": CHART_H,
        "left": PLOT_L, "right": PLOT_R, "top": PLOT_T, "bottom": PLOT_B,
        "scale": "log" if log else "linear",
        "scale_name": "logarithmic" if log else "linear",
        "y_label": y_label, "x_label": x_label,
        "y_label_x": num((PLOT_T + PLOT_B) / 2),
        "x_label_x": num((PLOT_L + PLOT_R) / 2), "x_label_y": CHART_H - 6,
        "y_ticks": [{"value": repr(v), "label": label, "y": num(py(v))} for v, label in ticks],
        "x_ticks": [{"value": e, "label": str(e), "x": num(px(e))} for e in epoch_ticks(n)] if xs is None
        else [{"value": v, "label": label, "x": num(px(v))} for v, label in linear_ticks(e_lo, e_hi)],
        "tick_label_y": PLOT_B + 15, "tick_label_x": PLOT_L - 6,
        "series": out_series,
        "marker": mark,
        # where the time-lapse's scrubber line may go (templates/timelapse/timelapse.js): epochs → x
        "scrub": {"epochs": f"{e_lo} {e_hi}", "xs": f"{num(px(e_lo))} {num(px(e_hi))}"},
        "aria": aria + f" ({'logarithmic' if log else 'linear'} scale).",
    }


def table(names: list[str], columns: list[list[float]], best: int | None = None) -> dict:
    """Rows of rounded figures per epoch, for the collapsed table under a chart: one number
    of decimals for the whole table, enough for 4 significant digits of its smallest value."""
    n = max(len(c) for c in columns)
    smallest = min((abs(v) for c in columns for v in c if v), default=1.0)
    decimals = min(8, max(0, 3 - math.floor(math.log10(smallest))))
    return {
        "columns": names,
        "rows": [{"epoch": i + 1, "best": best == i + 1,
                  "cells": [f"{c[i]:.{decimals}f}" if i < len(c) else "" for c in columns]}
                 for i in range(n)],
    }
