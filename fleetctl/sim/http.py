"""A small asyncio HTTP/1.1 server: one listener per simulated camera on its own loopback address.

Why not aiohttp.web: 2,000 cameras in one process need a listener each, and the simulator must
misbehave *below* the HTTP layer the way broken cameras do (accept and never answer, drip a reply
one byte at a time, stream a 50 MB body). A bare ``asyncio.Protocol`` keeps each idle listener at
a few KiB and gives us those hooks.

Contract:
- Requests on one connection are served in order (keep-alive, HTTP/1.1 default; ``Connection:
  close`` or HTTP/1.0 without keep-alive closes after the reply).
- Heads over ``MAX_HEAD`` bytes get 431, bodies over ``MAX_BODY`` get 413; both then close.
- The handler returns a ``Response``, either at once (a plain function: the common case, answered
  inside ``data_received`` with one write of head and body, no task, no extra loop iteration) or
  through an awaitable (a coroutine: hangs, delays, drips run in a task). A streamed body
  (``stream``) is written under transport flow control so a huge reply is never held in memory.
  ``drip_s`` writes one byte per interval.
- A handler that never returns (the ``hang`` fault) just keeps the connection open; its task is
  cancelled when the client goes away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import cast
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

MAX_HEAD = 16 * 1024
MAX_BODY = 1024 * 1024  # a SOAP request to a camera is a few KiB; real firmware caps far lower

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the raw request-target, exactly as sent (HTTP Digest compares uri= to it)
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    peer: str


@dataclass(frozen=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/soap+xml; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    # A streamed body: ``length`` bytes produced by ``stream`` (Content-Length is still sent).
    stream: Callable[[], AsyncIterator[bytes]] | None = None
    length: int = 0
    drip_s: float = 0.0  # > 0: write one byte per interval (the ``drip`` fault)
    close: bool = False


# A plain function returning a Response is answered synchronously; anything else is awaited.
Handler = Callable[[Request], Awaitable[Response] | Response]


@dataclass
class _Parsed:
    request: Request | None = None
    error: int = 0
    keep_alive: bool = True
    consumed: int = 0


def _parse(buf: bytearray, peer: str) -> _Parsed | None:
    """One request from the front of ``buf``; None when more bytes are needed."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return _Parsed(error=431) if len(buf) > MAX_HEAD else None
    if end > MAX_HEAD:
        return _Parsed(error=431)
    try:
        head = bytes(buf[:end]).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, target, version = request_line.split(" ", 2)
    except ValueError:
        return _Parsed(error=400)
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            return _Parsed(error=400)
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _Parsed(error=400)  # no camera client sends chunked SOAP; refuse, don't guess
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        return _Parsed(error=400)
    if length > MAX_BODY or length < 0:
        return _Parsed(error=413)
    total = end + 4 + length
    if len(buf) < total:
        return None
    conn = headers.get("connection", "").lower()
    keep = "close" not in conn and (version == "HTTP/1.1" or "keep-alive" in conn)
    if target[:1] == "/" and "?" not in target and "#" not in target:
        path, query = target, {}  # origin-form without a query: every SOAP POST (no urlsplit)
    else:
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
    req = Request(
        method=method.upper(),
        target=target,
        path=path,
        query=query,
        headers=headers,
        body=bytes(buf[end + 4 : total]),
        peer=peer,
    )
    return _Parsed(request=req, keep_alive=keep, consumed=total)


@lru_cache(maxsize=64)
def _head_parts(status: int, content_type: str, keep_alive: bool) -> tuple[bytes, bytes]:
    """The head around Content-Length's value, for replies without extra headers."""
    before = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: "
    )
    after = "\r\nConnection: " + ("keep-alive" if keep_alive else "close") + "\r\n\r\n"
    return before.encode("latin-1"), after.encode("latin-1")


def _head(resp: Response, length: int, keep_alive: bool) -> bytes:
    if not resp.headers:  # nearly every reply: a cached head with the length patched in
        before, after = _head_parts(resp.status, resp.content_type, keep_alive)
        return b"%s%d%s" % (before, length, after)
    lines = [
        f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Unknown')}",
        f"Content-Type: {resp.content_type}",
        f"Content-Length: {length}",
        "Connection: " + ("keep-alive" if keep_alive else "close"),
        *(f"{k}: {v}" for k, v in resp.headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _crashed(req: Request) -> Response:
    # A simulator bug must not kill the listener: answer 500 and log it.
    log.exception("sim http handler failed for %s %s", req.method, req.path)
    return Response(500, b"internal error", content_type="text/plain")


class HttpProtocol(asyncio.Protocol):
    """One client connection. Created by ``serve()``'s factory per accepted socket."""

    def __init__(self, handler: Handler, live: set[HttpProtocol]) -> None:
        self._handler = handler
        self._live = live
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None
        self._task: asyncio.Task[None] | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._peer = ""
        self._continued = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's does not subclass asyncio.Transport, hence no isinstance).
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        self._live.add(self)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else ""

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._task is None:
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        self._live.discard(self)
        self._transport = None
        self._can_write.set()
        if self._task is not None:
            self._task.cancel()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def _next(self) -> None:
        # Answer every complete request in the buffer that the handler answers at once (one
        # write each, in order); stop at the first that needs a task: it calls _next() again
        # once its reply is written, so replies never overtake each other.
        while self._transport is not None and self._task is None:
            parsed = _parse(self._buf, self._peer)
            if parsed is None:
                self._maybe_continue()
                return
            if parsed.request is None:
                self._transport.write(
                    _head(Response(parsed.error, content_type="text/plain"), 0, False)
                )
                self._transport.close()
                return
            del self._buf[: parsed.consumed]
            self._continued = False
            req = parsed.request
            try:
                result = self._handler(req)
            except Exception:
                result = _crashed(req)
            if (
                isinstance(result, Response)
                and result.stream is None
                and result.drip_s <= 0
                and self._can_write.is_set()
            ):
                keep_alive = parsed.keep_alive and not result.close
                self._transport.write(_head(result, len(result.body), keep_alive) + result.body)
                if not keep_alive:
                    self._transport.close()
                    return
                continue
            self._task = asyncio.get_running_loop().create_task(
                self._serve(result, req, parsed.keep_alive)
            )

    def _maybe_continue(self) -> None:
        # curl and .NET send "Expect: 100-continue" with bodies over 1 KiB and wait a second
        # for this before sending the body; cameras' web servers answer it.
        end = self._buf.find(b"\r\n\r\n")
        if end < 0 or self._continued or self._transport is None:
            return
        if b"100-continue" in bytes(self._buf[:end]).lower():
            self._continued = True
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def _serve(
        self, result: Awaitable[Response] | Response, req: Request, keep_alive: bool
    ) -> None:
        if isinstance(result, Response):
            resp = result
        else:
            try:
                resp = await result
            except asyncio.CancelledError:
                raise
            except Exception:
                resp = _crashed(req)
        keep_alive = keep_alive and not resp.close
        try:
            await self._write(resp, keep_alive)
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._task = None
        if self._transport is None:
            return
        if keep_alive:
            self._next()
        else:
            self._transport.close()

    async def _write(self, resp: Response, keep_alive: bool) -> None:
        length = resp.length if resp.stream is not None else len(resp.body)
        head = _head(resp, length, keep_alive)
        if resp.drip_s > 0:
            # The `drip` fault: a slow-loris in reverse. Clients whose timeout bounds only the
            # gap between reads never give up; one that enforces an overall deadline does.
            whole = head + resp.body
            for i in range(len(whole)):
                await self._send(whole[i : i + 1])
                await asyncio.sleep(resp.drip_s)
            return
        if resp.stream is None:
            await self._send(head + resp.body)  # one write: one segment, one wake-up for the client
            return
        await self._send(head)
        async for chunk in resp.stream():
            await self._send(chunk)

    async def _send(self, data: bytes) -> None:
        await self._can_write.wait()
        if self._transport is None or self._transport.is_closing():
            raise ConnectionResetError("client went away")
        self._transport.write(data)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


class Listener:
    """A bound camera port and its open connections; ``close()`` drops them all."""

    def __init__(self, server: asyncio.Server, live: set[HttpProtocol]) -> None:
        self.server = server
        self._live = live

    async def close(self) -> None:
        """Stop listening and reset open connections (a reboot or flap: clients see resets)."""
        self.server.close()
        for proto in list(self._live):
            proto.abort()
        await self.server.wait_closed()


async def serve(handler: Handler, host: str, port: int, *, backlog: int = 64) -> Listener:
    """Bind ``host:port`` and serve ``handler``. The caller closes the returned listener."""
    loop = asyncio.get_running_loop()
    live: set[HttpProtocol] = set()
    server = await loop.create_server(
        lambda: HttpProtocol(handler, live),
        host,
        port,
        backlog=backlog,
        reuse_address=True,
    )
    return Listener(server, live)
