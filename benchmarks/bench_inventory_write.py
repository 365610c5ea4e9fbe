"""Onboarding's inventory writes at fleet scale: 20 new cameras into a 500- and a 10,000-camera file.

    /tmp/venv/bin/python benchmarks/bench_inventory_write.py [N_CAMERAS ...]   (default: 500 10000)
        [--new 20] [--baseline-calls K]

Baseline, named ``rt per camera``: the writer as it was before (commit 71e21e2^): one
``upsert_camera`` per camera, each a ruamel round-trip load + dump of the whole file, then the
loader's validation and an atomic write. It is what ``onboard`` did, one call per device. At
10,000 cameras that is ~50 s a call: only ``--baseline-calls`` calls (default 20 up to 2,000
cameras, else 2) are timed and the total is scaled to ``--new`` calls (printed as such);
``--baseline-calls 0`` skips both round-trip rows (minutes of CPU at 10,000 cameras).

Compared: ``rt batch`` (one round-trip upsert_cameras for all: the batch alone), ``fast per
camera`` (upsert_camera with the text append: what a script calling it in a loop gets),
``fast batch`` (one upsert_cameras), ``onboard group`` (``--new`` concurrent
engine.onboard.writes.write_camera calls, as onboarding's devices make them). Wall and CPU time
(the box is shared). The final bytes of the fast and round-trip ways are checked to be equal.
Prints figures; asserts only that equality.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from bench_inventory import make_inventory

from fleetctl.core.inventory import writer as inventory_writer
from fleetctl.core.inventory.writer import upsert_camera, upsert_cameras
from fleetctl.engine.onboard.writes import write_camera

SITE = "xã-003"


def new_cameras(n: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"onb-{i:03}",
            "host": f"10.250.0.{i + 10}",
            "credentials": f"onboard-{i:04x}",
            "tags": ["new"],
            "location": f"Cổng {i}, chợ mới",
        }
        for i in range(n)
    ]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def bench(n: int, new: int, baseline_calls: int, tmp: str) -> None:
    src = os.path.join(tmp, f"src-{n}.yaml")
    with open(src, "w", encoding="utf-8") as fh:
        fh.write(make_inventory(n))
    cams = new_cameras(new)

    def fresh(name: str) -> str:
        os.makedirs(os.path.join(tmp, name), exist_ok=True)
        path = os.path.join(tmp, name, "inv.yaml")
        shutil.copyfile(src, path)
        return path

    rows: list[tuple[str, float, float, str]] = []

    rt_batch = fresh("rt-batch")
    k = min(baseline_calls, new)
    if k:
        inventory_writer.FAST_APPEND = False
        base = fresh("baseline")
        wall, cpu = timed(lambda: [upsert_camera(base, SITE, c) for c in cams[:k]])
        note = "" if k == new else f"  (timed {k} calls, x{new / k:.0f})"
        rows.append(("baseline: rt per camera", wall * new / k, cpu * new / k, note))
        wall, cpu = timed(lambda: upsert_cameras(rt_batch, SITE, cams))
        rows.append(("rt batch (one upsert_cameras)", wall, cpu, ""))
        inventory_writer.FAST_APPEND = True

    per = fresh("fast-per")
    wall, cpu = timed(lambda: [upsert_camera(per, SITE, c) for c in cams])
    rows.append(("fast per camera (upsert_camera)", wall, cpu, ""))
    batch = fresh("fast-batch")
    wall, cpu = timed(lambda: upsert_cameras(batch, SITE, cams))
    rows.append(("fast batch (one upsert_cameras)", wall, cpu, ""))
    group = fresh("group")

    async def onboard_like() -> None:
        await asyncio.gather(*(write_camera(group, SITE, c) for c in cams))

    wall, cpu = timed(lambda: asyncio.run(onboard_like()))
    rows.append(("onboard group (concurrent write_camera)", wall, cpu, ""))

    with open(rt_batch, "rb") as a, open(batch, "rb") as b, open(per, "rb") as c:
        rt_bytes, fast_bytes, per_bytes = a.read(), b.read(), c.read()
    assert fast_bytes == per_bytes, "one batch and one call per camera disagree"
    assert not k or rt_bytes == fast_bytes, "fast path and round trip disagree"

    print(f"{new} new cameras into a {n}-camera file ({os.path.getsize(src) / 1e6:.1f} MB)")
    for label, wall, cpu, note in rows:
        ratio = f"{rows[0][1] / wall:6.1f}x" if k else ""
        print(f"  {label:42} {wall:8.2f} s  (CPU {cpu:7.2f} s)  {ratio}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[500, 10_000])
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--baseline-calls", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            calls = args.baseline_calls
            if calls is None:
                calls = args.new if n <= 2000 else 2
            bench(n, args.new, calls, tmp)


if __name__ == "__main__":
    main()
