"""Pilot tests of the fleet view: what the operator sees after each keystroke.

UI isolation: results come from a ScriptedSource of prepared CameraReports (the engine and
protocols are covered by their own tests and by tests/tui/test_tui_sim.py against the simulator).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace

import pytest
from rich.console import Console
from support.tui import make_app
from textual.widgets import OptionList, Static

from fleetctl.core.models import Camera, SshSpec, Status
from fleetctl.core.secret import Secret
from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.camera import CameraScreen, ssh_command
from fleetctl.tui.screens.confirm import ActionMenu, ConfirmScreen
from fleetctl.tui.screens.fleet import FleetScreen
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


async def test_sites_are_shown_by_their_inventory_location() -> None:
    app, _ = make_app(site_names={"dong-tien": "Đông Tiến"})
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        assert "Đông Tiến 2 ok · 1 warn · 1 crit" in header(app)
        assert "dong-tien 2 ok" not in header(app)
        assert "ha-trung" in header(app)  # no location: the key
        await pilot.press("colon", *"sites", "enter")
        await pilot.pause()
        table = app.screen.query_one("#sites")
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]  # type: ignore[attr-defined]
        assert "dong-tien · Đông Tiến" in labels and "ha-trung" in labels
        await pilot.press("enter")  # drills by the key, whatever the label
        await pilot.pause()
        assert app.model.filter_text.startswith("site:")


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
        assert any(
            n.message == "copied rtsp://127.253.0.1:554/Streaming/Channels/101"
            for n in app._notifications
        )
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
        # worst site first, total, crit (the label is Text: a site's location is never markup)
        assert [str(rows[0][0]), *rows[0][1:3]] == ["dong-tien", 4, 1]
        await pilot.press("down", "enter")  # ha-trung
        assert not isinstance(app.screen, SitesScreen)
        assert sorted(names(app)) == ["ht-cho-01", "ht-den-02", "ht-ga-03"]
        await pilot.press("colon", *"sites", "enter", "escape")  # esc: back, filter kept
        assert isinstance(app.screen, FleetScreen) and len(names(app)) == 3
        await pilot.press("colon", *"sites", "enter", "colon", *"cameras", "enter")
        assert isinstance(app.screen, FleetScreen)
        await pilot.press("colon", *"nonsense", "enter")
        assert any("unknown view 'nonsense'" in n.message for n in app._notifications)


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


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
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


async def test_check_now_checks_the_marked_cameras_or_the_current_one() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("c")  # no marks: the camera under the cursor
        await settled(app, pilot)
        assert source.checked[-1] == ["dt-cho-01"]
        await pilot.press("down", "space", "space", "slash", *"site:dong-tien", "enter", "c")
        await settled(app, pilot)
        assert sorted(source.checked[-1]) == ["dt-truong-02", "ht-den-02"]  # hidden mark included


async def test_live_sweeps_update_rows_on_the_interval() -> None:
    app, source = make_app()
    app.interval = 0.01
    async with app.run_test(size=SIZE) as pilot:
        await source.wait_sweeps(1)
        healed = replace(source.reports["dt-cho-01"], status=Status.OK, problems=())
        source.set(healed)
        await source.wait_sweeps(3)  # the next sweeps see the change
        await pilot.pause()
        assert app.model.reports["dt-cho-01"].status is Status.OK
        assert names(app)[0] == "ht-den-02"  # re-sorted: the healed camera left the top


class RecordingActions:
    """A scripted ActionRunner: records what the UI asked for (UI isolation, no camera)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    async def run(self, action: str, cameras: Sequence[Camera]) -> dict[str, str]:
        self.calls.append((action, [c.name for c in cameras]))
        return {c.name: "ok" if i == 0 else "no answer within 10 s" for i, c in enumerate(cameras)}


async def test_bulk_menu_reboot_confirmed_runs_on_all_marked_and_reports() -> None:
    app, _ = make_app()
    app.actions = actions = RecordingActions()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("space", "space", "slash", *"site:dong-tien", "enter", "a")
        assert isinstance(app.screen, ActionMenu)
        app.screen.query_one(OptionList).highlighted = 2  # reboot
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Reboot 2 cameras (1 hidden by the filter)?"
        await pilot.press("y")
        await settled(app, pilot)
        assert actions.calls == [("reboot", ["dt-cho-01", "ht-den-02"])]
        assert any(
            n.message.startswith("reboot: 1 ok, 1 failed\nht-den-02: no answer")
            for n in app._notifications
        )


async def test_ssh_needs_an_ssh_entry_and_never_passes_a_password() -> None:
    recorder = Camera(
        "dt-nvr",
        "127.253.0.9",
        "dong-tien",
        ssh=SshSpec(port=2222, username="ops", password=Secret("hunter2")),
    )
    assert ssh_command(recorder) == ["ssh", "-p", "2222", "ops@127.253.0.9"]
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("enter", "s")  # a camera without ssh: says how to get it
        assert any("set `ssh:`" in n.message for n in app._notifications)


class BrokenSource:
    """A source with a bug: the UI must say so and stay usable, not crash."""

    async def sweep(self, cameras: Sequence[Camera], on_result: object) -> None:
        raise RuntimeError("history store is read-only")


async def test_a_failing_sweep_is_reported_not_fatal() -> None:
    app, _ = make_app()
    app.source = BrokenSource()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        assert app.is_running
        assert any(
            "sweep failed: history store is read-only" in n.message for n in app._notifications
        )
        await pilot.press("ctrl+z")
        assert "faults only" in header(app)


async def test_copied_rtsp_url_never_carries_a_password() -> None:
    app, source = make_app()
    rep = source.reports["dt-cho-01"]
    leaky = replace(
        rep.streams[0], uri="rtsp://admin:S3cr%40t@127.253.0.1:554/Streaming/Channels/101"
    )
    source.set(replace(rep, streams=(leaky,)))
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign,assignment]  # OSC 52 payload
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("enter")
        body = text_of(app.screen.query_one("#body", Static))
        await pilot.press("y")
        assert copied == ["rtsp://127.253.0.1:554/Streaming/Channels/101"]
        shown = body + "".join(n.message for n in app._notifications)
        assert "S3cr" not in shown and "admin" not in shown


async def test_camera_screen_shows_the_days_of_footage_kept() -> None:
    from support.tui import ScriptedSource, fleet

    cams, reps = fleet()
    reps = [replace(r, days_kept=2.04) for r in reps]
    app = FleetApp(cams, ScriptedSource(reps), interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, CameraScreen)
        body = text_of(app.screen.query_one("#body", Static))
        assert "Footage kept: 2.0 days (policy 7)" in body


async def test_camera_screen_says_the_days_kept_with_the_languages_decimal_mark() -> None:
    from support.tui import ScriptedSource, fleet

    from fleetctl.base.i18n import set_language

    set_language("vi")
    cams, reps = fleet()
    reps = [replace(r, days_kept=2.04) for r in reps]
    app = FleetApp(cams, ScriptedSource(reps), interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, CameraScreen)
        body = text_of(app.screen.query_one("#body", Static))
        assert "Video lưu: 2,0 ngày (chính sách 7)" in body, body
