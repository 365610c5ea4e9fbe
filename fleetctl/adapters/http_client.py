"""A lean keep-alive HTTP/1.1 client for talking to cameras: asyncio.Protocol + llhttp.

Why not aiohttp: a health check makes ~10 small requests per camera, and aiohttp's per-request
machinery (URL objects, header multidicts, tracing signals, middlewares, ``ClientResponse``,
connector bookkeeping) cost several times the CPU of the bytes themselves. Here a request is one
``bytes`` written on a pooled socket and a response is whatever llhttp (``httptools``, the C
parser uvicorn uses: we never hand-parse HTTP) calls back with, gathered in ``data_received``.

Contract of ``Pool.request``:

- at most ``per_host`` connections per (scheme, host, port); a request beyond that waits for a
  free one (no pipelining: one request in flight per connection); idle keep-alive sockets are
  closed after ``keepalive_s``;
- it returns a ``Response`` for any status (the caller decides what a 401 means); a declared
  ``Content-Length`` over ``max_bytes`` returns at once, and a body passing ``max_bytes`` while
  streaming stops there: both ``oversized=True``, body empty, the connection closed;
- bodies are de-chunked by llhttp; a body without length or chunking ends at EOF (HTTP/1.0);
  ``Connection: close`` (or HTTP/1.0 without keep-alive) means the socket is not reused;
- ``read_timeout_s`` bounds each wait for bytes (connect included); the caller's
  ``asyncio.timeout`` is the hard deadline, and a cancelled request closes its connection;
- a pooled socket the server closed before any byte of the response is retried once on another
  connection (RFC 9112 9.3.1): keep-alive races are the server's right, not the camera's fault;
- every failure is ``HttpError(failure, reason)``: ``reason`` is words without an address or a
  credential (callers prefix ``host:port``).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import httptools

from fleetctl.adapters.reach import classify_os_error
from fleetctl.core.probes import Failure

PER_HOST = 2
KEEPALIVE_S = 3.0

Key = tuple[str, str, int]  # (scheme, host, port)


class HttpError(Exception):
    """A request failed below HTTP semantics; ``reason`` is safe to show (no address, no secret)."""

    def __init__(self, failure: Failure, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason
        self.exchange_ms: float | None = None  # request on the wire to the failure, if sent


class _Stale(Exception):
    """A reused keep-alive socket was closed by the server before any byte of the response."""


class Headers(Mapping[str, str]):
    """Response headers in arrival order, looked up case-insensitively (few: a linear scan)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        key = key.lower()
        for name, value in self._items:
            if name.lower() == key:
                return value
        return default

    def getall(self, key: str) -> list[str]:
        key = key.lower()
        return [value for name, value in self._items if name.lower() == key]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True, slots=True)
class Response:
    """One response. ``oversized``: the body passed ``max_bytes`` (declared or streamed) and
    was dropped (``body`` empty). ``exchange_ms``: request on the wire to the last byte read."""

    status: int
    headers: Headers
    body: bytes
    oversized: bool
    declared: int | None
    exchange_ms: float


def build_request(
    method: str, target: str, host_header: str, headers: Mapping[str, str], body: bytes
) -> bytes:
    """The request head and body as one buffer. Header values with CR/LF are refused (a
    SOAPAction or an Authorization can never smuggle a second header), and so is a target
    with whitespace (it would end the request line early)."""
    if " " in target or "\r" in target or "\n" in target or "\t" in target:
        raise ValueError("the request target contains whitespace")
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host_header}\r\n"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} contains a line break")
        lines.append(f"{name}: {value}\r\n")
    if body or method != "GET":
        lines.append(f"Content-Length: {len(body)}\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("latin-1")
    return head + body if body else head


class _Conn(asyncio.Protocol):
    """One socket to one camera; at most one exchange at a time."""

    def __init__(self, pool: Pool, key: Key) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle = False
        self.idle_handle: asyncio.TimerHandle | None = None
        self.reused = False  # has completed an exchange before (a keep-alive socket)
        self.reusable = False
        self._parser = httptools.HttpResponseParser(self)
        self._loop = pool.loop
        self._waiter: asyncio.Future[Response] | None = None
        self._on_head: Callable[[], None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._read_timeout = 0.0
        self._last_rx = 0.0
        self._max_bytes = 0
        self._sent = 0.0
        self._got_bytes = False
        self._status = 0
        self._headers: list[tuple[str, str]] = []
        self._framed = False  # Content-Length or Transfer-Encoding: the body does not end at EOF
        self._declared: int | None = None
        self._headers_done = False
        self._body: list[bytes] = []
        self._size = 0

    # ------------------------------------------------------------------ exchange

    def exchange(
        self,
        data: bytes,
        max_bytes: int,
        read_timeout_s: float,
        on_head: Callable[[], None] | None = None,
    ) -> asyncio.Future[Response]:
        assert self.transport is not None and self._waiter is None
        self._waiter = waiter = self._loop.create_future()
        self._on_head = on_head
        self._max_bytes = max_bytes
        self._read_timeout = read_timeout_s
        self._got_bytes = self._headers_done = self._framed = False
        self._status, self._size, self._declared = 0, 0, None
        self._headers = []
        self._body = []
        self.reusable = False
        self._last_rx = self._loop.time()
        self._timer = self._loop.call_later(read_timeout_s, self._on_timer)
        self._sent = time.perf_counter()
        if self.closed:  # closed since it was pooled, before its connection_lost ran
            self._fail(_Stale() if self.reused else HttpError(Failure.PROTOCOL, "connection lost"))
            return waiter
        self.transport.write(data)
        return waiter

    def _on_timer(self) -> None:
        # One timer per exchange, pushed back by arrivals: cheaper than re-arming per chunk.
        if self._waiter is None:
            return
        quiet = self._loop.time() - self._last_rx
        if quiet < self._read_timeout:
            self._timer = self._loop.call_later(self._read_timeout - quiet, self._on_timer)
            return
        self._fail(HttpError(Failure.TIMEOUT, "no answer in time"))

    def _finish(self, body: bytes, *, oversized: bool = False, keep: bool = False) -> None:
        waiter, self._waiter = self._waiter, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.reusable = keep and not oversized and not self.closed
        if waiter is not None and not waiter.done():
            ms = round((time.perf_counter() - self._sent) * 1000, 3)
            headers = Headers(self._headers)
            waiter.set_result(Response(self._status, headers, body, oversized, self._declared, ms))
        if not self.reusable:
            self.close()

    def _fail(self, err: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.reusable = False
        self.close()
        if isinstance(err, HttpError):
            err.exchange_ms = round((time.perf_counter() - self._sent) * 1000, 3)
        if waiter is not None and not waiter.done():
            waiter.set_exception(err)

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: the socket's state is unknown
            self.reusable = False
            self.close()
            return
        self._got_bytes = True
        self._last_rx = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._waiter is not None:
                self._fail(HttpError(Failure.MALFORMED, "broken HTTP reply"))
            else:  # garbage after a complete response: keep the response, drop the socket
                self.reusable = False
                self.close()

    def eof_received(self) -> bool:
        self._on_eof(None)
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._on_eof(exc)
        self.pool._lost(self)

    def _on_eof(self, exc: Exception | None) -> None:
        self.reusable = False
        if self._waiter is None:
            return
        if not self._got_bytes:
            if self.reused:
                self._fail(_Stale())
            else:
                self._fail(HttpError(Failure.PROTOCOL, "closed the connection without a reply"))
        elif self._headers_done and not self._framed:
            # No Content-Length, no chunking: the body is everything up to the close (HTTP/1.0).
            self._finish(b"".join(self._body))
        else:
            self._fail(HttpError(Failure.MALFORMED, "broken HTTP reply"))

    # ------------------------------------------------------------------ llhttp callbacks

    def on_message_begin(self) -> None:
        if self._waiter is None:  # a second response nobody asked for
            self.reusable = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._waiter is None:
            return
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))
        lower = name.lower()
        if lower == b"content-length":
            self._framed = True
            try:
                self._declared = int(value)
            except ValueError:
                self._declared = None  # llhttp refuses it anyway
        elif lower == b"transfer-encoding":
            self._framed = True

    def on_headers_complete(self) -> None:
        if self._waiter is None:
            return
        self._headers_done = True
        self._status = self._parser.get_status_code()
        if self._on_head is not None:
            self._on_head()
        if self._declared is not None and self._declared > self._max_bytes:
            self._finish(b"", oversized=True)  # not a byte of it is read

    def on_body(self, body: bytes) -> None:
        if self._waiter is None:
            return
        self._size += len(body)
        if self._size > self._max_bytes:
            self._body = []
            self._finish(b"", oversized=True)  # closes: the rest never reaches memory
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._waiter is None:
            return
        self._finish(b"".join(self._body), keep=self._parser.should_keep_alive())


class _Host:
    __slots__ = ("count", "idle", "waiters")

    def __init__(self) -> None:
        self.count = 0  # connections open or opening (each holds one of the per-host slots)
        self.idle: list[_Conn] = []
        # A waiter gets an idle connection, or None: "a slot is yours, open one".
        self.waiters: deque[asyncio.Future[_Conn | None]] = deque()


def no_verify_tls() -> ssl.SSLContext:
    # Cameras ship self-signed certificates named after their factory IP; verification would fail
    # on every one. Pinning to the inventory address is what stops us talking to the wrong host.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Pool:
    """Keep-alive connections for a whole fleet, on one event loop (see the module docstring)."""

    def __init__(self, *, per_host: int = PER_HOST, keepalive_s: float = KEEPALIVE_S) -> None:
        self.loop = asyncio.get_running_loop()
        self.per_host = per_host
        self.keepalive_s = keepalive_s
        self.closed = False
        self.connects = 0  # sockets opened so far (for tests and benchmarks)
        self._hosts: dict[Key, _Host] = {}
        self._conns: set[_Conn] = set()
        self._tls: ssl.SSLContext | None = None

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
        """One request, one response (any status). Raises ``HttpError``; see the module.

        ``on_head`` is called when a response's status line and headers have arrived (before
        its body: a reply cut short later still shows the camera answered)."""
        if self.closed:
            raise HttpError(Failure.PROTOCOL, "HTTP client closed")
        netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
        default = 443 if scheme == "https" else 80
        data = build_request(
            method, target, netloc if port == default else f"{netloc}:{port}", headers, body
        )
        key = (scheme, host.strip("[]"), port)
        for attempt in (1, 2):
            conn = await self._acquire(key, read_timeout_s)
            try:
                response = await conn.exchange(data, max_bytes, read_timeout_s, on_head)
            except _Stale:
                self._release(conn)
                if attempt == 2:
                    break
                continue
            except BaseException:
                conn.close()  # mid-exchange (cancelled, timed out): the socket's state is unknown
                self._release(conn)
                raise
            conn.reused = True
            self._release(conn)
            return response
        raise HttpError(Failure.PROTOCOL, "closed the connection without a reply")

    # ------------------------------------------------------------------ slots and sockets

    async def _acquire(self, key: Key, connect_timeout_s: float) -> _Conn:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host()
        while host.idle:
            conn = host.idle.pop()  # the most recent: the least likely to be closed by now
            self._unidle(conn)
            if not conn.closed:
                return conn
            self._conns.discard(conn)  # closed by us (stray bytes) before its connection_lost
            self._free_slot(key, host)
        if host.count < self.per_host:
            host.count += 1
        else:
            waiter: asyncio.Future[_Conn | None] = self.loop.create_future()
            host.waiters.append(waiter)
            try:
                got = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    given = waiter.result()  # handed over just as we were cancelled
                    if given is None:
                        self._free_slot(key, host)
                    else:
                        self._release(given)
                else:
                    host.waiters.remove(waiter)
                raise
            if got is not None:
                return got
        try:
            return await self._connect(key, connect_timeout_s)
        except BaseException:
            self._free_slot(key, host)
            raise

    async def _connect(self, key: Key, timeout_s: float) -> _Conn:
        scheme, host, port = key
        tls = None
        if scheme == "https":
            tls = self._tls = self._tls or no_verify_tls()
        try:
            async with asyncio.timeout(timeout_s):
                _, conn = await self.loop.create_connection(
                    lambda: _Conn(self, key), host, port, ssl=tls
                )
        except TimeoutError:
            raise HttpError(Failure.TIMEOUT, "no answer in time") from None
        except OSError as err:  # ssl.SSLError is one too: a failed handshake
            failure = classify_os_error(err)
            if failure is Failure.REFUSED:
                raise HttpError(failure, "connection refused") from None
            raise HttpError(failure, err.strerror or failure.value) from None
        self.connects += 1
        if self.closed:
            conn.close()
            raise HttpError(Failure.PROTOCOL, "HTTP client closed")
        self._conns.add(conn)
        return conn

    def _release(self, conn: _Conn) -> None:
        """The request is done with ``conn``: next waiter, the idle list, or closed."""
        host = self._hosts.get(conn.key)
        if host is None:  # the pool was closed meanwhile
            conn.close()
            return
        if not conn.reusable or conn.closed or self.closed:
            conn.close()
            self._conns.discard(conn)
            self._free_slot(conn.key, host)
            return
        while host.waiters:
            waiter = host.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        conn.idle = True
        conn.idle_handle = self.loop.call_later(self.keepalive_s, self._expire, conn)
        host.idle.append(conn)

    def _free_slot(self, key: Key, host: _Host) -> None:
        while host.waiters:  # the slot passes to a waiter, who opens a new socket
            waiter = host.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        host.count -= 1
        if host.count == 0 and not host.idle:
            self._hosts.pop(key, None)

    def _unidle(self, conn: _Conn) -> None:
        conn.idle = False
        if conn.idle_handle is not None:
            conn.idle_handle.cancel()
            conn.idle_handle = None

    def _expire(self, conn: _Conn) -> None:
        conn.idle_handle = None
        self._drop_idle(conn)
        conn.close()

    def _drop_idle(self, conn: _Conn) -> None:
        host = self._hosts.get(conn.key)
        if not conn.idle or host is None:
            return
        self._unidle(conn)
        host.idle.remove(conn)
        self._conns.discard(conn)
        self._free_slot(conn.key, host)

    def _lost(self, conn: _Conn) -> None:
        """The socket closed; if it sat idle (the camera closed a keep-alive), free its slot.
        A busy socket's slot is freed by the request that holds it (``_release``)."""
        self._drop_idle(conn)

    async def close(self) -> None:
        """Close every socket and fail every waiter; the pool cannot be used again."""
        self.closed = True
        hosts, self._hosts = self._hosts, {}
        for host in hosts.values():
            for conn in host.idle:
                self._unidle(conn)
            for waiter in host.waiters:
                if not waiter.done():
                    waiter.set_exception(HttpError(Failure.PROTOCOL, "HTTP client closed"))
        conns, self._conns = self._conns, set()
        for conn in conns:
            conn.close()
        if conns:
            await asyncio.sleep(0)  # let connection_lost run before the loop may stop
