"""The report's reads from a real history store: runs found in one pass equal the reference
arithmetic on the same checks, across a stopped monitor and a camera left out of some runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetctl.core.models import CameraReport, FleetReport, Status
from fleetctl.core.report.availability import runs_from_samples
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.report import load_runs

T0 = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
HOLD = 900.0


def test_runs_from_the_store_equal_the_reference(tmp_path: Path) -> None:
    samples: dict[str, list[tuple[datetime, Status]]] = {"a": [], "b": [], "c": []}
    with HistoryStore(str(tmp_path / "h.sqlite")) as store:
        for i in range(200):
            if 80 <= i < 100:  # the monitor was stopped for 100 minutes
                continue
            t = T0 + timedelta(minutes=5 * i)
            cams = []
            for name in ("a", "b", "c"):
                if name == "c" and 130 <= i < 140:  # left out of ten runs (50 minutes)
                    continue
                status = (
                    Status.CRIT
                    if (name == "b" and i % 7 == 0) or (name == "a" and 40 <= i < 60)
                    else Status.OK
                )
                at = t + timedelta(seconds=10 * ord(name))  # checked a little after the run started
                cams.append(CameraReport(name, "s", "127.0.0.1", status, checked_at=at))
                samples[name].append((at, status))
            store.record(FleetReport("0.1.0", t, 30.0, tuple(cams)))
        start, end = T0 + timedelta(hours=2), T0 + timedelta(hours=16)
        got = load_runs(store, ["a", "b", "c"], start, end, HOLD)
    lo = start - timedelta(seconds=HOLD)
    for name, checks in samples.items():
        window = [(at, st) for at, st in checks if lo <= at <= end]
        assert got[name] == runs_from_samples(window, HOLD), name
    assert len(got["c"]) >= 3  # split by the stop and by the runs it missed
