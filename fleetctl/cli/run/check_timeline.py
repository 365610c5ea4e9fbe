"""Where a `fleetctl check` spends its wall time: a phase timeline logged at INFO (``-v``).

    INFO fleetctl.check: timeline (s): start-up 0.45 (0.40 CPU), inventory 0.10, ...

Start-up (the interpreter and the imports before ``run_check``) is read from /proc, so it counts
from the process's real start; elsewhere it shows as "?". A slow check is then explained
without a profiler, and ``benchmarks/bench_check.py`` prints the line for each run.
"""

from __future__ import annotations

import logging
import os
import time

log = logging.getLogger("fleetctl.check")


class Timeline:
    """Where a check's wall time goes, logged at INFO (``fleetctl -v check``): start-up, inventory,
    fork, probing, history, output. A slow check is then explained without a profiler."""

    def __init__(self) -> None:
        self.t0 = self.last = time.perf_counter()
        # The interpreter's start and the imports, before run_check: wall (Linux) and CPU.
        self.startup_s = _process_age_s()
        self.startup_cpu_s = time.process_time()
        self.phases: list[tuple[str, float]] = []

    def mark(self, name: str, *, then: tuple[str, float] | None = None) -> None:
        """End phase ``name`` now; ``then`` splits its last seconds off as a phase of their own."""
        now = time.perf_counter()
        secs = now - self.last
        if then is not None:
            self.phases += [(name, secs - then[1]), then]
        else:
            self.phases.append((name, secs))
        self.last = now

    def log(self) -> None:
        startup = "?" if self.startup_s is None else f"{self.startup_s:.2f}"
        parts = ", ".join(f"{name} {secs:.2f}" for name, secs in self.phases)
        total = self.last - self.t0 + (self.startup_s or 0.0)
        from fleetctl.base import aio

        log.info(
            "timeline (s): start-up %s (%.2f CPU), %s; total %.2f; loop %s",
            startup,
            self.startup_cpu_s,
            parts,
            total,
            aio.loop_name(),
        )


def _process_age_s() -> float | None:
    """Wall seconds since this process started (Linux: /proc), None where unknown."""
    try:
        with open("/proc/self/stat", encoding="utf-8", errors="replace") as fh:
            # Field 22 is the start time in clock ticks since boot; fields after "(comm)" count
            # from 3, and comm itself may hold spaces or parentheses.
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None
