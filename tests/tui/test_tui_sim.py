"""The TUI on the real engine against the real simulator: real sockets on 127.16.x.y.

What an operator sees for injected faults, and a mutating action that really changes a device.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fleetctl.engine.actions import EngineActions
from fleetctl.engine.check.runner import CheckOptions
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.fleet import SimFleet
from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.camera import CameraScreen
from fleetctl.tui.screens.confirm import ConfirmScreen
from fleetctl.tui.source import EngineSource
from fleetctl.tui.widgets.fleet_table import FleetTable
from fleetctl.tui.widgets.header import FleetHeader

# The default deadline: a shorter one turns a loaded CI box into "slow camera" verdicts.
OPTIONS = CheckOptions(timeout_s=10.0, stream_window_s=0.5)
MakeFleet = Callable[..., Awaitable[SimFleet]]


async def start(make_fleet: MakeFleet, tmp_path: Path, faults: str) -> tuple[SimFleet, FleetApp]:
    fleet = await make_fleet(cameras=6, faults=faults, seed=5, ssh=False)
    inventory, _secrets = fleet.write_inventory(tmp_path / "sim.yaml")
    workspace = load_workspace(str(inventory))
    history = HistoryStore(str(tmp_path / "history.sqlite"))
    source = EngineSource(workspace, OPTIONS, history)
    app = FleetApp(
        workspace.inventory.cameras,
        source,
        interval=0,
        actions=EngineActions(workspace, timeout_s=10.0),
        timeline=source.timeline,
    )
    return fleet, app


def rows(app: FleetApp) -> dict[str, list[str]]:
    table = app.screen.query_one(FleetTable)
    return {table.row_text(i)[1]: table.row_text(i) for i in range(len(app.model.visible))}


async def test_faults_of_a_live_fleet_show_worst_first(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app = await start(make_fleet, tmp_path, "clock_drift=1,wrong_credentials=1")
    faulty = fleet.injected
    assert len(faulty) == 2
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        seen = rows(app)
        assert len(seen) == 6
        top = [app.screen.query_one(FleetTable).row_text(i)[1] for i in range(2)]
        assert set(top) == set(faulty), [(r[1], r[3], r[4]) for r in seen.values()]  # worst first
        for name, faults in faulty.items():
            status, problem = seen[name][3], seen[name][4]
            assert status == "crit", (name, faults, seen[name])
            if "clock_drift" in faults:
                assert "clock" in problem.lower()
            else:
                assert seen[name][6] == "—"  # model unread: rejected credentials, never invented
        healthy = [r for n, r in seen.items() if n not in faulty]
        assert all(r[3] == "ok" and r[9] != "—" for r in healthy), healthy  # fps measured
        header = str(app.screen.query_one(FleetHeader).render())
        assert "4 ok" in header and "2 crit" in header and "last sweep" in header


async def test_sync_time_from_the_camera_view_fixes_the_clock(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app = await start(make_fleet, tmp_path, "clock_drift=1")
    (name,) = fleet.injected
    device = fleet.by_name(name)
    assert abs(device.clock_offset_s) > 300
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert rows(app)[name][3] == "crit"
        assert app.screen.query_one(FleetTable).current == name  # worst first: the cursor is on it
        await pilot.press("enter")
        assert isinstance(app.screen, CameraScreen)
        await pilot.press("t")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Sync time 1 camera?"
        await pilot.press("y")
        await app.workers.wait_for_complete()  # the action, then the check it triggers
        await pilot.pause()
        assert device.counters.writes["SetSystemDateAndTime"] == 1
        assert abs(device.now() - time.time()) < 5
        assert app.model.reports[name].status.value == "ok"
        assert any("sync time: 1 ok, 0 failed" in n.message for n in app._notifications)


async def test_reboot_from_the_fleet_view_is_confirmed_and_proven(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet = await make_fleet(cameras=2, faults="none", seed=5, ssh=False, reboot_s=0.5)
    inventory, _secrets = fleet.write_inventory(tmp_path / "sim.yaml")
    workspace = load_workspace(str(inventory))
    source = EngineSource(workspace, OPTIONS, None)
    app = FleetApp(
        workspace.inventory.cameras,
        source,
        interval=0,
        actions=EngineActions(workspace, timeout_s=10.0),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        name = app.screen.query_one(FleetTable).current
        assert name is not None
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen) and app.screen.question == "Reboot 1 camera?"
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert fleet.by_name(name).counters.reboots == 1
        assert sum(c.counters.reboots for c in fleet.cameras) == 1  # only the one asked for
        assert any("reboot: 1 ok, 0 failed" in n.message for n in app._notifications)
