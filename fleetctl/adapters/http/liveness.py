"""How does the web server answer a plain request: at once, in a trickle, or not at all?

When an ONVIF conversation times out, three very different cameras look alike to an HTTP
client: one whose web server accepts connections and never says a word (wedged: as good as
offline), one that is merely busy (its answers come late, but whole), and one that answers a
byte at a time (a drip-feeding firmware: alive, and broken). aiohttp only reports whole status
lines, so this probe looks at the raw socket: bytes that arrive without ever completing the
header block within the window are a trickle.
"""

from __future__ import annotations

import asyncio
import ssl
from enum import StrEnum

from fleetctl import __version__

MAX_HEAD = 16 * 1024  # a status line and headers; we never read a body


class HttpShape(StrEnum):
    ANSWERS = "answers"  # a complete header block arrived
    TRICKLE = "trickle"  # bytes arrived, the header block never completed in the window
    SILENT = "silent"  # connected, then nothing at all
    UNREACHABLE = "unreachable"  # could not even connect


def _tls() -> ssl.SSLContext:
    # Cameras ship self-signed certificates; we only look at how bytes arrive, nothing is trusted.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def reply_shape(host: str, port: int, *, timeout_s: float, https: bool = False) -> HttpShape:
    """Send one harmless ``GET /`` (no credentials) and classify the reply. Never raises."""
    writer: asyncio.StreamWriter | None = None
    got = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            try:
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=_tls() if https else None
                )
            except OSError:
                return HttpShape.UNREACHABLE
            hostport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            writer.write(
                f"GET / HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: fleetctl/{__version__}\r\n"
                "Connection: close\r\n\r\n".encode("ascii")
            )
            while b"\r\n\r\n" not in got and len(got) < MAX_HEAD:
                chunk = await reader.read(MAX_HEAD)
                if not chunk:  # closed by the peer: whatever came, came whole
                    return HttpShape.ANSWERS if got else HttpShape.SILENT
                got += chunk
            return HttpShape.ANSWERS
    except TimeoutError:
        if writer is None:
            return HttpShape.UNREACHABLE
        return HttpShape.TRICKLE if got else HttpShape.SILENT
    except OSError:
        return HttpShape.UNREACHABLE
    finally:
        if writer is not None:
            # abort, not close: a TLS close would wait on the peer's shutdown reply
            writer.transport.abort()
