"""The TUI's push screen on the real engine against the simulator (real sockets on 127.16.x.y).

Sweeps come from a ScriptedSource (the health check is not under test here, and its record of
what it was asked to check proves the re-check after a push); planning and applying are the
real engine's plan_push/apply_push, and every assertion about a write is on the simulated
device's own state.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from support.tui import make_app
from textual.widgets import Input, Label, Static

from fleetctl.cli.run.tui import build_app
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.fleet import SimFleet
from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.confirm import ActionMenu
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.screens.push import PushConfirm, PushScreen, PushSetup
from fleetctl.tui.source import ScriptedSource

MakeFleet = Callable[..., Awaitable[SimFleet]]
SIZE = (80, 24)
GOOD = "dns: {servers: [127.0.0.53]}\nntp: {servers: [127.0.0.123]}\n"
BAD = "dns: {servers: [127.0.0.53]}\ncolour: blue\n"


def text_of(widget: Static | Label) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def writes(fleet: SimFleet) -> int:
    return sum(sum(c.counters.writes.values()) for c in fleet.cameras)


async def start(
    make_fleet: MakeFleet, tmp_path: Path, timeout_s: float = 10.0
) -> tuple[SimFleet, FleetApp, ScriptedSource]:
    """Four cameras: #0 already has the profile, #3 is offline (unreadable), #1 and #2 differ."""
    fleet = await make_fleet(cameras=4, faults="none", rtsp=False, assign={3: {"offline"}})
    fleet.cameras[0].dns_servers = ["127.0.0.53"]
    fleet.cameras[0].ntp_servers = ["127.0.0.123"]
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "bad.yaml").write_text(BAD)
    (profiles / "dns.yaml").write_text(GOOD)
    workspace = load_workspace(str(inventory))
    source = ScriptedSource([])
    setup = PushSetup(workspace, profiles, str(tmp_path / "journal.sqlite"), timeout_s=timeout_s)
    app = FleetApp(workspace.inventory.cameras, source, interval=0, push=setup)
    return fleet, app, source


async def settled(app: FleetApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_push(
    app: FleetApp, pilot: Any, *, marks: int = 4, keys: tuple[str, ...] = ()
) -> PushScreen:
    await settled(app, pilot)
    await pilot.press(*["space"] * marks, *keys, "a")
    assert isinstance(app.screen, ActionMenu)
    await pilot.press("down", "down", "down", "enter")  # check, sync time, reboot, push
    assert isinstance(app.screen, PushScreen)
    return app.screen


async def plan(app: FleetApp, pilot: Any, screen: PushScreen) -> str:
    """Choose dns.yaml (the second profile) and wait for the plan."""
    await pilot.press("down", "enter")
    await settled(app, pilot)
    assert screen.stage == "review"
    return text_of(screen.query_one("#plan", Static))


async def test_push_is_disabled_in_read_only() -> None:
    app, _ = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, ActionMenu)
        assert app.screen.query_one("OptionList").get_option("push").disabled  # type: ignore[attr-defined]
        await pilot.press("escape")
        app.open_push(["dt-cho-01"])  # reached any other way: refused, and said
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)
        assert any("--read-only" in n.message for n in app._notifications)


async def test_push_entry_is_enabled_when_not_read_only() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("a")
        assert not app.screen.query_one("OptionList").get_option("push").disabled  # type: ignore[attr-defined]


async def test_a_bad_profile_shows_its_errors_and_sends_nothing(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app, _ = await start(make_fleet, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_push(app, pilot)
        await pilot.press("enter")  # bad.yaml, the first in the list
        await pilot.pause()
        errors = text_of(screen.query_one("#errors", Static))
        assert "bad.yaml cannot be used" in errors
        assert "bad.yaml:2: colour:" in errors  # file:line: key
        assert screen.stage == "pick"
    assert writes(fleet) == 0


async def test_an_unusable_journal_is_said_on_screen_and_the_app_lives(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app, _ = await start(make_fleet, tmp_path)
    (tmp_path / "a-file").write_text("")
    assert app.push_setup is not None
    app.push_setup = replace(
        app.push_setup, journal_path=str(tmp_path / "a-file" / "journal.sqlite")
    )
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_push(app, pilot)
        await pilot.press("down", "enter")
        await settled(app, pilot)
        assert screen.stage == "pick" and app.is_running
        assert "cannot plan: cannot open the push journal" in text_of(
            screen.query_one("#errors", Static)
        )
    assert writes(fleet) == 0


async def test_plan_shows_each_cameras_diff_and_cancel_writes_nothing(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app, _ = await start(make_fleet, tmp_path)
    c0, c1, c2, c3 = (c.name for c in fleet.cameras)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_push(app, pilot)
        shown = await plan(app, pilot, screen)
        lines = shown.splitlines()
        assert (
            f"{c0}: already right (3 settings)" in lines
        )  # dns.servers, ntp.from_dhcp, ntp.servers
        assert any(line.startswith(f"{c3}: cannot read, not pushed:") for line in lines)
        for name in (c1, c2):
            at = next(i for i, line in enumerate(lines) if line.startswith(f"{name} ("))
            old_dns = ", ".join(fleet.by_name(name).dns_servers) or "(none)"
            assert lines[at + 1] == f"  ~ dns.servers: {old_dns} -> 127.0.0.53"
            assert lines[at + 2].startswith("  ~ ntp.servers: ") and lines[at + 2].endswith(
                "-> 127.0.0.123"
            )
        assert "Plan: 4 changes on 2 cameras; 1 unreadable" in text_of(
            screen.query_one("#title", Static)
        )

        await pilot.press("p")
        ask = app.screen
        assert isinstance(ask, PushConfirm)
        ask.query_one("#max-fail", Input).focus()
        await pilot.press("ctrl+u", *"150", "enter")  # refused in the dialog, nothing sent
        assert app.screen is ask
        assert "max-fail a percentage from 0 to 100" in text_of(ask.query_one("#why", Label))
        await pilot.press("escape")  # cancelled at the question
        assert app.screen is screen and screen.stage == "review"
        await pilot.press("escape")  # back to the fleet view
        assert isinstance(app.screen, FleetScreen)
    assert writes(fleet) == 0


async def test_confirmed_push_changes_the_devices_and_shows_each_outcome(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app, source = await start(make_fleet, tmp_path)
    c0, c1, c2, c3 = (c.name for c in fleet.cameras)
    async with app.run_test(size=SIZE) as pilot:
        # All four marked, then a filter that shows only one of the cameras to change.
        screen = await open_push(app, pilot, keys=("slash", *c2, "enter"))
        await plan(app, pilot, screen)
        await pilot.press("p")
        ask = app.screen
        assert isinstance(ask, PushConfirm)
        assert ask.question == "Push 4 changes to 2 cameras (1 hidden by the filter)?"
        # Usable at 80x24: the question and every rollout field are on screen.
        for widget in (ask.query_one("#question", Label), *ask.query(Input)):
            assert app.screen.region.contains_region(widget.region) and widget.region.width >= 8
        assert [i.value for i in ask.query(Input)] == ["1", "", "0"]  # canary 1, all, max-fail 0
        await pilot.press("enter")
        await settled(app, pilot)
        assert screen.stage == "done"
        for name in (c1, c2):  # the simulator's own state
            assert fleet.by_name(name).dns_servers == ["127.0.0.53"]
            assert fleet.by_name(name).ntp_servers == ["127.0.0.123"]
        assert sum(fleet.cameras[0].counters.writes.values()) == 0  # already right: untouched
        assert screen.results() == {c0: "unchanged", c1: "changed", c2: "changed", c3: "not pushed"}
        summary = text_of(screen.query_one("#summary", Static))
        assert "changed 2 · unchanged 1 · failed 0" in summary
        assert sorted(source.checked[-1]) == sorted([c1, c2])  # the pushed cameras, re-checked
        with closing(sqlite3.connect(tmp_path / "journal.sqlite")) as db:
            run = db.execute("SELECT selection, state FROM push_runs").fetchall()
        assert run == [(f"name:{c0},{c1},{c2}", "done")]  # a resume would stay on these
        assert c3 not in source.checked[-1]
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_rows_update_as_each_camera_finishes(make_fleet: MakeFleet, tmp_path: Path) -> None:
    # The second camera's SetDNS never answers: it ends restored after the (short) deadline,
    # and until then the first camera's row already says changed.
    fleet, app, _ = await start(make_fleet, tmp_path, timeout_s=3.0)
    first, second = sorted(c.name for c in fleet.cameras[1:3])  # the order the push takes them
    fleet.by_name(second).write_faults = {"SetDNS": "hang"}
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_push(app, pilot)
        await plan(app, pilot, screen)
        await pilot.press("p", "enter")  # canary 1 (first), then the rest (second)
        while screen.stage != "apply" or screen.results().get(first) != "changed":
            await pilot.pause()  # each pause lets pending messages (outcomes) through
        assert screen.results()[second] == "pending"
        await settled(app, pilot)
        assert screen.results()[second] == "restored"
        assert fleet.by_name(second).dns_servers == []  # as it was
        assert fleet.by_name(first).dns_servers == ["127.0.0.53"]
        assert "changed 1 · unchanged 1 · failed 0 · restored 1" in text_of(
            screen.query_one("#summary", Static)
        )


async def test_a_failed_canary_aborts_and_the_rest_is_skipped(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app, _ = await start(make_fleet, tmp_path)
    first, second = sorted(c.name for c in fleet.cameras[1:3])
    fleet.by_name(first).write_faults = {"SetNTP": "fault"}  # the second setting group is refused
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_push(app, pilot)
        await plan(app, pilot, screen)
        await pilot.press("p", "enter")  # the defaults: canary 1, max-fail 0
        await settled(app, pilot)
        assert screen.results()[first] == "restored" and screen.results()[second] == "skipped"
        assert fleet.by_name(first).dns_servers == []  # SetDNS was written, then restored
        assert sum(fleet.by_name(second).counters.writes.values()) == 0
        summary = text_of(screen.query_one("#summary", Static))
        assert "aborted: canary: 1 of 1 cameras failed, more than --max-fail 0%" in summary


async def test_after_a_password_rotation_the_recheck_logs_in_with_the_new_one(
    make_fleet: MakeFleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through `fleetctl tui`'s own wiring (build_app); the journal is $FLEETCTL_JOURNAL."""
    fleet = await make_fleet(cameras=2, faults="none", rtsp=False)
    inventory, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "rotate.yaml").write_text("users: {rotate: [sim]}\n")
    journal = tmp_path / "journal.sqlite"
    monkeypatch.setenv("FLEETCTL_JOURNAL", str(journal))
    args = argparse.Namespace(
        interval=0.0,
        read_only=False,
        select="",
        timeout=10.0,
        concurrency=8,
        window=0.3,
        db=None,
        no_history=True,
        profiles=None,
        journal=None,
    )
    app = build_app(args, str(inventory), str(secrets))
    old = fleet.password
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_push(app, pilot, marks=2)
        await pilot.press("enter")  # rotate.yaml, from profiles/ next to the inventory
        await settled(app, pilot)
        await pilot.press("p", "enter")
        await settled(app, pilot)  # the push, then the re-check it starts
        assert screen.results() == {c.name: "changed" for c in fleet.cameras}
        assert app.push_setup is not None
        fresh = app.push_setup.workspace  # what the next push (and the checks) log in with
        for cam in fleet.cameras:  # the devices' own accounts: the old password is gone
            on_device = cam.users[fleet.username].password
            camera = fresh.inventory.camera(cam.name)
            assert camera is not None
            cred = fresh.credential_for(camera)
            assert on_device != old
            assert (
                cred is not None
                and cred.password is not None
                and cred.password.reveal() == on_device
            )
            problems = [p.message for p in app.model.reports[cam.name].problems]
            assert not any("credentials" in m for m in problems), problems
            assert app.model.reports[cam.name].device is not None  # logged in and read it
    assert journal.exists()  # $FLEETCTL_JOURNAL honoured
