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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetctl.base.private import private_file
from fleetctl.core.errors import HistoryError

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

FAILED_RESULTS = ("failed", "restored", "not-restorable", "unreachable")


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
        except (sqlite3.Error, OSError) as err:
            raise HistoryError(f"cannot open the push journal {self.path}: {err}") from err

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            with self._lock:
                return self._db.execute(sql, args)
        except sqlite3.Error as err:
            raise HistoryError(f"cannot write the push journal {self.path}: {err}") from err

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ runs

    def start_run(self, profile: str, selection: str, cameras: list[str]) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute(
                "INSERT INTO push_runs (started, profile, selection, state) VALUES (?, ?, ?, 'running')",
                (_now(), profile, selection),
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
        """The newest run still marked running: (id, profile, selection, cameras not finished)."""
        row = self._exec(
            "SELECT id, profile, selection FROM push_runs WHERE state = 'running' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        pending = [
            r[0]
            for r in self._exec(
                "SELECT camera FROM push_cameras WHERE run_id = ? AND result = 'pending' ORDER BY camera",
                (row[0],),
            )
        ]
        return int(row[0]), str(row[1]), str(row[2]), pending

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
                (row[0], *FAILED_RESULTS),
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
