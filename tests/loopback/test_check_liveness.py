"""reply_shape tells a busy, a drip-feeding, a silent and an absent web server apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from fleetctl.adapters.http.liveness import HttpShape, reply_shape

REPLY = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def at_once(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    w.write(REPLY)
    await w.drain()
    w.close()


async def late_but_whole(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await asyncio.sleep(0.2)  # a busy camera: the answer is late, and whole
    await at_once(_r, w)


async def drip(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    for i in range(len(REPLY)):
        w.write(REPLY[i : i + 1])
        await w.drain()
        await asyncio.sleep(0.05)


async def silent(r: asyncio.StreamReader, _w: asyncio.StreamWriter) -> None:
    await r.read()  # reads, never answers


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Behaviour], Awaitable[int]]]:
    servers: list[asyncio.Server] = []

    async def start(behaviour: Behaviour) -> int:
        server = await asyncio.start_server(behaviour, "127.0.0.1", 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for s in servers:
        s.close()


@pytest.mark.parametrize(
    ("behaviour", "shape"),
    [
        (at_once, HttpShape.ANSWERS),
        (late_but_whole, HttpShape.ANSWERS),
        (drip, HttpShape.TRICKLE),
        (silent, HttpShape.SILENT),
    ],
)
async def test_shapes(
    serve: Callable[[Behaviour], Awaitable[int]], behaviour: Behaviour, shape: HttpShape
) -> None:
    port = await serve(behaviour)
    assert await reply_shape("127.0.0.1", port, timeout_s=0.8) is shape


async def test_nothing_listens() -> None:
    assert await reply_shape("127.253.0.4", 9, timeout_s=0.5) is HttpShape.UNREACHABLE
