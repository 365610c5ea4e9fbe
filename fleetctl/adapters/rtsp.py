"""Our own asyncio RTSP client: enough of RFC 2326 to prove a camera's stream is alive.

``probe_stream`` runs OPTIONS, DESCRIBE, SETUP (RTP over the RTSP connection: TCP interleaved),
PLAY, counts RTP for a short window (``rtp.VideoCounter``) and sends a best-effort TEARDOWN.
``probe_rtsp_noauth`` asks whether DESCRIBE succeeds with no credentials at all.

Contracts:
- Neither raises for the camera's failure: a refused port, a 401, garbage, a 1 GB reply or a hang
  is a ``StreamProbe`` with ``failure``, ``stage`` and ``error`` (words, the address, no secret).
- ``timeout_s`` is a hard deadline on the whole call, measuring window included, enforced
  outside all I/O. Memory is bounded: one message header block, one SDP, one interleaved frame.
- Credentials travel only in ``Authorization`` headers, never in a URL, so passwords with
  ``@ : / %`` work; the returned ``uri`` and every request URI carry no userinfo.
- ``host_override``/``port_override`` choose where to dial; the URI's host is never dialled when
  an override is given (cameras behind NAT name addresses that must not be contacted).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from fleetctl import __version__
from fleetctl.adapters.digest import Authorizer, choose, parse_challenges
from fleetctl.adapters.rtp import VideoCounter, parse_sps, sps_from_fmtp
from fleetctl.adapters.sdp import VideoMedia, parse_sdp, resolve_control
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure, StreamProbe
from fleetctl.core.secret import Secret

USER_AGENT = f"fleetctl/{__version__}"  # some cameras answer 401/400 to a request without one
DEFAULT_PORT = 554
MAX_HEADER_BYTES = 16 * 1024  # status line + headers of one RTSP message
MAX_BODY_BYTES = 64 * 1024  # an SDP is a few hundred bytes; anything near this is hostile
READ_CHUNK = 256 * 1024  # large reads: one syscall carries dozens of RTP packets
FIRST_RTP_WAIT_S = 2.0  # at least this long from PLAY for the first RTP packet (deadline permitting)
_TEARDOWN_GRACE_S = 0.2

_INTERLEAVED = re.compile(r"interleaved\s*=\s*(\d+)(?:\s*-\s*(\d+))?", re.I)
_RTSP_START = re.compile(rb"RTSP/|[A-Z_]{3,16} ")  # a reply, or a request from the server


class _Fail(Exception):
    """Internal: the camera failed; becomes ``StreamProbe.failure`` at the boundary."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


@dataclass(frozen=True)
class _Response:
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


class _Session:
    """One RTSP connection: requests with CSeq and auth, replies and interleaved frames demuxed."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, where: str,
        credential: Credential | None,
    ) -> None:
        self._reader, self._writer, self.where = reader, writer, where
        self._credential = credential
        self._buf = bytearray()
        self._cseq = 0
        self.auth: Authorizer | None = None
        self.session_id: str | None = None
        self.video_channel: int | None = None
        self.counter: VideoCounter | None = None
        self.first_rtp: float | None = None
        self.play_sent: float | None = None
        self.stage = "connect"  # connect | options | describe | setup | play | rtp

    # ----------------------------------------------------------------- wire

    def send(self, method: str, url: str, headers: dict[str, str] | None = None) -> None:
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
            raise _Fail(Failure.PROTOCOL, f"{self.where}: the camera closed the connection")
        self._buf += chunk

    def pump(self) -> _Response | None:
        """Consume every complete interleaved frame; return the first complete reply, if any."""
        buf, pos, n = self._buf, 0, len(self._buf)
        reply: _Response | None = None
        counter, channel = self.counter, self.video_channel
        while pos < n:
            if buf[pos] == 0x24:  # '$' channel len16: an interleaved frame (length caps it at 64 KiB)
                if pos + 4 > n:
                    break
                end = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
                if end > n:
                    break
                if buf[pos + 1] == channel and counter is not None:
                    if self.first_rtp is None:
                        self.first_rtp = asyncio.get_running_loop().time()
                    counter.feed(buf, pos + 4, end)
                pos = end
                continue
            if not _RTSP_START.match(buf, pos, pos + 17) and n - pos >= 17:
                raise _Fail(Failure.MALFORMED, f"{self.where}: the camera sent bytes that are not RTSP")
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

    def _message(self, pos: int, n: int) -> tuple[_Response | None, int]:
        buf = self._buf
        hend = buf.find(b"\r\n\r\n", pos, pos + MAX_HEADER_BYTES + 4)
        if hend < 0:
            if n - pos > MAX_HEADER_BYTES:
                raise _Fail(Failure.OVERSIZED, f"{self.where}: RTSP header block over {MAX_HEADER_BYTES} bytes")
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
            raise _Fail(Failure.MALFORMED, f"{self.where}: unreadable Content-Length") from None
        if length > MAX_BODY_BYTES or length < 0:
            raise _Fail(Failure.OVERSIZED, f"{self.where}: RTSP body of {length} bytes refused")
        start = hend + 4
        if start + length > n:
            return None, pos
        first = lines[0].split(" ", 2)
        status = -1  # a request from the server
        if first[0].startswith("RTSP/"):
            if len(first) < 2 or not first[1].isdigit():
                raise _Fail(Failure.MALFORMED, f"{self.where}: bad RTSP status line")
            status = int(first[1])
        reason = first[2][:80] if len(first) > 2 else ""
        return _Response(status, reason, headers, bytes(buf[start : start + length])), start + length

    async def request(self, method: str, url: str, headers: dict[str, str] | None = None) -> _Response:
        self.send(method, url, headers)
        while True:
            reply = self.pump()
            if reply is not None:
                return reply
            await self.fill()

    async def call(self, method: str, url: str, headers: dict[str, str] | None = None) -> _Response:
        """``request`` answering 401 challenges: a second 401 (not a stale nonce) is AUTH."""
        reply = await self.request(method, url, headers)
        for _ in range(2):
            if reply.status != 401:
                return reply
            challenges = parse_challenges(reply.headers.get("www-authenticate", []))
            challenge = choose(challenges)
            stale = challenge is not None and challenge.params.get("stale", "").lower() == "true"
            if self._credential is None:
                raise _Fail(Failure.AUTH, f"{self.where}: {method} requires credentials")
            if self.auth is not None and not stale:
                raise _Fail(Failure.AUTH, f"{self.where}: the camera rejected the credentials")
            if challenge is None:
                offered = ", ".join(sorted({c.scheme for c in challenges})) or "none"
                raise _Fail(Failure.AUTH, f"{self.where}: no usable authentication scheme (offered: {offered})")
            pw = self._credential.password or Secret("")
            self.auth = Authorizer(challenge, self._credential.username, pw)
            reply = await self.request(method, url, headers)
        if reply.status == 401:
            raise _Fail(Failure.AUTH, f"{self.where}: the camera rejected the credentials")
        return reply

    def close(self, teardown_url: str | None) -> None:
        """Best-effort TEARDOWN, then close: the camera frees the session slot either way."""
        with contextlib.suppress(Exception):
            if teardown_url is not None and self.session_id is not None:
                self.send("TEARDOWN", teardown_url)
        with contextlib.suppress(Exception):
            self._writer.close()


def _expect_ok(reply: _Response, what: str, where: str) -> None:
    if not 200 <= reply.status < 300:
        failure = Failure.AUTH if reply.status == 403 else Failure.PROTOCOL
        raise _Fail(failure, f"{where}: {what} answered {reply.status} {reply.reason}".rstrip())


async def _open(uri: str, host_override: str | None, port_override: int | None,
                credential: Credential | None) -> tuple[_Session, str, str]:
    """Connect; returns the session, the clean request URI and "host:port" for messages."""
    clean, user, pw = strip_userinfo(uri)
    parts = urlsplit(clean)
    if parts.scheme.lower() not in ("rtsp", "rtsps") or not (host_override or parts.hostname):
        raise _Fail(Failure.UNSUPPORTED, f"not an RTSP URI: {clean}")
    if parts.scheme.lower() == "rtsps":
        raise _Fail(Failure.UNSUPPORTED, f"RTSP over TLS is not supported: {clean}")
    host = host_override or parts.hostname or ""
    try:
        port = port_override or parts.port or DEFAULT_PORT
    except ValueError:
        raise _Fail(Failure.MALFORMED, f"bad port in {clean}") from None
    where = f"{host}:{port}"
    if credential is None and user is not None:  # inline rtsp://user:pass@ in an inventory
        credential = Credential("inline", user, Secret(pw) if pw is not None else None)
    try:
        reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEADER_BYTES)
    except ConnectionRefusedError:
        raise _Fail(Failure.REFUSED, f"{where}: connection refused") from None
    except OSError as err:
        kind = Failure.TIMEOUT if err.errno == errno.ETIMEDOUT else Failure.UNREACHABLE
        raise _Fail(kind, f"{where}: cannot connect ({err.strerror or err})") from None
    return _Session(reader, writer, where, credential), clean, where


async def _describe(s: _Session, url: str) -> tuple[_Response, str]:
    """OPTIONS (tolerated to fail: some cameras do not implement it) then DESCRIBE."""
    s.stage = "options"
    await s.call("OPTIONS", url)  # a 401 here is answered (or is AUTH); other statuses are not fatal
    s.stage = "describe"
    reply = await s.call("DESCRIBE", url, {"Accept": "application/sdp"})
    _expect_ok(reply, "DESCRIBE", s.where)
    # Control URLs resolve against Content-Base, then Content-Location, then the request URL.
    base = reply.get("content-base") or reply.get("content-location") or url
    return reply, strip_userinfo(base)[0]


def _play_url(base: str, session_control: str | None) -> str:
    """The aggregate URL (session-level control, else the base) for PLAY and TEARDOWN."""
    return strip_userinfo(resolve_control(base, session_control))[0] if session_control else base


async def _play(s: _Session, base: str, video: VideoMedia, session_control: str | None) -> None:
    s.stage = "setup"
    setup_url = strip_userinfo(resolve_control(base, video.control))[0]
    reply = await s.call("SETUP", setup_url, {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
    _expect_ok(reply, "SETUP", s.where)
    transport = reply.get("transport") or ""
    if transport and "TCP" not in transport.upper():
        raise _Fail(Failure.PROTOCOL, f"{s.where}: SETUP granted a non-TCP transport ({transport[:60]})")
    # Use the channels the camera grants: some answer interleaved=4-5, or a bare 0.
    m = _INTERLEAVED.search(transport)
    s.video_channel = int(m.group(1)) if m else 0
    session = reply.get("session")
    if session:
        s.session_id = session.split(";")[0].strip()  # drop ";timeout=60"
    s.counter = VideoCounter(video.codec or "")
    sps = sps_from_fmtp(video.fmtp or "", video.codec or "")
    if sps is not None:
        s.counter.width, s.counter.height = parse_sps(sps, video.codec or "") or (None, None)
    s.stage = "play"
    s.play_sent = asyncio.get_running_loop().time()
    reply = await s.call("PLAY", _play_url(base, session_control), {"Range": "npt=0.000-"})
    _expect_ok(reply, "PLAY", s.where)


async def _measure(s: _Session, window_s: float, deadline: float) -> float:
    """Count RTP for ``window_s`` from the first packet; returns the measured window length."""
    loop = asyncio.get_running_loop()
    s.stage = "rtp"
    play_sent = s.play_sent if s.play_sent is not None else loop.time()
    s.pump()  # RTP often rides in the same segment as the PLAY reply
    # Some cameras hold RTP until their next keyframe (up to a GOP, ~2 s) and a busy recorder
    # starts late: wait a little longer for the first packet than the window itself.
    first_wait = max(2 * window_s, FIRST_RTP_WAIT_S)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout_at(min(play_sent + first_wait, deadline)):
            while s.first_rtp is None:
                await s.fill()
                s.pump()
    if s.first_rtp is None:
        return loop.time() - play_sent
    end = min(s.first_rtp + window_s, deadline)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout_at(end):
            while True:
                await s.fill()
                s.pump()
    return max(min(loop.time(), end) - s.first_rtp, 1e-3)


async def probe_stream(
    uri: str,
    credential: Credential | None,
    *,
    window_s: float = 1.0,
    timeout_s: float = 5.0,
    host_override: str | None = None,
    port_override: int | None = None,
) -> StreamProbe:
    """Play ``uri`` for ``window_s`` and say what arrived; the whole call ends by ``timeout_s``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeout_s
    # Leave room for TEARDOWN: measuring stops a little before the hard deadline.
    measure_deadline = deadline - min(_TEARDOWN_GRACE_S, timeout_s / 10)
    clean = strip_userinfo(uri)[0]
    s: _Session | None = None
    play_url: str | None = None
    codec: str | None = None
    window = 0.0
    failure: Failure | None = None
    error: str | None = None
    try:
        async with asyncio.timeout_at(deadline):
            s, url, _ = await _open(uri, host_override, port_override, credential)
            reply, base = await _describe(s, url)
            session_control, videos = parse_sdp(reply.body.decode("utf-8", "replace"))
            if not videos:
                raise _Fail(Failure.UNSUPPORTED, f"{s.where}: the SDP offers no video")
            video = next((v for v in videos if v.codec in ("H264", "H265")), videos[0])
            codec = video.codec
            play_url = _play_url(base, session_control)
            await _play(s, base, video, session_control)
            window = await _measure(s, window_s, measure_deadline)
    except _Fail as fail:
        failure, error = fail.failure, str(fail)
    except TimeoutError:
        failure = Failure.TIMEOUT
        error = f"{s.where if s else clean}: no answer within {timeout_s:g} s during {s.stage if s else 'connect'}"
    except OSError as err:  # reset, broken pipe: the camera dropped us mid-conversation
        failure = Failure.PROTOCOL
        error = f"{s.where if s else clean}: connection lost during {s.stage if s else 'connect'} ({type(err).__name__})"
    finally:
        if s is not None:
            s.close(play_url)
    stage = s.stage if s is not None else "connect"
    if s is not None and stage == "rtp" and s.first_rtp is not None and failure is not None:
        # The stream ran, then the camera hung up or the deadline came: what arrived counts.
        window, failure = max(min(loop.time(), measure_deadline) - s.first_rtp, 1e-3), None
    elif s is not None and stage == "rtp" and failure is None and s.first_rtp is None:
        error = f"{s.where}: no RTP packets within {window:.1f} s of PLAY"
    return _result(clean, s, stage, codec, window, failure, error, started)


def _result(uri: str, s: _Session | None, stage: str, codec: str | None, window: float,
            failure: Failure | None, error: str | None, started: float) -> StreamProbe:
    c = s.counter if s is not None else None
    packets = c.packets if c is not None else 0
    ok = failure is None and packets > 0
    first_ms = None
    if s is not None and s.first_rtp is not None:
        first_ms = round((s.first_rtp - started) * 1000, 1)
    return StreamProbe(
        uri=uri, ok=ok, failure=failure, error=error,
        stage=None if ok else stage,
        codec=codec,
        width=c.width if c else None, height=c.height if c else None,
        window_s=round(window, 3) if c is not None else 0.0,
        packets=packets, bytes=c.bytes if c else 0, seq_gaps=c.seq_gaps if c else 0,
        frames=c.frames if c else 0, keyframes=c.keyframes if c else 0,
        distinct_payloads=c.distinct_payloads if c else 0,
        first_rtp_ms=first_ms,
        # It played and no challenge ever came: anyone on the network can watch it.
        unauthenticated=ok and s is not None and s.auth is None,
    )


async def probe_rtsp_noauth(
    uri: str, *, timeout_s: float, host_override: str | None = None, port_override: int | None = None,
) -> bool | None:
    """True when DESCRIBE succeeds with no credentials at all; False when the camera demands
    them; None when it could not be told (refused, timeout, garbage)."""
    clean = strip_userinfo(uri)[0]  # never the inventory's inline credentials
    s: _Session | None = None
    try:
        async with asyncio.timeout(timeout_s):
            s, url, _ = await _open(clean, host_override, port_override, None)
            await s.call("OPTIONS", url)
            reply = await s.call("DESCRIBE", url, {"Accept": "application/sdp"})
    except _Fail as fail:
        return False if fail.failure is Failure.AUTH else None
    except (TimeoutError, OSError):
        return None
    finally:
        if s is not None:
            s.close(None)
    if reply.status in (401, 403):
        return False
    return True if 200 <= reply.status < 300 else None
