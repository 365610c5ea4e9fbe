"""The TUI's `:firmware` rows with 10,000 cameras: what one recomputation costs.

    .venv/bin/python benchmarks/bench_tui_firmware.py [--cameras 10000] [--versions 12]

Prints the time of ``tui.firmware.fleet_summary`` (identities from the session's reports, the
shipped advisory table, a fleet policy) against the named baseline: `fleetctl firmware`'s own
``engine.firmware.summarise_fleet`` on the same identities. The view recomputes at most once a
second (``screens.firmware.REFRESH_S``): this figure is what that second costs the event loop.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from fleetctl.core.models import Camera, CameraReport, DeviceInfo, FirmwarePolicy, Status
from fleetctl.engine.firmware import shipped_rules, summarise_cameras
from fleetctl.tui.firmware import FirmwareContext, fleet_summary
from fleetctl.tui.state import FleetModel

SITES = ["dong-tien", "ha-trung", "quang-xuong", "nga-son", "tho-xuan", "yen-dinh", "vinh-loc"]


def timed(fn: Callable[[], object], runs: int = 15) -> float:
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=10_000)
    ap.add_argument("--versions", type=int, default=12)
    a = ap.parse_args()
    cams = [
        Camera(name=f"cam-{i:05}", host=f"127.253.{i // 250}.{i % 250 + 1}", site=SITES[i % 7])
        for i in range(a.cameras)
    ]
    firmware = [f"V5.{5 + v % 3}.{v} build 2{v % 3}0{1 + v % 9}15" for v in range(a.versions)]
    devices = {
        c.name: DeviceInfo("HIKVISION", "DS-2CD2143G2-I", firmware[i % a.versions])
        for i, c in enumerate(cams)
    }
    model = FleetModel(cams)
    model.apply(
        [CameraReport(c.name, c.site, c.host, Status.OK, device=devices[c.name]) for c in cams]
    )
    policy = FirmwarePolicy((("DS-2CD2*", "V5.7.0"),))
    policies: dict[str, FirmwarePolicy | None] = {s: policy for s in SITES}
    ctx = FirmwareContext(policies=policies)
    rules = shipped_rules()
    ours = timed(lambda: fleet_summary(model, ctx))
    base = timed(lambda: summarise_cameras(policies, cams, devices, rules))
    print(f"{a.cameras} cameras, {a.versions} firmware versions (median of 15 runs)")
    print(f"  tui fleet_summary (reports -> rows)       {ours:7.1f} ms")
    print(f"  baseline: engine summarise_cameras alone  {base:7.1f} ms")
    print(f"  at most once a second in the view: <= {ours / 10:.1f} % of one core")


if __name__ == "__main__":
    main()
