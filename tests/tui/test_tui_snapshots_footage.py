"""A snapshot of the footage view with answers of every kind (pytest-textual-snapshot).

Deterministic by construction: the answers are fed to the view as the engine delivers them (no
camera is asked), the window is pinned (2026-12-06 21:00-21:30 in the sites' zone,
Asia/Ho_Chi_Minh) and so are the recorded ranges. Update after an intended change with
``pytest --snapshot-update`` and review the SVG in tests/tui/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.tui import fleet
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from fleetctl.adapters.secrets import SecretStore
from fleetctl.core.footage.coverage import Coverage, Span
from fleetctl.core.footage.model import CameraFootage
from fleetctl.core.models import Inventory, Site
from fleetctl.engine.workspace import Workspace
from fleetctl.tui.app import FleetApp
from fleetctl.tui.footage_view import FootageSetup
from fleetctl.tui.screens.footage import FootageScreen
from fleetctl.tui.source import ScriptedSource

pytest.importorskip("pytest_textual_snapshot", reason="pip install pytest-textual-snapshot")

SnapCompare = Callable[..., bool]
T0 = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)  # 21:00 in Vietnam
WIN = Span(T0, T0 + timedelta(minutes=30))
KEPT = (T0 - timedelta(days=6, hours=20), T0 + timedelta(hours=11))


def app() -> FleetApp:
    cams, reps = fleet()
    reps = [replace(r, problems=tuple(replace(p, since=None) for p in r.problems)) for r in reps]
    sites = (Site("dong-tien", tz="Asia/Ho_Chi_Minh"), Site("ha-trung", tz="Asia/Ho_Chi_Minh"))
    setup = FootageSetup(Workspace(Inventory(tuple(cams), sites, ()), SecretStore("")))
    return FleetApp(cams, ScriptedSource(reps), interval=0, footage=setup)


def answers() -> list[CameraFootage]:
    cut = (Span(T0 + timedelta(minutes=10), T0 + timedelta(minutes=22)),)
    return [
        CameraFootage("dt-cho-01", "dong-tien", Coverage.FULL, 1800.0, (), *KEPT, "onvif-events"),
        CameraFootage("dt-truong-02", "dong-tien", Coverage.PARTIAL, 1080.0, cut, *KEPT,
                      "onvif-events", None, 45.0),
        CameraFootage("dt-ubnd-03", "dong-tien", Coverage.NONE, 0.0, (WIN,),
                      KEPT[0] - timedelta(days=9), T0 - timedelta(days=2), "dahua-cgi"),
        CameraFootage("ht-den-02", "ha-trung", Coverage.UNKNOWN, None, (), None, None, "none",
                      "offline: [red]connection refused[/] on port 80"),
        CameraFootage("dt-cau-04", "dong-tien", Coverage.FULL, 1800.0, (), None, None,
                      "onvif-summary", "gaps unknown: the camera gave its recorded range only",
                      None, False),
    ]  # fmt: skip


async def answered(pilot: Pilot[Any]) -> None:
    fleet_app = pilot.app
    assert isinstance(fleet_app, FleetApp)
    await fleet_app.workers.wait_for_complete()
    await pilot.press("space", "space", "space", "space", "space", "f")  # the 5 worst first
    screen = fleet_app.screen
    assert isinstance(screen, FootageScreen)
    screen.query_one("#from", Input).value = "2026-12-06 21:00"
    screen.query_one("#to", Input).value = "2026-12-06 21:30"
    screen.windows = {name: WIN for name in screen.names}
    for line in answers():
        screen._arrived(line)
    screen._fill()
    table = screen.query_one(DataTable)
    table.focus()
    table.move_cursor(row=2)  # the partial one (full ones first), selected for export
    await pilot.press("space", "up")
    await pilot.pause()


def test_footage_view_with_every_answer(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=(150, 24), run_before=answered)
