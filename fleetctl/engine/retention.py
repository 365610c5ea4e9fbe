"""History retention: old runs, their results and resolved problem episodes removed.

    parse_keep("90d") -> timedelta | None      how long to keep ("0": everything, None)
    prune(path, keep) -> PruneResult            remove what is older than now - keep

What goes: ``runs`` started before the cutoff with their ``results``, and ``episodes`` resolved
before it. What stays, whatever its age: open episodes (their ``first_seen`` is the answer to
"since when?"), and every table that says what is known of a camera now rather than what
happened (``latest``, ``devices``, ``memory``, ``facts``, ``schema_version``). ``facts`` is left
whole on purpose: a running ``serve`` remembers which facts row holds which body and points new
results at it; its rows are one per distinct body, a small fraction of the store.

Deletion goes in batches of about ``BATCH_ROWS`` results, each batch ONE transaction (a run's
results and the run itself together), so a kill -9 mid-prune leaves a consistent store with
some of the old runs gone, and a ``serve`` writing to the same store waits at most one batch.
It uses a connection of its own (WAL: readers go on reading). Afterwards the WAL is
checkpointed and truncated; freed pages are given back to the file system by an incremental
vacuum when the store allows it (``auto_vacuum=INCREMENTAL``, new stores have it) or by a full
``VACUUM`` when asked, which also turns incremental vacuum on for the next prunes.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleetctl.base.i18n import _
from fleetctl.core.errors import HistoryError, UsageError

log = logging.getLogger(__name__)

BATCH_ROWS = 5000  # results removed per transaction: a few tens of ms of a writer waiting
VACUUM_PAGES = 2048  # pages given back per incremental vacuum step (8 MiB of 4 KiB pages)
_KEEP = re.compile(r"^\s*(\d+)\s*(d|w)\s*$")


def parse_keep(text: str, option: str = "--keep") -> timedelta | None:
    """``90d``, ``12w``, ``400d`` -> that long; ``0`` -> None (keep everything)."""
    if text.strip() == "0":
        return None
    m = _KEEP.match(text.lower())
    if m is None or int(m.group(1)) <= 0:
        raise UsageError(
            _(
                "%(option)s wants a number of days or weeks, e.g. 90d or 12w "
                "(0: keep everything), got %(text)r"
            )
            % {"option": option, "text": text}
        )
    days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
    if days > 36500:
        raise UsageError(
            _("%(option)s: %(text)r is more than a hundred years")
            % {"option": option, "text": text}
        )
    return timedelta(days=days)


@dataclass(frozen=True)
class PruneResult:
    cutoff: datetime
    runs: int
    results: int
    episodes: int
    size_before: int  # bytes: the store and its WAL
    size_after: int
    vacuum: str  # "none", "incremental" or "full"
    duration_s: float

    def summary(self, path: str) -> str:
        return _(
            "history %(path)s: removed %(runs)d runs, %(results)d results and %(episodes)d "
            "resolved episodes older than %(cutoff)s; %(before).1f MiB -> %(after).1f MiB "
            "in %(seconds).1f s"
        ) % {
            "path": path,
            "runs": self.runs,
            "results": self.results,
            "episodes": self.episodes,
            "cutoff": _ts(self.cutoff),
            "before": self.size_before / 2**20,
            "after": self.size_after / 2**20,
            "seconds": self.duration_s,
        }

    def to_json(self) -> dict[str, object]:
        return {
            "cutoff": _ts(self.cutoff),
            "removed": {"runs": self.runs, "results": self.results, "episodes": self.episodes},
            "size_before": self.size_before,
            "size_after": self.size_after,
            "vacuum": self.vacuum,
            "duration_s": round(self.duration_s, 3),
        }


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def store_size(path: str) -> int:
    """Bytes of the store with its WAL (what the disk holds for it)."""
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def prune(
    path: str,
    keep: timedelta,
    *,
    vacuum: bool = False,
    now: datetime | None = None,
    batch_rows: int = BATCH_ROWS,
    on_batch: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> PruneResult:
    """Remove what is older than ``now - keep`` from the store at ``path`` (see the module).

    ``stop`` set: no further batch is begun (what was removed stays removed, the rest waits
    for the next prune)."""
    if not os.path.exists(path):
        raise HistoryError(_("no history store at %(path)s") % {"path": path})
    started = time.monotonic()
    cutoff = (now or datetime.now(UTC)) - keep
    before = store_size(path)
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    except sqlite3.Error as err:
        raise HistoryError(f"cannot open the history store {path}: {err}") from err
    try:
        stopped = stop.is_set if stop is not None else lambda: False
        runs, results = _prune_runs(db, _ts(cutoff), max(1, batch_rows), on_batch, stopped)
        episodes = 0 if stopped() else _prune_episodes(db, _ts(cutoff), max(1, batch_rows))
        how = "none" if stopped() else _reclaim(db, vacuum)
    except sqlite3.Error as err:
        raise HistoryError(f"cannot prune the history store {path}: {err}") from err
    finally:
        db.close()
    return PruneResult(
        cutoff,
        runs,
        results,
        episodes,
        before,
        store_size(path),
        how,
        time.monotonic() - started,
    )


def _prune_runs(
    db: sqlite3.Connection,
    cutoff: str,
    batch_rows: int,
    on_batch: Callable[[int, int], None] | None,
    stopped: Callable[[], bool],
) -> tuple[int, int]:
    old = db.execute(
        "SELECT id, total FROM runs WHERE started < ? ORDER BY id", (cutoff,)
    ).fetchall()
    batches: list[list[int]] = [[]]
    rows = 0
    for run_id, total in old:
        if batches[-1] and rows + total > batch_rows:
            batches.append([])
            rows = 0
        batches[-1].append(run_id)
        rows += total
    runs = results = 0
    for ids in batches:
        if not ids or stopped():
            break
        marks = ",".join("?" * len(ids))
        db.execute("BEGIN IMMEDIATE")
        try:
            gone = db.execute(f"DELETE FROM results WHERE run_id IN ({marks})", ids).rowcount
            db.execute(f"DELETE FROM runs WHERE id IN ({marks})", ids)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        runs += len(ids)
        results += gone
        log.debug("history prune: batch of %d runs, %d results removed", len(ids), gone)
        if on_batch is not None:
            on_batch(len(ids), gone)
    return runs, results


def _prune_episodes(db: sqlite3.Connection, cutoff: str, batch_rows: int) -> int:
    total = 0
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            gone = db.execute(
                "DELETE FROM episodes WHERE id IN (SELECT id FROM episodes"
                " WHERE resolved IS NOT NULL AND resolved < ? LIMIT ?)",
                (cutoff, batch_rows),
            ).rowcount
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        total += gone
        if gone < batch_rows:
            return total


def _reclaim(db: sqlite3.Connection, vacuum: bool) -> str:
    how = "none"
    if vacuum:
        # VACUUM rewrites the whole file (it needs as much free disk again); switching to
        # incremental first makes the next prunes give space back without one.
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("VACUUM")
        how = "full"
    elif db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
        # A few MiB at a time, each its own transaction: a writer never waits for all of it.
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        while free > 0:
            db.execute(f"PRAGMA incremental_vacuum({VACUUM_PAGES})").fetchall()
            left = db.execute("PRAGMA freelist_count").fetchone()[0]
            if left >= free:  # nothing given back: stop rather than spin
                break
            free = left
        how = "incremental"
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return how
