"""probe_reach: one TCP connect on loopback, classified."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket

import pytest

from fleetctl.adapters.reach import classify_os_error, probe_reach
from fleetctl.core.probes import Failure


async def test_listening_port_is_reached_with_latency() -> None:
    accepted = asyncio.Event()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        probe = await probe_reach("127.0.0.1", port, timeout_s=2)
        await asyncio.wait_for(accepted.wait(), 2)
    assert probe.ok and probe.port == port and probe.failure is None
    assert probe.latency_ms is not None and probe.latency_ms >= 0


async def test_nothing_listening_is_refused(unreachable_host: str) -> None:
    probe = await probe_reach(unreachable_host, 8080, timeout_s=2)
    assert not probe.ok and probe.failure is Failure.REFUSED
    assert probe.latency_ms is None
    assert probe.error is not None and unreachable_host in probe.error


async def test_full_backlog_times_out_at_the_deadline() -> None:
    # A listener that never accepts, with its backlog filled: the next SYN is left unanswered,
    # as on a camera whose TCP stack is wedged.
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    port = lsock.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)
        probe = await probe_reach("127.0.0.1", port, timeout_s=0.3)
    finally:
        for s in fillers:
            s.close()
        lsock.close()
    assert not probe.ok and probe.failure is Failure.TIMEOUT
    assert probe.error is not None and "0.3 s" in probe.error


@pytest.mark.parametrize(
    ("err", "failure"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), Failure.REFUSED),
        (OSError(errno.EHOSTUNREACH, "No route to host"), Failure.UNREACHABLE),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), Failure.UNREACHABLE),
        (
            OSError(errno.ETIMEDOUT, "Connection timed out"),
            Failure.TIMEOUT,
        ),  # the kernel's SYN retries
    ],
    ids=lambda v: errno.errorcode[v.errno] if isinstance(v, OSError) else str(v),
)
def test_connect_errors_are_classified(err: OSError, failure: Failure) -> None:
    # No route cannot be produced on loopback: the kernel's errno values, as the socket raises them.
    assert classify_os_error(err) is failure
