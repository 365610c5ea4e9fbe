"""`serve --history-keep`: the daily prune runs in a thread (never on the event loop), says what
it removed in one line, ends with a stop; `serve` as a user starts it prunes a 120-day store."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.history_fill import fill

from fleetctl.engine.retention import PruneResult, prune
from fleetctl.engine.serve.retention import DailyPrune

pytestmark = pytest.mark.timeout(240)


def _old_results(db: str, days: int) -> int:
    cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat().replace("+00:00", "Z")
    con = sqlite3.connect(db)
    try:
        return int(
            con.execute("SELECT count(*) FROM results WHERE checked_at < ?", (cutoff,)).fetchone()[
                0
            ]
        )
    finally:
        con.close()


async def test_daily_prune_runs_off_the_loop_and_stops(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    fill(db, datetime.now(UTC))
    loop_thread = threading.get_ident()
    threads: list[int] = []
    done: list[PruneResult] = []
    finished = asyncio.Event()

    def pruner(path: str, keep: timedelta, **kw: Any) -> PruneResult:
        threads.append(threading.get_ident())
        return prune(path, keep, **kw)

    def on_done(result: PruneResult) -> None:
        done.append(result)
        finished.set()

    daily = DailyPrune(db, timedelta(days=90), pruner=pruner, on_done=on_done)
    stop = asyncio.Event()
    task = asyncio.create_task(daily.run(stop))
    await asyncio.wait_for(finished.wait(), 60)
    assert threads and loop_thread not in threads
    assert done[0].results > 0 and _old_results(db, 90) == 0
    assert "removed" in done[0].summary(db)
    stop.set()
    await asyncio.wait_for(task, 30)  # the day's wait ends with the stop
    assert len(done) == 1  # once, not again until tomorrow


async def test_daily_prune_failure_is_logged_not_raised(tmp_path: Path) -> None:
    daily = DailyPrune(str(tmp_path / "missing.sqlite"), timedelta(days=90))
    assert await daily.run_once() is None


async def test_serve_prunes_at_start(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    fill(db, datetime.now(UTC), cameras=3)
    assert _old_results(db, 30) > 0
    inv = tmp_path / "inv.yaml"  # unused loopback addresses: cameras that do not answer
    inv.write_text(
        "sites:\n  a:\n    cameras: [{name: cam-000, host: 127.213.0.2}]\n", encoding="utf-8"
    )
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        "serve",
        "-i",
        str(inv),
        "--db",
        db,
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "1h",
        "--history-keep",
        "30d",
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        while True:
            line = (await asyncio.wait_for(proc.stderr.readline(), 120)).decode()
            assert line, "serve ended: " + "".join(lines)
            lines.append(line)
            if "removed" in line:
                break
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    assert line.startswith("fleetctl serve: history ") and line.count("\n") == 1
    assert _old_results(db, 30) == 0


async def test_serve_refuses_a_bad_keep(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        "serve",
        "-i",
        str(tmp_path / "none.yaml"),
        "--history-keep",
        "3y",
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    _out, err = await proc.communicate()
    assert proc.returncode == 64 and b"--history-keep" in err
