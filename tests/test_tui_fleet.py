"""Pilot tests of the fleet view: what the operator sees after each keystroke.

UI isolation: results come from a ScriptedSource of prepared CameraReports (the engine and
protocols are covered by their own tests and by tests/test_tui_sim.py against the simulator).
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Static
from tui_helpers import make_app

from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.camera import CameraScreen
from fleetctl.tui.screens.confirm import ActionMenu, ConfirmScreen
from fleetctl.tui.screens.help import HelpScreen
from fleetctl.tui.screens.sites import SitesScreen
from fleetctl.tui.widgets.fleet_table import FleetTable
from fleetctl.tui.widgets.header import FleetHeader

SIZE = (80, 24)


def names(app: FleetApp) -> list[str]:
    table = app.screen.query_one(FleetTable)
    return [table.row_text(i)[1] for i in range(len(app.model.visible))]


def text_of(widget: Static) -> str:
    """A Static's content as the terminal would print it (no styles)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def header(app: FleetApp) -> str:
    return str(app.screen.query_one(FleetHeader).render())


async def settled(app: FleetApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_worst_first_with_counts_in_header() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        assert names(app)[:3] == ["dt-cho-01", "ht-den-02", "dt-truong-02"]
        table = app.screen.query_one(FleetTable)
        row = table.row_text(0)
        assert row[3] == "crit" and row[4].startswith("no video")
        assert row[5] == "2h 05m"  # since, from the problem's first sighting
        assert "4 ok" in header(app) and "1 crit" in header(app)
        assert "dong-tien 2 ok · 1 warn · 1 crit" in header(app)
        assert "last sweep" in header(app)


async def test_filter_then_invert_with_bang() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("slash", *"site:ha-trung")
        assert sorted(names(app)) == ["ht-cho-01", "ht-den-02", "ht-ga-03"]
        assert "showing 3/7" in header(app)
        await pilot.press("enter")
        app.screen.query_one("#filter").value = ""  # type: ignore[attr-defined]
        await pilot.press("slash")
        await pilot.press("ctrl+u", *"!site:ha-trung", "enter")
        assert sorted(names(app)) == ["dt-cau-04", "dt-cho-01", "dt-truong-02", "dt-ubnd-03"]
        await pilot.press("escape")  # esc clears the filter
        assert len(names(app)) == 7


async def test_bad_filter_keeps_last_good_one_and_says_why() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("slash", *"site:ha-trung !")  # `!` alone: not yet a term
        box = app.screen.query_one("#filter")
        assert "needs a term" in str(box.border_subtitle)  # the parser's words, under the line
        assert sorted(names(app)) == ["ht-cho-01", "ht-den-02", "ht-ga-03"]


async def test_ctrl_z_shows_only_faults() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("ctrl+z")
        assert names(app) == ["dt-cho-01", "ht-den-02", "dt-truong-02"]
        assert "faults only" in header(app)
        await pilot.press("ctrl+z")
        assert len(names(app)) == 7


async def test_sort_keys_and_reverse() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("N")
        assert names(app) == sorted(names(app))
        await pilot.press("N")  # same key again: reversed
        assert names(app) == sorted(names(app), reverse=True)
        await pilot.press("O")  # largest clock offset first
        assert names(app)[0] == "dt-truong-02"
        await pilot.press("W")
        assert names(app)[0] == "dt-cho-01"


async def test_marks_survive_filter_and_bulk_confirm_counts_hidden() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("space", "space")  # marks rows 0 and 1: dt-cho-01, ht-den-02
        assert app.model.marks == {"dt-cho-01", "ht-den-02"}
        await pilot.press("slash", *"site:dong-tien", "enter")
        table = app.screen.query_one(FleetTable)
        assert table.row_text(0)[:2] == ["●", "dt-cho-01"]  # still marked after filtering
        await pilot.press("R")  # reboot the marked cameras: confirm says 2, 1 of them hidden
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Reboot 2 cameras (1 hidden by the filter)?"
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("u")
        assert app.model.marks == set()


async def test_mark_range() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("space", "down", "down", "V")  # mark row 0, then range 0..3
        assert app.model.marks == set(names(app)[:4])
        assert "4 marked" in header(app)


async def test_read_only_refuses_mutations_and_says_so() -> None:
    app, _ = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        assert "READ-ONLY" in header(app)
        await pilot.press("R")
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("--read-only" in n.message for n in app._notifications)
        await pilot.press("a")  # the actions menu shows them, disabled
        assert isinstance(app.screen, ActionMenu)
        menu = app.screen.query_one("OptionList")
        assert menu.get_option("reboot").disabled  # type: ignore[attr-defined]
        assert not menu.get_option("check").disabled  # type: ignore[attr-defined]


async def test_drill_down_and_back() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, CameraScreen)
        body = text_of(app.screen.query_one("#body", Static))
        assert "no video: 0 RTP packets" in body and "DS-2CD2143G2-I" in body
        assert "Streaming/Channels/101" in body
        await pilot.press("y")
        assert any(n.message == "copied rtsp://127.253.0.1:554/Streaming/Channels/101"
                   for n in app._notifications)
        await pilot.press("escape")
        assert not isinstance(app.screen, CameraScreen)
        assert names(app)[0] == "dt-cho-01"


async def test_sites_view_and_drill_into_site() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("colon", *"sites", "enter")
        assert isinstance(app.screen, SitesScreen)
        table = app.screen.query_one("DataTable")
        rows = [table.get_row_at(i) for i in range(table.row_count)]  # type: ignore[attr-defined]
        assert rows[0][:3] == ["dong-tien", 4, 1]  # worst site first, total, crit
        await pilot.press("down", "enter")  # ha-trung
        assert not isinstance(app.screen, SitesScreen)
        assert sorted(names(app)) == ["ht-cho-01", "ht-den-02", "ht-ga-03"]


async def test_help_is_generated_from_bindings() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {desc: keys for keys, desc, _ in app.screen.rows}
        assert rows["faults only"] == "ctrl+z" and rows["filter"] == "/"
        assert rows["sort: clock offset"] == "O"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_dead_camera_never_freezes_the_screen() -> None:
    app, source = make_app(hold=("ht-ga-03",))
    async with app.run_test(size=SIZE) as pilot:
        await source.started.wait()
        await pilot.pause()
        assert "sweep 6/7" in header(app)  # six answered, one is hanging
        await pilot.press("ctrl+z")  # and the UI still answers keys meanwhile
        assert names(app) == ["dt-cho-01", "ht-den-02", "dt-truong-02"]
        source.release()
        await settled(app, pilot)
        assert "sweep" not in header(app).split("last sweep")[0]


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_usable_at_80x24_and_large(size: tuple[int, int]) -> None:
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await settled(app, pilot)
        table = app.screen.query_one(FleetTable)
        assert table.size.height >= 10  # header, footer and table all fit
        lines = [table.render_line(y).text for y in range(3)]
        assert "NAME" in lines[0] and "dt-cho-01" in lines[1]
        await pilot.press("right", "right", "right")  # scroll sideways: the name stays
        assert "dt-cho-01" in table.render_line(1).text
