"""Charts show their x labels whole: a two-year monthly chart's labels were cut to "2…"."""

import re

import pytest

from portal import charts

MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]


def _x_labels(svg: str) -> list[str]:
    return [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if "-" in t or "…" in t]


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.line_chart])
@pytest.mark.parametrize("months", [MONTHS[:6], MONTHS[:12], MONTHS])
def test_month_labels_are_never_cut(draw, months):
    shown = _x_labels(draw(months, {"a": list(range(len(months)))}))
    assert shown and not any("…" in label for label in shown)
    assert set(shown) <= set(months)
    assert shown[0] == months[0]
    if len(months) <= 6:
        assert shown == months  # room for all of them


def test_a_narrow_chart_thins_its_labels_instead_of_cutting_them():
    shown = _x_labels(charts.bar_chart(MONTHS, {"a": [1] * 24}, width=360))
    assert 1 < len(shown) < len(MONTHS) and all(label in MONTHS for label in shown)


def test_a_callers_own_axis_settings_win():
    svg = charts.line_chart(MONTHS[:10], {"a": [1] * 10}, truncate_label=-1, x_labels_major_every=5)
    assert _x_labels(svg)[:2] == ["2025-01", "2025-06"]
