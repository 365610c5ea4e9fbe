"""Does anything come back at all? One HTTP request, and the time to its first byte.

When an ONVIF conversation times out before a single complete reply, two very different
cameras look alike to an HTTP client: one whose web server accepts connections and never says
a word (wedged: as good as offline), and one that answers, but a byte at a time (a drip-feeding
firmware: alive, and broken). aiohttp only reports whole status lines, so this probe looks at
the raw socket: any byte within the deadline means the device is talking.
"""

from __future__ import annotations

import asyncio
import ssl

from fleetctl import __version__


def _tls() -> ssl.SSLContext:
    # Cameras ship self-signed certificates; we only look for a first byte, nothing is trusted.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def first_byte(host: str, port: int, *, timeout_s: float, https: bool = False) -> bool | None:
    """True: a byte of reply arrived within ``timeout_s``; False: connected, then silence;
    None: could not even connect. Sends one harmless ``GET /`` (no credentials). Never raises."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s):
            try:
                reader, writer = await asyncio.open_connection(host, port, ssl=_tls() if https else None)
            except OSError:
                return None
            hostport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            writer.write(
                f"GET / HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: fleetctl/{__version__}\r\n"
                "Connection: close\r\n\r\n".encode("ascii")
            )
            return bool(await reader.read(1))
    except TimeoutError:
        return None if writer is None else False
    except OSError:
        return None
    finally:
        if writer is not None:
            # abort, not close: a TLS close would wait on the silent peer's shutdown reply
            writer.transport.abort()
