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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fleetctl import __version__
from fleetctl.base.i18n import _
from fleetctl.core.damping import DampState, Transition, damp_report
from fleetctl.core.models import Camera, CameraReport, FleetReport, Status
from fleetctl.engine.check.runner import CheckOptions, check_camera, open_pool
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.workspace import Workspace

if TYPE_CHECKING:
    from fleetctl.adapters.http.pool import HttpPool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonitorOptions:
    interval_s: float = 60.0
    # Consecutive crit checks before a camera is reported crit, for cameras whose inventory
    # policy does not set `flap_checks` (a camera's own value wins: flappy radio links).
    flap_checks: int = 1
    check: CheckOptions = field(default_factory=CheckOptions)
    # Judge the picture (``CheckOptions.picture``) every N-th cycle (0: as ``check`` says): the
    # picture changes slowly and its decode costs CPU, so a slower cadence is enough.
    picture_every: int = 0

    @property
    def spread_s(self) -> float:
        """How much of the interval check starts are spread across.

        The last camera started must be able to use its whole deadline (``check.timeout_s``: a
        camera that hangs does) and still finish inside the interval; but starts are never
        packed into less than half of it (nor spread over more than 90 %).
        """
        interval = self.interval_s
        return min(0.9 * interval, max(interval - self.check.timeout_s, 0.5 * interval))

    @property
    def worst_cycle_s(self) -> float:
        """How long a cycle takes when the camera started last hangs to its deadline."""
        return self.spread_s + self.check.timeout_s

    def interval_note(self) -> str | None:
        """Said at start when the interval cannot hold a camera's deadline; else None."""
        if self.worst_cycle_s <= self.interval_s:
            return None
        return _(
            "--interval {interval:g} s is short for a camera's deadline (--timeout {timeout:g} s): "
            "a cycle in which a camera hangs takes up to {worst:.1f} s, so cameras are then "
            "checked every {worst:.1f} s, not every {interval:g} s. For the interval to hold, "
            "use --interval {needed:g} or more, or a shorter --timeout"
        ).format(
            interval=self.interval_s,
            timeout=self.check.timeout_s,
            worst=self.worst_cycle_s,
            needed=2 * self.check.timeout_s,
        )


class OverrunNotice:
    """Says "a cycle took longer than the interval" once, not every cycle.

    Again only when the figure changes materially (by a fifth and by at least a second: a
    hung camera makes every cycle equally long), and once when cycles fit the interval again.
    """

    MATERIAL = 0.2
    MIN_CHANGE_S = 1.0

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.said: float | None = None  # the figure last reported, None: cycles fit

    def update(self, elapsed_s: float) -> str | None:
        """The message to log for a cycle that took ``elapsed_s`` (measured), or None."""
        if elapsed_s <= self.interval_s:
            if self.said is None:
                return None
            self.said = None
            return _(
                "cycles fit the {interval:g} s interval again (the last took {took:.1f} s)"
            ).format(interval=self.interval_s, took=elapsed_s)
        if self.said is not None:
            change = abs(elapsed_s - self.said)
            if change < self.MIN_CHANGE_S or change < self.MATERIAL * self.said:
                return None
        self.said = elapsed_s
        return _(
            "a cycle took {took:.1f} s, longer than the {interval:g} s interval: cameras are "
            "checked every {took:.1f} s instead. Usually a camera that hangs until its deadline "
            "(see fleetctl_camera_probe_duration_seconds); raise --interval, lower --timeout, "
            "or split the fleet with --shard. Said again only if this changes"
        ).format(took=elapsed_s, interval=self.interval_s)


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
        # Damped, what metrics and the API show. Every inventory camera is there from the start:
        # a camera not yet checked is unknown, not absent (a dashboard must not count it out).
        self.latest: dict[str, CameraReport] = {c.name: _unchecked(c) for c in self.cameras}
        self.last_checked: dict[str, float] = {}  # epoch seconds
        self.probe_ms: dict[str, dict[str, float]] = {}
        self._damp: dict[str, DampState] = {}
        self.cycles = 0
        self.cycle_started: float | None = None
        self.last_cycle_s: float | None = None
        self.overruns = 0
        self.version = 0  # bumps on every change: lets exposition cache its rendering
        self._sem = asyncio.Semaphore(max(1, options.check.concurrency))
        # What checks learned (stream addresses, ONVIF calls a model leaves out): from the
        # history at start, then kept up to date as checks learn more (the history is written
        # at each cycle's end).
        self._recall: dict[str, dict[str, str]] = _recall(history)
        self._check_options = replace(options.check, recall=self._recall)
        self._picture_options = replace(self._check_options, picture=True)
        self._notify_tasks: set[asyncio.Task[None]] = set()
        # Camera HTTP connections for every check of this monitor, opened on its loop by the
        # first check and closed by ``close()``.
        self._pool: HttpPool | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run cycles back to back, each at least ``interval_s`` long, until ``stop`` is set."""
        notice = OverrunNotice(self.options.interval_s)
        if (note := self.options.interval_note()) is not None:
            log.warning("%s", note)
        while not stop.is_set():
            started = time.monotonic()  # each cycle measured on its own
            await self.run_cycle(stop)
            elapsed = time.monotonic() - started
            if stop.is_set():
                break  # a cycle cut short by the stop says nothing about the interval
            if elapsed > self.options.interval_s:
                self.overruns += 1  # every overrun counts (fleetctl_cycle_overruns_total)
            if (message := notice.update(elapsed)) is not None:
                if elapsed > self.options.interval_s:
                    log.warning("%s", message)
                else:
                    log.info("%s", message)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, self.options.interval_s - elapsed))
        await self.close()

    async def run_cycle(self, stop: asyncio.Event | None = None) -> FleetReport:
        """Check every camera once, spread across the interval; record the cycle in history."""
        started_wall = datetime.now(UTC)
        t0 = self.cycle_started = time.monotonic()
        n = len(self.cameras)
        # The first cycle checks the whole fleet at once (bounded by the concurrency): until then
        # every camera is unknown. Later cycles spread their starts so that the last camera's
        # deadline still ends inside the interval.
        step = self.options.spread_s / n if n and self.cycles else 0.0
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
            if self._pool is None:
                self._pool = open_pool()
            every = self.options.picture_every
            opts = (
                self._picture_options
                # not in the first cycle (it checks the whole fleet at once): from the second on
                if every > 0 and self.cycles >= 1 and (self.cycles - 1) % every == 0
                else self._check_options
            )
            measured = await check_camera(cam, self.workspace, opts, self._pool)
        finally:
            self._sem.release()
        for subject, key, value in measured.learned:  # what later checks of this run know
            self._recall.setdefault(subject, {})[key] = value
        results.append(measured)
        state, shown, transition = damp_report(
            self._damp.get(cam.name, DampState()), measured, self.flap_checks(cam)
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

    def flap_checks(self, cam: Camera) -> int:
        """The camera's inventory ``policy.flap_checks`` when set, else ``--flap-checks``."""
        own = cam.policy.flap_checks
        return own if own is not None else self.options.flap_checks

    async def close(self) -> None:
        """Wait for notifications in flight and close the monitor's connection pool."""
        await self.drain_notifications()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def drain_notifications(self) -> None:
        if self._notify_tasks:
            await asyncio.gather(*self._notify_tasks, return_exceptions=True)

    def snapshot(self) -> FleetReport:
        """The latest damped report of every camera (unknown until first checked), worst first."""
        cams = sorted(self.latest.values(), key=lambda r: (-r.status.rank, r.site, r.name))
        started = datetime.now(UTC)
        return FleetReport(__version__, started, self.last_cycle_s or 0.0, tuple(cams))


def _unchecked(cam: Camera) -> CameraReport:
    return CameraReport(name=cam.name, site=cam.site, host=cam.host, status=Status.UNKNOWN)


def _recall(history: HistoryStore | None) -> dict[str, dict[str, str]]:
    if history is None:
        return {}
    try:
        return history.recall()
    except Exception:  # history is a convenience here: monitoring must go on
        log.exception("could not read what earlier checks learned")
        return {}
