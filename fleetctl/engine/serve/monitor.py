"""Continuous monitoring: checks on a schedule, flap damping, notifications (`fleetctl serve`).

Each cycle checks every camera once, spread evenly across the interval (a 10,000-camera district
checked at 60 s starts ~170 checks a second instead of 10,000 at the top of the minute, which
would spike CPU, bandwidth and the cameras' own login rate limits). A camera's check is never
stacked on a previous one: a cycle that overruns the interval delays the next cycle, it does not
overlap it. Reports are damped (core.damping) before anyone sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fleetctl import __version__
from fleetctl.core.damping import DampState, Transition, damp_report
from fleetctl.core.models import Camera, CameraReport, FleetReport
from fleetctl.engine.check.runner import CheckOptions, check_camera, release_connections
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonitorOptions:
    interval_s: float = 60.0
    flap_checks: int = 1  # consecutive crit checks before a camera is reported crit
    check: CheckOptions = field(default_factory=CheckOptions)


@dataclass(frozen=True)
class Notification:
    """A reported status change worth telling a human about (after damping)."""

    transition: Transition
    report: CameraReport
    at: datetime


Notifier = Callable[[Notification], Coroutine[None, None, None]]


def _phase(name: str) -> float:
    """A stable position in [0, 1) for a camera, so it is checked at the same point of each cycle."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def in_shard(name: str, shard: int, shards: int) -> bool:
    """Stable split of a fleet across ``shards`` serve processes (1-based ``shard``).

    One event loop uses one core; a district too large for one core runs one `serve --shard K/N`
    per core, each on its own port, all scraped by the same Prometheus.
    """
    return int(_phase(name) * shards) == shard - 1


class Monitor:
    """Holds the latest damped report of every camera; ``run()`` keeps it fresh until stopped."""

    def __init__(
        self,
        workspace: Workspace,
        cameras: Sequence[Camera],
        options: MonitorOptions,
        *,
        history: HistoryStore | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.workspace = workspace
        self.cameras = tuple(sorted(cameras, key=lambda c: _phase(c.name)))
        self.options = options
        self.history = history
        self.notifier = notifier
        self.latest: dict[str, CameraReport] = {}  # damped, what metrics and the API show
        self.last_checked: dict[str, float] = {}  # epoch seconds
        self.probe_ms: dict[str, dict[str, float]] = {}
        self._damp: dict[str, DampState] = {}
        self.cycles = 0
        self.cycle_started: float | None = None
        self.last_cycle_s: float | None = None
        self.overruns = 0
        self.version = 0  # bumps on every change: lets exposition cache its rendering
        self._sem = asyncio.Semaphore(max(1, options.check.concurrency))
        self._notify_tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Run cycles back to back, each at least ``interval_s`` long, until ``stop`` is set."""
        while not stop.is_set():
            started = time.monotonic()
            await self.run_cycle(stop)
            elapsed = time.monotonic() - started
            if elapsed > self.options.interval_s:
                self.overruns += 1
                log.warning(
                    "a cycle took %.1f s, longer than the %.0f s interval",
                    elapsed,
                    self.options.interval_s,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, self.options.interval_s - elapsed))
        await self.close()

    async def run_cycle(self, stop: asyncio.Event | None = None) -> FleetReport:
        """Check every camera once, spread across the interval; record the cycle in history."""
        started_wall = datetime.now(UTC)
        t0 = self.cycle_started = time.monotonic()
        n = len(self.cameras)
        # Spread starts across 90% of the interval so the last checks finish inside it.
        step = 0.9 * self.options.interval_s / n if n else 0.0
        results: list[CameraReport] = []
        async with asyncio.TaskGroup() as tg:
            for i, cam in enumerate(self.cameras):
                if stop is not None and stop.is_set():
                    break  # a saturated cycle never sleeps: look for the stop signal every camera
                delay = t0 + i * step - time.monotonic()
                if delay > 0:
                    if stop is None:
                        await asyncio.sleep(delay)
                    else:
                        try:
                            await asyncio.wait_for(stop.wait(), delay)
                            break  # stopping: don't start more checks, let running ones finish
                        except TimeoutError:
                            pass
                if stop is None:
                    await self._sem.acquire()
                else:  # waiting for a free slot must not outlast a stop either
                    acquire = asyncio.ensure_future(self._sem.acquire())
                    stopped = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    stopped.cancel()
                    if not acquire.done() or acquire.cancelled():
                        acquire.cancel()
                        break
                    if stop.is_set():
                        self._sem.release()
                        break
                tg.create_task(self._check_one(cam, results))
        self.last_cycle_s = time.monotonic() - t0
        self.cycles += 1
        report = FleetReport(__version__, started_wall, self.last_cycle_s, tuple(results))
        if self.history is not None and results:
            try:
                self.history.record(report)
            except Exception:  # history is a convenience here: monitoring must go on
                log.exception("could not record the cycle in history")
        return report

    async def _check_one(self, cam: Camera, results: list[CameraReport]) -> None:
        try:
            measured = await check_camera(cam, self.workspace, self.options.check)
        finally:
            self._sem.release()
        results.append(measured)
        state, shown, transition = damp_report(
            self._damp.get(cam.name, DampState()), measured, self.options.flap_checks
        )
        self._damp[cam.name] = state
        if self.history is not None:
            shown = self.history.annotate(shown)
        self.latest[cam.name] = shown
        self.last_checked[cam.name] = time.time()
        self.version += 1
        if transition is not None and self.notifier is not None:
            task = asyncio.create_task(
                self.notifier(Notification(transition, shown, datetime.now(UTC)))
            )
            self._notify_tasks.add(task)
            task.add_done_callback(self._notify_tasks.discard)

    async def close(self) -> None:
        """Wait for notifications in flight and close the shared connection pool."""
        await self.drain_notifications()
        await release_connections()

    async def drain_notifications(self) -> None:
        if self._notify_tasks:
            await asyncio.gather(*self._notify_tasks, return_exceptions=True)

    def snapshot(self) -> FleetReport:
        """The latest damped report of every camera checked so far, worst first."""
        cams = sorted(self.latest.values(), key=lambda r: (-r.status.rank, r.site, r.name))
        started = datetime.now(UTC)
        return FleetReport(__version__, started, self.last_cycle_s or 0.0, tuple(cams))
