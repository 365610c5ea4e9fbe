"""A camera that streams response headers costs its own result, never unbounded memory
(issue 13, item 4): a hostile server on 127.0.0.1 sends headers without end."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from fleetctl.adapters.http.client import HttpError, Pool
from fleetctl.adapters.http.wire import MAX_HEADER_BYTES
from fleetctl.core.probes import Failure

HOST = "127.0.0.1"
ENOUGH = 64 * 1024 * 1024  # what the server would send if nobody stopped it


async def _hostile(long_value: bool) -> tuple[asyncio.Server, list[int], asyncio.Event]:
    sent = [0]
    closed = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        line = b"X-Pad: " + b"a" * 1000 + b"\r\n"
        chunk = (b"X-Pad: " if long_value else b"") + (b"a" * 16384 if long_value else line * 16)
        try:
            writer.write(b"HTTP/1.1 200 OK\r\n")
            while sent[0] < ENOUGH:
                writer.write(chunk)
                sent[0] += len(chunk)
                await writer.drain()
                if long_value:
                    chunk = b"a" * 16384  # one header value that never ends
        except (ConnectionError, OSError):
            pass
        finally:
            closed.set()
            writer.close()

    server = await asyncio.start_server(handle, HOST, 0)
    return server, sent, closed


@pytest.mark.parametrize("long_value", [False, True], ids=["many-headers", "endless-value"])
async def test_streaming_headers_end_the_exchange_at_the_cap(long_value: bool) -> None:
    server, sent, closed = await _hostile(long_value)
    port = server.sockets[0].getsockname()[1]
    pool = Pool(per_host=2, keepalive_s=3.0)
    try:
        with pytest.raises(HttpError) as err:
            await pool.request(
                "GET", "http", HOST, port, "/", {}, max_bytes=65536, read_timeout_s=30.0
            )
        assert err.value.failure is Failure.MALFORMED
        assert "headers over 64 KiB" in err.value.reason
        await asyncio.wait_for(closed.wait(), 30)  # we hung up: the server's writes failed
        # Bounded: we stopped reading near the cap (socket buffers in between), far from ENOUGH.
        assert sent[0] < 16 * 1024 * 1024, sent[0]
        assert sent[0] > MAX_HEADER_BYTES
    finally:
        await pool.close()
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def test_headers_under_the_cap_still_work() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        pad = b"X-Pad: " + b"a" * 1000 + b"\r\n"
        writer.write(b"HTTP/1.1 200 OK\r\n" + pad * 60 + b"Content-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    pool = Pool(per_host=2, keepalive_s=3.0)
    try:
        resp = await pool.request(
            "GET", "http", HOST, port, "/", {}, max_bytes=65536, read_timeout_s=30.0
        )
        assert resp.status == 200 and resp.body == b"ok"
    finally:
        await pool.close()
        server.close()
