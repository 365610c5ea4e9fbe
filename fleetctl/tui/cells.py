"""What each table cell says: pure functions from a camera and its last report to short text.

No Textual here: the fleet table, the sites view and the benchmark all format through these,
and tests can check the words an operator reads without running an app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from fleetctl.base.i18n import N_, _, language, word
from fleetctl.base.logsafe import safe_url
from fleetctl.core.models import Camera, CameraReport, Problem, StreamResult

NOT_READ = "—"  # a value that could not be read: never invent one (docs/json.md: null)
PENDING = "…"  # not checked yet in this session


@dataclass(frozen=True)
class Column:
    """A fleet-table column: ``width`` cells; ``right`` aligns numbers."""

    key: str
    label: str  # English, marked N_: shown as _(label)
    width: int
    right: bool = False


# Declared as data: order is the order; the mark and name columns stay fixed when the
# table scrolls sideways, so a row is always identifiable at 80 columns.
COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", 1),
    Column("name", N_("NAME"), 16),
    Column("site", N_("SITE"), 12),
    Column("status", N_("STATUS"), 7),
    Column("problem", N_("PROBLEM"), 34),
    Column("since", N_("SINCE"), 7, right=True),
    Column("model", N_("MODEL"), 16),
    Column("firmware", N_("FIRMWARE"), 10),
    Column("clock", N_("CLOCK"), 8, right=True),
    Column("fps", N_("FPS"), 5, right=True),
    Column("kbps", N_("KBIT/S"), 7, right=True),
    Column("storage", N_("STORAGE"), 14),
)
FIXED_COLUMNS = 2


def worst_problem(report: CameraReport) -> Problem | None:
    return max(report.problems, key=lambda p: p.severity.rank, default=None)


def problem_words(report: CameraReport | None) -> str:
    """The worst problem in an operator's words, and how many more there are."""
    if report is None:
        return _("not checked yet")
    worst = worst_problem(report)
    if worst is None:
        return ""
    more = len(report.problems) - 1
    return worst.text() + (f" (+{more})" if more else "")


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """``3d 4h``, ``2h 05m``, ``7m``, ``now``: short enough for a 7-cell column."""
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    secs = max(0, int((now - when).total_seconds()))
    if secs < 60:
        return _("now")
    mins, hours, days = secs // 60, secs // 3600, secs // 86400
    # Abbreviations a 7-cell column holds: "3ng 4g", "2g 05p", "7p" in Vietnamese.
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours % 24}
    if hours:
        return _("%(h)dh %(m)02dm") % {"h": hours, "m": mins % 60}
    return _("%(m)dm") % {"m": mins}


def clock_offset(seconds: float | None) -> str:
    if seconds is None:
        return NOT_READ
    sign = "+" if seconds >= 0 else "-"
    mag = abs(seconds)
    if mag < 100:
        return f"{sign}{mag:.1f}s"
    if mag < 3600:
        return f"{sign}{int(mag // 60)}m{int(mag % 60):02}s"
    return f"{sign}{int(mag // 3600)}h{int(mag % 3600 // 60):02}m"


def main_stream(report: CameraReport) -> StreamResult | None:
    return report.streams[0] if report.streams else None


def number(value: float | None, digits: int = 1) -> str:
    """A measurement: ``12.5`` in English, ``12,5`` in Vietnamese; ``—`` when not read."""
    if value is None:
        return NOT_READ
    if language() == "en":
        return f"{value:.{digits}f}"
    from fleetctl.base import l10n

    return l10n.number(value, digits)


# Storage states fleetctl reports (core.models.StorageResult.state) and the TUI's own states.
_STATE_WORDS = {
    "ok": N_("ok"),
    "warn": N_("warn"),
    "crit": N_("crit"),
    "unknown": N_("unknown"),
    "pending": N_("pending"),
    "full": N_("full"),
    "failed": N_("storage|failed"),  # a card or disk: "hỏng", not an action's "thất bại"
    "unformatted": N_("unformatted"),
    "missing": N_("missing"),
    "idle": N_("idle"),
}


def state_word(state: str) -> str:
    """A status or storage state as a person reads it; an unknown word is shown as written."""
    msgid = _STATE_WORDS.get(state)
    return word(msgid) if msgid else state


def storage_words(report: CameraReport) -> str:
    if not report.storage:
        return ""
    worst = max(report.storage, key=lambda s: s.status.rank)
    state = state_word(worst.state) if worst.state else NOT_READ
    if worst.total_mb and worst.used_mb is not None:
        state += f" {100 * worst.used_mb / worst.total_mb:.0f}%"
    more = f" +{len(report.storage) - 1}" if len(report.storage) > 1 else ""
    return f"{worst.name} {state}{more}"


def row_cells(
    camera: Camera, report: CameraReport | None, now: datetime | None = None
) -> tuple[str, ...]:
    """Every column but ``mark`` (the table draws that from the mark set)."""
    if report is None:
        blank = ("",) * 7
        return (camera.name, camera.site, PENDING, problem_words(None), *blank)
    worst = worst_problem(report)
    stream = main_stream(report)
    device = report.device
    return (
        camera.name,
        camera.site,
        report.status.label(),
        problem_words(report),
        ago(worst.since if worst else None, now),
        (device.model if device else None) or NOT_READ,
        (device.firmware if device else None) or NOT_READ,
        clock_offset(report.clock_offset_s),
        number(stream.fps) if stream else NOT_READ,
        number(stream.bitrate_kbps, 0) if stream else NOT_READ,
        storage_words(report),
    )


def strip_userinfo(uri: str) -> str:
    """An RTSP URL safe to show or copy: no ``user:password@`` and no ``?password=`` value ever
    leaves the app."""
    parts = urlsplit(uri)
    if "@" in parts.netloc:
        uri = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return safe_url(uri)
