"""`footage export -s`: clips of several cameras, --jobs 1 (baseline) against --jobs N, and a resume.

    .venv/bin/python benchmarks/bench_footage_batch.py                  # 6 cameras, 120 s each
    .venv/bin/python benchmarks/bench_footage_batch.py --cameras 4 --seconds 300 --jobs 2 4

A healthy simulated fleet (`fleetctl sim --faults none`) runs in its own process; this process
exports the same window of every camera (`engine.footage_batch.export_clips`, what the command
runs) into a fresh folder per contender, in the same run:

    baseline   --jobs 1: one camera after the other (a person exporting camera after camera
               from each camera's web page)
    fleetctl   --jobs N (2 is the command's default)
    resume     the last contender's folder again: every clip is complete, so each is only
               read and checked against its sidecar's SHA-256 (what a rerun after a kill costs
               for the cameras that were done)

and prints wall seconds, this process's CPU seconds, the simulator's CPU seconds (/proc: Linux),
the footage seconds exported per wall second and the megabytes written. On loopback the replay
runs as fast as both ends' CPU allows; on a real uplink the bytes per second of the link bound
it, and --jobs only shares the link.

Measured 2026-12-07 on the shared 2-core box (load 2.3), 6 cameras x 120 s (4 Mbit/s H.264):
  baseline  --jobs 1: wall 6.62 s, client CPU 3.55 s, sim CPU 0.36 s, 108.8 s of footage/s, 368.6 MB
  fleetctl  --jobs 2: wall 5.98 s, client CPU 3.44 s, sim CPU 0.34 s, 120.5 s of footage/s (1.11x)
  fleetctl  --jobs 4: wall 5.63 s, client CPU 3.60 s, sim CPU 0.35 s, 127.9 s of footage/s (1.18x)
  resume (all six complete): wall 0.32 s (368.6 MB read and hashed, nothing rewritten)
On loopback the client's CPU (demux, write, remux: ~5 ms per second of footage) is the bound,
so more jobs gain little here; the default of 2 is for a thin uplink, where each job waits on
the network, not the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetctl.core.footage.coverage import Span
from fleetctl.engine.footage_batch import BatchOptions, ClipRequest, export_clips
from fleetctl.engine.workspace import load_workspace


def sim_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sim(cameras: int, inventory: Path) -> subprocess.Popen[str]:
    for block in range(48, 56):
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "fleetctl", "sim", "--cameras", str(cameras),
                "--faults", "none", "--seed", "4", "--recorders", "0", "--no-discovery",
                "--block", str(block), "--write-inventory", str(inventory),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, COLUMNS="200"),
        )  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            if "stops the fleet" in line:
                return proc
        proc.wait()  # address block taken: the next one
    raise RuntimeError("fleetctl sim did not start")


async def one_run(
    inventory: Path, window: Span, out: Path, jobs: int, sim_pid: int
) -> dict[str, float | str]:
    ws = load_workspace(str(inventory))
    requests = [ClipRequest(c, window) for c in ws.inventory.cameras]
    cpu0, sim0, t0 = time.process_time(), sim_cpu_s(sim_pid), time.perf_counter()
    results = await export_clips(ws, requests, out, BatchOptions(jobs=jobs))
    wall = time.perf_counter() - t0
    footage = sum(r.duration_s or 0.0 for r in results)
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - cpu0,
        "sim_cpu_s": sim_cpu_s(sim_pid) - sim0,
        "footage_per_s": footage / wall,
        "mb": sum(p.stat().st_size for p in out.glob("*.mp4")) / 1e6,
        "outcomes": str(dict(sorted(Counter(r.outcome.value for r in results).items()))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--jobs", type=int, nargs="+", default=[2, 4])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "sim.yaml"
        sim = start_sim(args.cameras, inventory)
        try:
            # Ten minutes back: recorded on every healthy simulated card (reboots aside).
            end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
            window = Span(end - timedelta(seconds=args.seconds), end)
            runs = [("baseline (one at a time)", 1), *(("fleetctl", j) for j in args.jobs)]
            walls = {}
            for name, jobs in runs:
                out = Path(tmp) / f"jobs{jobs}"
                r = asyncio.run(one_run(inventory, window, out, jobs, sim.pid))
                walls[jobs] = float(r["wall_s"])
                print(f"{name:<26} --jobs {jobs}: wall {r['wall_s']:6.2f} s, client CPU "
                      f"{r['cpu_s']:5.2f} s, sim CPU {r['sim_cpu_s']:5.2f} s, "
                      f"{r['footage_per_s']:6.1f} s of footage/s, {r['mb']:.1f} MB {r['outcomes']}",
                      flush=True)  # fmt: skip
            last = args.jobs[-1] if args.jobs else 1
            r = asyncio.run(one_run(inventory, window, Path(tmp) / f"jobs{last}", last, sim.pid))
            print(f"{'resume (all complete)':<26} --jobs {last}: wall {r['wall_s']:6.2f} s, "
                  f"client CPU {r['cpu_s']:5.2f} s {r['outcomes']}")  # fmt: skip
            for jobs in args.jobs:
                print(f"speed-up --jobs {jobs} vs 1 (wall): {walls[1] / walls[jobs]:.2f}x")
        finally:
            sim.terminate()
            sim.wait(timeout=60)


if __name__ == "__main__":
    main()
