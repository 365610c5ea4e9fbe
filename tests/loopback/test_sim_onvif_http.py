"""The simulator's HTTP/1.1 server at the byte level: limits, framing, connection handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from support.sim_media import serve_on_a_free_address

from fleetctl.sim.http import MAX_HEAD, Request, Response


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, int]]:
    async def handler(req: Request) -> Response:
        return Response(
            200, f"{req.method} {req.target} {len(req.body)}".encode(), content_type="text/plain"
        )

    listener, host = await serve_on_a_free_address(handler, 90)
    yield host, 8080
    await listener.close()


async def exchange(host: str, port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(raw)
    try:
        return await asyncio.wait_for(reader.read(), 5)  # until the server closes
    finally:
        writer.close()


async def test_http10_closes_after_one_reply(server: tuple[str, int]) -> None:
    reply = await exchange(*server, b"GET /x?a=1 HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in reply
    assert reply.endswith(b"GET /x?a=1 0")


async def test_oversized_head_gets_431(server: tuple[str, int]) -> None:
    raw = b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * (MAX_HEAD + 10) + b"\r\n\r\n"
    assert (await exchange(*server, raw)).startswith(b"HTTP/1.1 431")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", b"413"),
        (b"NONSENSE\r\n\r\n", b"400"),
    ],
    ids=["chunked-request", "bad-content-length", "huge-content-length", "no-request-line"],
)
async def test_bad_framing_is_refused_and_closed(
    server: tuple[str, int], raw: bytes, status: bytes
) -> None:
    assert (await exchange(*server, raw)).startswith(b"HTTP/1.1 " + status)


async def test_body_split_across_packets_is_reassembled(server: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*server)
    writer.write(b"POST /b HTTP/1.1\r\nContent-Length: 10\r\nConnection: close\r\n\r\n12345")
    await writer.drain()
    writer.write(b"67890")
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert reply.endswith(b"POST /b 10")
