"""The TUI's push screen on N simulated cameras vs the engine alone (the named baseline).

    /tmp/venv/bin/python benchmarks/bench_tui_push.py [--cameras 100]

Both runs push the same two-setting profile (DNS, NTP) to fresh simulated fleets in this
process. Printed: plan seconds (the TUI plans one camera per call so its progress bar moves;
the baseline is one ``plan_push`` over all of them) and apply seconds (the TUI posts a message
per outcome and updates its table). The difference is what the screen costs.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.runner import PushOptions, apply_push, plan_push
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.fleet import SimFleet
from fleetctl.tui.app import FleetApp
from fleetctl.tui.push_view import PushSetup
from fleetctl.tui.screens.push import PushScreen
from fleetctl.tui.source import ScriptedSource

PROFILE = "dns: {servers: [127.0.0.53]}\nntp: {servers: [127.0.0.123]}\n"
OPTIONS = PushOptions(timeout_s=20.0, concurrency=32, canary=1, max_fail_pct=0)


async def engine_alone(n: int, tmp: Path) -> tuple[float, float]:
    from fleetctl.core.push.profile import load_profile

    async with SimFleet(cameras=n, faults="none", seed=3, discovery=False, rtsp=False) as fleet:
        inv, _ = fleet.write_inventory(tmp / "base.yaml")
        (tmp / "p.yaml").write_text(PROFILE)
        ws, profile = load_workspace(str(inv)), load_profile(str(tmp / "p.yaml"))
        t0 = time.perf_counter()
        planned = await plan_push(ws.inventory.cameras, ws, profile, timeout_s=20.0, concurrency=32)
        t1 = time.perf_counter()
        journal = Journal(str(tmp / "base.sqlite"))
        report = await apply_push(planned, ws, profile, OPTIONS, journal)
        t2 = time.perf_counter()
        journal.close()
        assert report.summary["changed"] == n, report.summary
    return t1 - t0, t2 - t1


async def tui(n: int, tmp: Path) -> tuple[float, float]:
    async with SimFleet(cameras=n, faults="none", seed=3, discovery=False, rtsp=False) as fleet:
        inv, _ = fleet.write_inventory(tmp / "tui.yaml")
        (tmp / "profiles").mkdir(exist_ok=True)
        (tmp / "profiles" / "p.yaml").write_text(PROFILE)
        ws = load_workspace(str(inv))
        setup = PushSetup(
            ws, tmp / "profiles", str(tmp / "tui.sqlite"), timeout_s=20.0, concurrency=32
        )
        app = FleetApp(ws.inventory.cameras, ScriptedSource([]), interval=0, push=setup)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            screen = PushScreen([c.name for c in ws.inventory.cameras], 0, setup)
            await app.push_screen(screen)
            t0 = time.perf_counter()
            await pilot.press("enter")
            while screen.stage != "review":
                await pilot.pause()
            t1 = time.perf_counter()
            await pilot.press("p", "enter")
            while screen.stage != "done":
                await pilot.pause()
            await pilot.pause()
            t2 = time.perf_counter()
            assert list(screen.results().values()).count("changed") == n
    return t1 - t0, t2 - t1


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=100)
    n = ap.parse_args().cameras
    with tempfile.TemporaryDirectory() as d:
        base = await engine_alone(n, Path(d))
        mine = await tui(n, Path(d))
    print(f"{n} cameras, 2 settings each, canary 1, concurrency 32")
    print(f"  plan : engine alone {base[0]:6.2f} s   push screen {mine[0]:6.2f} s")
    print(f"  apply: engine alone {base[1]:6.2f} s   push screen {mine[1]:6.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
