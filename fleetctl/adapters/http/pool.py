"""The connection pool camera HTTP goes through: an argument, never a hidden global.

    HttpPool        what the adapters need of a pool: ``request`` and ``close`` (a Protocol, as
                    httpx takes a transport: a test or a benchmark passes its own)
    camera_pool()   the fleet's pool (``client.Pool``): keep-alive, at most
                    ``PER_CAMERA_CONNECTIONS`` sockets per camera, idle sockets closed soon
    borrowed(pool)  ``pool`` itself when the caller has one, else a pool for this call only

Whoever opens a pool closes it. The engine's check run opens one per run (a pool's sockets
belong to the event loop that opened them, so a forked worker's run has its own) and closes it
when the run ends; a one-off call (a login attempt, a reboot) that is given none opens its own.
Pinning to the inventory address, caps and Digest live above the pool (``onvif.transport``,
``storage.vendor_http``), so every pool gets the same requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Protocol

from fleetctl.adapters.http.client import Pool
from fleetctl.adapters.http.wire import Response

__all__ = ["KEEPALIVE_S", "PER_CAMERA_CONNECTIONS", "HttpPool", "borrowed", "camera_pool"]

# Concurrent connections to one camera. The probe overlaps independent calls (hostname, NTP,
# profiles, recordings); two sockets halve its round trips, while each extra socket costs a
# handshake on both ends (at 10,000 cameras the CPU, not the wire, is the limit) and small
# embedded web servers serve only a handful of sockets.
PER_CAMERA_CONNECTIONS = 2
# Idle keep-alive sockets go back to the camera soon: at 10,000 cameras a long keep-alive is
# thousands of idle descriptors, and a probe's calls come within milliseconds of each other.
KEEPALIVE_S = 3.0


class HttpPool(Protocol):
    """Keep-alive HTTP/1.1 to many cameras on one event loop (``client.Pool``'s contract)."""

    @property
    def closed(self) -> bool: ...

    async def request(
        self,
        method: str,
        scheme: str,
        host: str,
        port: int,
        target: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        *,
        max_bytes: int,
        read_timeout_s: float,
        on_head: Callable[[], None] | None = None,
    ) -> Response:
        """One request, one response (any status); failures raise ``HttpError``."""
        ...

    async def close(self) -> None:
        """Close every socket; the pool cannot be used again."""
        ...


def camera_pool() -> HttpPool:
    """A new fleet pool on the running loop; the caller closes it (``await pool.close()``)."""
    return Pool(per_host=PER_CAMERA_CONNECTIONS, keepalive_s=KEEPALIVE_S)


@asynccontextmanager
async def borrowed(pool: HttpPool | None) -> AsyncIterator[HttpPool]:
    """``pool`` as it is (its owner closes it), or a pool of our own, closed on the way out."""
    if pool is not None:
        yield pool
        return
    own = camera_pool()
    try:
        yield own
    finally:
        await own.close()
