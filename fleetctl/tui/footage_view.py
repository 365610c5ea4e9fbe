"""The footage view's pure parts: its setup, the words of each row, the counts, the exports.

No Textual here. The search is the engine's ``footage_windows`` and the export its
``export_clips``, as `fleetctl footage` and `fleetctl footage export -s` run them; times written
without a zone are read in each camera's site's zone (inventory ``tz:``), else this machine's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from fleetctl.base.i18n import N_, _, ngettext, word
from fleetctl.core.footage.coverage import Coverage, Span, retention_days
from fleetctl.core.footage.model import SOURCE_NONE, CameraFootage
from fleetctl.core.footage.timespec import clock_text
from fleetctl.core.footage.zones import Zone, camera_zones, distinct, machine_zone, window_in
from fleetctl.core.models import Camera
from fleetctl.core.text import clean
from fleetctl.engine.footage import FOOTAGE_CONCURRENCY
from fleetctl.engine.footage_batch import EXPORT_JOBS, ClipProgress, ClipState

if TYPE_CHECKING:
    from fleetctl.engine.workspace import Workspace

COVERAGE_STYLE = {
    Coverage.FULL: "green",
    Coverage.PARTIAL: "yellow",
    Coverage.NONE: "bold red",
    Coverage.UNKNOWN: "magenta",
}
# What the operator reads (the JSON's values stay the English words). "coverage|" tells these
# apart from the same English words elsewhere ("full": a storage card is "đầy", a window "đủ");
# English shows what follows the bar.
COVERAGE_WORDS = {
    Coverage.FULL: N_("coverage|full"),
    Coverage.PARTIAL: N_("coverage|partial"),
    Coverage.NONE: N_("coverage|none"),
    Coverage.UNKNOWN: N_("coverage|unknown"),
}
HAS_IT = (Coverage.FULL, Coverage.PARTIAL)
_RANK = {Coverage.FULL: 0, Coverage.PARTIAL: 1, Coverage.NONE: 2, Coverage.UNKNOWN: 3}
GAPS_SHOWN = 2  # gaps written out in a row; the rest are counted


def default_export_dir() -> Path:
    """Where clips go unless the operator says otherwise: the per-user data folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("fleetctl")) / "exports"


@dataclass(frozen=True)
class FootageSetup:
    """What the footage view needs beyond the app: the workspace, limits, the folder."""

    workspace: Workspace
    export_dir: Path = field(default_factory=default_export_dir)
    timeout_s: float = 10.0
    concurrency: int = FOOTAGE_CONCURRENCY  # cameras searched at once
    jobs: int = EXPORT_JOBS  # clips exported at once

    def zones(self, cameras: Sequence[Camera]) -> dict[str, Zone]:
        """Each camera's zone for times written without one: its site's, else this machine's."""
        return camera_zones(cameras, self.workspace.inventory, None, machine_zone())


def windows(start: str, end: str, zones: Mapping[str, Zone], now: datetime) -> dict[str, Span]:
    """Each camera's window (true UTC); cameras of one zone share one. ``ValueError(text)``
    names the time that cannot be read; ``ValueError("")``: the window is empty."""
    by_zone = {z.name: window_in(start, end, z, now) for z in distinct(zones)}
    return {name: by_zone[z.name] for name, z in zones.items()}


# ---------------------------------------------------------------------------------- rows


def coverage_word(line: CameraFootage | None) -> str:
    if line is None:
        return _("searching…")
    return word(COVERAGE_WORDS[line.coverage])


def rank(line: CameraFootage | None) -> int:
    """Sort order: whole window first, then part of it, none, unknown, still searching."""
    return 4 if line is None else _RANK[line.coverage]


def covered_text(line: CameraFootage, window: Span) -> str:
    """``25/30 min`` (``45/60 s`` for a window under ten minutes); empty when not known."""
    if line.covered_s is None:
        return ""
    total = window.seconds
    if total < 600:
        return _("%(got).0f/%(total).0f s") % {"got": line.covered_s, "total": total}
    return _("%(got).0f/%(total).0f min") % {"got": line.covered_s / 60, "total": total / 60}


def gaps_text(line: CameraFootage, tz: tzinfo, window: Span) -> str:
    """The gaps summarised: ``21:10:00–21:40:00``, or ``3 gaps, 12 min: … +1 more``."""
    if line.coverage is Coverage.UNKNOWN:
        return ""
    if not line.gaps_known:
        return _("unknown (range only)")
    if line.coverage is Coverage.NONE:
        return _("the whole window")
    if not line.gaps:
        return ""
    shown = ", ".join(
        f"{clock_text(g.start, tz, window)}–{clock_text(g.end, tz, window)}"
        for g in line.gaps[:GAPS_SHOWN]
    )
    n = len(line.gaps)
    if n == 1:
        return shown
    missing = sum(g.seconds for g in line.gaps) / 60
    more = n - GAPS_SHOWN
    head = ngettext("%(n)d gap, %(min).0f min", "%(n)d gaps, %(min).0f min", n) % {
        "n": n,
        "min": missing,
    }
    tail = " " + _("+%(n)d more") % {"n": more} if more > 0 else ""
    return f"{head}: {shown}{tail}"


def detail_text(line: CameraFootage, tz: tzinfo, window: Span) -> str:
    """One camera's whole answer, for the line under the table: coverage, every gap, the
    recorded range, where the answer came from and why (cleaned: the camera's own words)."""
    parts = [coverage_word(line)]
    if line.gaps and line.gaps_known and line.coverage is Coverage.PARTIAL:
        gaps = ", ".join(
            f"{clock_text(g.start, tz, window)}–{clock_text(g.end, tz, window)}" for g in line.gaps
        )
        parts.append(_("gaps: %(gaps)s") % {"gaps": gaps})
    if line.earliest is not None and line.latest is not None:
        parts.append(
            _("recorded from %(earliest)s to %(latest)s")
            % {
                "earliest": line.earliest.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                "latest": line.latest.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            }
        )
    parts.append(source_text(line))
    return clean("; ".join(parts), 2048)


def kept_text(line: CameraFootage, days_from_check: float | None) -> str:
    """Days of footage the camera keeps: from this answer's range, else the last check's."""
    days = retention_days(line.earliest, line.latest)
    if days is None:
        days = days_from_check
    return "—" if days is None else f"{days:.1f}"


def source_text(line: CameraFootage) -> str:
    """Where the answer came from and, when there is one, why (the camera's words: cleaned);
    a camera that could not be asked: why alone (its source is "none")."""
    reason = line.reason_text()
    if not reason:
        return line.source
    if line.source == SOURCE_NONE:
        return clean(reason).strip()
    return clean(f"{line.source}: {reason}").strip()


def counts_text(lines: Sequence[CameraFootage], total: int) -> str:
    """``12 of 15 cameras have the whole window; 2 part of it, 1 none, 0 unknown``."""
    n = {c: sum(1 for f in lines if f.coverage is c) for c in Coverage}
    out = ngettext(
        "%(full)d of %(n)d camera has the whole window",
        "%(full)d of %(n)d cameras have the whole window",
        total,
    ) % {"full": n[Coverage.FULL], "n": total}
    out += "; " + _("%(partial)d part of it, %(none)d none, %(unknown)d unknown") % {
        "partial": n[Coverage.PARTIAL],
        "none": n[Coverage.NONE],
        "unknown": n[Coverage.UNKNOWN],
    }
    left = total - len(lines)
    if left:
        out += "; " + _("%(n)d still searching") % {"n": left}
    return out


def window_text(window: Span, tz: tzinfo, zone_name: str) -> str:
    """``2026-12-06 21:00:00 – 21:30:00 (Asia/Ho_Chi_Minh)``."""
    start = window.start.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    return f"{start} – {clock_text(window.end, tz, window)} ({zone_name})"


# ---------------------------------------------------------------------------------- exports


def export_word(p: ClipProgress) -> str:
    """A row's EXPORT cell: queued, checking, ``12/30 s`` received, saved (the SHA-256's start),
    already saved (a complete clip was in the folder), failed (the reason is listed below)."""
    if p.state is ClipState.EXPORTING:
        return _("%(got).0f/%(total).0f s") % {"got": p.received_s, "total": p.window_s}
    sha = (p.result.sha256 or "")[:8] if p.result is not None else ""  # 12 in the list below
    if p.state is ClipState.SAVED:
        return _("saved %(sha)s") % {"sha": sha}
    if p.state is ClipState.SKIPPED:
        return _("already saved %(sha)s") % {"sha": sha}
    return word(_CLIP_WORDS.get(p.state, p.state.value))


# "clip|": an export that failed is "thất bại", not a storage card's "hỏng" (as COVERAGE_WORDS).
_CLIP_WORDS = {
    ClipState.QUEUED: N_("queued"),
    ClipState.CHECKING: N_("checking"),
    ClipState.FAILED: N_("clip|failed"),
}
