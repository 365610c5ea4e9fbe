"""The event loop `fleetctl sim` runs on: uvloop when it is installed, else asyncio's own.

Why: the simulator shares the machine's cores with the client being measured, and much of its
cost per camera is event-loop machinery, not camera logic. On this project's 2-core box a bare
loopback server spent ~160 us of CPU per accepted-and-closed connection on asyncio (its accept
path and transports are Python) and ~70 us on uvloop; ~30 vs ~19 us per small request/reply.
``benchmarks/bench_sim.py --baseline REV`` prints both loops side by side (GetSystemDateAndTime:
263 vs 182 us per request, with the connection setup); for a whole `fleetctl check` the
difference is within the noise of a loaded box (``bench_sim.py --check 500 --repeat 3``).

What clients see does not change: the same bytes, the same TCP behaviour (resets by SO_LINGER 0,
bound-but-not-listening refusals, flow control and dropped frames); the simulator's test suite
passes on both loops (``tests/loopback/test_sim_fast_loop.py`` runs the fidelity checks under uvloop).
``FLEETCTL_SIM_LOOP=asyncio`` forces the standard loop (to compare, or to rule uvloop out).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fleetctl.base import aio

T = TypeVar("T")

ENV = "FLEETCTL_SIM_LOOP"


def loop_factory() -> Callable[[], Any] | None:
    """uvloop's ``new_event_loop`` when it is importable and not refused by $FLEETCTL_SIM_LOOP."""
    return aio.loop_factory(ENV)


def loop_name() -> str:
    """ "uvloop" or "asyncio": what ``run()`` would use (for summaries and benchmarks)."""
    return aio.loop_name(ENV)


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the simulator's loop (see the module docstring)."""
    return aio.run(main, env=ENV)
