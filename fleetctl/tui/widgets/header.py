"""The fleet header: totals by status, a line per-site summary, sweep progress, last sweep."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

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
        text.append(f"{n} {status}", style=_STYLE[status])
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
        line1.append(f"{len(model.cameras)} cameras  ")
        for status in _ORDER:
            if counts[status] or status != "pending":
                line1.append(f"{counts[status]} {status}", style=_STYLE[status])
                line1.append("  ")
        if read_only:
            line1.append(" READ-ONLY ", style="bold reverse")
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
            line3.append(f"sweep {progress.done}/{progress.total} {bar}  ", style="bold")
        if progress.last_finished is not None:
            when = progress.last_finished.astimezone().strftime("%H:%M:%S")
            took = (
                f" ({progress.last_duration_s:.1f} s)"
                if progress.last_duration_s is not None
                else ""
            )
            line3.append(f"last sweep {when}{took}", style="dim")
        elif not progress.running:
            line3.append("no sweep yet", style="dim")
        shown = len(model.visible)
        line3.append(f"   showing {shown}/{len(model.cameras)}")
        if model.filter_text:
            line3.append(f"  /{model.filter_text}", style="bold")
        if model.faults_only:
            line3.append("  faults only", style="bold")
        if model.marks:
            line3.append(f"  {len(model.marks)} marked", style="bold")
        self.update(Text("\n").join([line1, line2, line3]))
