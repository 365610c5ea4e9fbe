"""A reply that reaches us in several TCP segments is read whole (up to its cap).

aiohttp's ``content.read(n)`` returns what has arrived, not n bytes: across a routed network a
camera's reply often comes in two segments, and the set-up calls (activation challenge, device
information) read only the first. On loopback a small reply is one segment, so this server
sends its body in pieces, with a pause between them, as a network would deliver it."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from fleetctl.adapters.http.body import read_capped
from fleetctl.adapters.provision import hikvision

HOST = "127.0.0.1"
BODY = b"<ActivateStatus>" + b"<x/>" * 2000 + b"<Activated>false</Activated></ActivateStatus>"


async def _split_server(pieces: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(BODY)
        )
        step = -(-len(BODY) // pieces)
        for i in range(0, len(BODY), step):
            writer.write(BODY[i : i + step])
            await writer.drain()
            await asyncio.sleep(0.02)  # the network's pacing between segments, not a wait
        writer.close()

    return await asyncio.start_server(handle, HOST, 0)


@pytest.mark.parametrize("pieces", [1, 2, 5])
async def test_a_device_reply_in_segments_is_read_whole(pieces: int) -> None:
    server = await _split_server(pieces)
    port = server.sockets[0].getsockname()[1]
    try:
        async with hikvision.connect(HOST, port, timeout_s=10) as device:
            # The answer is at the end of the body: a cut reply reads as "cannot tell" (None).
            assert await device.activated() is False
    finally:
        server.close()
        await server.wait_closed()


async def test_the_cap_still_holds_when_the_body_is_longer() -> None:
    server = await _split_server(4)
    port = server.sockets[0].getsockname()[1]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{HOST}:{port}/") as resp,
        ):
            assert await read_capped(resp.content, 1000) == BODY[:1000]
    finally:
        server.close()
        await server.wait_closed()
