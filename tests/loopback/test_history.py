"""History store: episodes give "since", timelines, last statuses, and kill -9 safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetctl.core.models import CameraReport, FleetReport, Problem, ProblemKind, Status
from fleetctl.engine.history import HistoryStore

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
NO_VIDEO = Problem(ProblemKind.STREAM, Status.CRIT, "no video: 0 RTP packets in 1.0 s")
CLOCK = Problem(ProblemKind.CLOCK, Status.WARN, "clock 45s ahead")


def cam(name: str, at: datetime, *problems: Problem) -> CameraReport:
    status = Status.worst([p.severity for p in problems])
    return CameraReport(name, "site-a", "127.16.0.1", status, problems=problems, checked_at=at)


def run(at: datetime, *cams: CameraReport) -> FleetReport:
    return FleetReport("0.1.0", at, 1.0, cams)


def test_since_spans_runs_and_resets_after_resolution(tmp_path: Path) -> None:
    with HistoryStore(str(tmp_path / "h.sqlite")) as store:
        t1, t2, t3, t4 = (T0 + timedelta(minutes=m) for m in (0, 5, 10, 15))
        # first sighting: since = this check
        first = store.annotate(cam("a", t1, NO_VIDEO))
        assert first.problems[0].since == t1
        store.record(run(t1, first, cam("b", t1)))
        # same problem, different measurement: still the same episode
        again = store.annotate(
            cam(
                "a",
                t2,
                Problem(ProblemKind.STREAM, Status.CRIT, "no video: 0 RTP packets in 2.0 s"),
            )
        )
        assert again.problems[0].since == t1
        store.record(run(t2, again, cam("b", t2, CLOCK)))
        assert store.last_statuses() == {"a": Status.CRIT, "b": Status.WARN}
        # healed, then broken again: a new episode starts
        store.record(run(t3, cam("a", t3), cam("b", t3, CLOCK)))
        back = store.annotate(cam("a", t4, NO_VIDEO))
        assert back.problems[0].since == t4
        assert store.annotate(cam("b", t4, CLOCK)).problems[0].since == t2


def test_timeline(tmp_path: Path) -> None:
    with HistoryStore(str(tmp_path / "h.sqlite")) as store:
        for minute, problems in [(0, ()), (5, (NO_VIDEO,)), (10, (NO_VIDEO,)), (15, ())]:
            at = T0 + timedelta(minutes=minute)
            store.record(run(at, cam("a", at, *problems)))
        events = [(e.at - T0, e.event, e.status) for e in store.timeline("a")]
        m = timedelta(minutes=1)
        assert events == [
            (15 * m, "status", Status.OK),
            (15 * m, "resolved", Status.OK),
            (5 * m, "problem", Status.CRIT),
            (5 * m, "status", Status.CRIT),
            (0 * m, "status", Status.OK),
        ]
        assert store.timeline("a", limit=2)[1].event == "resolved"
        assert store.timeline("nobody") == []


def test_reopen_keeps_data_and_wal_mode(tmp_path: Path) -> None:
    path = str(tmp_path / "h.sqlite")
    with HistoryStore(path) as store:
        store.record(run(T0, cam("a", T0, NO_VIDEO)))
    with HistoryStore(path) as store:
        assert store.last_statuses() == {"a": Status.CRIT}
        assert store.annotate(cam("a", T0 + timedelta(hours=1), NO_VIDEO)).problems[0].since == T0
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from fleetctl.core.models import CameraReport, FleetReport, Problem, ProblemKind, Status
    from fleetctl.engine.history import HistoryStore

    store = HistoryStore(sys.argv[1])
    n = 0
    while True:
        n += 1
        now = datetime.now(UTC)
        cams = tuple(
            CameraReport(f"cam-{i:04d}", "s", "127.16.0.1", Status.CRIT if (i + n) % 3 == 0 else Status.OK,
                         problems=(Problem(ProblemKind.STREAM, Status.CRIT, f"no video {i}"),) if (i + n) % 3 == 0 else (),
                         checked_at=now)
            for i in range(2000)
        )
        store.record(FleetReport("0.1.0", now, 1.0, cams))
        if n == 2:
            print("ready", flush=True)
    """
)


def test_kill_9_mid_run_leaves_store_consistent(tmp_path: Path) -> None:
    path = str(tmp_path / "h.sqlite")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"  # two runs committed, more in flight
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = db.execute("SELECT id, total FROM runs").fetchall()
    assert len(runs) >= 2
    for run_id, total in runs:  # every run committed is complete: no half-written run
        assert (
            db.execute("SELECT count(*) FROM results WHERE run_id = ?", (run_id,)).fetchone()[0]
            == total
        )
    db.close()
    with HistoryStore(path) as store:
        assert len(store.last_statuses()) == 2000
        store.record(run(T0, cam("cam-0000", T0)))
        assert store.last_statuses()["cam-0000"] is Status.OK
