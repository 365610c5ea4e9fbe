"""Admit cameras into a run only as fast as this process can serve them on time.

``CheckOptions.concurrency`` is a ceiling, not a target. Each camera costs some CPU in this
process (SOAP parsing, RTP counting); past the point where the event loop is saturated, more
cameras in flight only stretch every camera's wall time, and per-camera deadlines then fire for
cameras that are perfectly healthy. So admission follows the loop's own lag, AIMD-style, as TCP
follows loss: a sampler measures how late a short sleep wakes up; while the lag stays low the
limit grows toward the ceiling, doubling until the loop is first late (TCP's slow start: a fleet
of 250 cameras per worker otherwise spends seconds ramping up, and each camera started late
can add its whole latency to the run), additively after that; when the lag climbs, the limit
shrinks multiplicatively.
A hung camera costs no CPU, so a fleet full of them still runs at the full ceiling.

``schedule`` decides the order cameras are admitted in. A run ends when its last camera ends,
and a camera that answers slowly or not at all costs a fixed ~8-10 s of wall time but almost no
CPU: started first, it waits while the healthy cameras use the CPU; started last, it adds its
whole latency to the run. So the cameras that were slow last time start first.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol, TypeVar

SAMPLE_S = 0.1  # how often the loop's lag is sampled
LAG_HIGH_S = 0.15  # a loop this late is saturated: back off
LAG_LOW_S = 0.03  # a loop this punctual has room: admit more
START = 32  # the first cameras in flight (then doubling while punctual: slow start)
FLOOR = 4  # never fewer in flight than this
STEP = 8  # additive increase per punctual sample
BACKOFF = 0.7  # multiplicative decrease per late sample


class _Named(Protocol):
    @property
    def name(self) -> str: ...


C = TypeVar("C", bound=_Named)  # core.models.Camera, or anything else with a name


def schedule(cameras: Sequence[C], expected_s: Mapping[str, float]) -> list[C]:
    """The order to start ``cameras`` in, from each one's last check duration (``expected_s``,
    by name; a camera missing from it is unknown): ``cameras`` permuted by ``start_order``."""
    return [cameras[i] for i in start_order([c.name for c in cameras], expected_s)]


def start_order(names: Sequence[str], expected_s: Mapping[str, float]) -> list[int]:
    """A permutation of ``range(len(names))``: the order to start the cameras in.

    Longest expected first (LPT, the classic rule for finishing a batch early), ties in the
    given order. A camera not in ``expected_s`` is taken as typical (the median). No threshold:
    on a loaded machine a healthy camera takes 4 s and a hung one 7 s (its ONVIF deadline), so
    "twice the median" would miss exactly the cameras that matter. With nothing known, the
    order is unchanged.
    """
    known = [s for name in names if (s := expected_s.get(name)) is not None]
    if not known:
        return list(range(len(names)))
    known.sort()
    typical = known[len(known) // 2]  # the median, near enough (statistics costs 25 ms to import)
    return sorted(range(len(names)), key=lambda i: -expected_s.get(names[i], typical))


class Admission:
    """A semaphore whose size follows the event loop's lag, between FLOOR and ``ceiling``."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = min(self.ceiling, START)
        self.active = 0
        self.peak = 0
        self.slow_start = True  # until the first late sample
        # Waiters, most urgent first: (-urgency, arrival, future).
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrivals = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            await self.release()

    async def acquire(self, urgency: float = 0.0) -> None:
        """Wait for room; among waiters the most urgent first, then first come.

        ``urgency`` is how long the camera's conversation is expected to take from here (its
        first answer's latency): the slowest start first, as in ``start_order``.
        """
        if self.active < self.limit and not self._waiting:
            self._take()
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._arrivals += 1
        heapq.heappush(self._waiting, (-urgency, self._arrivals, fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                await self.release()  # granted as we were cancelled: give it back
            raise

    def _take(self) -> None:
        self.active += 1
        self.peak = max(self.peak, self.active)

    def _wake(self) -> None:
        while self.active < self.limit and self._waiting:
            _, _, fut = heapq.heappop(self._waiting)
            if not fut.done():
                self._take()
                fut.set_result(None)

    async def release(self) -> None:
        self.active -= 1
        self._wake()

    async def adjust(self, lag_s: float) -> None:
        old = self.limit
        if lag_s > LAG_HIGH_S:
            self.limit = max(min(FLOOR, self.ceiling), int(self.limit * BACKOFF))
            self.slow_start = False
        elif lag_s < LAG_LOW_S and self.active >= self.limit:
            grow = max(STEP, self.limit) if self.slow_start else STEP
            self.limit = min(self.ceiling, self.limit + grow)
        if self.limit > old:
            self._wake()

    async def follow_loop(self) -> None:
        """Run until cancelled: sample the loop's lag and adjust the limit."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(SAMPLE_S)
            await self.adjust(time.monotonic() - before - SAMPLE_S)
