"""The report's reads from the history store: a window of status runs, facts and episodes.

The arithmetic is ``core.report``; this module only asks SQLite. Status runs are found in SQL
(window functions: a new run at each status change or gap over ``hold_s``), so 30 days of
checks every minute for 500 cameras reach Python as a few thousand runs, not 20 million rows.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

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


_RUNS_SQL = """
WITH s AS (
    SELECT camera, run_id, checked_at, status,
           LAG(status) OVER w AS prev_status,
           (julianday(checked_at) - julianday(LAG(checked_at) OVER w)) * 86400.0 AS gap_s
    FROM results INDEXED BY results_camera
    WHERE camera IN (SELECT value FROM json_each(?)) AND run_id BETWEEN ? AND ?
      AND checked_at >= ? AND checked_at <= ?
    WINDOW w AS (PARTITION BY camera ORDER BY run_id)
), g AS (
    SELECT camera, run_id, checked_at, status,
           SUM(CASE WHEN prev_status IS NULL OR prev_status != status OR gap_s > ? THEN 1 ELSE 0 END)
               OVER (PARTITION BY camera ORDER BY run_id ROWS UNBOUNDED PRECEDING) AS grp
    FROM s
)
SELECT camera, status, MIN(checked_at), MAX(checked_at) FROM g
GROUP BY camera, grp ORDER BY camera, MIN(run_id)
"""


def load_runs(
    store: HistoryStore, names: Sequence[str], start: datetime, end: datetime, hold_s: float
) -> dict[str, list[Run]]:
    """Each camera's status runs from ``hold_s`` before ``start`` to ``end``, oldest first."""
    lo, hi = _ts(start - timedelta(seconds=hold_s)), _ts(end)
    ids = store.read(
        "SELECT min(id), max(id) FROM runs WHERE started >= ? AND started <= ?",
        # a camera is checked after its run starts: look a little earlier for runs
        (_ts(start - timedelta(seconds=hold_s + 3600)), hi),
    )[0]
    runs: dict[str, list[Run]] = {}
    if ids[0] is not None:
        for camera, status, first, last in store.read(
            _RUNS_SQL, (json.dumps(list(names)), ids[0], ids[1], lo, hi, hold_s)
        ):
            runs.setdefault(camera, []).append(Run(_dt(first), _dt(last), Status(status)))
    return runs


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
