"""The check history: every run in a SQLite store, so "since when?" has an answer.

Schema (version in ``schema_version``):

    runs      one row per check run (started, duration, counts)
    results   one row per camera per run (status, problems as JSON, clock_offset_s, facts_id)
    facts     what a check read that rarely changes (manufacturer, model, firmware, storage
              states, days of footage kept) as JSON, each distinct body stored once; ``results.facts_id`` points here
    latest    the newest status of each camera (for ``--select status:crit``) and how long
              its check took (``duration_s``, NULL if unknown: the next run starts slow
              cameras first)
    episodes  one row per problem episode: camera, kind, class (message with measurements
              blanked), first_seen, last_seen, resolved (NULL while open)
    devices   what each camera last said it is (manufacturer, model, firmware, serial) and
              when: `fleetctl firmware` reads the fleet's firmware from here
    memory    what checks learned for later ones: (subject, key) -> value, newest wins
              (subject "cam:NAME" or "model:MANUFACTURER|MODEL|FIRMWARE"; engine.check.memory)

``latest.duration_s`` was added to schema 1 without a version bump: an older store gains the
column on open (NULL everywhere), and an older fleetctl writing to a newer store leaves it as
it was. ``results.clock_offset_s``, ``results.facts_id`` and ``facts`` (for ``fleetctl report``)
were added the same way: NULL in runs recorded before them. WAL mode with ``synchronous=NORMAL``; a run is written in ONE transaction, so a kill -9 in the
middle of a run leaves the store as it was before that run (WAL replays committed transactions
only). All timestamps are UTC ISO-8601 strings. Old runs, results and resolved episodes are
removed by ``engine.retention`` (`fleetctl history prune`, `serve --history-keep`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetctl.base.private import private_file
from fleetctl.core.errors import HistoryError
from fleetctl.core.models import (
    CameraReport,
    DeviceInfo,
    FleetReport,
    Problem,
    ProblemKind,
    Status,
)
from fleetctl.core.text import LONG_LIMIT, clean
from fleetctl.core.verdicts.rules import problem_class

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, duration_s REAL NOT NULL, version TEXT NOT NULL,
    total INTEGER NOT NULL, ok INTEGER NOT NULL, warn INTEGER NOT NULL, crit INTEGER NOT NULL,
    unknown INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(id), camera TEXT NOT NULL, checked_at TEXT NOT NULL,
    status TEXT NOT NULL, problems TEXT NOT NULL, PRIMARY KEY (run_id, camera));
CREATE INDEX IF NOT EXISTS results_camera ON results (camera, run_id);
CREATE TABLE IF NOT EXISTS latest (
    camera TEXT PRIMARY KEY, run_id INTEGER NOT NULL, checked_at TEXT NOT NULL, status TEXT NOT NULL,
    duration_s REAL);
CREATE TABLE IF NOT EXISTS episodes (
    id INTEGER PRIMARY KEY, camera TEXT NOT NULL, kind TEXT NOT NULL, class TEXT NOT NULL,
    severity TEXT NOT NULL, message TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    resolved TEXT);
CREATE INDEX IF NOT EXISTS episodes_open ON episodes (camera, resolved);
CREATE TABLE IF NOT EXISTS devices (
    camera TEXT PRIMARY KEY, manufacturer TEXT, model TEXT, firmware TEXT, serial TEXT,
    seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS facts (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS memory (
    subject TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (subject, key));
"""


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a camera's history, newest first in ``timeline()``.

    ``event`` is "status" (the camera's status changed to ``status``), "problem" (a problem
    episode began) or "resolved" (it ended).
    """

    at: datetime
    event: str
    status: Status  # the camera's status at that check
    kind: ProblemKind | None = None
    severity: Status | None = None
    message: str = ""

    def __post_init__(self) -> None:
        # Read back from a file: plain and bounded even if an older version stored it raw.
        object.__setattr__(self, "message", clean(self.message, LONG_LIMIT))


def default_path() -> str:
    """$FLEETCTL_HISTORY, else history.sqlite in the per-user data dir."""
    env = os.environ.get("FLEETCTL_HISTORY")
    if env:
        return env
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("fleetctl", appauthor=False)) / "history.sqlite")


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class HistoryStore:
    """The SQLite history store. Thread-safe (one connection behind a lock); ``close()`` it."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        self._facts: dict[str, int] = {}  # facts body -> id, filled as runs are recorded
        try:
            # 0600 in a 0700 directory: camera names, addresses and settings are not for
            # every local user (the per-user data directory is tightened too).
            private_file(
                self.path, tighten_dir=path is None and not os.environ.get("FLEETCTL_HISTORY")
            )
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=10.0
            )
            # Before the first table: a new store gives pages freed by `history prune` back to
            # the file system (an existing one keeps its mode until `prune --vacuum`).
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._tx():
                self._create()
        except (sqlite3.Error, OSError) as err:
            raise HistoryError(f"cannot open the history store {self.path}: {err}") from err

    def _create(self) -> None:
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                self._db.execute(stmt)
        row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        if row[0] is None:
            self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif row[0] > SCHEMA_VERSION:
            raise HistoryError(f"{self.path} was written by a newer fleetctl (schema {row[0]})")
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(latest)")}
        if "duration_s" not in columns:  # a store written before durations were kept
            self._db.execute("ALTER TABLE latest ADD COLUMN duration_s REAL")
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(results)")}
        for column, sqltype in (("clock_offset_s", "REAL"), ("facts_id", "INTEGER")):
            if column not in columns:  # a store written before `fleetctl report` existed
                self._db.execute(f"ALTER TABLE results ADD COLUMN {column} {sqltype}")

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    # ------------------------------------------------------------------ writing

    def record(self, report: FleetReport) -> None:
        """Save a run, its per-camera results, and open/extend/resolve problem episodes.

        Batched (one ``executemany`` per statement, open episodes read once): 10,000 cameras
        are one transaction of a few statements, not 50,000 round trips through sqlite3.
        """
        s = report.summary
        results: list[tuple[object, ...]] = []
        latest: list[tuple[object, ...]] = []
        devices: list[tuple[object, ...]] = []
        ats: list[str] = []
        try:
            with self._lock, self._tx():
                cur = self._db.execute(
                    "INSERT INTO runs (started, duration_s, version, total, ok, warn, crit, unknown)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        _ts(report.started),
                        report.duration_s,
                        report.version,
                        s["total"],
                        s["ok"],
                        s["warn"],
                        s["crit"],
                        s["unknown"],
                    ),
                )
                run_id = cur.lastrowid
                for cam in report.cameras:
                    at = _ts(cam.checked_at or report.started)
                    ats.append(at)
                    problems = [
                        {"kind": p.kind.value, "severity": p.severity.value, "message": p.message}
                        for p in cam.problems
                    ]
                    text = json.dumps(problems, ensure_ascii=False) if problems else "[]"
                    results.append(
                        (
                            run_id,
                            cam.name,
                            at,
                            cam.status.value,
                            text,
                            cam.clock_offset_s,
                            self._facts_id(cam),
                        )
                    )
                    latest.append((cam.name, run_id, at, cam.status.value, cam.duration_s))
                    d = cam.device
                    if d is not None and (d.manufacturer or d.model or d.firmware):
                        devices.append(
                            (cam.name, d.manufacturer, d.model, d.firmware, d.serial, at)
                        )
                self._db.executemany(
                    "INSERT INTO results (run_id, camera, checked_at, status, problems,"
                    " clock_offset_s, facts_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    results,
                )
                # COALESCE: a camera whose duration was not measured keeps its last known one.
                self._db.executemany(
                    "INSERT INTO latest (camera, run_id, checked_at, status, duration_s)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(camera) DO UPDATE SET"
                    " run_id=excluded.run_id, checked_at=excluded.checked_at,"
                    " status=excluded.status,"
                    " duration_s=COALESCE(excluded.duration_s, latest.duration_s)",
                    latest,
                )
                self._upsert_devices(devices)
                self._record_episodes(report, ats)
                self._db.executemany(
                    "INSERT INTO memory (subject, key, value, at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(subject, key) DO UPDATE SET value=excluded.value, at=excluded.at",
                    [
                        (subject, key, value, at)
                        for cam, at in zip(report.cameras, ats, strict=True)
                        for subject, key, value in cam.learned
                    ],
                )
        except sqlite3.Error as err:
            self._facts.clear()  # ids inserted by the rolled-back transaction are gone
            raise HistoryError(f"cannot write the history store {self.path}: {err}") from err

    def record_devices(self, reports: Sequence[CameraReport]) -> None:
        """Remember what these cameras said they are, without recording a run (a partial read,
        such as `fleetctl firmware --refresh`, must not resolve or open problem episodes)."""
        now = _ts(datetime.now(UTC))
        rows = [
            (
                r.name,
                d.manufacturer,
                d.model,
                d.firmware,
                d.serial,
                _ts(r.checked_at) if r.checked_at else now,
            )
            for r in reports
            if (d := r.device) is not None and (d.manufacturer or d.model or d.firmware)
        ]
        try:
            with self._lock, self._tx():
                self._upsert_devices(rows)
        except sqlite3.Error as err:
            raise HistoryError(f"cannot write the history store {self.path}: {err}") from err

    def _upsert_devices(self, rows: Sequence[tuple[object, ...]]) -> None:
        # Only what was read replaces what was known: a camera offline today keeps the identity
        # it had (the fleet's firmware does not vanish with a power cut).
        self._db.executemany(
            "INSERT INTO devices (camera, manufacturer, model, firmware, serial, seen)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(camera) DO UPDATE SET"
            " manufacturer=excluded.manufacturer, model=excluded.model,"
            " firmware=excluded.firmware, serial=excluded.serial, seen=excluded.seen",
            rows,
        )

    def devices(self) -> dict[str, DeviceInfo]:
        """Camera name -> what it last said it is (cameras never read are absent)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT camera, manufacturer, model, firmware, serial FROM devices"
            ).fetchall()
        return {r[0]: DeviceInfo(r[1], r[2], r[3], r[4]) for r in rows}

    def _facts_id(self, cam: CameraReport) -> int | None:
        """The id of this camera's facts body (inserted once per distinct body); None if none."""
        if cam.device is None and not cam.storage and cam.days_kept is None:
            return None
        dev = cam.device
        kept = cam.days_kept
        # Whole days (tenths below one): footage grows all day, the body changes once a day.
        if kept is not None:
            kept = round(kept) if kept >= 1 else round(kept, 1)
        body = json.dumps(
            {
                "days_kept": kept,
                "manufacturer": dev.manufacturer if dev else None,
                "model": dev.model if dev else None,
                "firmware": dev.firmware if dev else None,
                "storage": [
                    {"name": s.name, "state": s.state, "recording": s.recording}
                    for s in cam.storage
                ],
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        found = self._facts.get(body)
        if found is None:
            self._db.execute("INSERT OR IGNORE INTO facts (body) VALUES (?)", (body,))
            found = int(
                self._db.execute("SELECT id FROM facts WHERE body = ?", (body,)).fetchone()[0]
            )
            self._facts[body] = found
        return found

    def _record_episodes(self, report: FleetReport, ats: list[str]) -> None:
        open_eps: dict[str, dict[str, int]] = {}
        for ep_id, camera, cls in self._db.execute(
            "SELECT id, camera, class FROM episodes WHERE resolved IS NULL ORDER BY id"
        ):
            open_eps.setdefault(camera, {})[cls] = ep_id
        updates: list[tuple[str, str, str, int]] = []
        inserts: list[tuple[str, str, str, str, str, str, str]] = []
        resolves: list[tuple[str, int]] = []
        for cam, at in zip(report.cameras, ats, strict=True):
            mine = open_eps.get(cam.name, {})
            current: set[str] = set()
            for p in cam.problems:
                cls = problem_class(p)
                if cls in current:
                    continue
                current.add(cls)
                if cls in mine:
                    updates.append((at, p.severity.value, p.message, mine[cls]))
                else:
                    inserts.append(
                        (cam.name, p.kind.value, cls, p.severity.value, p.message, at, at)
                    )
            resolves.extend((at, ep_id) for cls, ep_id in mine.items() if cls not in current)
        self._db.executemany(
            "UPDATE episodes SET last_seen = ?, severity = ?, message = ? WHERE id = ?", updates
        )
        self._db.executemany(
            "INSERT INTO episodes (camera, kind, class, severity, message, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        self._db.executemany("UPDATE episodes SET resolved = ? WHERE id = ?", resolves)

    # ------------------------------------------------------------------ reading

    def annotate(self, report: CameraReport) -> CameraReport:
        """Fill ``Problem.since`` with the first sighting of each still-open episode.

        A problem with no open episode is new: its "since" is this check.
        """
        if not report.problems:
            return report
        with self._lock:
            rows = self._db.execute(
                "SELECT class, first_seen FROM episodes WHERE camera = ? AND resolved IS NULL",
                (report.name,),
            ).fetchall()
        first = {cls: _parse(ts) for cls, ts in rows}
        now = report.checked_at or datetime.now(UTC)
        problems = tuple(
            replace(p, since=first.get(problem_class(p), p.since or now)) for p in report.problems
        )
        return replace(report, problems=problems)

    def last_statuses(self) -> dict[str, Status]:
        """The newest recorded status of every camera ever checked."""
        with self._lock:
            rows = self._db.execute("SELECT camera, status FROM latest").fetchall()
        return {name: Status(status) for name, status in rows}

    def last_problems(self) -> dict[str, tuple[Problem, ...]]:
        """The problems of each camera's newest recorded check (English text, no ``since``):
        what `--select` matches a bare word against, besides the inventory's words."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.camera, r.problems FROM results r JOIN latest l"
                " ON r.run_id = l.run_id AND r.camera = l.camera WHERE r.problems != '[]'"
            ).fetchall()
        out: dict[str, tuple[Problem, ...]] = {}
        for camera, text in rows:
            try:
                items = json.loads(text)
                out[camera] = tuple(
                    Problem(ProblemKind(p["kind"]), Status(p["severity"]), str(p["message"]))
                    for p in items
                )
            except (ValueError, KeyError, TypeError):
                continue  # a row another version wrote differently: no words, not a failure
        return out

    def recall(self) -> dict[str, dict[str, str]]:
        """Everything checks learned for later ones: subject -> key -> value (``memory``)."""
        with self._lock:
            rows = self._db.execute("SELECT subject, key, value FROM memory").fetchall()
        out: dict[str, dict[str, str]] = {}
        for subject, key, value in rows:
            out.setdefault(subject, {})[key] = value
        return out

    def last_durations(self) -> dict[str, float]:
        """How long the newest recorded check of each camera took, in seconds (cameras whose
        duration is unknown are left out). ``engine.check.admission.schedule`` orders a run by it."""
        with self._lock:
            rows = self._db.execute(
                "SELECT camera, duration_s FROM latest WHERE duration_s IS NOT NULL"
            ).fetchall()
        return {name: float(d) for name, d in rows}

    def timeline(self, name: str, limit: int = 100) -> list[TimelineEntry]:
        """Status changes and problem episodes of one camera, newest first."""
        with self._lock:
            results = self._db.execute(
                "SELECT checked_at, status FROM results WHERE camera = ? ORDER BY run_id", (name,)
            ).fetchall()
            episodes = self._db.execute(
                "SELECT kind, severity, message, first_seen, resolved FROM episodes WHERE camera = ? ORDER BY id",
                (name,),
            ).fetchall()
        entries: list[TimelineEntry] = []
        status_at: list[tuple[str, Status]] = []
        previous: Status | None = None
        for at, status_text in results:
            status = Status(status_text)
            status_at.append((at, status))
            if status != previous:
                entries.append(TimelineEntry(_parse(at), "status", status))
                previous = status

        def status_then(at: str) -> Status:
            found = Status.UNKNOWN
            for when, st in status_at:  # results are few per camera; ISO strings sort as time
                if when > at:
                    break
                found = st
            return found

        for kind, severity, message, first_seen, resolved in episodes:
            entries.append(
                TimelineEntry(
                    _parse(first_seen),
                    "problem",
                    status_then(first_seen),
                    ProblemKind(kind),
                    Status(severity),
                    message,
                )
            )
            if resolved is not None:
                entries.append(
                    TimelineEntry(
                        _parse(resolved),
                        "resolved",
                        status_then(resolved),
                        ProblemKind(kind),
                        Status(severity),
                        message,
                    )
                )
        order = {"resolved": 0, "status": 1, "problem": 2}
        entries.sort(key=lambda e: (e.at, order[e.event]), reverse=True)
        return entries[:limit]

    def runs(self, limit: int = 20) -> list[tuple[datetime, float, dict[str, int]]]:
        """The newest runs: (started, duration_s, summary counts)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT started, duration_s, total, ok, warn, crit, unknown FROM runs ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        keys = ("total", "ok", "warn", "crit", "unknown")
        return [(_parse(r[0]), r[1], dict(zip(keys, r[2:], strict=True))) for r in rows]

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (the report's queries live in ``engine.report``)."""
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            raise HistoryError(f"cannot read the history store {self.path}: {err}") from err

    def scan(self, sql: str, params: tuple[object, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """Stream the rows of a long read-only query without holding the store's lock.

        A month of results is millions of rows: they are read through a connection of their own
        (WAL: a reader never blocks the writer), so `serve` keeps recording while a report reads.
        """
        if self.path == ":memory:":  # one connection is all there is
            yield from self.read(sql, params)
            return
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10.0)
        except sqlite3.Error as err:
            raise HistoryError(f"cannot read the history store {self.path}: {err}") from err
        try:
            cur = db.execute(sql, params)
            while rows := cur.fetchmany(4096):
                yield from rows
        except sqlite3.Error as err:
            raise HistoryError(f"cannot read the history store {self.path}: {err}") from err
        finally:
            db.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
