"""A lean keep-alive HTTP/1.1 client for talking to cameras: asyncio.Protocol + llhttp.

Why not aiohttp: a health check makes ~10 small requests per camera, and aiohttp's per-request
machinery (URL objects, header multidicts, tracing signals, middlewares, ``ClientResponse``,
connector bookkeeping) cost several times the CPU of the bytes themselves. Here a request is one
``bytes`` written on a pooled socket and a response is whatever llhttp (``httptools``, the C
parser uvicorn uses: we never hand-parse HTTP) calls back with, gathered in ``data_received``
(``wire.Connection``). This module keeps the sockets: slots, waiters, idle expiry, retry.

What that buys, measured on the check's own request mix (``python
benchmarks/bench_http_client.py``: 500 simulated cameras, 512 at once, each camera's ONVIF
health conversation and vendor storage GET, 4,725 requests; the same code above the pool, an
aiohttp 3.14 ``ClientSession`` with equivalent settings as the baseline; median of 3 runs on
a 2-core machine, December 2026): this pool 1.03 CPU s (218 us per request, the SOAP and XML
work included), 3.9 s wall, 80 MB peak RSS; aiohttp 2.60 CPU s (550 us per request), 8.6 s
wall, 88 MB. aiohttp costs 2.5x the CPU of the whole mix, and CPU is what bounds a district's
check on one machine.

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
- every failure is ``HttpError(failure, reason)`` (``adapters.errors``): ``reason`` is words
  without an address or a credential, the message puts ``host:port`` in front of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections import deque
from collections.abc import Callable, Mapping

from fleetctl.adapters.errors import HttpError
from fleetctl.adapters.http.wire import (
    Connection,
    Headers,
    Key,
    Response,
    Stale,
    build_request,
)
from fleetctl.adapters.reach import classify_os_error
from fleetctl.base.i18n import M_
from fleetctl.core.probes import Failure

__all__ = [
    "KEEPALIVE_S",
    "PER_HOST",
    "Headers",
    "HttpError",
    "Pool",
    "Response",
    "build_request",
    "no_verify_tls",
]

PER_HOST = 2
KEEPALIVE_S = 3.0
# The pool's clock: read timeouts and idle expiry are checked this often (so they fire up to
# this late), by one callback for all sockets instead of two timers per request.
TICK_S = 0.1
DNS_TTL_S = 300.0  # as aiohttp's cache was: camera names rarely move within a run


def _is_address(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return True
    return False


class _Host:
    __slots__ = ("count", "idle", "waiters")

    def __init__(self) -> None:
        self.count = 0  # connections open or opening (each holds one of the per-host slots)
        self.idle: list[Connection] = []
        # A waiter gets an idle connection, or None: "a slot is yours, open one".
        self.waiters: deque[asyncio.Future[Connection | None]] = deque()


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
        self._conns: set[Connection] = set()
        self._tls: ssl.SSLContext | None = None
        self._dns: dict[str, tuple[float, str]] = {}  # name -> (expires, address)
        self._tick: asyncio.TimerHandle | None = None

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
            raise HttpError(Failure.PROTOCOL, "HTTP client closed", where=f"{host}:{port}")
        netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
        default = 443 if scheme == "https" else 80
        data = build_request(
            method, target, netloc if port == default else f"{netloc}:{port}", headers, body
        )
        key = (scheme, host.strip("[]"), port)
        for attempt in (1, 2):
            conn = await self._acquire(key, read_timeout_s)
            if self._tick is None:
                self._tick = self.loop.call_later(TICK_S, self._on_tick)
            try:
                response = await conn.exchange(data, max_bytes, read_timeout_s, on_head)
            except Stale:
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
        raise HttpError(
            Failure.PROTOCOL, "closed the connection without a reply", where=f"{host}:{port}"
        )

    # ------------------------------------------------------------------ slots and sockets

    async def _acquire(self, key: Key, connect_timeout_s: float) -> Connection:
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
        self._hosts[key] = host  # _free_slot may have dropped an emptied entry
        if host.count < self.per_host:
            host.count += 1
        else:
            waiter: asyncio.Future[Connection | None] = self.loop.create_future()
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
                else:  # still queued, unless a release skipped it as done
                    with contextlib.suppress(ValueError):
                        host.waiters.remove(waiter)
                raise
            if got is not None:
                return got
        try:
            return await self._connect(key, connect_timeout_s)
        except BaseException:
            self._free_slot(key, host)
            raise

    async def _connect(self, key: Key, timeout_s: float) -> Connection:
        scheme, host, port = key
        where = f"{host}:{port}"
        tls = None
        if scheme == "https":
            tls = self._tls = self._tls or no_verify_tls()
        try:
            async with asyncio.timeout(timeout_s):
                address = await self._resolve(host, port)
                _, conn = await self.loop.create_connection(
                    lambda: Connection(self.loop, key, self._lost),
                    address,
                    port,
                    ssl=tls,
                    server_hostname=host if tls is not None else None,
                )
        except TimeoutError as err:
            raise HttpError(
                Failure.TIMEOUT, "no answer in time", where=where, said=M_("no answer in time")
            ) from err
        except OSError as err:  # ssl.SSLError is one too: a failed handshake
            failure = classify_os_error(err)
            if failure is Failure.REFUSED:
                raise HttpError(
                    failure, "connection refused", where=where, said=M_("connection refused")
                ) from err
            raise HttpError(failure, err.strerror or failure.value, where=where) from err
        self.connects += 1
        if self.closed:
            conn.close()
            raise HttpError(Failure.PROTOCOL, "HTTP client closed", where=where)
        self._conns.add(conn)
        return conn

    async def _resolve(self, host: str, port: int) -> str:
        """``host`` itself when it is an address, else its first address, cached for
        ``DNS_TTL_S``: a camera's two sockets (and the next check) must not cost a lookup each
        through the loop's small resolver thread pool."""
        cached = self._dns.get(host)
        if cached is not None and cached[0] > self.loop.time():
            return cached[1]
        if _is_address(host):
            return host
        infos = await self.loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = str(infos[0][4][0])
        self._dns[host] = (self.loop.time() + DNS_TTL_S, address)
        return address

    def _release(self, conn: Connection) -> None:
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
        conn.idle_since = self.loop.time()
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

    def _unidle(self, conn: Connection) -> None:
        conn.idle = False

    def _on_tick(self) -> None:
        """Expire idle sockets past ``keepalive_s``, time out quiet exchanges; re-arm while any
        socket is open."""
        self._tick = None
        now = self.loop.time()
        for conn in list(self._conns):
            if conn.idle:
                if now - conn.idle_since >= self.keepalive_s:
                    self._drop_idle(conn)
                    conn.close()
            else:
                conn.check_timeout(now)
        if self._conns and not self.closed:
            self._tick = self.loop.call_later(TICK_S, self._on_tick)

    def _drop_idle(self, conn: Connection) -> None:
        host = self._hosts.get(conn.key)
        if not conn.idle or host is None:
            return
        self._unidle(conn)
        host.idle.remove(conn)
        self._conns.discard(conn)
        self._free_slot(conn.key, host)

    def _lost(self, conn: Connection) -> None:
        """The socket closed; if it sat idle (the camera closed a keep-alive), free its slot.
        A busy socket's slot is freed by the request that holds it (``_release``)."""
        self._drop_idle(conn)

    async def close(self) -> None:
        """Close every socket and fail every waiter; the pool cannot be used again."""
        self.closed = True
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        hosts, self._hosts = self._hosts, {}
        for (_, name, port), host in hosts.items():
            for conn in host.idle:
                self._unidle(conn)
            for waiter in host.waiters:
                if not waiter.done():
                    closed = HttpError(
                        Failure.PROTOCOL, "HTTP client closed", where=f"{name}:{port}"
                    )
                    waiter.set_exception(closed)
        conns, self._conns = self._conns, set()
        for conn in conns:
            conn.close()
        if conns:
            await asyncio.sleep(0)  # let connection_lost run before the loop may stop
