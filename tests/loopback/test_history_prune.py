"""`fleetctl history prune` on a store of 120 days of synthetic runs, as a user runs it.

After `--keep 90d` nothing older than the cutoff is left but open episodes, the tables that say
what a camera is now are whole, and `history CAM` and `report --since 30d` still answer. A
kill -9 in the middle of a prune leaves a store that opens, passes ``integrity_check`` and
holds no result whose run is gone (each batch is one transaction).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import fleetctl
from support.history_fill import fill

from fleetctl.engine.history import HistoryStore

pytestmark = pytest.mark.timeout(240)
PRUNE_CMD = [sys.executable, "-m", "fleetctl", "-vv", "history", "prune", "--db"]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _count(db: str, sql: str, *params: object) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(sql, params).fetchone()[0])
    finally:
        con.close()


def _inventory(tmp_path: Path, cameras: int) -> Path:
    inv = tmp_path / "inv.yaml"
    rows = ", ".join(f"{{name: cam-{i:03d}, host: 127.0.0.{i + 2}}}" for i in range(cameras))
    inv.write_text(f"sites:\n  site-a:\n    cameras: [{rows}]\n", encoding="utf-8")
    return inv


async def test_prune_keeps_90_days_open_episodes_and_last_known(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    now = _now()
    fill(db, now)
    cutoff = (now - timedelta(days=90)).isoformat().replace("+00:00", "Z")
    before = {
        t: _count(db, f"SELECT count(*) FROM {t}") for t in ("latest", "devices", "memory", "facts")
    }
    assert _count(db, "SELECT count(*) FROM results WHERE checked_at < ?", cutoff) > 0
    with HistoryStore(db) as store:
        kept_timeline = [e for e in store.timeline("cam-002") if e.at >= now - timedelta(days=30)]

    code, out, err = await fleetctl(
        "history", "prune", "--db", db, "--keep", "90d", "-f", "json", home=tmp_path
    )
    assert code == 0, err
    got = json.loads(out)
    assert got["removed"]["runs"] > 0 and got["removed"]["results"] > 0
    assert got["removed"]["episodes"] == 1  # cam-001's, resolved 100 days ago
    assert got["size_before"] > 0 and got["size_after"] > 0
    assert "removed" in err and "MiB" in err

    assert _count(db, "SELECT count(*) FROM results WHERE checked_at < ?", cutoff) == 0
    assert _count(db, "SELECT count(*) FROM runs WHERE started < ?", cutoff) == 0
    assert _count(db, "SELECT count(*) FROM results WHERE run_id NOT IN (SELECT id FROM runs)") == 0
    assert _count(db, "SELECT count(*) FROM results WHERE checked_at >= ?", cutoff) > 0
    # The open episode, begun 110 days ago, keeps its first sighting: "since when" survives.
    assert (
        _count(
            db,
            "SELECT count(*) FROM episodes WHERE camera = 'cam-000' AND resolved IS NULL"
            " AND first_seen < ?",
            cutoff,
        )
        == 1
    )
    assert _count(db, "SELECT count(*) FROM episodes WHERE camera = 'cam-002'") == 1
    assert _count(db, "SELECT count(*) FROM episodes WHERE camera = 'cam-001'") == 0
    for table, n in before.items():
        assert _count(db, f"SELECT count(*) FROM {table}") == n, table
    assert _count(db, "PRAGMA auto_vacuum") == 2  # a new store: freed pages go back at once

    with HistoryStore(db) as store:
        after = [e for e in store.timeline("cam-002") if e.at >= now - timedelta(days=30)]
    assert after == kept_timeline

    code, out, err = await fleetctl("history", "cam-000", "--db", db, "-f", "json", home=tmp_path)
    assert code == 0, err
    events = json.loads(out)["timeline"]
    began = [e for e in events if e["event"] == "problem" and e["kind"] == "offline"]
    assert began and began[0]["at"] < cutoff

    inv = _inventory(tmp_path, 6)
    code, out, err = await fleetctl(
        "report", "-i", str(inv), "--db", db, "--since", "30d", "-f", "json", home=tmp_path
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["fleet"]["cameras"] == 6
    assert report["fleet"]["availability"] is not None
    still = {p["camera"]: p["since"] for p in report["problems"]["open"]}
    assert still["cam-000"] < cutoff  # the open episode's first sighting, before the cutoff


async def test_prune_again_removes_nothing_and_vacuum_shrinks(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    fill(db, _now())
    con = sqlite3.connect(db)  # an older store: made before incremental vacuum was on
    con.execute("PRAGMA auto_vacuum=NONE")
    con.execute("VACUUM")
    con.close()
    code, out, err = await fleetctl(
        "history", "prune", "--db", db, "--keep", "12w", "-f", "json", home=tmp_path
    )
    assert code == 0, err
    first = json.loads(out)
    assert first["vacuum"] == "none" and first["removed"]["runs"] > 0
    code, out, err = await fleetctl(
        "history", "prune", "--db", db, "--keep", "12w", "--vacuum", "-f", "json", home=tmp_path
    )
    assert code == 0, err
    second = json.loads(out)
    assert second["removed"] == {"runs": 0, "results": 0, "episodes": 0}
    assert second["vacuum"] == "full"
    assert second["size_after"] < first["size_after"]
    assert _count(db, "PRAGMA auto_vacuum") == 2


async def test_prune_usage_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    fill(db, _now(), days=2)
    for args in (("prune",), ("prune", "--keep", "90"), ("cam-000", "--keep", "90d")):
        code, _out, err = await fleetctl("history", *args, "--db", db, home=tmp_path)
        assert code == 64, (args, err)
        assert "--keep" in err


def test_kill_9_mid_prune_leaves_a_consistent_store(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    now = _now()
    fill(db, now, cameras=20, every=timedelta(hours=2))
    runs = _count(db, "SELECT count(*) FROM runs")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    # -vv: one debug line per batch on stderr; --batch 20: one run per transaction.
    proc = subprocess.Popen(
        [*PRUNE_CMD, db, "--keep", "30d", "--batch", "20"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        if b"batch of" in line:
            seen += 1
            if seen == 3:  # three committed, the next ones under way
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert seen == 3
    assert proc.returncode == -signal.SIGKILL

    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        left = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        orphans = con.execute(
            "SELECT count(*) FROM results WHERE run_id NOT IN (SELECT id FROM runs)"
        ).fetchone()[0]
        partial = con.execute(
            "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM results WHERE run_id = r.id)"
            " != r.total"
        ).fetchone()[0]
    finally:
        con.close()
    assert 0 < runs - left < runs  # some old runs gone, the newest kept
    assert orphans == 0 and partial == 0  # whole runs went, or none of them
    with HistoryStore(db) as store:  # opens as fleetctl opens it
        assert store.timeline("cam-000")
    code = subprocess.run(
        [sys.executable, "-m", "fleetctl", "history", "prune", "--db", db, "--keep", "30d"],
        env=env,
        capture_output=True,
        timeout=120,
    ).returncode
    assert code == 0  # the next prune finishes the work
    assert _count(db, "SELECT count(*) FROM results WHERE run_id NOT IN (SELECT id FROM runs)") == 0
