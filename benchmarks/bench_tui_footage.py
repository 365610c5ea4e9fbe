"""The TUI's footage view while answers arrive: 500 cameras (the demo) or more.

    .venv/bin/python benchmarks/bench_tui_footage.py [--cameras 500] [--baseline]

Answers are fed to the view as the engine's ``on_result`` would deliver them (in chunks over
~3 s; no network: the search itself is bench_footage.py's), and prints:
- event-loop lag during the arrival (how late a 10 ms tick runs) and cursor keys pressed
  meanwhile (key event posted -> the table's cursor moved);
- the last answer -> the table sorted and the counts shown.
``--baseline`` runs the same arrival against the named baseline: the table rebuilt whole at each
flush (clear + add every row), what a view that re-sorts as answers arrive would cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime, timedelta

from bench_tui import fleet, ms, press
from textual.widgets import DataTable

from fleetctl.adapters.secrets import SecretStore
from fleetctl.core.footage.coverage import Coverage, Span
from fleetctl.core.footage.model import CameraFootage
from fleetctl.core.models import Inventory, Site
from fleetctl.engine.workspace import Workspace
from fleetctl.tui.app import FleetApp
from fleetctl.tui.footage_view import FootageSetup
from fleetctl.tui.screens.footage import FootageScreen
from fleetctl.tui.source import ScriptedSource

SPREAD_S = 3.0
CHUNK = 25


def answers(names: list[str], window: Span) -> list[CameraFootage]:
    """A district's mix: most hold it all, some part (a power cut), a few none or unknown."""
    out = []
    cut = Span(window.start + timedelta(minutes=10), window.start + timedelta(minutes=25))
    for i, name in enumerate(names):
        kind = (Coverage.FULL, Coverage.FULL, Coverage.FULL, Coverage.PARTIAL, Coverage.NONE)[i % 5]
        if i % 23 == 0:
            kind = Coverage.UNKNOWN
        gaps = {Coverage.PARTIAL: (cut,), Coverage.NONE: (window,)}.get(kind, ())
        covered = (
            None if kind is Coverage.UNKNOWN else window.seconds - sum(g.seconds for g in gaps)
        )
        out.append(
            CameraFootage(
                name, "site", kind, covered, gaps,
                None if kind is Coverage.UNKNOWN else window.start - timedelta(days=7),
                None if kind is Coverage.UNKNOWN else window.end + timedelta(hours=1),
                "none" if kind is Coverage.UNKNOWN else "onvif-events",
                "offline: no route to host" if kind is Coverage.UNKNOWN else None,
            )
        )  # fmt: skip
    return out


async def run(n: int, rebuild: bool) -> None:
    cams, reps = fleet(n)
    sites = tuple(Site(s) for s in sorted({c.site for c in cams}))
    setup = FootageSetup(Workspace(Inventory(tuple(cams), sites, ()), SecretStore("")))
    app = FleetApp(cams, ScriptedSource(reps), interval=0, footage=setup)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        names = [c.name for c in cams]
        screen = FootageScreen(names, "all", setup)
        await app.push_screen(screen)
        await pilot.pause()
        end = datetime.now(UTC).replace(microsecond=0)
        window = Span(end - timedelta(hours=1), end)
        screen.windows = {name: window for name in names}
        screen.searching = True
        screen._fill()
        if rebuild:  # the baseline: every flush rebuilds (and re-sorts) the whole table

            def rebuild_all() -> None:
                screen._flush, screen._changed = None, set()
                screen._fill()

            screen._apply = rebuild_all  # type: ignore[method-assign]
        table = screen.query_one(DataTable)
        table.focus()
        moved = asyncio.Event()
        watch = table.watch_cursor_coordinate

        def on_cursor(old: object, new: object) -> None:  # instrumentation: the key landed
            watch(old, new)  # type: ignore[arg-type]
            moved.set()

        table.watch_cursor_coordinate = on_cursor  # type: ignore[method-assign]
        lines = answers(names, window)
        lags: list[float] = []
        keys: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - t - 0.01)

        async def arrive() -> None:
            pause = SPREAD_S / max(1, len(lines) // CHUNK)
            for k in range(0, len(lines), CHUNK):
                for line in lines[k : k + CHUNK]:
                    screen._arrived(line)
                await asyncio.sleep(pause)  # the answers' pace, not a readiness wait

        tick = asyncio.create_task(ticker())
        feeding = asyncio.create_task(arrive())
        t0 = time.perf_counter()
        while not feeding.done():
            keys.append(await press(app, "down" if len(keys) % 2 == 0 else "up", moved))
        arrival_s = time.perf_counter() - t0
        t = time.perf_counter()
        screen.searching = False
        screen._fill()  # what the search worker does once every answer is in
        await pilot.pause()
        final_s = time.perf_counter() - t
        stop.set()
        await tick
        assert len(screen.shown()) == n
        label = "baseline (rebuild per flush)" if rebuild else "footage view (changed rows)"
        print(f"{label}: {n} answers over ~{SPREAD_S:g} s, done in {arrival_s:.2f} s wall")
        print(f"  event-loop lag while answers arrive  {ms(lags)}   ({len(lags)} ticks)")
        print(f"  cursor key -> cursor moved          {ms(keys)}   ({len(keys)} keys)")
        print(f"  last answer -> sorted table shown   {final_s * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--baseline", action="store_true", help="also run the rebuild baseline")
    args = parser.parse_args()
    print(
        f"fleetctl TUI footage view benchmark: {args.cameras} cameras, terminal 160x40, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    asyncio.run(run(args.cameras, rebuild=False))
    if args.baseline:
        asyncio.run(run(args.cameras, rebuild=True))


if __name__ == "__main__":
    main()
