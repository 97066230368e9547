"""The SVG chart geometry (`builder.site.svgchart`): ticks at round values, a log scale when
the values span more than `LOG_RATIO`, every point placed where its value says. The
charts as drawn in the model card are checked against their numbers in test_card.py."""

from __future__ import annotations

import math

import pytest

from builder.site.svgchart import LOG_RATIO, PLOT_B, PLOT_L, PLOT_R, PLOT_T, chart, linear_ticks, log_ticks


def test_ticks() -> None:
    assert [v for v, _ in linear_ticks(0.031, 0.0575)] == [0.035, 0.04, 0.045, 0.05, 0.055]
    assert [s for _, s in linear_ticks(0.031, 0.0575)] == ["0.035", "0.040", "0.045", "0.050", "0.055"]
    assert [v for v, _ in linear_ticks(-3.2, 7.9)] == [-2.5, 0.0, 2.5, 5.0, 7.5]
    assert [s for _, s in log_ticks(0.009, 1.05)] == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]
    assert [s for _, s in log_ticks(1e-5, 2.0)] == ["1e-05", "0.0001", "0.001", "0.01", "0.1", "1"]



def test_points_sit_where_their_values_say_on_either_scale() -> None:
    for values in ([0.5, 0.4, 0.45, 0.3], [1.0, 0.1, 0.01, 0.001]):
        c = chart([{"name": "a", "colour": "#000", "dash": "", "values": values}], "y", "x", None, "aria")
        assert c["scale"] == ("log" if max(values) / min(values) > LOG_RATIO else "linear")
        t = math.log10 if c["scale"] == "log" else (lambda v: v)
        ticks = [(float(k["value"]), float(k["y"])) for k in c["y_ticks"]]
        (v0, y0), (v1, y1) = ticks[0], ticks[-1]
        xy = [tuple(map(float, p.split(","))) for p in c["series"][0]["points"].split()]
        assert xy[0][0] == pytest.approx(PLOT_L) and xy[-1][0] == pytest.approx(PLOT_R)
        for (x, y), v in zip(xy, values):
            assert PLOT_T <= y <= PLOT_B
            assert y == pytest.approx(y0 + (t(v) - t(v0)) / (t(v1) - t(v0)) * (y1 - y0), abs=0.01)


def test_a_non_finite_value_is_refused() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        chart([{"name": "a", "colour": "#000", "dash": "", "values": [1.0, float("nan")]}], "y", "x", None, "aria")
