"""What a kill-safe password rotation costs, next to a plain settings push on the same fleet.

    python benchmarks/bench_push_rotate.py                  # 200 cameras
    python benchmarks/bench_push_rotate.py --cameras 50     # quicker

Baseline: `fleetctl push` of one DNS setting (per camera: read, one SetDNS, read back). Against
it: `fleetctl push` with `users: {rotate: [sim]}` (per camera: read, journal intent, GetUsers,
SetUser, one login with the new password and one with the old, plus the secrets file written
twice for the whole fleet). Both against the same `fleetctl sim` in its own process, each push
in a child process: wall time, CPU seconds and peak RSS are that process's own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_check import Measure, run_measured


def start_sim(cameras: int, workdir: Path) -> tuple[subprocess.Popen[str], Path]:
    inventory = workdir / "sim.yaml"
    for block in range(20, 30):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fleetctl",
                "sim",
                "--cameras",
                str(cameras),
                "--faults",
                "none",
                "--seed",
                "7",
                "--recorders",
                "0",
                "--no-discovery",
                "--block",
                str(block),
                "--write-inventory",
                str(inventory),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, COLUMNS="200"),
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if "stops the fleet" in line:
                return proc, inventory
        proc.wait()  # address block taken: try the next one
    raise RuntimeError("fleetctl sim did not start")


def push(
    label: str, inventory: Path, profile: str, workdir: Path
) -> tuple[Measure, dict[str, object]]:
    prof = workdir / f"{label.split()[0]}.yaml"
    prof.write_text(profile)
    env = {k: v for k, v in os.environ.items() if k != "FLEETCTL_SECRETS"}
    m, out = run_measured(
        label,
        [
            sys.executable,
            "-m",
            "fleetctl",
            "push",
            "-i",
            str(inventory),
            "--profile",
            str(prof),
            "--journal",
            str(workdir / "journal.sqlite"),
            "--format",
            "json",
            "--yes",
            "--timeout",
            "10",
            "--concurrency",
            "32",
        ],
        env,
    )
    return m, json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", type=int, default=200)
    n = ap.parse_args().cameras
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sim, inventory = start_sim(n, workdir)
        try:
            base, b = push(
                "baseline: DNS push", inventory, "dns: {servers: [127.0.0.53]}\n", workdir
            )
            rot, r = push("rotation push", inventory, "users: {rotate: [sim]}\n", workdir)
        finally:
            sim.terminate()
            sim.wait(timeout=30)
    print(
        f"== {n} simulated cameras, concurrency 32, sim in its own process; load {os.getloadavg()[0]:.1f}"
    )
    for m, rep in ((base, b), (rot, r)):
        print(
            f"{m.label:22} wall {m.wall_s:6.2f} s  cpu {m.cpu_s:6.2f} s  rss {m.rss_mb:5.0f} MB  "
            f"{m.wall_s / n * 1000:6.1f} ms/camera wall  summary {rep['summary']}  rotations {rep.get('rotations')}"
        )
    print(
        f"rotation / baseline: wall x{rot.wall_s / base.wall_s:.2f}, cpu x{rot.cpu_s / base.cpu_s:.2f}"
    )


if __name__ == "__main__":
    main()
