"""The socket side of an RTSP connection: the kernel copies straight into one shared buffer.

asyncio's StreamReader costs a lot per chunk at 500 streams of 4 Mbit/s: ``recv`` allocates a
fresh ``bytes`` of up to 256 KiB, the reader's buffer and ``read`` copy it twice more, the
probe's buffer a third time, and a coroutine wakes up. ``Receiver`` is a BufferedProtocol:
``recv_into`` one receive buffer shared by every connection of the thread (never reallocated,
so it stays in cache and its pages stay mapped). What happens next is the sink's choice:

- while it measures (``Sink.counting`` gives its unparsed tail), the tail is put in front and
  the chunk is demultiplexed and counted in place, in this callback (``Sink.count_in_place``),
  with no coroutine switch; the sink keeps only what is incomplete (usually under one packet);
- otherwise the bytes are handed over (``Sink.received``) for its coroutine to parse.

Safe because asyncio calls ``get_buffer``, ``recv_into`` and ``buffer_updated`` back to back
for one socket: no other connection touches the shared buffer in between.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Protocol

SHARED_BYTES = 256 * 1024  # one read: dozens of RTP packets
# A tail longer than this is not put in front (the read would get too little room); it is only
# ever a partial RTSP message (<= 80 KiB by the wire caps) or a partial 64 KiB frame.
_MAX_FRONT = SHARED_BYTES // 2

_local = threading.local()  # one shared buffer per thread: one per event loop


class Sink(Protocol):
    def counting(self) -> bytearray | None:
        """The unparsed tail while counting in place, else None."""

    def count_in_place(self, buf: bytearray, n: int) -> None:
        """Demux and count ``buf[:n]`` now; keep what is incomplete (``buf`` is reused)."""

    def received(self, data: bytes | bytearray | memoryview) -> None:
        """Keep ``data`` for later parsing (it is only valid during the call)."""

    def ended(self, exc: Exception | None) -> None:
        """The connection is gone: EOF (None) or an error."""


def _shared() -> tuple[bytearray, memoryview]:
    pair: tuple[bytearray, memoryview] | None = getattr(_local, "pair", None)
    if pair is None:
        buf = bytearray(SHARED_BYTES)
        pair = _local.pair = (buf, memoryview(buf))
    return pair


class Receiver(asyncio.BufferedProtocol):
    """``loop.create_connection(Receiver, ...)``, then ``attach`` the sink. What arrives or
    ends before ``attach`` (a camera that speaks first) is kept for it; past
    ``max_early`` bytes, reading pauses until the sink resumes it."""

    def __init__(self, max_early: int = SHARED_BYTES) -> None:
        self._sink: Sink | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._early = bytearray()
        self._max_early = max_early
        self._ended = False
        self._exc: Exception | None = None
        self._front = -1  # tail bytes in front of the current read; -1: not counting in place

    def attach(self, sink: Sink) -> None:
        self._sink = sink
        if self._early:
            sink.received(self._early)
            self._early = bytearray()
        if self._ended:
            sink.ended(self._exc)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        buf, view = _shared()
        tail = self._sink.counting() if self._sink is not None else None
        if tail is None or len(tail) > _MAX_FRONT:
            self._front = -1
            return view
        k = len(tail)
        buf[:k] = tail  # same length: the shared buffer is never resized (it has exports)
        self._front = k
        return view[k:]

    def buffer_updated(self, nbytes: int) -> None:
        buf, view = _shared()
        front, self._front = self._front, -1
        if self._sink is None:
            self._early += view[:nbytes]
            if len(self._early) > self._max_early and isinstance(
                self._transport, asyncio.ReadTransport
            ):
                self._transport.pause_reading()  # the sink resumes it when it reads
        elif front >= 0:
            self._sink.count_in_place(buf, front + nbytes)
        else:
            self._sink.received(view[:nbytes])

    def eof_received(self) -> bool | None:
        return None  # close our side too: a camera that stops sending is done

    def connection_lost(self, exc: Exception | None) -> None:
        if self._sink is not None:
            self._sink.ended(exc)
        else:
            self._ended, self._exc = True, exc
