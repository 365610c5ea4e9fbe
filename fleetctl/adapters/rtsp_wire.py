"""RTSP/1.0 on one TCP connection: requests with CSeq and authorization, replies and
interleaved RTP demultiplexed from the same byte stream (RFC 2326 section 10.12).

The reader never trusts the camera: a header block is capped at ``MAX_HEADER_BYTES``, a body at
``MAX_BODY_BYTES`` (a 1 GB Content-Length is refused before a byte of it is read), an
interleaved frame is at most 64 KiB by construction, and bytes that are neither RTSP nor ``$``
frames are MALFORMED. Reads are large (``READ_CHUNK``) and parsed in place in one buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from fleetctl import __version__
from fleetctl.adapters.digest import Authorizer, choose, parse_challenges
from fleetctl.adapters.rtp import VideoCounter
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret

USER_AGENT = f"fleetctl/{__version__}"  # some cameras answer 401/400 to a request without one
MAX_HEADER_BYTES = 16 * 1024  # status line + headers of one RTSP message
MAX_BODY_BYTES = 64 * 1024  # an SDP is a few hundred bytes; anything near this is hostile
READ_CHUNK = 256 * 1024  # large reads: one syscall carries dozens of RTP packets

_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")
_RTSP_START = re.compile(rb"RTSP/|[A-Z_]{3,16} ")  # a reply, or a request from the server


class RtspFailure(Exception):
    """The camera failed (``failure`` says how); the probe turns it into ``StreamProbe.failure``."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, list[str]]
    body: bytes

    def get(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def strip_userinfo(uri: str) -> tuple[str, str | None, str | None]:
    """(uri without userinfo, username, password) with user and password percent-decoded."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri, None, None
    slash = rest.find("/")
    authority = rest if slash < 0 else rest[:slash]
    at = authority.rfind("@")
    if at < 0:
        return uri, None, None
    user, _, pw = authority[:at].partition(":")
    return f"{scheme}://{rest[at + 1 :]}", unquote(user), unquote(pw) if pw else None


class RtspConnection:
    """One RTSP connection: requests with CSeq and auth, replies and interleaved frames demuxed."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        where: str,
        credential: Credential | None,
        clock: Callable[[], float] = time.monotonic,  # the event loop's time() in the probe
    ) -> None:
        self._reader, self._writer, self.where = reader, writer, where
        self._clock = clock
        self._credential = credential
        self._buf = bytearray()
        self._cseq = 0
        self.auth: Authorizer | None = None
        self.session_id: str | None = None
        self.video_channel: int | None = None
        self.counter: VideoCounter | None = None
        self.first_rtp: float | None = None
        self.play_sent: float | None = None
        self.sdp_size: tuple[int, int] | None = None  # width, height from the SDP's SPS
        self.stage = "connect"  # connect | options | describe | setup | play | rtp

    # ----------------------------------------------------------------- wire

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
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))

    async def fill(self) -> None:
        """Read one chunk (whatever is there, up to READ_CHUNK) and demux it."""
        chunk = await self._reader.read(READ_CHUNK)
        if not chunk:
            raise RtspFailure(Failure.PROTOCOL, f"{self.where}: the camera closed the connection")
        self._buf += chunk

    def pump(self) -> Response | None:
        """Consume every complete interleaved frame; return the first complete reply, if any."""
        buf, pos, n = self._buf, 0, len(self._buf)
        reply: Response | None = None
        counter, channel = self.counter, self.video_channel
        while pos < n:
            # '$' channel len16: an interleaved frame (its 16-bit length caps it at 64 KiB)
            if buf[pos] == 0x24:
                if pos + 4 > n:
                    break
                end = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
                if end > n:
                    break
                if buf[pos + 1] == channel and counter is not None:
                    if self.first_rtp is None:
                        self.first_rtp = self._clock()
                    counter.feed(buf, pos + 4, end)
                pos = end
                continue
            if not _RTSP_START.match(buf, pos, pos + 17) and n - pos >= 17:
                raise RtspFailure(
                    Failure.MALFORMED, f"{self.where}: the camera sent bytes that are not RTSP"
                )
            msg, used = self._message(pos, n)
            if msg is None:
                break
            pos = used
            if msg.status >= 0:
                cseq = msg.get("cseq")
                # A stale reply (a CSeq we no longer wait for) is dropped; no CSeq is accepted.
                if cseq is None or not cseq.strip().isdigit() or int(cseq) >= self._cseq:
                    reply = msg
                    break
            # else: a request from the server (GET_PARAMETER, ANNOUNCE): nothing we must answer
        del buf[:pos]
        return reply

    def _message(self, pos: int, n: int) -> tuple[Response | None, int]:
        buf = self._buf
        hend = buf.find(b"\r\n\r\n", pos, pos + MAX_HEADER_BYTES + 4)
        if hend < 0:
            if n - pos > MAX_HEADER_BYTES:
                raise RtspFailure(
                    Failure.OVERSIZED,
                    f"{self.where}: RTSP header block over {MAX_HEADER_BYTES} bytes",
                )
            return None, pos
        lines = bytes(buf[pos:hend]).decode("latin-1").split("\r\n")
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        try:
            length = int(headers.get("content-length", ["0"])[0])
        except ValueError:
            raise RtspFailure(
                Failure.MALFORMED, f"{self.where}: unreadable Content-Length"
            ) from None
        if length > MAX_BODY_BYTES or length < 0:
            raise RtspFailure(
                Failure.OVERSIZED, f"{self.where}: RTSP body of {length} bytes refused"
            )
        start = hend + 4
        if start + length > n:
            return None, pos
        first = lines[0].split(" ", 2)
        status = -1  # a request from the server
        if first[0].startswith("RTSP/"):
            if len(first) < 2 or not first[1].isdigit():
                raise RtspFailure(Failure.MALFORMED, f"{self.where}: bad RTSP status line")
            status = int(first[1])
        reason = first[2][:80] if len(first) > 2 else ""
        return Response(status, reason, headers, bytes(buf[start : start + length])), start + length

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
            challenge = choose(challenges)
            stale = challenge is not None and challenge.params.get("stale", "").lower() == "true"
            if self._credential is None:
                raise RtspFailure(Failure.AUTH, f"{self.where}: {method} requires credentials")
            if self.auth is not None and not stale:
                raise RtspFailure(
                    Failure.AUTH, f"{self.where}: the camera rejected the credentials"
                )
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
            self._writer.close()
