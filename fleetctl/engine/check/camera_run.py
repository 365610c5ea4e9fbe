"""The state of one camera's check: its budget, its per-host limit, what was learned so far.

``CameraRun`` is filled as probes finish, so that when the camera's deadline cancels the
sequence midway, what was learned still makes the report (``report()``). Budgets are carved
from the camera's deadline: each probe gets its own cap, never past the camera's.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from fleetctl.base.i18n import M_, Msg
from fleetctl.core.models import (
    Camera,
    CameraReport,
    CheckStep,
    DeviceInfo,
    Problem,
    ProblemKind,
    Status,
    StorageResult,
    StreamResult,
)
from fleetctl.core.verdicts import rules as verdicts
from fleetctl.engine.check.memory import Memory

if TYPE_CHECKING:
    from fleetctl.adapters.http.pool import HttpPool
    from fleetctl.engine.check.admission import Admission
    from fleetctl.engine.check.options import CheckOptions
    from fleetctl.engine.workspace import Workspace

T = TypeVar("T")

REACH_TIMEOUT_S = 3.0  # a TCP connect on a LAN takes ms; 3 s covers a congested uplink
RETRY_JITTER_S = (0.05, 0.25)  # one jittered retry for reads, so a fleet's retries don't align
MAX_REPLY_BYTES = 4 * 1024 * 1024  # no health-check reply is legitimately bigger
STORAGE_TIMEOUT_S = 4.0
SECURITY_TIMEOUT_S = 4.0
LIVENESS_TIMEOUT_S = 1.0  # a drip-feeder shows itself within a second: bytes, never a header end
MIN_FOLLOW_UP_S = 0.5  # below this, stream/storage/security cannot finish: don't start them
STREAM_SETUP_S = 2.5  # OPTIONS..PLAY on top of the measuring window
# Probes end this much before the camera's deadline, so their own (precise) verdict wins over
# the camera's blunt "did not finish".
OWN_DEADLINE_MARGIN_S = 0.25


# The problem kind an internal error at each stage is filed under.
STAGE_KIND = {
    "reach": ProblemKind.OFFLINE,
    "onvif": ProblemKind.ONVIF,
    "stream": ProblemKind.STREAM,
    "storage": ProblemKind.STORAGE,
    "security": ProblemKind.SECURITY,
    "picture": ProblemKind.PICTURE,
}


class HostLimits:
    """At most ``per_host`` connections to one host at once (NVR channels share one box)."""

    def __init__(self, per_host: int) -> None:
        self._per_host = max(1, per_host)
        self._sems: dict[str, asyncio.Semaphore] = {}

    def __call__(self, host: str) -> asyncio.Semaphore:
        sem = self._sems.get(host)
        if sem is None:
            sem = self._sems[host] = asyncio.Semaphore(self._per_host)
        return sem


@dataclass
class CameraRun:
    """Mutable state of one camera's check; ``report()`` freezes it."""

    camera: Camera
    workspace: Workspace
    options: CheckOptions
    hosts: HostLimits
    pool: HttpPool  # the run's camera HTTP connections (its owner, the run, closes them)
    stage: str = "reach"
    answered: bool = False
    reached: bool = False  # the camera's port accepted a connection: it is not offline
    t0: float = field(default_factory=time.monotonic)
    stage_t0: float = field(default_factory=time.monotonic)
    steps: list[CheckStep] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    device: DeviceInfo | None = None
    clock_offset_s: float | None = None
    streams: list[StreamResult] = field(default_factory=list)
    storage: tuple[StorageResult, ...] = ()
    days_kept: float | None = None  # the recording summary's oldest to newest, in days

    # Admission (engine.check.admission) is taken after the ONVIF conversation, before the stream,
    # storage and security probes (the CPU of a check is there): a silent or slow camera waits
    # out its limit without holding a slot, from the start of the run, instead of being
    # admitted late and adding its whole wait to the run's end. Time spent waiting for the slot
    # is not the camera's: the deadline and the step timings are moved by it.
    admission: Admission | None = None
    deadline: asyncio.Timeout | None = None
    admitted: bool = False
    waits: list[tuple[float, float]] = field(default_factory=list)  # (when, seconds waited)
    memory: Memory = field(init=False)

    def __post_init__(self) -> None:
        self.memory = Memory(self.camera.name, self.options.recall)

    async def admit(self, urgency: float = 0.0) -> float:
        """Take an admission slot (once); the seconds waited for it. ``urgency``: the seconds
        the camera's answers take (a slow camera goes first: its conversation is the longest)."""
        if self.admitted or self.admission is None:
            return 0.0
        start = time.monotonic()
        when = self.deadline.when() if self.deadline is not None else None
        if self.deadline is not None:
            self.deadline.reschedule(None)  # the wait must not fire the camera's deadline
        try:
            await self.admission.acquire(urgency)
            self.admitted = True
        finally:
            waited = time.monotonic() - start
            if self.deadline is not None and when is not None:
                self.deadline.reschedule(when + waited)
        if waited > 0.0:
            self.waits.append((start, waited))
            self.t0 += waited
        return waited

    async def release(self) -> None:
        if self.admitted and self.admission is not None:
            self.admitted = False
            await self.admission.release()

    def waited_since(self, t0: float) -> float:
        return sum(w for at, w in self.waits if at >= t0)

    def remaining(self) -> float:
        return self.options.timeout_s - (time.monotonic() - self.t0)

    def budget(self, cap: float, reserve: float = 0.0) -> float:
        """A probe's own deadline: its cap, but never past the camera's (minus a reserve)."""
        return max(0.2, min(cap, self.remaining() - reserve))

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self.t0) * 1000, 1)

    def stage_elapsed_ms(self) -> float:
        return round((time.monotonic() - self.stage_t0) * 1000, 1)

    def begin(self, stage: str) -> None:
        self.stage, self.stage_t0 = stage, time.monotonic()

    def step(self, name: str, found: list[Problem], detail: str | Msg, t0: float) -> None:
        """Record one probe's outcome; ``detail`` is an ``M_`` message, or text from the camera."""
        self.problems.extend(found)
        ms = round((time.monotonic() - t0 - self.waited_since(t0)) * 1000, 1)
        status = verdicts.camera_status(found)
        if isinstance(detail, Msg):
            self.steps.append(CheckStep.of(name, status, ms, detail))
        else:
            self.steps.append(CheckStep(name, status, ms, detail))

    def internal_error(self, stage: str, err: BaseException) -> None:
        """A bug in a probe or a verdict at ``stage``: this camera's unknown, not the run's."""
        self.problems.append(
            Problem.of(
                STAGE_KIND.get(stage, ProblemKind.ONVIF),
                Status.UNKNOWN,
                M_(
                    "could not check %(stage)s: internal error (%(error)s); run with -vv",
                    stage=stage,
                    error=type(err).__name__,
                ),
            )
        )
        self.steps.append(CheckStep(stage, Status.UNKNOWN, self.elapsed_ms(), type(err).__name__))

    def report(self, now: datetime) -> CameraReport:
        problems = verdicts.sort_problems(self.problems)
        return CameraReport(
            name=self.camera.name,
            site=self.camera.site,
            host=self.camera.host,
            status=verdicts.camera_status(problems),
            problems=problems,
            device=self.device,
            clock_offset_s=None if self.clock_offset_s is None else round(self.clock_offset_s, 3),
            streams=tuple(self.streams),
            storage=self.storage,
            days_kept=self.days_kept,
            checks=tuple(self.steps),
            checked_at=now,
            learned=tuple(self.memory.learned),
        )

    async def limited(self, make: Callable[[], Awaitable[T]]) -> T:
        async with self.hosts(self.camera.host):
            return await make()


async def retry_read(
    make: Callable[[], Awaitable[T]], failed: Callable[[T], bool], run: CameraRun
) -> T:
    """One jittered retry for an idempotent read that timed out or was refused, budget allowing."""
    result = await run.limited(make)
    if failed(result) and run.remaining() > 2.0:
        await asyncio.sleep(random.uniform(*RETRY_JITTER_S))
        result = await run.limited(make)
    return result
