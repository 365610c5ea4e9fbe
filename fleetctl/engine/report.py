"""The report's reads from the history store: a window of status runs, facts and episodes.

The arithmetic is ``core.report``; this module reads SQLite and turns each camera's checks into
status runs (a new run at each status change or gap over ``hold_s``) in one streamed pass, so
the arithmetic sees a few thousand runs, not millions of checks.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from fleetctl.core.models import Camera, Status
from fleetctl.core.report.build import build_report
from fleetctl.core.report.model import CameraHistory, Episode, Facts, Report, Run, StorageFact
from fleetctl.engine.history import HistoryStore

HOLD_FACTOR = 2.5  # a status holds for 2.5 x the usual interval between checks ...
HOLD_MIN_S = 300.0  # ... but at least 5 minutes ...
HOLD_MAX_S = 6 * 3600.0  # ... and at most 6 hours
HOLD_DEFAULT_S = 3600.0  # fewer than two runs to learn the interval from


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def choose_hold(store: HistoryStore, start: datetime, end: datetime) -> float:
    """How long a check's status is believed: from the median gap between runs in the window."""
    rows = store.read(
        "SELECT started FROM runs WHERE started >= ? AND started <= ? ORDER BY id",
        (_ts(start - timedelta(days=1)), _ts(end)),
    )
    times = [_dt(r[0]) for r in rows]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times) if b > a]
    if not gaps:
        return HOLD_DEFAULT_S
    return min(HOLD_MAX_S, max(HOLD_MIN_S, HOLD_FACTOR * statistics.median(gaps)))


def load_runs(
    store: HistoryStore, names: Sequence[str], start: datetime, end: datetime, hold_s: float
) -> dict[str, list[Run]]:
    """Each camera's status runs from ``hold_s`` before ``start`` to ``end``, oldest first.

    One pass over the window's results in primary-key order (run by run), streamed: a month of
    checks every 5 minutes for 500 cameras is 4.3 million rows, each a few comparisons here;
    only the first and last check of each run become datetimes. (SQLite's window functions
    were measured 8x slower on the same rows, and one query per camera slower too:
    benchmarks/bench_report.py.) Gaps are judged on the runs' start times; a camera checked in
    consecutive runs that were not more than ``hold_s`` apart has no gap.
    """
    lo, hi = _ts(start - timedelta(seconds=hold_s)), _ts(end)
    run_rows = store.read(
        "SELECT id, started FROM runs WHERE started >= ? AND started <= ? ORDER BY id",
        # a camera is checked after its run starts: look a little earlier for runs
        (_ts(start - timedelta(seconds=hold_s + 3600)), hi),
    )
    if not run_rows:
        return {}
    started = {rid: _dt(at).timestamp() for rid, at in run_rows}
    # runs that follow their predecessor by more than hold_s: a check there starts a new run
    far = {b for (a, ta), (b, tb) in itertools.pairwise(started.items()) if tb - ta > hold_s}
    wanted = set(names)
    state: dict[str, list[Any]] = {}  # camera -> [status, first_at, last_at, last_run_id]
    found: dict[str, list[tuple[str, str, str]]] = {}
    for run_id, camera, at, status in store.scan(
        "SELECT run_id, camera, checked_at, status FROM results"
        " WHERE run_id BETWEEN ? AND ? AND checked_at >= ? AND checked_at <= ?",
        (run_rows[0][0], run_rows[-1][0], lo, hi),
    ):
        st = state.get(camera)
        if st is None:
            if camera in wanted:
                state[camera] = [status, at, at, run_id]
            continue
        if status == st[0] and (
            (run_id == st[3] + 1 and run_id not in far)
            or started.get(run_id, 0.0) - started.get(st[3], 0.0) <= hold_s
        ):
            st[2], st[3] = at, run_id
            continue
        found.setdefault(camera, []).append((st[0], st[1], st[2]))
        st[0], st[1], st[2], st[3] = status, at, at, run_id
    for camera, st in state.items():
        found.setdefault(camera, []).append((st[0], st[1], st[2]))
    return {
        camera: [Run(_dt(first), _dt(last), Status(status)) for status, first, last in runs]
        for camera, runs in found.items()
    }


def load_facts(
    store: HistoryStore, cameras: Sequence[Camera], start: datetime, end: datetime
) -> tuple[list[CameraHistory], list[Episode]]:
    """Each camera's first check ever and newest check in [start, end] (``runs`` left empty),
    and the problem episodes that overlap the window."""
    hi = _ts(end)
    out: list[CameraHistory] = []
    for cam in cameras:
        first_row = store.read(
            "SELECT checked_at FROM results WHERE camera = ? ORDER BY run_id LIMIT 1", (cam.name,)
        )
        last_row = store.read(
            "SELECT r.checked_at, r.status, r.clock_offset_s, f.body FROM results r"
            " LEFT JOIN facts f ON f.id = r.facts_id"
            " WHERE r.camera = ? AND r.checked_at <= ? ORDER BY r.run_id DESC LIMIT 1",
            (cam.name, hi),
        )
        last = _facts(last_row[0]) if last_row and last_row[0][0] >= _ts(start) else None
        first = _dt(first_row[0][0]) if first_row else None
        out.append(CameraHistory(cam.name, cam.site, first, (), last))
    wanted = {c.name for c in cameras}
    episodes = [
        Episode(cam, kind, sev, msg, _dt(first), _dt(last), _dt(res) if res else None)
        for cam, kind, sev, msg, first, last, res in store.read(
            "SELECT camera, kind, severity, message, first_seen, last_seen, resolved"
            " FROM episodes WHERE first_seen <= ? AND (resolved IS NULL OR resolved >= ?)"
            " ORDER BY id",
            (hi, _ts(start)),
        )
        if cam in wanted
    ]
    return out, episodes


def load_window(
    store: HistoryStore, cameras: Sequence[Camera], start: datetime, end: datetime, hold_s: float
) -> tuple[list[CameraHistory], list[Episode]]:
    """The selected cameras' runs, newest facts and episodes for [start, end)."""
    runs = load_runs(store, [c.name for c in cameras], start, end, hold_s)
    histories, episodes = load_facts(store, cameras, start, end)
    return [replace(h, runs=tuple(runs.get(h.name, ()))) for h in histories], episodes


def _facts(row: tuple[str, str, float | None, str | None]) -> Facts:
    at, status, offset, body = row
    doc = json.loads(body) if body else {}
    return Facts(
        checked_at=_dt(at),
        status=Status(status),
        clock_offset_s=offset,
        manufacturer=doc.get("manufacturer"),
        model=doc.get("model"),
        firmware=doc.get("firmware"),
        storage=tuple(
            StorageFact(s.get("name", ""), s.get("state"), s.get("recording"))
            for s in doc.get("storage", ())
        ),
        days_kept=doc.get("days_kept"),
    )


def make_report(
    store: HistoryStore,
    cameras: Sequence[Camera],
    start: datetime,
    end: datetime,
    *,
    locations: Mapping[str, str | None] | None = None,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> Report:
    """Read the window and compute the report (``tz``: where days begin; default local)."""
    hold_s = choose_hold(store, start, end)
    histories, episodes = load_window(store, cameras, start, end, hold_s)
    local = tz or datetime.now().astimezone().tzinfo or UTC
    return build_report(
        histories,
        episodes,
        start,
        end,
        hold_s=hold_s,
        generated=now or datetime.now(UTC),
        tz=local,
        locations=locations,
    )
