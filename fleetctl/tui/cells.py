"""What each table cell says: pure functions from a camera and its last report to short text.

No Textual here: the fleet table, the sites view and the benchmark all format through these,
and tests can check the words an operator reads without running an app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from fleetctl.base.logsafe import safe_url
from fleetctl.core.models import Camera, CameraReport, Problem, StreamResult

NOT_READ = "—"  # a value that could not be read: never invent one (docs/json.md: null)
PENDING = "…"  # not checked yet in this session


@dataclass(frozen=True)
class Column:
    """A fleet-table column: ``width`` cells; ``right`` aligns numbers."""

    key: str
    label: str
    width: int
    right: bool = False


# Declared as data: order is the order; the mark and name columns stay fixed when the
# table scrolls sideways, so a row is always identifiable at 80 columns.
COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", 1),
    Column("name", "NAME", 16),
    Column("site", "SITE", 12),
    Column("status", "STATUS", 7),
    Column("problem", "PROBLEM", 34),
    Column("since", "SINCE", 7, right=True),
    Column("model", "MODEL", 16),
    Column("firmware", "FIRMWARE", 10),
    Column("clock", "CLOCK", 8, right=True),
    Column("fps", "FPS", 5, right=True),
    Column("kbps", "KBIT/S", 7, right=True),
    Column("storage", "STORAGE", 14),
)
FIXED_COLUMNS = 2


def worst_problem(report: CameraReport) -> Problem | None:
    return max(report.problems, key=lambda p: p.severity.rank, default=None)


def problem_words(report: CameraReport | None) -> str:
    """The worst problem in an operator's words, and how many more there are."""
    if report is None:
        return "not checked yet"
    worst = worst_problem(report)
    if worst is None:
        return ""
    more = len(report.problems) - 1
    return worst.message + (f" (+{more})" if more else "")


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """``3d 4h``, ``2h 05m``, ``7m``, ``now``: short enough for a 7-cell column."""
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    secs = max(0, int((now - when).total_seconds()))
    if secs < 60:
        return "now"
    mins, hours, days = secs // 60, secs // 3600, secs // 86400
    if days:
        return f"{days}d {hours % 24}h"
    if hours:
        return f"{hours}h {mins % 60:02}m"
    return f"{mins}m"


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
    return NOT_READ if value is None else f"{value:.{digits}f}"


def storage_words(report: CameraReport) -> str:
    if not report.storage:
        return ""
    worst = max(report.storage, key=lambda s: s.status.rank)
    state = worst.state or NOT_READ
    if worst.total_mb and worst.used_mb is not None:
        state += f" {100 * worst.used_mb / worst.total_mb:.0f}%"
    more = f" +{len(report.storage) - 1}" if len(report.storage) > 1 else ""
    return f"{worst.name} {state}{more}"


def status_word(report: CameraReport | None) -> str:
    return PENDING if report is None else report.status.value


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
        report.status.value,
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
