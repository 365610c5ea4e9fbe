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
passes on both loops (``tests/test_sim_fast_loop.py`` runs the fidelity checks under uvloop).
``FLEETCTL_SIM_LOOP=asyncio`` forces the standard loop (to compare, or to rule uvloop out).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "FLEETCTL_SIM_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's ``new_event_loop`` when it is importable and not refused by $FLEETCTL_SIM_LOOP."""
    if os.environ.get(ENV, "").strip().lower() == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")  # optional: not a dependency of fleetctl
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name() -> str:
    """"uvloop" or "asyncio": what ``run()`` would use (for summaries and benchmarks)."""
    return "asyncio" if loop_factory() is None else "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the simulator's loop (see the module docstring)."""
    factory = loop_factory()
    if factory is None:
        return asyncio.run(main)
    # asyncio.Runner takes a loop_factory from 3.11 on: no global policy change, so nothing
    # else in this process (a TUI, a test) is moved to uvloop behind its back.
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
