"""`fleetctl serve` at district scale and over time.

    python benchmarks/bench_serve.py --cameras 10000 --interval 60 --cycles 2      # scale
    python benchmarks/bench_serve.py --cameras 500 --interval 5 --minutes 10       # soak

Starts `fleetctl sim` (its own process, so CPU is attributable) and `fleetctl serve` on its
inventory, then samples serve's CPU time and RSS (from /proc) every few seconds, scrapes /metrics
and times it. Prints: CPU share of one core and of the machine, RSS at each sample (flat memory is
the soak's pass criterion: growth after the first cycle is printed), scrape size and time.
Baseline named in the output: the first complete cycle's RSS, against which later samples are
compared.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_check import SimGroup  # benchmarks/ is on sys.path when run as a script

TICK = os.sysconf("SC_CLK_TCK")


def proc_stats(pid: int) -> tuple[float, float]:
    """(cpu seconds self+children, rss MiB) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = sum(int(x) for x in fields[11:15]) / TICK
    rss = (
        next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS")
        )
        / 1024
    )
    return cpu, rss


def wait_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit(f"process exited before printing {needle!r}")
        if needle in line:
            return line
    raise SystemExit(f"timed out waiting for {needle!r}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--cycles", type=int, default=3, help="cycles to run (scale mode)")
    ap.add_argument("--minutes", type=float, default=0.0, help="soak duration (overrides --cycles)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    # The fleet: `fleetctl sim` processes of at most 5,000 cameras each (bench_check's SimGroup).
    t0 = time.monotonic()
    group = SimGroup(args.cameras, 1, tmp).__enter__()
    print(f"sim: {args.cameras} cameras ready in {time.monotonic() - t0:.1f} s")
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fleetctl",
            "serve",
            "-i",
            str(group.folder),
            "--secrets",
            str(group.secrets),
            "--interval",
            f"{args.interval}s",
            "--listen",
            "127.0.0.1:0",
            "--db",
            str(tmp / "h.sqlite"),
            "--flap-checks",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = wait_line(serve, "listening on", 120)
        base = re.search(r"http://\S+?(?=/metrics)", line).group(0)  # type: ignore[union-attr]
        duration = args.minutes * 60 if args.minutes else args.cycles * args.interval
        start_cpu, _ = proc_stats(serve.pid)
        started = time.monotonic()
        baseline_rss = None
        print(
            f"{'t(s)':>6} {'cpu%1core':>9} {'rss MiB':>8} {'scrape KiB':>10} {'scrape ms':>9} {'cycles':>6}"
        )
        last_cpu, last_t = start_cpu, started
        while time.monotonic() - started < duration:
            time.sleep(max(2.0, args.interval / 2))
            cpu, rss = proc_stats(serve.pid)
            now = time.monotonic()
            s0 = time.perf_counter()
            body = urllib.request.urlopen(base + "/metrics", timeout=60).read()
            scrape_ms = (time.perf_counter() - s0) * 1000
            cycles = int(float(re.search(rb"^fleetctl_cycles_total (\S+)", body, re.M).group(1)))  # type: ignore[union-attr]
            share = (cpu - last_cpu) / (now - last_t) * 100
            last_cpu, last_t = cpu, now
            if cycles >= 1 and baseline_rss is None:
                baseline_rss = rss
            print(
                f"{now - started:6.0f} {share:9.1f} {rss:8.1f} {len(body) / 1024:10.0f} {scrape_ms:9.0f} {cycles:6d}",
                flush=True,
            )
        cpu, rss = proc_stats(serve.pid)
        wall = time.monotonic() - started
        print(f"\nserve, {args.cameras} cameras every {args.interval:g} s over {wall:.0f} s:")
        print(
            f"  CPU: {cpu - start_cpu:.1f} s = {100 * (cpu - start_cpu) / wall:.1f}% of one core, "
            f"{50 * (cpu - start_cpu) / wall:.1f}% of this 2-core machine"
        )
        if baseline_rss is not None:
            print(
                f"  RSS: {rss:.0f} MiB now vs {baseline_rss:.0f} MiB after the first cycle (baseline): "
                f"{rss - baseline_rss:+.1f} MiB"
            )
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            serve.kill()
        print(f"  serve exit status on SIGTERM: {serve.returncode}")
        group.__exit__()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
