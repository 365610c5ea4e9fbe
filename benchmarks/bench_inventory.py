"""Inventory at fleet scale: load, select, upsert. Prints figures; asserts nothing.

    /tmp/venv/bin/python benchmarks/bench_inventory.py [N_CAMERAS ...]     (default: 500 10000)

Baseline, named ``rt path``: the loader as it was before the fast path, ruamel.yaml's pure-Python
round-trip loader + schema + inheritance (``check_documents(..., fast=False)``, the same code the
fast path falls back to). ``fast path``: ``load_inventory`` as every command calls it (libyaml C
parser, core/inventory/fastyaml.py). Also shown for scale: ruamel's C safe loader alone (parsing
without line numbers, validation or inheritance).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

from fleetctl.core.inventory.load import check_documents, load_inventory
from fleetctl.core.inventory.writer import upsert_camera
from fleetctl.core.selection import parse_selection


def make_inventory(n: int) -> str:
    lines = ["defaults: {credentials: district}", "sites:"]
    per_site = 50
    for s in range((n + per_site - 1) // per_site):
        lines += [f"  xã-{s:03}:", f"    ranges: [10.{s // 250}.{s % 250}.0/24]", "    cameras:"]
        for c in range(min(per_site, n - s * per_site)):
            lines += [
                f"      - name: cam-{s:03}-{c:02}   # cột {c}",
                f"        host: 10.{s // 250}.{s % 250}.{c + 10}",
                f"        tags: [{'market' if c % 3 else 'school'}, hik]",
                f'        location: "Chợ Đông Tiến, cổng {c}"',
            ]
    return "\n".join(lines) + "\n"


def timed(fn: Callable[[], object], runs: int = 3) -> float:
    """Median wall time of ``runs`` calls, in seconds."""
    return timed_cpu(fn, runs)[0]


def timed_cpu(fn: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``runs`` calls: CPU time stays meaningful on a busy box."""
    walls, cpus = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [500, 10_000]
    for n in sizes:
        bench(n)


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fleet.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(make_inventory(n))
        from ruamel.yaml import YAML

        with open(path, "rb") as fh:
            data = fh.read()
        # The round-trip path is ~20 s at 10,000 cameras: once is enough there.
        slow_runs = 3 if n <= 2000 else 1
        safe = timed(lambda: YAML(typ="safe", pure=False).load(data))
        rt, rt_cpu = timed_cpu(lambda: check_documents([(path, data)], fast=False), slow_runs)
        fast, fast_cpu = timed_cpu(lambda: load_inventory(path), runs=5)
        inv = load_inventory(path)
        assert check_documents([(path, data)], fast=False)[0] == inv  # same result both ways
        print(f"{n} cameras, {os.path.getsize(path) / 1e6:.1f} MB")
        print(
            f"  baseline: rt path (round-trip + schema):  {rt * 1000:8.0f} ms"
            f"  (CPU {rt_cpu * 1000:.0f} ms)"
        )
        print(
            f"  fast path: load_inventory (C parser):    {fast * 1000:8.0f} ms"
            f"  (CPU {fast_cpu * 1000:.0f} ms)  {rt / fast:.1f}x faster than the rt path"
        )
        print(f"  for scale: ruamel C safe load alone:      {safe * 1000:8.0f} ms")
        for expr in ("site:xa-001", "dong tien market", "host:10.0.0.0/16 !tag:school"):
            sel = parse_selection(expr)
            t = timed(lambda sel=sel: [c for c in inv.cameras if sel.matches(c)], runs=5)
            print(f"  select {expr!r:32} {t * 1000:7.1f} ms per pass over {n}")
        t = timed(
            lambda: upsert_camera(path, "xã-000", {"name": "cam-new", "host": "10.0.0.250"}), runs=1
        )
        print(f"  upsert_camera (add, validate, atomic write): {t * 1000:.0f} ms")


if __name__ == "__main__":
    main()
