"""Admission follows the event loop's lag: back off when late, grow when punctual and needed."""

from __future__ import annotations

import asyncio

from fleetctl.engine.check import admission as adm
from fleetctl.engine.check.admission import Admission


async def test_limit_follows_lag() -> None:
    a = Admission(ceiling=256)
    assert a.limit == adm.START
    await a.adjust(0.5)
    assert a.limit == int(adm.START * adm.BACKOFF)
    for _ in range(100):
        await a.adjust(1.0)
    assert a.limit == adm.FLOOR
    await a.adjust(0.0)
    assert a.limit == adm.FLOOR  # punctual but idle: no reason to grow
    a.active = a.limit
    await a.adjust(0.0)
    assert a.limit == adm.FLOOR + adm.STEP
    a.active = 0
    small = Admission(ceiling=2)
    assert small.limit == 2
    for _ in range(10):
        await small.adjust(1.0)
    assert small.limit == 2  # the floor never exceeds the ceiling


async def test_slots_block_at_the_limit_and_open_when_it_grows() -> None:
    a = Admission(ceiling=10)
    a.limit = 2
    entered: list[int] = []
    release = asyncio.Event()

    async def job(i: int) -> None:
        async with a.slot():
            entered.append(i)
            await release.wait()

    tasks = [asyncio.create_task(job(i)) for i in range(5)]
    while len(entered) < 2:
        await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(entered) == 2 and a.active == 2
    await a.adjust(0.0)  # punctual, and demand waits: the limit grows, waiters enter
    while len(entered) < 5:
        await asyncio.sleep(0)
    assert a.peak == 5
    release.set()
    await asyncio.gather(*tasks)
    assert a.active == 0
