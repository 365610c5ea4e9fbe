"""Snapshots of the main screens (pytest-textual-snapshot): what the operator sees, pixel for cell.

Deterministic by construction: scripted results without "since" times, the last sweep pinned to
a fixed UTC time. Update after an intended change with ``pytest --snapshot-update`` and review
the SVGs in tests/tui/__snapshots__/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from support.tui import firmware_fleet, fleet
from textual.pilot import Pilot

from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.source import ScriptedSource
from fleetctl.tui.widgets.header import SweepProgress

pytest.importorskip("pytest_textual_snapshot", reason="pip install pytest-textual-snapshot")

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def app() -> FleetApp:
    cams, reps = fleet()
    reps = [replace(r, problems=tuple(replace(p, since=None) for p in r.problems)) for r in reps]
    return FleetApp(cams, ScriptedSource(reps), interval=0)


def settle(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        fleet_app = pilot.app
        assert isinstance(fleet_app, FleetApp)
        await fleet_app.workers.wait_for_complete()
        fleet_app.progress = SweepProgress(
            False, 7, 7, datetime(2026, 11, 28, 8, 0, tzinfo=UTC), 1.5
        )
        for screen in fleet_app.screen_stack:
            if isinstance(screen, FleetScreen):
                screen.refresh_data()
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_fleet_view_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), run_before=settle())


def test_fleet_view_large_with_marks_and_filter(snap_compare: SnapCompare) -> None:
    keys = ("space", "space", "slash", *"!site:ha-trung", "enter")
    assert snap_compare(app(), terminal_size=(160, 40), run_before=settle(*keys))


def test_camera_view(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=(100, 40), run_before=settle("enter"))


def test_sites_view(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), run_before=settle("colon", *"sites", "enter"))


def test_help_screen(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=(100, 40), run_before=settle("question_mark"))


def test_confirm_counts_hidden_marks(snap_compare: SnapCompare) -> None:
    keys = ("space", "space", "slash", *"site:dong-tien", "enter", "R")
    assert snap_compare(app(), run_before=settle(*keys))


def test_firmware_view(snap_compare: SnapCompare) -> None:
    """Two versions, the vulnerable one marked by version (space): counts, advisory, policy."""
    app, _ = firmware_fleet()
    keys = ("colon", *"firmware", "enter", "down", "space")
    assert snap_compare(app, terminal_size=(140, 24), run_before=settle(*keys))
