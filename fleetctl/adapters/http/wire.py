"""The wire side of the lean HTTP client: one socket, one exchange at a time, llhttp parsing.

``Connection`` is an ``asyncio.Protocol``: a request is one ``bytes`` written; the response is
gathered in ``data_received`` from what llhttp (``httptools``) calls back with, and ends as a
``Response`` value or an ``HttpError``. What it guarantees (``http_client.Pool`` relies on it):

- a declared ``Content-Length`` over ``max_bytes`` ends the exchange at the headers, a body
  passing ``max_bytes`` ends it at that chunk: ``oversized=True``, body dropped, socket closed;
- chunked bodies are de-chunked by llhttp; a body without length or chunking ends at EOF;
- the socket is marked reusable only after a complete response the server let us keep
  (``Connection: close``, HTTP/1.0 and stray bytes all retire it);
- response headers (status line, every header, interim 1xx replies) over ``MAX_HEADER_BYTES``
  end the exchange (MALFORMED, socket closed): a camera streaming headers costs its own result,
  never the process's memory (llhttp would otherwise buffer one endless header value whole);
- ``read_timeout_s`` bounds each quiet spell while waiting; the pool's clock calls
  ``check_timeout`` (no timer per exchange: a loop's timer heap compares handles in Python,
  and two timers per request were a tenth of the client's CPU);
- a reused socket closed before any byte of the response fails with ``Stale`` (the pool
  retries it once), a fresh one with "closed the connection without a reply".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import httptools

from fleetctl.adapters.errors import HttpError
from fleetctl.core.probes import Failure

Key = tuple[str, str, int]  # (scheme, host, port)

# Real cameras send well under 4 KiB of headers; the RTSP reader caps its own at the same size.
MAX_HEADER_BYTES = 64 * 1024


class Stale(Exception):
    """A reused keep-alive socket was closed by the server before any byte of the response."""


class Headers(Mapping[str, str]):
    """Response headers in arrival order, looked up case-insensitively (few: a linear scan).

    Kept as the raw bytes llhttp gave and decoded (latin-1) only when asked: most replies are
    asked for one header, if any."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[bytes, bytes]]) -> None:
        self._items = items

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        want = key.lower().encode("latin-1")
        for name, value in self._items:
            if name.lower() == want:
                return value.decode("latin-1")
        return default

    def getall(self, key: str) -> list[str]:
        want = key.lower().encode("latin-1")
        return [value.decode("latin-1") for name, value in self._items if name.lower() == want]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name.decode("latin-1") for name, _ in self._items)

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


class Connection(asyncio.Protocol):
    """One socket to one camera; at most one exchange at a time (no pipelining).

    ``exchange`` writes a request and returns a future for its ``Response``; llhttp calls back
    from ``data_received``. ``on_lost`` is told when the socket closes (the pool's bookkeeping).
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, key: Key, on_lost: Callable[[Connection], None]
    ) -> None:
        self.key = key
        self.where = f"{key[1]}:{key[2]}"  # what an HttpError's message starts with
        self._on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle = False
        self.idle_since = 0.0  # loop time it went back to the pool
        self.reused = False  # has completed an exchange before (a keep-alive socket)
        self.reusable = False
        self._parser = httptools.HttpResponseParser(self)
        self._loop = loop
        self._waiter: asyncio.Future[Response] | None = None
        self._on_head: Callable[[], None] | None = None
        self._read_timeout = 0.0
        self._last_rx = 0.0
        self._max_bytes = 0
        self._sent = 0.0
        self._got_bytes = False
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._framed = False  # Content-Length or Transfer-Encoding: the body does not end at EOF
        self._declared: int | None = None
        self._headers_done = False
        self._head_bytes = 0  # bytes received before the final response's headers completed
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
        self._head_bytes = 0
        self._headers = []
        self._body = []
        self.reusable = False
        self._last_rx = self._loop.time()
        self._sent = time.perf_counter()
        if self.closed:  # closed since it was pooled, before its connection_lost ran
            self._fail(
                Stale()
                if self.reused
                else HttpError(Failure.PROTOCOL, "connection lost", where=self.where)
            )
            return waiter
        self.transport.write(data)
        return waiter

    def check_timeout(self, now: float) -> None:
        """Fail the exchange in flight (TIMEOUT) if nothing arrived for ``read_timeout_s``."""
        if self._waiter is not None and now - self._last_rx >= self._read_timeout:
            self._fail(HttpError(Failure.TIMEOUT, "no answer in time", where=self.where))

    def _finish(self, body: bytes, *, oversized: bool = False, keep: bool = False) -> None:
        waiter, self._waiter = self._waiter, None
        self.reusable = keep and not oversized and not self.closed
        if waiter is not None and not waiter.done():
            ms = round((time.perf_counter() - self._sent) * 1000, 3)
            headers = Headers(self._headers)
            waiter.set_result(Response(self._status, headers, body, oversized, self._declared, ms))
        if not self.reusable:
            self.close()

    def _fail(self, err: Exception) -> None:
        waiter, self._waiter = self._waiter, None
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
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as err:
            # (a 101 Switching Protocols is nothing a camera's SOAP or storage page may answer)
            if self._waiter is not None:
                broken = HttpError(Failure.MALFORMED, "broken HTTP reply", where=self.where)
                broken.__cause__ = err  # llhttp's words (where in the reply it broke)
                self._fail(broken)
            else:  # garbage after a complete response: keep the response, drop the socket
                self.reusable = False
                self.close()
            return
        if not self._headers_done and self._waiter is not None:
            # Counted per read, so one read's worth (the transport's buffer) is the overshoot.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEADER_BYTES:
                self._parser = httptools.HttpResponseParser(self)  # drop what llhttp buffered
                self._fail(
                    HttpError(
                        Failure.MALFORMED,
                        f"HTTP reply headers over {MAX_HEADER_BYTES // 1024} KiB",
                        where=self.where,
                    )
                )

    def eof_received(self) -> bool:
        self._on_eof(None)
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._on_eof(exc)
        self._on_lost(self)

    def _on_eof(self, exc: Exception | None) -> None:
        self.reusable = False
        if self._waiter is None:
            return
        if not self._got_bytes:
            if self.reused:
                self._fail(Stale())
            else:
                self._fail(
                    HttpError(
                        Failure.PROTOCOL, "closed the connection without a reply", where=self.where
                    )
                )
        elif self._headers_done and not self._framed:
            # No Content-Length, no chunking: the body is everything up to the close (HTTP/1.0).
            self._finish(b"".join(self._body))
        else:
            self._fail(HttpError(Failure.MALFORMED, "broken HTTP reply", where=self.where))

    # ------------------------------------------------------------------ llhttp callbacks

    def on_message_begin(self) -> None:
        if self._waiter is None:  # a second response nobody asked for
            self.reusable = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._waiter is None:
            return
        self._headers.append((name, value))
        if len(name) not in (14, 17):  # neither content-length nor transfer-encoding
            return
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
        self._status = self._parser.get_status_code()
        if 100 <= self._status < 200:
            return  # an interim reply (100 Continue): the real one follows on the same socket
        self._headers_done = True
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
        if not self._headers_done:  # the end of an interim reply: forget its headers
            self._headers, self._framed, self._declared = [], False, None
            return
        self._finish(b"".join(self._body), keep=self._parser.should_keep_alive())
