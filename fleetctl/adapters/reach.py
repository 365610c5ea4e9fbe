"""Reachability: one TCP connect, timed.

The cheapest probe: it tells "nothing listens" (refused) from "nothing answers" (timeout) from
"no route" (unreachable) before any protocol is spoken, and gives a latency that needs no
credentials. The connection is closed at once: no byte is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time

from fleetctl.core.probes import Failure, ReachProbe


def classify_os_error(err: OSError) -> Failure:
    """Map a connect error to a Failure: RST -> refused, anything else -> unreachable."""
    if isinstance(err, ConnectionRefusedError) or err.errno == errno.ECONNREFUSED:
        return Failure.REFUSED
    if isinstance(err, TimeoutError) or err.errno == errno.ETIMEDOUT:
        return Failure.TIMEOUT
    return Failure.UNREACHABLE


async def probe_reach(host: str, port: int, *, timeout_s: float) -> ReachProbe:
    """Open (and close) one TCP connection to ``host:port`` within ``timeout_s``.

    Never raises for the camera's failure: the outcome is in ``ok``/``failure``/``error``.
    ``latency_ms`` is the connect time when it succeeded.
    """
    where = f"{host}:{port}"
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return ReachProbe(
            port, False, None, Failure.TIMEOUT, f"{where}: no answer within {timeout_s:g} s"
        )
    except OSError as err:
        failure = classify_os_error(err)
        reason = "connection refused" if failure is Failure.REFUSED else (err.strerror or str(err))
        return ReachProbe(port, False, None, failure, f"{where}: {reason}")
    latency_ms = (time.perf_counter() - start) * 1000
    writer.close()
    # A peer that resets while we close is still reachable: the connect succeeded.
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return ReachProbe(port, True, round(latency_ms, 3))
