"""Shared fixtures. Network traffic stays on 127.0.0.0/8.

Simulator fixtures (owned by the simulator's ONVIF/fleet side):
- ``sim_fleet``: a small healthy fleet (6 cameras, no faults, no discovery), started.
- ``make_fleet``: a factory ``await make_fleet(cameras=..., faults=..., assign=...)`` whose fleets
  are closed at teardown; use it when a test needs its own shape.
- ``unreachable_host``: a loopback address nothing ever binds (127.253.x.y).
- ``http_pool``: a camera HTTP pool for the adapters' ``pool=`` argument, closed at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from fleetctl.adapters.http.pool import HttpPool, camera_pool
from fleetctl.base.i18n import set_language
from fleetctl.sim.camera.model import UNUSED_BASE, address_for
from fleetctl.sim.fleet import SimFleet


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in English whatever the machine's locale (subprocesses too); a test
    about Vietnamese asks for it (``--lang vi``, ``set_language("vi")``, or LANG with
    FLEETCTL_LANG removed), and the language is English again after it."""
    monkeypatch.setenv("FLEETCTL_LANG", "en")
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
async def sim_fleet() -> AsyncIterator[SimFleet]:
    async with SimFleet(cameras=6, faults="none", seed=1, discovery=False) as fleet:
        yield fleet


@pytest.fixture
async def make_fleet() -> AsyncIterator[Callable[..., Awaitable[SimFleet]]]:
    fleets: list[SimFleet] = []

    async def make(**kwargs: Any) -> SimFleet:
        kwargs.setdefault("discovery", False)
        fleet = SimFleet(**kwargs)
        await fleet.__aenter__()
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in reversed(fleets):
        await fleet.aclose()


@pytest.fixture
def unreachable_host() -> str:
    return address_for(7, UNUSED_BASE)


@pytest.fixture
async def http_pool() -> AsyncIterator[HttpPool]:
    """The fleet's camera HTTP pool, as a run owns it: passed in, closed at teardown."""
    pool = camera_pool()
    yield pool
    await pool.close()
