"""TUI speed with 10,000 cameras: filter keystrokes and responsiveness during a sweep.

    /tmp/venv/bin/python benchmarks/bench_tui.py [--cameras 10000] [--baseline]

Prints, against the issue's target (a filter keystroke updates the table in < 100 ms):
- filter update: ``FleetModel.set_filter`` + ``FleetTable.reload`` + rendering the visible lines;
- filter keystroke: a key event posted to the app until the fleet view has re-filtered the table;
- during a sweep streaming 10,000 results: event-loop lag (how late a 10 ms tick runs) and
  cursor keys pressed meanwhile (key event posted -> the cursor moved).
``--baseline`` also times the named baseline: Textual's DataTable rebuilt with the same rows
(clear + add_rows + the idle pass that measures cells), what each filter keystroke would cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Sequence

from textual import events

from fleetctl.core.models import Camera, CameraReport, Problem, ProblemKind, Status, StreamResult
from fleetctl.tui.app import FleetApp
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.source import OnResult
from fleetctl.tui.widgets.fleet_table import FleetTable

SITES = ["dong-tien", "ha-trung", "quang-xuong", "nga-son", "tho-xuan", "yen-dinh", "vinh-loc"]


def fleet(n: int) -> tuple[list[Camera], list[CameraReport]]:
    cams, reps = [], []
    for i in range(n):
        site = SITES[i % len(SITES)]
        name = f"{site[:2]}-cam-{i:05}"
        host = f"127.253.{i // 250}.{i % 250 + 1}"  # never contacted: scripted results
        cams.append(Camera(name=name, host=host, site=site, tags=("market",) if i % 5 == 0 else ()))
        status = Status.CRIT if i % 50 == 0 else Status.WARN if i % 17 == 0 else Status.OK
        problems = (
            (Problem(ProblemKind.STREAM, status, "no video: 0 RTP packets in 1.0 s"),)
            if status is not Status.OK
            else ()
        )
        reps.append(
            CameraReport(
                name,
                site,
                host,
                status,
                problems,
                clock_offset_s=0.3,
                streams=(
                    StreamResult("main", None, status, "H264", fps=25.0, bitrate_kbps=4000.0),
                ),
            )
        )
    return cams, reps


class TrickleSource:
    """Results in chunks, like a real fan-out finishing cameras over ``spread_s`` seconds."""

    def __init__(self, reports: Sequence[CameraReport], spread_s: float, chunk: int = 50) -> None:
        self.reports, self.spread_s, self.chunk = list(reports), spread_s, chunk

    async def sweep(self, cameras: Sequence[Camera], on_result: OnResult) -> None:
        pause = self.spread_s / max(1, len(self.reports) // self.chunk)
        for k in range(0, len(self.reports), self.chunk):
            for rep in self.reports[k : k + self.chunk]:
                on_result(rep)
            await asyncio.sleep(pause)


def ms(values: Sequence[float]) -> str:
    vals = sorted(values)
    p95 = vals[min(len(vals) - 1, int(len(vals) * 0.95))]
    return f"median {statistics.median(vals) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   max {vals[-1] * 1000:6.1f} ms"


async def press(app: FleetApp, key: str, done: asyncio.Event) -> float:
    """Post one key as the terminal would; seconds until the UI has acted on it (``done``)."""
    done.clear()
    t = time.perf_counter()
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    await done.wait()
    return time.perf_counter() - t


async def bench(n: int, baseline: bool) -> None:
    cams, reps = fleet(n)
    print(
        f"fleetctl TUI benchmark: {n} cameras, terminal 120x40, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    app = FleetApp(cams, TrickleSource(reps, spread_s=3.0), interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, FleetScreen)
        table = screen.query_one(FleetTable)
        moved, refreshed = asyncio.Event(), asyncio.Event()
        watch_cursor, refresh_data = table.watch_cursor, screen.refresh_data

        def on_cursor(old: int, new: int) -> None:  # instrumentation: the key's effect landed
            watch_cursor(old, new)
            moved.set()

        def on_refresh(_: None = None) -> None:
            refresh_data()
            refreshed.set()

        table.watch_cursor = on_cursor  # type: ignore[method-assign]
        screen.refresh_data = on_refresh  # type: ignore[method-assign]

        # -- during the sweep: event-loop lag and cursor keys
        lags: list[float] = []
        keys: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - t - 0.01)

        tick = asyncio.create_task(ticker())
        t_sweep = time.perf_counter()
        while app.progress.running or app.progress.last_finished is None:
            keys.append(await press(app, "down" if len(keys) % 2 == 0 else "up", moved))
        sweep_s = time.perf_counter() - t_sweep
        stop.set()
        await tick
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.model.reports) == n
        print(f"sweep streaming {n} results over ~3 s: done in {sweep_s:.2f} s wall")
        print(f"  event-loop lag during sweep        {ms(lags)}   ({len(lags)} ticks)")
        print(f"  cursor key -> cursor moved         {ms(keys)}   ({len(keys)} keys)")

        # -- filter: the model + table update alone, then a real keystroke end to end
        exprs = [
            "d",
            "do",
            "don",
            "dong",
            "site:ha-trung",
            "tag:market",
            "!status:ok",
            "cam-0*",
            "",
        ]
        updates = []
        for expr in exprs * 5:
            t = time.perf_counter()
            app.model.set_filter(expr)
            table.reload()
            for y in range(table.size.height):
                table.render_line(y)
            updates.append(time.perf_counter() - t)
        print(f"  filter update (model+table+render) {ms(updates)}   target < 100 ms")
        await pilot.press("slash")
        strokes = []
        for text in ("dong", "site:ha-trung", "!status:ok"):
            await pilot.press("ctrl+u")
            for ch in text:
                strokes.append(await press(app, ch, refreshed))
        print(f"  filter keystroke -> table updated  {ms(strokes)}   ({len(strokes)} keys)")

    if baseline:
        from textual.app import App, ComposeResult
        from textual.widgets import DataTable

        class Base(App[None]):
            def compose(self) -> ComposeResult:
                yield DataTable()

        base = Base()
        rows = [app.model.cells(c.name) for c in cams]
        async with base.run_test(size=(120, 40)) as pilot:
            dt: DataTable[str] = base.query_one(DataTable)
            dt.add_columns(*(f"c{i}" for i in range(len(rows[0]))))
            t = time.perf_counter()
            dt.clear()
            dt.add_rows(rows)
            await pilot.pause()
            print(
                f"  baseline: DataTable rebuild of {n} rows   {(time.perf_counter() - t) * 1000:.0f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=10_000)
    parser.add_argument(
        "--baseline", action="store_true", help="also time Textual's DataTable rebuild"
    )
    args = parser.parse_args()
    asyncio.run(bench(args.cameras, args.baseline))


if __name__ == "__main__":
    main()
