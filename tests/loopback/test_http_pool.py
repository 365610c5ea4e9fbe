"""Who owns the camera HTTP pool: the caller that passes one keeps it (and its kept-alive
sockets) open; a call given none opens its own and closes it before returning."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.adapters.onvif import client as onvif
from fleetctl.core.models import Camera

HOST = "127.0.0.1"


async def until(predicate: Callable[[], bool]) -> None:
    """Let the loop run until ``predicate`` holds (a state change, not a wall-clock wait)."""
    for _ in range(10_000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the expected state was never reached")


class Camera500:
    """Answers every request with an HTTP 500 (an answer, not ONVIF) and keeps the socket."""

    def __init__(self) -> None:
        self.open: set[asyncio.StreamWriter] = set()
        self.accepted = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open.add(writer)
        self.accepted += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open.discard(writer)
            writer.close()


@pytest.fixture
async def camera() -> AsyncIterator[tuple[Camera500, Camera]]:
    fake = Camera500()
    server = await asyncio.start_server(fake.handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    yield fake, Camera(name="c", host=HOST, site="s", port=port)
    server.close()


async def test_a_call_without_a_pool_closes_what_it_opened(
    camera: tuple[Camera500, Camera],
) -> None:
    fake, cam = camera
    assert await onvif.clock_answers(cam, timeout_s=5) is True  # a 500 is an answer
    assert fake.accepted == 1
    await until(lambda: not fake.open)  # the camera read our close: nothing left behind


async def test_a_given_pool_keeps_its_sockets_for_the_next_call(
    camera: tuple[Camera500, Camera], http_pool: HttpPool
) -> None:
    fake, cam = camera
    for _ in range(3):
        assert await onvif.clock_answers(cam, timeout_s=5, pool=http_pool) is True
    assert fake.accepted == 1 and len(fake.open) == 1  # one kept-alive socket, reused
    assert not http_pool.closed
    await http_pool.close()
    await until(lambda: not fake.open)


async def test_borrowed_lends_the_callers_pool_or_closes_its_own(http_pool: HttpPool) -> None:
    async with borrowed(http_pool) as lent:
        assert lent is http_pool
    assert not http_pool.closed
    async with borrowed(None) as own:
        assert own is not http_pool and not own.closed
    assert own.closed
