"""`:report` in the TUI: the report's numbers per site, read from a real history store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.tui import fleet
from textual.widgets import DataTable, Static

from fleetctl.core.models import FleetReport, Status
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.report import make_report
from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.screens.report import ReportScreen
from fleetctl.tui.source import ScriptedSource

SIZE = (120, 30)


async def _open_report(app: FleetApp, pilot: object) -> ReportScreen:
    await pilot.press("colon", *"report", "enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, ReportScreen)
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    return app.screen


async def test_report_view_shows_sites_from_history(tmp_path: Path) -> None:
    cams, reps = fleet()
    end = datetime.now(UTC)
    with HistoryStore(str(tmp_path / "h.sqlite")) as store:
        for minutes in (30, 20, 10):  # three sweeps, ten minutes apart
            at = end - timedelta(minutes=minutes)
            store.record(
                FleetReport("0.1.0", at, 1.0, tuple(replace(r, checked_at=at) for r in reps))
            )
        crit = sum(1 for r in reps if r.status is Status.CRIT)
        app = FleetApp(
            cams,
            ScriptedSource(reps),
            interval=0,
            site_names={"dong-tien": "Đông Tiến"},
            report=lambda: make_report(
                store, cams, end - timedelta(hours=24), end, locations={"dong-tien": "Đông Tiến"}
            ),
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_report(app, pilot)
            headline = str(screen.query_one("#headline", Static).render())
            assert f"{len(cams)} cameras" in headline and f"{crit} crit now" in headline
            table = screen.query_one(DataTable)
            rows = {
                str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(table.row_count)
            }
            assert set(rows) == {"dong-tien · Đông Tiến", "ha-trung"}
            assert all(str(row[2]).endswith("%") for row in rows.values())  # availability known
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, FleetScreen)


async def test_report_view_without_history_says_so() -> None:
    cams, reps = fleet()
    app = FleetApp(cams, ScriptedSource(reps), interval=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_report(app, pilot)
        assert "no history" in str(screen.query_one("#title", Static).render())
