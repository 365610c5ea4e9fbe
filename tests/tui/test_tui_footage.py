"""The TUI's footage view on the real engine against the simulator (real sockets on 127.16.x.y).

Sweeps come from a ScriptedSource (the health check is not under test here); the coverage
search is the engine's footage_fleet (ONVIF Profile G) and the export its ONVIF replay, muxed to
MP4: what the rows say is checked against each simulated camera's own recording history, and the
clip is decoded by FFmpeg (PyAV).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import support.tui as support_tui
from textual.widgets import DataTable, Input, Static

from fleetctl.adapters.secrets import SecretStore
from fleetctl.base.i18n import M_, set_language
from fleetctl.core.footage.coverage import Coverage, Span
from fleetctl.core.footage.model import CameraFootage
from fleetctl.core.models import Inventory, Site
from fleetctl.engine.footage_batch import ClipProgress, ClipResult, ClipState
from fleetctl.engine.workspace import Workspace, load_workspace
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet
from fleetctl.tui.app import FleetApp
from fleetctl.tui.footage_view import FootageSetup
from fleetctl.tui.screens.confirm import ConfirmScreen
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.screens.footage import ExportConfirm, FootageScreen
from fleetctl.tui.screens.help import HelpScreen
from fleetctl.tui.source import ScriptedSource

MakeFleet = Callable[..., Awaitable[SimFleet]]
SIZE = (160, 40)
OFFLINE = 2  # the simulated camera's index


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(cam: SimCamera, gaps: list[tuple[datetime, datetime]]) -> None:
    """The camera recorded everything but ``gaps`` (true time; stamped on its own clock)."""
    assert cam.history is not None
    off = cam.clock_offset_s
    cam.history.gaps = [(a.timestamp() + off, b.timestamp() + off, "test") for a, b in gaps]
    cam.history.stopped_at = None


async def start(make_fleet: MakeFleet, tmp_path: Path) -> tuple[SimFleet, FleetApp, list[str]]:
    """Four cameras; returns the names of: one to cut, one recording throughout, the offline
    one, and one left unmarked."""
    fleet = await make_fleet(cameras=4, seed=7, assign={OFFLINE: {"offline"}})
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    workspace = load_workspace(str(inventory))
    setup = FootageSetup(workspace, export_dir=tmp_path / "default-exports", timeout_s=10.0)
    app = FleetApp(workspace.inventory.cameras, ScriptedSource([]), interval=0, footage=setup)
    offline = fleet.cameras[OFFLINE].name
    others = [c.name for c in fleet.cameras if c.name != offline]
    return fleet, app, [others[0], others[1], offline, others[2]]


async def mark(app: FleetApp, pilot: Any, names: list[str]) -> None:
    """Mark ``names`` in the fleet view as an operator does: down the rows, space on each."""
    await settled(app, pilot)
    for name in list(app.model.visible):
        await pilot.press("space" if name in names else "down")
    assert app.model.marks == set(names)


async def settled(app: FleetApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_footage(app: FleetApp, pilot: Any, names: list[str]) -> FootageScreen:
    await mark(app, pilot, names)
    await pilot.press("f")
    screen = app.screen
    assert isinstance(screen, FootageScreen)
    return screen


async def search(app: FleetApp, pilot: Any, screen: FootageScreen, start: str, end: str) -> None:
    screen.query_one("#from", Input).value = start
    to = screen.query_one("#to", Input)
    to.value = end
    to.focus()
    await pilot.press("enter")
    await settled(app, pilot)


async def test_marked_cameras_partial_with_the_gap_full_and_unknown_with_why(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app, order = await start(make_fleet, tmp_path)
    GAP, FULL, OFFLINE = 0, 1, 2
    cams = {name: fleet.by_name(name) for name in order}
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cut0, cut1 = now - timedelta(minutes=40, seconds=-30), now - timedelta(minutes=30, seconds=-30)
    record(cams[order[GAP]], [(cut0, cut1)])
    record(cams[order[FULL]], [])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_footage(app, pilot, order[:3])
        title = str(screen.query_one("#title", Static).content)
        assert "3 marked cameras" in title
        zone = screen.zone_label  # the simulated district's sites say `tz: Asia/Ho_Chi_Minh`
        assert zone == "Asia/Ho_Chi_Minh, the site's zone"
        assert zone in str(screen.query_one("#zone").render())  # the zone used, shown

        # A time that cannot be read: said beside the inputs, nothing asked, no crash.
        await search(app, pilot, screen, "-1h", "yesterday 25:00")
        why = str(screen.query_one("#why", Static).content)
        assert "to: 'yesterday 25:00' is not a time" in why, why
        assert not screen.windows and not screen.lines
        assert sum(c.counters.searches_opened for c in fleet.cameras) == 0
        await search(app, pilot, screen, iso(now), iso(now - timedelta(hours=1)))
        assert "the window is empty" in str(screen.query_one("#why", Static).content)

        await search(
            app, pilot, screen, iso(now - timedelta(hours=1)), iso(now - timedelta(minutes=10))
        )
        assert str(screen.query_one("#why", Static).content) == ""
        rows = screen.shown()
        assert set(rows) == set(order[:3])  # the marked cameras, not the fourth
        gap = rows[order[GAP]]
        assert gap[3] == "partial", gap
        local = cut0.astimezone(screen.zones[order[GAP]].tz)
        assert local.strftime("%H:%M") in gap[5] and "–" in gap[5], gap
        (found,) = screen.lines[order[GAP]].gaps
        assert abs((found.start - cut0).total_seconds()) < 3, found
        assert abs((found.end - cut1).total_seconds()) < 3, found
        assert gap[4] == "40/50 min" and gap[6] != "—"  # recorded of the window; days kept
        full = rows[order[FULL]]
        assert full[3] == "full" and full[5] == "" and full[8] == "onvif-events", full
        unknown = rows[order[OFFLINE]]
        assert unknown[3] == "unknown" and unknown[8].startswith("offline"), unknown
        # Whole window first, then part of it, then unknown.
        assert list(rows) == [order[FULL], order[GAP], order[OFFLINE]]
        table = screen.query_one(DataTable)
        table.move_cursor(row=1)  # the cut camera: its whole story under the table
        await pilot.pause()
        detail = str(screen.query_one("#detail", Static).content)
        assert detail.startswith(f"{order[GAP]}: partial; gaps: {local:%H:%M}"), detail
        assert "recorded from" in detail and detail.endswith("onvif-events"), detail
        counts = str(screen.query_one("#counts", Static).content)
        assert "1 of 3 cameras have the whole window" in counts, counts
        assert "1 part of it, 0 none, 1 unknown" in counts, counts

        await pilot.press("h")  # has it only
        assert list(screen.shown()) == [order[FULL], order[GAP]]
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)
    for cam in fleet.cameras:
        assert cam.counters.searches_opened == cam.counters.searches_ended, cam.name


async def test_export_one_camera_from_the_view(make_fleet: MakeFleet, tmp_path: Path) -> None:
    fleet, app, order = await start(make_fleet, tmp_path)
    FULL = 1
    record(fleet.by_name(order[FULL]), [])
    start_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=15)
    out = tmp_path / "evidence"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_footage(app, pilot, [order[FULL]])
        await search(app, pilot, screen, iso(start_at), iso(start_at + timedelta(seconds=6)))
        assert screen.shown()[order[FULL]][3] == "full"
        await pilot.press("x")
        ask = app.screen
        assert isinstance(ask, ExportConfirm)
        assert "from 1 camera?" in ask.question
        assert ask.query_one("#folder", Input).value == str(tmp_path / "default-exports")
        ask.query_one("#folder", Input).value = str(out)
        ask.query_one("#folder", Input).focus()
        await pilot.press("enter")
        await settled(app, pilot)
        assert app.screen is screen
        (result,) = screen.results.values()
        assert result.outcome is ClipState.SAVED, result.error
        row = screen.shown()[order[FULL]]
        assert result.sha256 is not None and row[7] == f"saved {result.sha256[:8]}", row
        shown = str(screen.query_one("#results", Static).content)
        assert str(result.path) in shown and result.sha256[:12] in shown
    clip = Path(str(result.path))
    assert clip.parent == out and clip.name.startswith(order[FULL])
    with av.open(str(clip)) as container:
        frames = list(container.decode(container.streams.video[0]))
    assert len(frames) == result.frames > 100  # ~6 s at 25 fps
    sidecar = json.loads(Path(f"{clip}.json").read_text())
    assert sidecar["sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest() == result.sha256
    assert sidecar["camera"]["name"] == order[FULL]
    assert sorted(p.name for p in out.iterdir()) == [clip.name, f"{clip.name}.json"]
    assert out.stat().st_mode & 0o777 == 0o700  # evidence: the folder it made is the operator's


def scripted(tmp_path: Path) -> FleetApp:
    """The scripted two-site fleet (never contacted) with a footage setup behind it."""
    cams, reps = support_tui.fleet()
    inventory = Inventory(tuple(cams), (Site("dong-tien"), Site("ha-trung")), ())
    setup = FootageSetup(Workspace(inventory, SecretStore("")), export_dir=tmp_path)
    return FleetApp(cams, ScriptedSource(reps), interval=0, footage=setup)


async def test_the_key_is_in_the_footer_and_the_help(tmp_path: Path) -> None:
    app = scripted(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        footer = {b.binding.key: b.binding.description for b in app.active_bindings.values()}
        assert footer["f"] == "footage"
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert ("f", "footage", "view") in help_screen.rows
        words = str(help_screen.query_one("#footage-help", Static).content)
        assert "Footage (f)" in words and "x exports" in words


async def test_no_marks_means_the_filtered_cameras_said_in_the_title(tmp_path: Path) -> None:
    app = scripted(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("slash", *"site:ha-trung", "enter", "f")
        screen = app.screen
        assert isinstance(screen, FootageScreen)
        assert sorted(screen.names) == ["ht-cho-01", "ht-den-02", "ht-ga-03"]
        title = str(screen.query_one("#title", Static).content)
        assert title == "Footage of 3 cameras the filter shows (none marked)"
        await pilot.press("escape", "escape")  # leave the input, then the view
        assert isinstance(app.screen, FleetScreen)
        await pilot.press("escape", "f")  # esc clears the filter: all of them
        assert isinstance(app.screen, FootageScreen)
        assert str(app.screen.query_one("#title", Static).content) == "Footage of all 7 cameras"


async def test_without_a_workspace_the_view_says_so() -> None:
    app, _ = support_tui.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("f")
        assert isinstance(app.screen, FleetScreen)
        assert any("footage is not available here" in n.message for n in app._notifications)


async def test_the_view_in_vietnamese(tmp_path: Path) -> None:
    """Every word of the view through the catalogue; the camera's own words as they came."""
    set_language("vi")
    app = scripted(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("space", "space", "f")
        screen = app.screen
        assert isinstance(screen, FootageScreen)
        assert str(screen.query_one("#title", Static).content) == (
            "Bản ghi của 2 camera đã đánh dấu"
        )
        await search(app, pilot, screen, "-1h", "hôm qua")
        why = str(screen.query_one("#why", Static).content)
        assert why.startswith("đến: 'hôm qua' không phải là thời điểm"), why
        # Answers as the engine gives them (no camera here is reachable: fed directly).
        end = datetime.now(UTC).replace(microsecond=0)
        win = Span(end - timedelta(hours=1), end)
        a, b = screen.names
        screen.windows = {a: win, b: win}
        screen._arrived(CameraFootage(a, "s", Coverage.PARTIAL, 1800.0,
                                      (Span(win.start, win.start + timedelta(minutes=30)),),
                                      None, None, "onvif-events"))  # fmt: skip
        screen._arrived(CameraFootage(b, "s", Coverage.UNKNOWN, None, (), None, None, "none",
                                      "onvif: [red]lỗi[/] \x1b[2J"))  # fmt: skip
        screen._fill()
        rows = screen.shown()
        assert rows[a][3] == "một phần" and rows[a][4] == "30/60 phút", rows[a]
        assert rows[b][3] == "không rõ" and rows[b][8] == "onvif: [red]lỗi[/]", rows[b]
        headers = [str(c.label) for c in screen.query_one(DataTable).columns.values()]
        assert headers[3:6] == ["ĐỘ PHỦ", "ĐÃ GHI", "KHOẢNG TRỐNG"], headers
        counts = str(screen.query_one("#counts", Static).content)
        assert "0 trên 2 camera có đủ cả khoảng thời gian; 1 có một phần" in counts, counts
        # A clip that failed, as the engine reports it: why, in Vietnamese (its English stays
        # in ``error``, what JSON and the sidecar-less result carry).
        empty = M_(
            "%(where)s: nothing recorded between %(start)s and %(end)s (camera clock)",
            where="127.0.0.9:554",
            start="2026-12-07 04:48:42",
            end="04:48:52",
        )
        failed = ClipResult(a, "s", ClipState.FAILED, "a.mp4", win, error=empty.en(),
                            reason="no footage", why=empty)  # fmt: skip
        screen._export_progress(ClipProgress(a, ClipState.FAILED, result=failed))
        await pilot.pause()
        shown = str(screen.query_one("#results", Static).content)
        assert f"{a}: xuất thất bại: 127.0.0.9:554: không có bản ghi từ 2026-12-07" in shown, shown


async def test_an_offline_camera_says_why_in_vietnamese(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    """The real engine against the simulator, in Vietnamese: the offline camera's reason is
    said in Vietnamese in its row and under the table (JSON would keep the English)."""
    _fleet, app, order = await start(make_fleet, tmp_path)
    set_language("vi")
    offline = order[2]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_footage(app, pilot, [offline])
        await search(
            app, pilot, screen, iso(now - timedelta(hours=1)), iso(now - timedelta(minutes=10))
        )
        line = screen.lines[offline]
        assert line.coverage is Coverage.UNKNOWN and (line.reason or "").startswith("offline: ")
        said = screen.shown()[offline][8]
        assert said.startswith("mất kết nối: ") and "offline" not in said, said
        await pilot.pause()
        detail = str(screen.query_one("#detail", Static).content)
        assert "mất kết nối: " in detail, detail


async def test_read_only_exports_only_into_the_default_folder(tmp_path: Path) -> None:
    """--read-only (the browser UI on another address): clips go where the product puts them,
    never into a folder typed in the browser; nothing selected: all that have the window."""
    cams, reps = support_tui.fleet()
    inventory = Inventory(tuple(cams), (Site("dong-tien"), Site("ha-trung")), ())
    setup = FootageSetup(Workspace(inventory, SecretStore("")), export_dir=tmp_path / "exports")
    app = FleetApp(cams, ScriptedSource(reps), interval=0, footage=setup, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("space", "space", "space", "f")
        screen = app.screen
        assert isinstance(screen, FootageScreen)
        end = datetime.now(UTC).replace(microsecond=0)
        win = Span(end - timedelta(hours=1), end)
        a, b, c = screen.names
        screen.windows = {a: win, b: win, c: win}
        screen._arrived(CameraFootage(a, "s", Coverage.FULL, 3600.0, (), None, None, "x"))
        screen._arrived(CameraFootage(b, "s", Coverage.NONE, 0.0, (win,), None, None, "x"))
        screen._arrived(CameraFootage(c, "s", Coverage.PARTIAL, 60.0, (), None, None, "x"))
        screen._fill()
        screen.query_one(DataTable).focus()  # as after a search (fed directly here)
        await pilot.press("x")
        ask = app.screen
        assert isinstance(ask, ExportConfirm)
        assert ask.question.endswith("from 2 cameras?")  # full and partial, not none
        folder = ask.query_one("#folder", Input)
        assert folder.disabled and folder.value == str(tmp_path / "exports")
        await pilot.press("escape")
        assert app.screen is screen and not screen.exporting


async def test_leaving_mid_export_asks_and_leaves_no_partial_clip(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet, app, order = await start(make_fleet, tmp_path)
    record(fleet.by_name(order[1]), [])
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    out = tmp_path / "evidence"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_footage(app, pilot, [order[1]])
        await search(app, pilot, screen, iso(end - timedelta(minutes=30)), iso(end))
        receiving = asyncio.Event()
        progress = screen._export_progress

        def watched(p: ClipProgress) -> None:  # the signal: footage is arriving
            progress(p)
            if p.state is ClipState.EXPORTING and p.frames:
                receiving.set()

        screen._export_progress = watched  # type: ignore[method-assign]
        await pilot.press("x")
        assert isinstance(app.screen, ExportConfirm)
        app.screen.query_one("#folder", Input).value = str(out)
        await pilot.press("enter")
        await asyncio.wait_for(receiving.wait(), 60)  # 30 minutes of footage: far from done
        assert screen.exporting
        await pilot.press("escape")
        ask = app.screen
        assert isinstance(ask, ConfirmScreen)
        assert ask.question == "Stop the running exports? Clips already saved are kept."
        await pilot.press("y")
        await settled(app, pilot)
        assert isinstance(app.screen, FleetScreen)
    assert not [p.name for p in out.iterdir()]  # no clip, no .part, no sidecar
