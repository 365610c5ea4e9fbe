"""`fleetctl history prune --keep 90d` on 120 days of history: size before/after, time, and the
longest time a writer (`serve` recording a cycle) waits, against a named baseline.

    .venv/bin/python benchmarks/bench_history_prune.py [--cameras 500] [--days 120] [--interval 300]

The store is built as ``bench_report.build_db`` builds it (500 cameras, a check every 5 minutes:
17 million results for 120 days), kept in the temp dir between runs (``--fresh`` rebuilds), and
copied for each variant:

- ``prune``: ``engine.retention.prune`` (batches of ``BATCH_ROWS`` results, one transaction
  each, then the WAL checkpoint and incremental vacuum); the longest batch is the longest a
  writer waits.
- baseline ``one DELETE``: the same rows removed in one transaction, as a plain SQL DELETE
  would: a writer waits for all of it.

The figures are printed, nothing is asserted about speed. On the shared 2-core machine, under
load (2026-12-07): prune 8640 runs, 4,320,000 results, 15 episodes; 2050 MiB -> 1546 MiB
(incremental vacuum) in 130 s, longest batch 0.87 s; one DELETE: writers blocked 38.4 s.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_report import END, _ts, build_db

from fleetctl.engine.retention import prune, store_size

MiB = 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--interval", type=int, default=300)
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.gettempdir())
    src = tmp / f"fleetctl-bench-prune-{args.cameras}-{args.days}-{args.interval}.sqlite"
    if args.fresh or not src.exists():
        src.unlink(missing_ok=True)
        t = time.monotonic()
        build_db(src, args.cameras, args.days, args.interval)
        print(f"built {src} in {time.monotonic() - t:.0f} s")
    work = tmp / "fleetctl-bench-prune-work.sqlite"
    keep = timedelta(days=90)

    shutil.copyfile(src, work)
    longest = 0.0
    last = time.monotonic()

    def on_batch(_runs: int, _rows: int) -> None:
        nonlocal longest, last
        now = time.monotonic()
        longest = max(longest, now - last)
        last = now

    result = prune(str(work), keep, now=END, on_batch=on_batch)
    print(
        f"prune: {result.runs} runs, {result.results} results, {result.episodes} episodes removed;"
        f" {result.size_before / MiB:.0f} MiB -> {result.size_after / MiB:.0f} MiB"
        f" ({result.vacuum} vacuum) in {result.duration_s:.1f} s; longest batch {longest:.3f} s"
    )

    shutil.copyfile(src, work)
    for suffix in ("-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(str(work), isolation_level=None)
    t = time.monotonic()
    db.execute("BEGIN IMMEDIATE")
    cutoff = _ts(END - keep)
    db.execute(
        "DELETE FROM results WHERE run_id IN (SELECT id FROM runs WHERE started < ?)", (cutoff,)
    )
    db.execute("DELETE FROM runs WHERE started < ?", (cutoff,))
    db.execute("COMMIT")
    held = time.monotonic() - t
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(
        f"baseline one DELETE: writer blocked {held:.1f} s; file {store_size(str(work)) / MiB:.0f}"
        " MiB (no vacuum)"
    )
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
