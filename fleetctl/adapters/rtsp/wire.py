"""RTSP/1.0 on one TCP connection: requests with CSeq and authorization, replies and
interleaved RTP demultiplexed from the same byte stream (RFC 2326 section 10.12).

The reader never trusts the camera: header blocks and bodies are capped (``rtsp_message``), an
interleaved frame is at most 64 KiB by construction, bytes that are neither RTSP nor ``$``
frames are MALFORMED, and while nobody pumps at most ``MAX_BUFFERED`` unread bytes are held
(then reading pauses and TCP flow control holds the camera back).

Bytes come from ``rtsp_recv.Receiver``. During the handshake they are buffered for ``fill`` and
``pump``; while ``stream`` measures, each chunk is demultiplexed and counted in the receive
callback itself, in place in the shared receive buffer: no coroutine wakes up per chunk, and
counting stops at the end of the window even if the camera keeps sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable

from fleetctl import __version__
from fleetctl.adapters.errors import RtspFailure
from fleetctl.adapters.http.digest import Authorizer, choose, only_basic, parse_challenges
from fleetctl.adapters.rtsp.keyframe import KeyframeCatcher
from fleetctl.adapters.rtsp.message import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    Response,
    parse_message,
    strip_userinfo,
)
from fleetctl.adapters.rtsp.recv import Receiver
from fleetctl.adapters.rtsp.rtp import VideoCounter
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_BUFFERED",
    "MAX_HEADER_BYTES",
    "USER_AGENT",
    "Receiver",
    "Response",
    "RtspConnection",
    "RtspFailure",
    "strip_userinfo",
]

USER_AGENT = f"fleetctl/{__version__}"  # some cameras answer 401/400 to a request without one
MAX_BUFFERED = 256 * 1024  # unread bytes held while no one pumps (then reading pauses)

_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")
_RTSP_START = re.compile(rb"RTSP/|[A-Z_]{3,16} ")  # a reply, or a request from the server


class RtspConnection:
    """One RTSP connection: requests with CSeq and auth, replies and interleaved frames demuxed."""

    def __init__(
        self,
        receiver: Receiver | None,
        transport: asyncio.Transport | None,
        where: str,
        credential: Credential | None,
        clock: Callable[[], float] = time.monotonic,  # the event loop's time() in the probe
        *,
        allow_basic: bool = False,  # policy allow_basic_auth: answer a Basic challenge
    ) -> None:
        """``receiver``, ``transport``: from ``loop.create_connection(Receiver, ...)``; both
        None for a connection fed by hand (``received`` or ``_buf``), as parser tests do."""
        self._transport, self.where = transport, where
        self._clock = clock
        self._credential = credential
        self._allow_basic = allow_basic
        self._buf = bytearray()  # unparsed bytes (while streaming: only an incomplete tail)
        self._cseq = 0
        self.auth: Authorizer | None = None
        self.session_id: str | None = None
        self.video_channel: int | None = None
        self.counter: VideoCounter | None = None
        # The picture probe's keyframe catcher: while it waits, video frames take the
        # per-frame path so it sees each packet; once it has its keyframe, the fast path again.
        self.catcher: KeyframeCatcher | None = None
        # Every interleaved frame (channel, bytes) when set, instead of counting: ONVIF replay
        # (``rtsp.replay``) keeps the access units. Only the slow per-frame path runs then.
        self.frame_sink: Callable[[int, bytes], None] | None = None
        self.first_rtp: float | None = None
        self.play_sent: float | None = None
        self.sdp_size: tuple[int, int] | None = None  # width, height from the SDP's SPS
        self.stage = "connect"  # connect | options | describe | setup | play | rtp
        self._waiter: asyncio.Future[None] | None = None  # fill() or stream() waiting
        self._fresh = False  # bytes arrived since the last fill()
        self._gone: Exception | None = None  # how the connection ended: OSError or RtspFailure
        self._paused = False
        self._until: float | None = None  # set while stream() counts in the receive callback
        self._stop_at_first = False
        self._failed: RtspFailure | None = None  # what the demuxer raised inside the callback
        if receiver is not None:
            receiver.attach(self)

    # ------------------------------------------------------------ requests

    def send(self, method: str, url: str, headers: dict[str, str] | None = None) -> None:
        # URLs come from the camera (Content-Base, a=control): a CR or LF in one would let it
        # write headers into our requests, and a space would break the request line.
        if _UNSAFE_URL.search(url):
            raise RtspFailure(Failure.MALFORMED, f"{self.where}: unusable URL from the camera")
        self._cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self._cseq}", f"User-Agent: {USER_AGENT}"]
        if self.auth is not None:
            lines.append(f"Authorization: {self.auth.header(method, url)}")
        if self.session_id is not None:
            lines.append(f"Session: {self.session_id}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self._transport is None:
            raise RtspFailure(Failure.PROTOCOL, f"{self.where}: not connected")
        self._transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))

    # ----------------------------------------------------- receiving (Sink)

    def received(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes from the camera: counted at once while ``stream`` runs, else kept for
        ``pump`` (reading pauses past ``MAX_BUFFERED`` until ``fill`` is called)."""
        self._buf += data
        self._fresh = True
        if self._until is not None:
            del self._buf[: self._count(self._buf, len(self._buf))]
            return
        if len(self._buf) > MAX_BUFFERED:
            self._pause()
        self._wake()

    def counting(self) -> bytearray | None:
        return self._buf if self._until is not None else None

    def count_in_place(self, buf: bytearray, n: int) -> None:
        pos = self._count(buf, n)
        self._buf[:] = memoryview(buf)[pos:n]  # the incomplete tail: usually under one packet

    def ended(self, exc: Exception | None) -> None:
        if self._gone is None:
            closed = RtspFailure(
                Failure.PROTOCOL, f"{self.where}: the camera closed the connection"
            )
            self._gone = exc if isinstance(exc, OSError) else closed
        self._wake()

    # ------------------------------------------------------------- reading

    async def fill(self) -> None:
        """Wait for more bytes (whatever arrived since the last call) for ``pump``; raise
        PROTOCOL (or the OSError of a reset) once the camera has closed and all was read."""
        if not self._fresh:
            if self._gone is not None:
                raise self._gone
            self._resume()
            await self._wait()
            if not self._fresh and self._gone is not None:
                raise self._gone
        self._fresh = False

    async def stream(self, until: float, *, first_rtp: bool = False) -> None:
        """Demux and count what arrives, in the receive callback, until ``until`` (on the
        connection's clock: the loop's) or, with ``first_rtp``, until the first video frame.
        Raises what ended the stream early: RtspFailure, or OSError (a reset). When the window
        is over the connection stops reading (until the next ``fill`` or ``stream``): what the
        camera sends after it stays in the kernel, uncounted and unread."""
        self._until, self._stop_at_first = until, first_rtp
        timer = asyncio.get_running_loop().call_at(until, self._wake)
        try:
            self._resume()
            del self._buf[: self._count(self._buf, len(self._buf))]  # what came before
            while not self._stream_done():
                await self._wait()
        finally:
            timer.cancel()
            self._until = None
            if not (first_rtp and self.first_rtp is not None):
                self._pause()
        if self._failed is not None:
            raise self._failed
        if self._gone is not None and not (first_rtp and self.first_rtp is not None):
            raise self._gone

    def _stream_done(self) -> bool:
        return (
            self._failed is not None
            or self._gone is not None
            or (self._stop_at_first and self.first_rtp is not None)
            or self._until is None
            or self._clock() >= self._until
        )

    def _count(self, buf: bytearray, n: int) -> int:
        """Demux ``buf[:n]`` while streaming; returns how much was consumed."""
        if self._until is None or self._clock() >= self._until:
            self._pause()  # the window is over: what arrives now is not counted, nor read
            self._wake()
            return 0
        pos = 0
        try:
            while pos < n:
                reply, pos = self._demux(buf, pos, n)
                if reply is None:
                    break  # else a reply or a server request mid-stream: nothing we wait for
        except RtspFailure as err:
            self._failed = err
            self._wake()
            return n
        if self._stop_at_first and self.first_rtp is not None:
            self._wake()
        return pos

    def _pause(self) -> None:
        if not self._paused and self._transport is not None:
            self._transport.pause_reading()
            self._paused = True

    def _resume(self) -> None:
        if self._paused and self._transport is not None:
            self._transport.resume_reading()
            self._paused = False

    async def _wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # ------------------------------------------------------------- demuxing

    def pump(self) -> Response | None:
        """Consume every complete interleaved frame; return the first complete reply, if any."""
        reply, pos = self._demux(self._buf, 0, len(self._buf))
        del self._buf[:pos]
        return reply

    def _demux(self, buf: bytearray, pos: int, n: int) -> tuple[Response | None, int]:
        """Frames and messages in ``buf[pos:n]`` up to the first reply (returned) or the first
        incomplete one; returns the offset where parsing stopped."""
        counter, channel = self.counter, self.video_channel
        while pos < n:
            # '$' channel len16: an interleaved frame (its 16-bit length caps it at 64 KiB)
            if buf[pos] == 0x24:
                catcher = self.catcher
                if catcher is not None and (catcher.done or catcher.gave_up):
                    catcher = None
                if (
                    counter is not None
                    and channel is not None
                    and self.first_rtp is not None
                    and catcher is None
                ):
                    # The stream runs: every complete frame in one synchronous loop.
                    pos = counter.feed_interleaved(buf, pos, n, channel)
                    if pos < n and buf[pos] != 0x24:
                        continue  # an RTSP message between frames
                    break  # all consumed, or a frame still arriving
                if pos + 4 > n:
                    break
                end = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
                if end > n:
                    break
                if self.frame_sink is not None:
                    self.frame_sink(buf[pos + 1], bytes(buf[pos + 4 : end]))
                elif buf[pos + 1] == channel and counter is not None:
                    if self.first_rtp is None:
                        self.first_rtp = self._clock()
                    counter.feed(buf, pos + 4, end)
                    if catcher is not None:
                        catcher.feed(buf, pos + 4, end)
                pos = end
                continue
            if not _RTSP_START.match(buf, pos, pos + 17) and n - pos >= 17:
                raise RtspFailure(
                    Failure.MALFORMED, f"{self.where}: the camera sent bytes that are not RTSP"
                )
            msg, used = parse_message(buf, pos, n, self.where)
            if msg is None:
                break
            pos = used
            if msg.status >= 0:
                cseq = msg.get("cseq")
                # A stale reply (a CSeq we no longer wait for) is dropped; no CSeq is accepted.
                if cseq is None or not cseq.strip().isdigit() or int(cseq) >= self._cseq:
                    return msg, pos
            # else: a request from the server (GET_PARAMETER, ANNOUNCE): nothing we must answer
        return None, pos

    async def request(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> Response:
        self.send(method, url, headers)
        while True:
            reply = self.pump()
            if reply is not None:
                return reply
            await self.fill()

    async def call(self, method: str, url: str, headers: dict[str, str] | None = None) -> Response:
        """``request`` answering 401 challenges: a second 401 (not a stale nonce) is AUTH."""
        reply = await self.request(method, url, headers)
        for _ in range(2):
            if reply.status != 401:
                return reply
            challenges = parse_challenges(reply.headers.get("www-authenticate", []))
            challenge = choose(challenges, allow_basic=self._allow_basic)
            stale = challenge is not None and challenge.params.get("stale", "").lower() == "true"
            if self._credential is None:
                raise RtspFailure(Failure.AUTH, f"{self.where}: {method} requires credentials")
            if self.auth is not None and not stale:
                raise RtspFailure(
                    Failure.AUTH, f"{self.where}: the camera rejected the credentials"
                )
            if challenge is None and only_basic(challenges):
                refused = RtspFailure(
                    Failure.AUTH,
                    f"{self.where}: the camera offers only Basic authentication (the password "
                    "in clear): not sent (policy allow_basic_auth allows it)",
                )
                refused.basic_only = True
                raise refused
            if challenge is None:
                offered = ", ".join(sorted({c.scheme for c in challenges})) or "none"
                raise RtspFailure(
                    Failure.AUTH,
                    f"{self.where}: no usable authentication scheme (offered: {offered})",
                )
            pw = self._credential.password or Secret("")
            self.auth = Authorizer(challenge, self._credential.username, pw)
            reply = await self.request(method, url, headers)
        if reply.status == 401:
            raise RtspFailure(Failure.AUTH, f"{self.where}: the camera rejected the credentials")
        return reply

    def close(self, teardown_url: str | None) -> None:
        """Best-effort TEARDOWN, then close: the camera frees the session slot either way."""
        with contextlib.suppress(Exception):
            if teardown_url is not None and self.session_id is not None:
                self.send("TEARDOWN", teardown_url)
        with contextlib.suppress(Exception):
            if self._transport is not None:
                self._transport.close()
