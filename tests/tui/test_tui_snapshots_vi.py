"""Snapshots of the main screens in Vietnamese at 80x24 and 160x50 (pytest-textual-snapshot).

The same scripted fleet as the English snapshots (tests/tui/test_tui_snapshots.py), with its
problems built the way the verdict rules build them (a template and its values), so each screen
shows what an operator reads with ``--lang vi``: the words, the status labels, the numbers
("1,0 giây"), and a layout where name, status and problem stay legible at 80 columns. Update
after an intended change with ``pytest --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from support.tui import fleet
from textual.pilot import Pilot

from fleetctl.base.i18n import M_, Duration, set_language
from fleetctl.core.models import Problem, ProblemKind, Status
from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.source import ScriptedSource
from fleetctl.tui.widgets.header import SweepProgress

pytest.importorskip("pytest_textual_snapshot", reason="pip install pytest-textual-snapshot")

SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (160, 50)]

# What the rules say for the scripted fleet's faults (core/verdicts), as values.
PROBLEMS = {
    "dt-cho-01": (
        Problem.of(
            ProblemKind.STREAM,
            Status.CRIT,
            M_("no video: 0 RTP packets in %(window).1f s", window=1.0),
        ),
        Problem.of(
            ProblemKind.STORAGE,
            Status.CRIT,
            M_("%(media)s failed (replace the card or disk)", media="SD1"),
        ),
    ),
    "dt-truong-02": (
        Problem.of(
            ProblemKind.CLOCK, Status.WARN, M_("clock %(offset)s ahead", offset=Duration(45))
        ),
    ),
    "ht-den-02": (
        Problem.of(
            ProblemKind.ONVIF,
            Status.UNKNOWN,
            M_("ONVIF reply is unreadable (malformed or unsafe XML)"),
        ),
    ),
}


@pytest.fixture(autouse=True)
def vietnamese_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    set_language("vi")
    yield
    monkeypatch.undo()
    time.tzset()


def app() -> FleetApp:
    cams, reps = fleet()
    reps = [replace(r, problems=PROBLEMS.get(r.name, ())) for r in reps]
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


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_fleet_view_vi(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=settle())


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_camera_view_vi(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=settle("enter"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_help_screen_vi(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=settle("question_mark"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_sites_view_vi(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=settle("colon", *"sites", "enter"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_confirm_and_marks_vi(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    keys = ("space", "space", "slash", *"site:dong-tien", "enter", "R")
    assert snap_compare(app(), terminal_size=size, run_before=settle(*keys))
