"""Pilot tests of `:firmware` and the camera view's firmware and backup lines: what the operator
sees. Identities come from scripted reports (this session's checks) and from the history's
devices (cameras not checked yet); advisories are the shipped table."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console
from support.tui import FIXED, HIK, VULNERABLE, firmware_fleet, fleet
from textual.command import CommandPalette
from textual.widgets import DataTable, Static

from fleetctl.tui.app import FleetApp
from fleetctl.tui.firmware import names_filter
from fleetctl.tui.screens.camera import CameraScreen
from fleetctl.tui.screens.confirm import ActionMenu, ConfirmScreen
from fleetctl.tui.screens.firmware import FirmwareScreen
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.screens.help import HelpScreen
from fleetctl.tui.widgets.fleet_table import FleetTable

SIZE = (120, 30)


def rows(app: FleetApp) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def shown(app: FleetApp) -> list[str]:
    table = app.screen.query_one(FleetTable)
    return [table.row_text(i)[1] for i in range(len(app.model.visible))]


def text_of(widget: Static) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def test_firmware_view_counts_advisories_and_policy() -> None:
    app, _ = firmware_fleet()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("colon", *"firmware", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FirmwareScreen)
        got = rows(app)
        # newest firmware first; the never-checked camera counted from the history
        assert [r[2] for r in got] == [FIXED, VULNERABLE] and got[0][1] == HIK
        assert [r[4] for r in got] == ["3", "4"]
        assert got[0][6] == "none known" and got[0][7] == "ok"
        assert "HSRC-202109-01 (CVE-2021-36260)" in got[1][6]
        assert got[1][7] == "below V5.7.0"
        caption = text_of(app.screen.query_one("#caption", Static))
        assert "2 firmware versions, 1 flagged, 0 cameras marked" in caption


async def test_results_arriving_while_the_view_is_open_update_it() -> None:
    app, source = firmware_fleet()
    source.hold = {"dt-cau-04"}  # a slow camera: its firmware is known only when it answers
    async with app.run_test(size=SIZE) as pilot:
        await source.started.wait()
        await pilot.press("colon", *"firmware", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FirmwareScreen)
        counts = {r[2]: r[4] for r in rows(app)}
        assert counts[VULNERABLE] == "3" and counts[""] == "1"  # not read yet: its own row
        source.release()
        await app.workers.wait_for_complete()
        for _ in range(100):  # the view refreshes at most once a second: wait for it, bounded
            if {r[2]: r[4] for r in rows(app)}.get(VULNERABLE) == "4":
                break
            await pilot.pause(0.1)
        assert {r[2]: r[4] for r in rows(app)} == {FIXED: "3", VULNERABLE: "4"}


async def test_enter_shows_that_versions_cameras_in_the_fleet_view() -> None:
    app, _ = firmware_fleet()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("colon", *"fw", "enter", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)
        assert sorted(shown(app)) == ["dt-cau-04", "dt-cho-01", "dt-truong-02", "dt-ubnd-03"]
        await pilot.press("escape")  # esc clears it, as any filter
        assert len(shown(app)) == 7


async def test_space_marks_a_version_and_a_bulk_action_counts_them() -> None:
    app, _ = firmware_fleet()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("colon", *"firmware", "enter", "down", "space")
        await pilot.pause()
        assert app.model.marks == {"dt-cho-01", "dt-truong-02", "dt-ubnd-03", "dt-cau-04"}
        assert rows(app)[1][5] == "4"
        await pilot.press("up", "space")  # the fixed version too: all seven
        assert len(app.model.marks) == 7
        await pilot.press("space")  # the cursor moved down: vulnerable again, now unmarked
        assert app.model.marks == {"ht-cho-01", "ht-den-02", "ht-ga-03"}
        await pilot.press("up", "space", "down", "space")  # fixed off, vulnerable on
        assert len(app.model.marks) == 4
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ActionMenu)
        await pilot.press("escape", "escape")
        # marks survive filtering: the fleet view filtered to ha-trung still acts on all four
        await pilot.press("slash", *"site:ha-trung", "enter", "R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "4 cameras" in app.screen.question and "4 hidden" in app.screen.question


async def test_hostile_model_string_is_shown_as_text_never_markup() -> None:
    app, _ = firmware_fleet(hostile="[bold red]X[/]\x1b[2J")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("colon", *"firmware", "enter")
        await pilot.pause()
        models = [r[1] for r in rows(app)]
        assert any("[bold red]X[/]" in m for m in models)


async def test_firmware_view_is_in_help_and_the_command_palette() -> None:
    app, _ = firmware_fleet()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "firmware" in text_of(app.screen.query_one("#views-help", Static))
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Firmware view" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert CommandPalette.is_open(app)
        await pilot.press(*"Firmware view")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, FirmwareScreen)


def write_backup(folder: Path, camera: str, stamp: str) -> Path:
    path = folder / camera / f"{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fleetctl_backup": 1, "camera": camera}), "utf-8")
    return path


async def test_camera_view_shows_advisory_policy_and_last_backup(tmp_path: Path) -> None:
    write_backup(tmp_path, "dt-cho-01", "20261205T023000Z")
    newest = write_backup(tmp_path, "dt-cho-01", "20261206T023000Z")
    app, _ = firmware_fleet(tmp_path)
    async with app.run_test(size=(140, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("enter")  # the worst camera: dt-cho-01
        await pilot.pause()
        assert isinstance(app.screen, CameraScreen) and app.screen.camera_name == "dt-cho-01"
        body = text_of(app.screen.query_one("#body", Static))
        assert "HSRC-202109-01 (CVE-2021-36260) critical" in body
        assert "below the fleet minimum V5.7.0" in body
        assert str(newest) in body and "12-06" in body
        await pilot.press("escape", "slash", *"ht-cho", "enter", "enter")
        await pilot.pause()
        body = text_of(app.screen.query_one("#body", Static))
        assert "no known advisory" in body and f"none in {tmp_path}" in body


async def test_camera_view_without_a_backup_folder_says_how_to_get_one() -> None:
    app, _ = firmware_fleet(None)
    async with app.run_test(size=(140, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        await pilot.pause()
        body = text_of(app.screen.query_one("#body", Static))
        assert "no backup folder: start with --backup-dir DIR" in body


def test_names_filter_selects_exactly_those_cameras() -> None:
    from fleetctl.tui.filtering import Haystack, compile_filter

    cams, _ = fleet()
    match = compile_filter(names_filter(("dt-cho-01", "ht-ga-03")))
    assert [c.name for c in cams if match(Haystack.of(c), None)] == ["dt-cho-01", "ht-ga-03"]
