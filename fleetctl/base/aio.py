"""The event loop fleetctl's long, network-bound commands run on: uvloop, else asyncio's own.

A fleet check is CPU-bound on our side long before the network is busy, and a large part of
that CPU is event-loop machinery (handles, callbacks, socket transports), not camera logic.
uvloop (libuv under asyncio's API) does that machinery in C: on a 500-camera check it cut our
CPU by about a quarter (``benchmarks/bench_check.py`` prints the loop it ran on). Nothing we
send or judge changes; the test suite runs the engine on asyncio and the CLI on uvloop.

``run`` uses ``asyncio.Runner(loop_factory=...)``: no global policy is changed, so a TUI or a
test in the same process keeps asyncio's loop. ``FLEETCTL_LOOP=asyncio`` refuses uvloop (to
compare, or to rule it out); where uvloop is not installed (Windows, PyPy) asyncio runs.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "FLEETCTL_LOOP"


def loop_factory(env: str = ENV) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's ``new_event_loop`` when importable and not refused by ``$env``."""
    if os.environ.get(env, "").strip().lower() == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name(env: str = ENV) -> str:
    """ "uvloop" or "asyncio": what ``run()`` would use."""
    return "asyncio" if loop_factory(env) is None else "uvloop"


def _std_blocking() -> list[bool | None]:
    out: list[bool | None] = []
    for fd in (0, 1, 2):
        try:
            out.append(os.get_blocking(fd))
        except OSError:
            out.append(None)
    return out


def _restore_blocking(before: list[bool | None]) -> None:
    """Put stdin, stdout and stderr back in the blocking mode they had before the loop: the flag
    belongs to the open file, shared with every descriptor duplicated from it, and a loop that
    turned it on for its own copy leaves the shell's pipe non-blocking, where Python's text
    streams drop what does not fit (a check's JSON cut at 64 KiB)."""
    for fd, was in zip((0, 1, 2), before, strict=True):
        if was is not None:
            try:
                if os.get_blocking(fd) != was:
                    os.set_blocking(fd, was)
            except OSError:
                pass


def run(main: Coroutine[Any, Any, T], *, env: str = ENV) -> T:
    """``asyncio.run(main)`` on uvloop when available (see the module docstring)."""
    factory = loop_factory(env)
    before = _std_blocking()
    try:
        if factory is None:
            return asyncio.run(main)
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(main)
    finally:
        _restore_blocking(before)
