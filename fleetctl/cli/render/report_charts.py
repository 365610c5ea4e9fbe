"""The report's charts: static SVG drawn by pygal, inlined in the HTML (and so in the PDF).

pygal writes SVG in pure Python (no browser, no JavaScript needed: ``js=[]`` drops its optional
tooltip script, which would load from the internet). Its comments, which name web addresses,
and the inline script holding its chart configuration (read only by that tooltip script) are
stripped, so the page names no URL and runs no script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

import pygal
from pygal.style import Style

from fleetctl.base.i18n import _
from fleetctl.core.report.model import Bucket, DriftBin, Scope

COLOURS = {
    "ok": "#2e7d32",
    "warn": "#f9a825",
    "crit": "#c62828",
    "unknown": "#6a1b9a",
    "not_checked": "#9e9e9e",
}
FONT = '"DejaVu Sans", "Noto Sans", Arial, sans-serif'  # has Vietnamese diacritics
_STRIP = re.compile(r"<!--.*?-->|<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SITES_SHOWN = 40  # a bar chart of more sites is unreadable: the table has them all


def _label(text: str, limit: int = 40) -> str:
    """Inventory text as a chart label: no control characters (XML refuses them), bounded."""
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _style(colours: Sequence[str]) -> Style:
    return Style(
        background="white",
        plot_background="white",
        foreground="#222",
        foreground_strong="#222",
        foreground_subtle="#666",
        font_family=FONT,
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=12,
        title_font_size=14,
        value_font_size=10,
        colors=tuple(colours),
    )


def _render(chart: Any) -> str:  # pygal ships no type hints
    svg = chart.render(is_unicode=True)
    return _STRIP.sub("", str(svg))


def _config(**extra: object) -> dict[str, object]:
    return {
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 900,
        "height": 320,
        "legend_at_bottom": True,
        "print_values": False,
        "show_y_guides": True,
        **extra,
    }


def trend_chart(buckets: Sequence[Bucket], tz: tzinfo, daily: bool) -> str:
    """Availability per day (or per hour for short windows), in percent."""
    fmt = "%d/%m" if daily else "%H:%M"
    chart = pygal.Bar(
        style=_style([COLOURS["ok"], COLOURS["not_checked"]]),
        **_config(range=(0, 100), x_label_rotation=0 if len(buckets) <= 16 else 45),
    )
    chart.title = _("Availability per day (%)") if daily else _("Availability per hour (%)")
    chart.x_labels = [b.start.astimezone(tz).strftime(fmt) for b in buckets]
    chart.add(
        _("available"),
        [None if b.seconds.availability is None else round(100 * b.seconds.availability, 2)
         for b in buckets],
    )  # fmt: skip
    chart.add(
        _("not checked"),
        [round(100 * b.seconds.unchecked / b.seconds.tracked, 2) if b.seconds.tracked else None
         for b in buckets],
    )  # fmt: skip
    return _render(chart)


def status_chart(sites: Sequence[Scope]) -> str:
    """Cameras by status at the end of the window, one stacked bar per site."""
    shown = sorted(sites, key=lambda s: (-s.status["crit"], s.site or ""))[:_SITES_SHOWN]
    keys = ("ok", "warn", "crit", "unknown", "not_checked")
    labels = {
        "ok": _("ok"),
        "warn": _("warning"),
        "crit": _("critical"),
        "unknown": _("unknown"),
        "not_checked": _("not checked"),
    }
    height = max(260, 60 + 26 * len(shown))
    chart = pygal.HorizontalStackedBar(
        style=_style([COLOURS[k] for k in keys]), **_config(height=height)
    )
    chart.title = _("Cameras by status at the end of the period, per site")
    chart.x_labels = [_label(s.site or "") for s in shown]
    for key in keys:
        chart.add(labels[key], [s.status[key] for s in shown])
    return _render(chart)


def drift_chart(bins: Sequence[DriftBin], unknown: int) -> str:
    """How far the cameras' clocks are off (|offset|), at their newest check."""
    names = {
        "lt_1s": _("< 1 s"),
        "1_5s": _("1–5 s"),
        "5_30s": _("5–30 s"),
        "30_300s": _("30 s–5 min"),
        "ge_300s": _("≥ 5 min"),
    }
    colours = [COLOURS["ok"], COLOURS["ok"], COLOURS["ok"], COLOURS["warn"], COLOURS["crit"]]
    chart = pygal.Bar(style=_style(["#1565c0"]), **_config(show_legend=False))
    chart.title = _("Clock drift (cameras)")
    chart.x_labels = [*(names[b.key] for b in bins), _("unknown")]
    values = [{"value": b.count, "color": c} for b, c in zip(bins, colours, strict=True)]
    chart.add(_("cameras"), [*values, {"value": unknown, "color": COLOURS["not_checked"]}])
    return _render(chart)
