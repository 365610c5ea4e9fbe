"""A history store filled with synthetic runs, written through ``HistoryStore.record``.

``fill(path, now)`` records one run every ``every`` for ``days`` days up to ``now``, of
``cameras`` cameras named cam-000...; three of them carry problems:

    cam-000  offline from 110 days ago to now            an episode OPEN and older than 90 days
    cam-001  stream trouble 110..100 days ago           resolved before a 90-day cutoff
    cam-002  storage trouble 40..10 days ago             resolved inside it
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetctl.core.models import (
    CameraReport,
    DeviceInfo,
    FleetReport,
    Problem,
    ProblemKind,
    Status,
)
from fleetctl.engine.history import HistoryStore

OFFLINE = Problem(ProblemKind.OFFLINE, Status.CRIT, "no answer on any port")
STREAM = Problem(ProblemKind.STREAM, Status.WARN, "no video frames")
STORAGE = Problem(ProblemKind.STORAGE, Status.CRIT, "recording stopped")


def _problems(i: int, age: timedelta) -> tuple[Problem, ...]:
    if i == 0 and age <= timedelta(days=110):
        return (OFFLINE,)
    if i == 1 and timedelta(days=100) < age <= timedelta(days=110):
        return (STREAM,)
    if i == 2 and timedelta(days=10) < age <= timedelta(days=40):
        return (STORAGE,)
    return ()


def fill(
    path: str,
    now: datetime,
    *,
    cameras: int = 6,
    days: int = 120,
    every: timedelta = timedelta(hours=6),
) -> int:
    """Record the runs; the number recorded."""
    n = 0
    with HistoryStore(path) as store:
        t = now - timedelta(days=days)
        while t <= now:
            age = now - t
            cams = []
            for i in range(cameras):
                problems = _problems(i, age)
                worst = Status.worst([p.severity for p in problems]) if problems else Status.OK
                cams.append(
                    CameraReport(
                        f"cam-{i:03d}",
                        "site-a",
                        f"127.0.0.{i % 250 + 2}",
                        worst,
                        problems,
                        device=DeviceInfo("Hikvision", "DS-2CD2143G2-I", "V5.7.3", f"SN{i}"),
                        clock_offset_s=0.4,
                        checked_at=t + timedelta(seconds=i),
                        days_kept=30.0,
                        duration_s=1.5,
                        learned=((f"cam:cam-{i:03d}", "stream_uri", "rtsp://x/1"),),
                    )
                )
            store.record(FleetReport("0.1.0", t, 30.0, tuple(cams)))
            n += 1
            t += every
    return n
