"""Progress of `footage export -s`: a live display on a terminal, plain lines otherwise.

    with clip_progress(live=..., total=n) as on_progress: ...   on_progress(ClipProgress)

Live (stderr is a terminal and the output is a table): one line per camera being exported (its
name, a bar, seconds of footage received of the window's, frames) and a total line; a camera that
finishes leaves one line above the display. Plain (a pipe, a log, ``-f json``): one line on
stderr when a camera starts, when its first footage arrives, every ``PLAIN_EVERY_S`` seconds
after that, and when it ends; a script can wait on them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fleetctl.base.i18n import _, ngettext
from fleetctl.engine.footage_batch import ClipProgress, ClipResult, ClipState

PLAIN_EVERY_S = 10.0


def done_line(r: ClipResult) -> str:
    if r.outcome is ClipState.SKIPPED:
        return _("%(camera)s: already exported, its SHA-256 matches the sidecar: kept %(path)s") % {
            "camera": r.name,
            "path": r.path,
        }
    if r.outcome is ClipState.SAVED:
        text = ngettext(
            "%(camera)s: saved %(path)s (%(frames)d frame, %(duration).1f s)",
            "%(camera)s: saved %(path)s (%(frames)d frames, %(duration).1f s)",
            r.frames,
        ) % {
            "camera": r.name,
            "path": r.path,
            "frames": r.frames,
            "duration": r.duration_s or 0.0,
        }
        if r.redone:
            text += " " + _("(the clip there did not match its sidecar: exported again)")
        return text
    return _("%(camera)s: failed: %(why)s") % {"camera": r.name, "why": r.error_text()}


def _plain() -> Callable[[ClipProgress], None]:
    started: set[str] = set()
    said_at: dict[str, float] = {}  # when the last "received" line of a camera was printed

    def say(line: str) -> None:
        print(line.replace("\r", " ").replace("\n", " "), file=sys.stderr, flush=True)

    def on_progress(p: ClipProgress) -> None:
        if p.state is ClipState.EXPORTING:
            if p.name not in started:
                started.add(p.name)
                say(_("%(camera)s: exporting") % {"camera": p.name})
            now = time.monotonic()
            if p.frames and (p.name not in said_at or now - said_at[p.name] >= PLAIN_EVERY_S):
                said_at[p.name] = now
                say(
                    ngettext(
                        "%(camera)s: %(got).0f of %(total).0f s received (%(frames)d frame)",
                        "%(camera)s: %(got).0f of %(total).0f s received (%(frames)d frames)",
                        p.frames,
                    )
                    % {
                        "camera": p.name,
                        "got": p.received_s,
                        "total": p.window_s,
                        "frames": p.frames,
                    }
                )
        elif p.result is not None:
            say(done_line(p.result))

    return on_progress


@contextmanager
def clip_progress(*, live: bool, total: int) -> Iterator[Callable[[ClipProgress], None]]:
    if not live:
        yield _plain()
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
    from rich.text import Text

    console = Console(stderr=True, highlight=False)
    tasks: dict[str, TaskID] = {}
    counts = {ClipState.SAVED: 0, ClipState.SKIPPED: 0, ClipState.FAILED: 0}
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.fields[detail]}", markup=False),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True, refresh_per_second=4) as bar:
        overall = bar.add_task(_("all cameras"), total=total, detail="")

        def totals() -> str:
            return _(
                "%(done)d of %(total)d: %(saved)d saved, %(skipped)d kept, %(failed)d failed"
            ) % {
                "done": sum(counts.values()),
                "total": total,
                "saved": counts[ClipState.SAVED],
                "skipped": counts[ClipState.SKIPPED],
                "failed": counts[ClipState.FAILED],
            }

        def on_progress(p: ClipProgress) -> None:
            if p.state in (ClipState.EXPORTING, ClipState.CHECKING):
                detail: Any = (
                    _("checking the clip already there")
                    if p.state is ClipState.CHECKING
                    else ngettext(
                        "%(got).0f/%(total).0f s, %(frames)d frame",
                        "%(got).0f/%(total).0f s, %(frames)d frames",
                        p.frames,
                    )
                    % {"got": p.received_s, "total": p.window_s, "frames": p.frames}
                )
                if p.name not in tasks:
                    tasks[p.name] = bar.add_task(p.name, total=p.window_s or None, detail=detail)
                bar.update(tasks[p.name], completed=p.received_s, detail=detail)
            elif p.result is not None:
                if p.name in tasks:
                    bar.remove_task(tasks.pop(p.name))
                counts[p.result.outcome] += 1
                bar.update(overall, advance=1, detail=totals())
                style = {ClipState.FAILED: "red", ClipState.SAVED: "green"}.get(p.state, "")
                bar.console.print(Text(done_line(p.result), style=style))

        yield on_progress
