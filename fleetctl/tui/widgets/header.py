"""The fleet header: totals by status, a line per-site summary, sweep progress, last sweep."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from fleetctl.base.i18n import _, ngettext
from fleetctl.tui.cells import state_word
from fleetctl.tui.state import FleetModel

_ORDER = ("crit", "unknown", "warn", "ok", "pending")
_STYLE = {
    "crit": "bold red",
    "unknown": "magenta",
    "warn": "yellow",
    "ok": "green",
    "pending": "dim",
}


@dataclass(frozen=True)
class SweepProgress:
    """What the header says about sweeps: ``done``/``total`` while ``running``."""

    running: bool = False
    done: int = 0
    total: int = 0
    last_finished: datetime | None = None
    last_duration_s: float | None = None


def site_summary(name: str, counts: Counter[str]) -> Text:
    """``dong-tien 48 ok · 2 crit``: worst statuses last so the eye lands on them."""
    text = Text(f"{name} ", style="bold")
    parts = [(s, counts[s]) for s in reversed(_ORDER) if counts.get(s)]
    for i, (status, n) in enumerate(parts):
        if i:
            text.append(" · ", style="dim")
        text.append(f"{n} {state_word(status)}", style=_STYLE[status])
    return text


def _site_rank(counts: Counter[str]) -> tuple[int, int, int]:
    return (-counts.get("crit", 0), -counts.get("unknown", 0), -counts.get("warn", 0))


class FleetHeader(Static):
    DEFAULT_CSS = """
    FleetHeader { height: 3; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, model: FleetModel, progress: SweepProgress, *, read_only: bool) -> None:
        counts = model.counts()
        line1 = Text("fleetctl ", style="bold")
        total = len(model.cameras)
        line1.append(ngettext("%(n)d camera", "%(n)d cameras", total) % {"n": total} + "  ")
        for status in _ORDER:
            if counts[status] or status != "pending":
                line1.append(f"{counts[status]} {state_word(status)}", style=_STYLE[status])
                line1.append("  ")
        if read_only:
            line1.append(" " + _("READ-ONLY") + " ", style="bold reverse")
        line2 = Text()
        sites = sorted(model.site_counts().items(), key=lambda kv: (_site_rank(kv[1]), kv[0]))
        for i, (site, site_counts) in enumerate(sites):
            if i:
                line2.append("  │  ", style="dim")
            line2.append_text(site_summary(model.site_label(site), site_counts))
        line3 = Text()
        if progress.running:
            pct = progress.done / progress.total if progress.total else 0.0
            bar = "█" * int(pct * 12) + "░" * (12 - int(pct * 12))
            sweep = _("sweep %(done)d/%(total)d") % {"done": progress.done, "total": progress.total}
            line3.append(f"{sweep} {bar}  ", style="bold")
        if progress.last_finished is not None:
            when = progress.last_finished.astimezone().strftime("%H:%M:%S")
            if progress.last_duration_s is not None:
                last = _("last sweep %(when)s (%(seconds)s s)") % {
                    "when": when,
                    "seconds": _seconds(progress.last_duration_s),
                }
            else:
                last = _("last sweep %(when)s") % {"when": when}
            line3.append(last, style="dim")
        elif not progress.running:
            line3.append(_("no sweep yet"), style="dim")
        shown = len(model.visible)
        line3.append(
            "   " + _("showing %(shown)d/%(total)d") % {"shown": shown, "total": len(model.cameras)}
        )
        if model.filter_text:
            line3.append(f"  /{model.filter_text}", style="bold")
        if model.faults_only:
            line3.append("  " + _("faults only"), style="bold")
        if model.marks:
            line3.append("  " + _("%(n)d marked") % {"n": len(model.marks)}, style="bold")
        self.update(Text("\n").join([line1, line2, line3]))


def _seconds(value: float) -> str:
    from fleetctl.base.i18n import language

    if language() == "en":
        return f"{value:.1f}"
    from fleetctl.base import l10n

    return l10n.number(value, 1)
