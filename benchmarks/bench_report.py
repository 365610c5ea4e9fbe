"""`fleetctl report` on a month of history: time and peak RSS, against a named baseline.

    .venv/bin/python benchmarks/bench_report.py [--cameras 500] [--days 30] [--interval 300]

Builds a synthetic history store (default: 500 cameras on 10 sites, a check every 5 minutes for
30 days = 4.3 million results; most cameras ok, some flapping, some down for hours, some
drifting), kept in the temp dir between runs (``--fresh`` rebuilds it). Then, each in its own
process (so peak RSS is that variant's alone):

- ``report``: what `fleetctl report --since 30d` does: ``engine.report.make_report`` (the window's
  results streamed once in primary-key order, status runs made on the way), then the HTML page
  with its three charts, then the PDF.
- baseline ``naive per-camera``: one query per camera fetching every check in the window into
  Python, runs made there (``core.report.availability.runs_from_samples``), the same arithmetic.

Both must give the same fleet numbers; the figures are printed, nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

END = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


def _ts(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


def build_db(path: Path, cameras: int, days: int, interval: int) -> None:
    """A history store as `serve` would leave it (same schema, written with executemany)."""
    from fleetctl.engine.history import HistoryStore

    HistoryStore(str(path)).close()  # the schema
    import sqlite3

    rng = random.Random(7)
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    names = [f"s{i % 10:02d}-cam-{i:04d}" for i in range(cameras)]
    facts = [
        json.dumps({"manufacturer": "HIKVISION", "model": "DS-2CD2143G2-I", "firmware": fw,
                    "storage": [{"name": "SD1", "state": st, "recording": st == "ok"}]}, sort_keys=True)
        for fw in ("V5.7.3", "V5.5.800") for st in ("ok", "failed")
    ]  # fmt: skip
    db.executemany("INSERT INTO facts (id, body) VALUES (?, ?)", list(enumerate(facts, 1)))
    # Behaviour per camera: 0 ok, 1 flapping, 2 long outages, 3 drifting clock (warn).
    kind = [0 if rng.random() < 0.9 else rng.choice((1, 2, 3)) for _ in names]
    outage = {i: [] for i in range(cameras)}
    for i, k in enumerate(kind):
        if k == 2:
            for _ in range(3):
                start = rng.uniform(0, days * 86400)
                outage[i].append((start, start + rng.uniform(3600, 12 * 3600)))
    start = END - timedelta(days=days)
    runs = days * 86400 // interval
    db.execute("BEGIN")
    for r in range(runs):
        t = start + timedelta(seconds=r * interval)
        at = _ts(t)
        offset = r * interval
        counts = {"ok": 0, "warn": 0, "crit": 0, "unknown": 0}
        rows = []
        for i, name in enumerate(names):
            k = kind[i]
            status = "ok"
            if (k == 1 and rng.random() < 0.3) or (
                k == 2 and any(a <= offset < b for a, b in outage[i])
            ):
                status = "crit"
            elif k == 3:
                status = "warn"
            counts[status] += 1
            clock = rng.gauss(0, 0.5) if k != 3 else 40.0 + offset / 86400
            rows.append((r + 1, name, at, status, "[]", clock, 1 + (i % 2) * 2 + (i % 97 == 0)))
        db.execute(
            "INSERT INTO runs (id, started, duration_s, version, total, ok, warn, crit, unknown)"
            " VALUES (?, ?, 6.0, '0.1.0', ?, ?, ?, ?, ?)",
            (r + 1, at, cameras, counts["ok"], counts["warn"], counts["crit"], counts["unknown"]),
        )
        db.executemany(
            "INSERT INTO results (run_id, camera, checked_at, status, problems, clock_offset_s,"
            " facts_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    for i, name in enumerate(names):
        for a, b in outage[i]:
            db.execute(
                "INSERT INTO episodes (camera, kind, class, severity, message, first_seen, last_seen,"
                " resolved) VALUES (?, 'offline', 'offline:no answer', 'crit', 'no answer', ?, ?, ?)",
                (name, _ts(start + timedelta(seconds=a)), _ts(start + timedelta(seconds=b)),
                 _ts(start + timedelta(seconds=b + interval))),
            )  # fmt: skip
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def _cameras(n: int) -> list[object]:
    from fleetctl.core.models import Camera

    return [
        Camera(name=f"s{i % 10:02d}-cam-{i:04d}", host="127.0.0.1", site=f"xa-{i % 10:02d}")
        for i in range(n)
    ]


def variant_report(db: str, n: int, days: int, out: str) -> dict[str, float]:
    from fleetctl.cli.render.report_html import render_html
    from fleetctl.cli.run.report import write_pdf
    from fleetctl.engine.history import HistoryStore
    from fleetctl.engine.report import make_report

    t0 = time.perf_counter()
    with HistoryStore(db) as store:
        rep = make_report(store, _cameras(n), END - timedelta(days=days), END, tz=UTC, now=END)  # type: ignore[arg-type]
    t1 = time.perf_counter()
    html = render_html(rep, UTC)
    t2 = time.perf_counter()
    write_pdf(html, out)
    t3 = time.perf_counter()
    return {"numbers_s": t1 - t0, "html_s": t2 - t1, "pdf_s": t3 - t2,
            "availability": rep.fleet.seconds.availability or 0.0, "down_s": rep.fleet.seconds.down}  # fmt: skip


def variant_naive(db: str, n: int, days: int, out: str) -> dict[str, float]:
    from fleetctl.core.models import Status
    from fleetctl.core.report.availability import runs_from_samples
    from fleetctl.core.report.build import build_report
    from fleetctl.core.report.model import CameraHistory
    from fleetctl.engine.history import HistoryStore
    from fleetctl.engine.report import choose_hold, load_facts

    t0 = time.perf_counter()
    start = END - timedelta(days=days)
    cams = _cameras(n)
    with HistoryStore(db) as store:
        hold = choose_hold(store, start, END)
        histories = []
        for cam in cams:
            name = cam.name  # type: ignore[attr-defined]
            rows = store.read(
                "SELECT checked_at, status FROM results WHERE camera = ? AND checked_at >= ?"
                " AND checked_at <= ? ORDER BY run_id",
                (name, _ts(start - timedelta(seconds=hold)), _ts(END)),
            )
            samples = [
                (datetime.fromisoformat(a.replace("Z", "+00:00")), Status(s)) for a, s in rows
            ]
            first = store.read("SELECT min(checked_at) FROM results WHERE camera = ?", (name,))[0][
                0
            ]
            first_seen = datetime.fromisoformat(first.replace("Z", "+00:00")) if first else None
            runs = tuple(runs_from_samples(samples, hold))
            histories.append(CameraHistory(name, cam.site, first_seen, runs, None))  # type: ignore[attr-defined]
        # the newest facts and the episodes exactly as fleetctl reads them: only the runs differ
        loaded, episodes = load_facts(store, cams, start, END)  # type: ignore[arg-type]
        histories = [replace(h, last=f.last) for h, f in zip(histories, loaded, strict=True)]
    rep = build_report(histories, episodes, start, END, hold_s=hold, generated=END, tz=UTC)
    t1 = time.perf_counter()
    return {"numbers_s": t1 - t0, "availability": rep.fleet.seconds.availability or 0.0,
            "down_s": rep.fleet.seconds.down}  # fmt: skip


def child(args: argparse.Namespace) -> None:
    fn = variant_report if args.child == "report" else variant_naive
    res = fn(args.db, args.cameras, args.days, args.out)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    res["peak_rss_mib"] = usage.ru_maxrss / 1024
    res["cpu_s"] = usage.ru_utime + usage.ru_stime  # meaningful on a busy machine, unlike wall time
    print(json.dumps(res))


def run_child(name: str, db: Path, args: argparse.Namespace, out: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", name, "--db", str(db), "--cameras", str(args.cameras),
           "--days", str(args.days), "--out", str(out)]  # fmt: skip
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    res: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    res["process_s"] = time.perf_counter() - t
    return res


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--cameras", type=int, default=500)
    p.add_argument("--days", type=int, default=30)
    p.add_argument(
        "--interval", type=int, default=300, help="seconds between checks (serve's --interval)"
    )
    p.add_argument("--fresh", action="store_true", help="rebuild the synthetic history")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return
    db = (
        Path(tempfile.gettempdir())
        / f"fleetctl-bench-report-{args.cameras}c-{args.days}d-{args.interval}s.sqlite"
    )
    if args.fresh or not db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        t = time.perf_counter()
        build_db(db, args.cameras, args.days, args.interval)
        print(
            f"built {db} in {time.perf_counter() - t:.1f} s ({db.stat().st_size / 2**20:.0f} MiB)"
        )
    import sqlite3

    rows = sqlite3.connect(str(db)).execute("SELECT count(*) FROM results").fetchone()[0]
    print(
        f"history: {args.cameras} cameras, {args.days} days, a check every {args.interval} s: {rows:,} results"
    )
    with tempfile.TemporaryDirectory() as tmp:
        naive = run_child("naive", db, args, Path(tmp) / "n.pdf")
        ours = run_child("report", db, args, Path(tmp) / "r.pdf")
    same = (
        abs(naive["availability"] - ours["availability"]) < 1e-9
        and abs(naive["down_s"] - ours["down_s"]) < 1e-6
    )
    print(
        f"{'variant (wall s but CPU s)':<34}{'numbers s':>10}{'html s':>8}{'pdf s':>8}{'process s':>11}{'CPU s':>8}{'peak RSS MiB':>14}"
    )
    print(f"{'baseline: naive per-camera rows':<34}{naive['numbers_s']:>10.2f}{'':>8}{'':>8}"
          f"{naive['process_s']:>11.2f}{naive['cpu_s']:>8.2f}{naive['peak_rss_mib']:>14.0f}")  # fmt: skip
    print(f"{'fleetctl report (one pass)':<34}{ours['numbers_s']:>10.2f}{ours['html_s']:>8.2f}"
          f"{ours['pdf_s']:>8.2f}{ours['process_s']:>11.2f}{ours['cpu_s']:>8.2f}{ours['peak_rss_mib']:>14.0f}")  # fmt: skip
    print(f"fleet availability {100 * ours['availability']:.3f} %; both variants agree: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("FLEETCTL_LANG", "en")
    main()
