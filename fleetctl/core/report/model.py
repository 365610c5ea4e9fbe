"""What the report is made of: a window of history in, a ``Report`` out (frozen values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleetctl.core.models import Status


@dataclass(frozen=True)
class Run:
    """Consecutive checks of one camera with one status and no gap longer than ``hold_s``.

    ``first`` and ``last`` are the first and last check of the run; the status holds from
    ``first`` until the next run starts or ``hold_s`` after ``last``, whichever is earlier.
    """

    first: datetime
    last: datetime
    status: Status


@dataclass(frozen=True)
class StorageFact:
    name: str
    state: str | None  # ok | full | failed | unformatted | missing | idle | ...
    recording: bool | None = None


@dataclass(frozen=True)
class Facts:
    """What the newest check of a camera in the window found (``None`` where not read)."""

    checked_at: datetime
    status: Status
    clock_offset_s: float | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    storage: tuple[StorageFact, ...] = ()
    days_kept: float | None = None  # days of footage the recording holds


@dataclass(frozen=True)
class Episode:
    """A problem episode from history: open while ``resolved`` is None."""

    camera: str
    kind: str
    severity: str
    message: str
    first_seen: datetime
    last_seen: datetime
    resolved: datetime | None = None


@dataclass(frozen=True)
class CameraHistory:
    """One selected camera's history around the window.

    ``first_seen``: its first check ever (None: never checked; later than the window's start:
    added mid-period, and the time before it is not counted). ``runs``: oldest first, from
    ``hold_s`` before the window to its end. ``last``: the newest check inside the window.
    """

    name: str
    site: str
    first_seen: datetime | None
    runs: tuple[Run, ...] = ()
    last: Facts | None = None


@dataclass(frozen=True)
class Seconds:
    """Time-weighted state of a camera, site or fleet over a window, in seconds.

    ``tracked`` = up + down + unknown + unchecked: the window less the time before a camera was
    first checked. Availability is up / tracked: time never checked is not counted as up.
    """

    up: float = 0.0  # ok or warn: the camera worked
    down: float = 0.0  # crit
    unknown: float = 0.0  # checked, but could not be judged
    unchecked: float = 0.0  # no check fresh enough to say

    @property
    def tracked(self) -> float:
        return self.up + self.down + self.unknown + self.unchecked

    @property
    def availability(self) -> float | None:
        return self.up / self.tracked if self.tracked > 0 else None

    def __add__(self, other: Seconds) -> Seconds:
        return Seconds(
            self.up + other.up,
            self.down + other.down,
            self.unknown + other.unknown,
            self.unchecked + other.unchecked,
        )


@dataclass(frozen=True)
class Outage:
    camera: str
    site: str
    start: datetime
    end: datetime
    ongoing: bool  # still down at the end of the window

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Bucket:
    """One step of the availability trend (a day, or an hour for short windows)."""

    start: datetime
    end: datetime
    seconds: Seconds


@dataclass(frozen=True)
class DriftBin:
    key: str  # stable name for JSON/CSV: lt_1s, 1_5s, 5_30s, 30_300s, ge_300s
    low_s: float
    high_s: float | None  # None: no upper bound
    count: int


@dataclass(frozen=True)
class Scope:
    """The numbers of one site, or of the whole fleet (``site`` None)."""

    site: str | None
    location: str | None
    cameras: int
    status: dict[str, int]  # ok, warn, crit, unknown, not_checked: at the end of the window
    seconds: Seconds
    opened: int
    open: int
    resolved: int
    storage_failed: int  # cameras with a failed, unformatted or missing card/disk
    recording_stopped: int  # cameras whose recording is known to have stopped
    footage_days: float | None = None  # median days of footage kept, where known


@dataclass(frozen=True)
class FirmwareRow:
    manufacturer: str | None
    model: str | None
    firmware: str | None
    count: int


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    generated: datetime
    hold_s: float
    fleet: Scope
    sites: tuple[Scope, ...]
    trend: tuple[Bucket, ...]
    open_problems: tuple[tuple[Episode, str], ...]  # (episode, site), oldest first
    resolved_problems: tuple[tuple[Episode, str], ...]  # resolved in the window, newest first
    outages: tuple[Outage, ...]  # longest first
    drift: tuple[DriftBin, ...]
    drift_unknown: int
    drift_median_s: float | None
    drift_max_s: float | None
    storage_visits: tuple[tuple[str, str, str], ...]  # (camera, site, "failed"|"recording_stopped")
    firmware: tuple[FirmwareRow, ...]
