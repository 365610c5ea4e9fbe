"""The push journal: every device write is recorded *before* it is sent (SQLite, WAL).

It answers three questions after the fact: what did a push change, on which camera, and did it
stick (`fleetctl audit`); which cameras did the last push fail on (`push --limit @failed`); and
where did an interrupted push stop (`push --resume`). Each write is its own committed transaction
(synchronous=FULL): after a kill -9 the journal shows an ``intent`` for a write that may or may
not have reached the camera, never a write it does not know about.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetctl.base.i18n import _
from fleetctl.base.private import private_file
from fleetctl.core.errors import HistoryError
from fleetctl.engine.push.outcome import FAILED_RESULTS
from fleetctl.engine.push.runlock import PushBusy, RunLock, owner_alive, this_host

SCHEMA = """
CREATE TABLE IF NOT EXISTS push_runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, profile TEXT NOT NULL,
    selection TEXT NOT NULL, state TEXT NOT NULL  -- running | done | aborted
);
CREATE TABLE IF NOT EXISTS push_cameras (
    run_id INTEGER NOT NULL REFERENCES push_runs(id), camera TEXT NOT NULL,
    result TEXT NOT NULL,  -- pending | changed | unchanged | failed | restored | not-restorable | unreachable | skipped
    error TEXT, at TEXT NOT NULL, PRIMARY KEY (run_id, camera)
);
CREATE TABLE IF NOT EXISTS push_writes (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, camera TEXT NOT NULL, setting TEXT NOT NULL,
    old TEXT, new TEXT, state TEXT NOT NULL,  -- intent | written | verified | failed | restored
    error TEXT, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS push_writes_camera ON push_writes (camera, id);
"""

# Added to push_runs after the first release: who runs it (pid, host), with which options.
RUN_COLUMNS = (("owner_pid", "INTEGER"), ("owner_host", "TEXT"), ("options", "TEXT"))


def _busy_message(path: str, row: Any) -> str:
    if row is None:
        return _("another push is using the journal {path}: wait for it to finish").format(
            path=path
        )
    run_id, started, pid, host = row
    return _(
        "push run {run} is still running (pid {pid} on {host}, since {started}): wait for it, "
        "or stop it and run `fleetctl push --resume`"
    ).format(run=run_id, pid=pid if pid is not None else "?", host=host or "?", started=started)


def default_path() -> str:
    """$FLEETCTL_JOURNAL, else push-journal.sqlite in the user data dir."""
    import os

    if os.environ.get("FLEETCTL_JOURNAL"):
        return os.environ["FLEETCTL_JOURNAL"]
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("fleetctl")) / "push-journal.sqlite")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditRow:
    at: str
    run_id: int
    camera: str
    setting: str
    old: Any
    new: Any
    state: str
    error: str | None


class Journal:
    def __init__(self, path: str | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        try:
            # 0600 in a 0700 directory: camera names, addresses and settings are not for
            # every local user (the per-user data directory is tightened too).
            private_file(
                self.path, tighten_dir=path is None and not os.environ.get("FLEETCTL_JOURNAL")
            )
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=10.0, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "PRAGMA synchronous=FULL"
            )  # an intent must be on disk before the write
            self._db.executescript(SCHEMA)
            self._migrate()
        except (sqlite3.Error, OSError) as err:
            raise HistoryError(f"cannot open the push journal {self.path}: {err}") from err
        # Taken by start_run and interrupted_run (a push or a resume), never by readers (audit,
        # check's rotation lookup): one push per journal, held until close().
        self._run_lock = RunLock(self.path) if self.path != ":memory:" else None

    def _migrate(self) -> None:
        have = {r[1] for r in self._db.execute("PRAGMA table_info(push_runs)")}
        for column, kind in RUN_COLUMNS:
            if column not in have:
                self._db.execute(f"ALTER TABLE push_runs ADD COLUMN {column} {kind}")

    def _take_run_lock(self) -> None:
        """The journal's push lock, or PushBusy naming the push that holds it."""
        if self._run_lock is None or self._run_lock.try_acquire():
            return
        row = self._exec(
            "SELECT id, started, owner_pid, owner_host FROM push_runs"
            " WHERE state = 'running' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        raise PushBusy(_busy_message(self.path, row))

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            with self._lock:
                return self._db.execute(sql, args)
        except sqlite3.Error as err:
            raise HistoryError(f"cannot write the push journal {self.path}: {err}") from err

    def close(self) -> None:
        if self._run_lock is not None:
            self._run_lock.release()
        self._db.close()

    # ------------------------------------------------------------------ runs

    def start_run(
        self,
        profile: str,
        selection: str,
        cameras: list[str],
        options: Mapping[str, Any] | None = None,
    ) -> int:
        """A new run, owned by this process (pid, host): PushBusy while another push runs.
        ``options`` (canary, batch, max-fail...) are stored for ``--resume`` to reuse."""
        self._take_run_lock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute(
                "INSERT INTO push_runs (started, profile, selection, state, owner_pid,"
                " owner_host, options) VALUES (?, ?, ?, 'running', ?, ?, ?)",
                (
                    _now(),
                    profile,
                    selection,
                    os.getpid(),
                    this_host(),
                    json.dumps(dict(options or {}), sort_keys=True),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            self._db.executemany(
                "INSERT INTO push_cameras (run_id, camera, result, at) VALUES (?, ?, 'pending', ?)",
                [(run_id, c, _now()) for c in cameras],
            )
            self._db.execute("COMMIT")
        return run_id

    def finish_run(self, run_id: int, state: str) -> None:
        self._exec(
            "UPDATE push_runs SET state = ?, finished = ? WHERE id = ?", (state, _now(), run_id)
        )

    def interrupted_run(self) -> tuple[int, str, str, list[str]] | None:
        """The newest run still marked running: (id, profile, selection, cameras not finished).

        Only a run nobody is running: PushBusy (who, since when) while its push still holds the
        journal's lock or its owner process is alive on this host. Takes the lock for the resume.
        """
        self._take_run_lock()
        row = self._exec(
            "SELECT id, profile, selection, started, owner_pid, owner_host FROM push_runs"
            " WHERE state = 'running' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        if owner_alive(row[4], row[5]):  # a push that predates the lock file, or lost it
            raise PushBusy(_busy_message(self.path, (row[0], row[3], row[4], row[5])))
        pending = [
            r[0]
            for r in self._exec(
                "SELECT camera FROM push_cameras WHERE run_id = ? AND result = 'pending' ORDER BY camera",
                (row[0],),
            )
        ]
        return int(row[0]), str(row[1]), str(row[2]), pending

    def run_options(self, run_id: int) -> dict[str, Any]:
        """The rollout options a run was started with ({} for runs older than this field)."""
        row = self._exec("SELECT options FROM push_runs WHERE id = ?", (run_id,)).fetchone()
        try:
            found = json.loads(row[0]) if row and row[0] else {}
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    def run_owner(self, run_id: int) -> tuple[int | None, str | None, str] | None:
        """(pid, host, started) of the process that started run ``run_id``."""
        row = self._exec(
            "SELECT owner_pid, owner_host, started FROM push_runs WHERE id = ?", (run_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1], str(row[2]))

    def last_run(self) -> tuple[int, str, str | None] | None:
        """The newest run of any state: (id, state, finished as ISO 8601 UTC or None)."""
        row = self._exec(
            "SELECT id, state, finished FROM push_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return int(row[0]), str(row[1]), None if row[2] is None else str(row[2])

    def failed_last_run(self) -> list[str]:
        """Cameras the newest finished run did not manage to change (for `--limit @failed`)."""
        row = self._exec(
            "SELECT id FROM push_runs WHERE state != 'running' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return []
        marks = ",".join("?" * len(FAILED_RESULTS))
        return [
            r[0]
            for r in self._exec(
                f"SELECT camera FROM push_cameras WHERE run_id = ? AND result IN ({marks}) ORDER BY camera",
                (row[0], *(str(r) for r in FAILED_RESULTS)),
            )
        ]

    # ------------------------------------------------------------------ cameras and writes

    def camera_result(
        self, run_id: int, camera: str, result: str, error: str | None = None
    ) -> None:
        self._exec(
            "INSERT INTO push_cameras (run_id, camera, result, error, at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, camera) DO UPDATE SET result = excluded.result, error = excluded.error, at = excluded.at",
            (run_id, camera, result, error, _now()),
        )

    def intent(self, run_id: int, camera: str, setting: str, old: Any, new: Any) -> int:
        cur = self._exec(
            "INSERT INTO push_writes (run_id, camera, setting, old, new, state, at) VALUES (?, ?, ?, ?, ?, 'intent', ?)",
            (run_id, camera, setting, json.dumps(old), json.dumps(new), _now()),
        )
        return int(cur.lastrowid or 0)

    def mark(self, write_id: int, state: str, error: str | None = None) -> None:
        self._exec(
            "UPDATE push_writes SET state = ?, error = ?, at = ? WHERE id = ?",
            (state, error, _now(), write_id),
        )

    def latest_states(self, setting: str, new: Any) -> dict[str, str]:
        """Camera -> state of its newest write of ``setting`` to ``new`` (password rotation asks
        this with a marker such as ``rotation:<id>``, never a password)."""
        rows = self._exec(
            "SELECT camera, state FROM push_writes WHERE setting = ? AND new = ? ORDER BY id",
            (setting, json.dumps(new)),
        ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def audit(self, camera: str | None = None, limit: int = 200) -> list[AuditRow]:
        where, args = ("WHERE camera = ?", (camera,)) if camera else ("", ())
        rows = self._exec(
            f"SELECT at, run_id, camera, setting, old, new, state, error FROM push_writes {where} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [
            AuditRow(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), r[6], r[7])
            for r in rows
        ]
