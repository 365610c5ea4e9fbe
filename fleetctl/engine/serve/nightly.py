"""`serve --backup-dir DIR`: each camera's configuration backed up once a day, at a set local time.

    NightlyBackup(workspace, cameras, out_dir, at).run(stop)   until stop; tick() is one look
    next_run(now, at) -> datetime                              the next ``at`` after ``now``

A backup reads every setting over ONVIF, a few calls a camera: light next to a check, but with
10,000 cameras at the check's own concurrency it would double the load of the cycle it meets. It
runs with its own small bound (``BACKUP_CONCURRENCY``), beside the cycles, never instead of them.
The clock is injected (``clock``): tests move time, nobody sleeps. A day whose time was missed
(the process started after it, or the machine slept) runs at the next one, not at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time

from fleetctl.base.i18n import _
from fleetctl.core.models import Camera
from fleetctl.engine.backup import BackupOptions, BackupOutcome, backup_fleet
from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)

BACKUP_CONCURRENCY = 4  # cameras backed up at once: beside the checks, never a second spike
WAKE_S = 60.0  # at most this long between two looks at the clock (a clock that jumps is seen)

Clock = Callable[[], datetime]  # aware local time


def local_now() -> datetime:
    return datetime.now().astimezone()


def next_run(now: datetime, at: clock_time) -> datetime:
    """The first ``at`` (local wall time) strictly after ``now``."""
    candidate = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= now:
        candidate = (candidate + timedelta(days=1)).replace(hour=at.hour, minute=at.minute)
    return candidate


@dataclass(frozen=True)
class BackupRun:
    """One nightly run: when it ended, how long it took, how many cameras had each result."""

    finished: float  # epoch seconds
    duration_s: float
    counts: dict[str, int]  # saved / unchanged / failed
    ok: bool  # the folder was written and at least one camera was read (or none was asked)

    def summary(self, out_dir: str) -> str:
        return _(
            "nightly backup to %(folder)s: %(saved)d saved, %(unchanged)d unchanged, "
            "%(failed)d failed in %(seconds).1f s"
        ) % {"folder": out_dir, "seconds": self.duration_s, **self.counts}


class NightlyBackup:
    def __init__(
        self,
        workspace: Workspace,
        cameras: Sequence[Camera],
        out_dir: str,
        at: clock_time,
        *,
        options: BackupOptions | None = None,
        clock: Clock = local_now,
        on_done: Callable[[BackupRun], None] | None = None,
    ) -> None:
        self.workspace = workspace
        self.cameras = tuple(cameras)
        self.out_dir = out_dir
        self.at = at
        self.options = options or BackupOptions(concurrency=BACKUP_CONCURRENCY)
        self.clock = clock
        self.on_done = on_done
        self.due = next_run(clock(), at)
        self.last: BackupRun | None = None
        self.last_success: float | None = None  # epoch seconds of the last ok run

    async def tick(self) -> BackupRun | None:
        """Run the backup if its time has come (then the next is tomorrow's); else None."""
        now = self.clock()
        if now < self.due:
            return None
        self.due = next_run(now, self.at)
        return await self.run_once()

    async def run_once(self) -> BackupRun:
        started = time.monotonic()
        try:
            results = await backup_fleet(self.workspace, self.cameras, self.out_dir, self.options)
            error = None
        except OSError as err:  # the folder itself: cannot be created or written
            results, error = [], err
        counts = Counter(r.result.value for r in results)
        by_result = {o.value: counts[o.value] for o in BackupOutcome}
        if error is not None:
            by_result["failed"] = len(self.cameras)
        read = by_result["saved"] + by_result["unchanged"]
        run = BackupRun(
            time.time(),
            time.monotonic() - started,
            by_result,
            ok=error is None and (read > 0 or not self.cameras),
        )
        self.last = run
        if run.ok:
            self.last_success = run.finished
        if error is not None:
            log.error("nightly backup to %s failed: %s", self.out_dir, error)
        log.info("%s", run.summary(self.out_dir))
        if self.on_done is not None:
            self.on_done(run)
        return run

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: wake at the due time (or every ``WAKE_S``) and ``tick``."""
        while not stop.is_set():
            wait = (self.due - self.clock()).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(max(wait, 0.0), WAKE_S))
            if stop.is_set():
                return
            # A stop during a backup ends it (files are written atomically: none half-written).
            tick = asyncio.ensure_future(self.tick())
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({tick, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not tick.done():
                tick.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await tick
                return
            if (err := tick.exception()) is not None:  # a bug: said, tried again tomorrow
                log.error("nightly backup failed", exc_info=err)
