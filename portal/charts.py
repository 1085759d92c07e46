"""Charts as SVG, drawn with pygal (a maintained library), for pages and PDFs.

Pages embed them as `data:` images, which the Content-Security-Policy allows (img-src data:)
and which run no script. Sparklines are simple enough to be a polyline drawn by a template.
"""

import base64
import re
from collections.abc import Sequence

import pygal
from pygal.style import Style

FONT = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
PALETTE = ("#b3191d", "#3d5a80", "#e0a800", "#2a9d8f", "#6c757d", "#8f5ba8", "#e76f51")

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#888",
    colors=PALETTE,
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    legend_font_family=FONT,
    title_font_family=FONT,
    value_font_family=FONT,
    tooltip_font_family=FONT,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    title_font_size=14,
    value_font_size=11,
)


# pygal writes its settings into a <script> even with js=[]: dead weight in an <img> and a PDF.
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _svg(chart) -> str:
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _config(**kw) -> dict:
    base = dict(style=STYLE, js=[], disable_xml_declaration=True, width=640, height=280, margin=12)
    base.update(kw)
    return base


# About how wide a character of an axis label is at the style's 12 px, and the gap between labels.
LABEL_CHAR_PX = 7.5
LABEL_GAP_PX = 10


def _x_axis(labels: Sequence[str], kw: dict) -> dict:
    """Axis settings that show x labels whole: pygal would otherwise cut every label that
    does not fit its slot ("2026-03" became "2…" on a two-year monthly chart); when they do
    not all fit, every k-th label is shown (whole) instead."""
    settings: dict = {"truncate_label": -1}
    if labels:
        width = kw.get("width", 640) - 80  # the plot, without the y axis and margins
        label_px = max(len(str(label)) for label in labels) * LABEL_CHAR_PX + LABEL_GAP_PX
        fitting = max(1, int(width // label_px))
        if len(labels) > fitting:
            settings |= {"x_labels_major_every": -(-len(labels) // fitting), "show_minor_x_labels": False}
    return settings


def bar_chart(labels: Sequence[str], series: dict[str, Sequence[float]], *, horizontal=False, **kw) -> str:
    """A bar chart's SVG markup: one bar group per label, one colour per series."""
    # The caller's own axis settings, if any, win over the defaults.
    settings = kw if horizontal else _x_axis(labels, kw) | kw
    chart = (pygal.HorizontalBar if horizontal else pygal.Bar)(
        **_config(show_legend=len(series) > 1, **settings)
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _svg(chart)


def line_chart(labels: Sequence[str], series: dict[str, Sequence[float | None]], **kw) -> str:
    """A line chart's SVG markup over the labels (e.g. months)."""
    settings = {"x_label_rotation": 0} | _x_axis(labels, kw) | kw  # the caller's settings win
    chart = pygal.Line(**_config(show_legend=len(series) > 1, **settings))
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _svg(chart)


def pie_chart(parts: dict[str, float], **kw) -> str:
    """A donut chart's SVG markup of shares."""
    chart = pygal.Pie(**_config(inner_radius=0.45, **kw))
    for name, value in parts.items():
        chart.add(name, value)
    return _svg(chart)


def data_uri(svg: str) -> str:
    """An SVG as a data: URI for an <img> (pages)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def sparkline_points(values: Sequence[float | None], width: int = 80, height: int = 20) -> str:
    """The `points` of an SVG polyline through the values (None values are skipped)."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if not known:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - (v - low) / span * height:.1f}" for i, v in known)
