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
import errno
import re
from dataclasses import replace
from urllib.parse import urlsplit

from fleetctl.adapters.rtsp.keyframe import KeyframeCatcher, params_from_fmtp
from fleetctl.adapters.rtsp.rtp import VideoCounter
from fleetctl.adapters.rtsp.sdp import VideoMedia, parse_sdp, resolve_control
from fleetctl.adapters.rtsp.sps import parse_sps, sps_from_fmtp
from fleetctl.adapters.rtsp.wire import (
    Receiver,
    Response,
    RtspConnection,
    RtspFailure,
    strip_userinfo,
)
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure, StreamProbe
from fleetctl.core.secret import Secret

DEFAULT_PORT = 554
# Wait at least this long from PLAY for the first RTP packet (the deadline permitting).
FIRST_RTP_WAIT_S = 2.0
_TEARDOWN_GRACE_S = 0.2
MAX_PLAUSIBLE_FPS = 240.0  # beyond this the camera's RTP clock, not its encoder, is wrong
_INTERLEAVED = re.compile(r"interleaved\s*=\s*(\d+)(?:\s*-\s*(\d+))?", re.I)


def _expect_ok(reply: Response, what: str, where: str) -> None:
    if not 200 <= reply.status < 300:
        failure = Failure.AUTH if reply.status == 403 else Failure.PROTOCOL
        raise RtspFailure(
            failure, f"{where}: {what} answered {reply.status} {reply.reason}".rstrip()
        )


async def _open(
    uri: str,
    host_override: str | None,
    port_override: int | None,
    credential: Credential | None,
    allow_basic: bool = False,
) -> tuple[RtspConnection, str, str]:
    """Connect; returns the session, the clean request URI and "host:port" for messages."""
    clean, user, pw = strip_userinfo(uri)
    parts = urlsplit(clean)
    if parts.scheme.lower() not in ("rtsp", "rtsps") or not (host_override or parts.hostname):
        raise RtspFailure(Failure.UNSUPPORTED, f"not an RTSP URI: {clean}")
    if parts.scheme.lower() == "rtsps":
        raise RtspFailure(Failure.UNSUPPORTED, f"RTSP over TLS is not supported: {clean}")
    host = host_override or parts.hostname or ""
    try:
        port = port_override or parts.port or DEFAULT_PORT
    except ValueError as err:
        raise RtspFailure(Failure.MALFORMED, f"bad port in {clean}") from err
    where = f"{host}:{port}"
    if credential is None and user is not None:  # inline rtsp://user:pass@ in an inventory
        credential = Credential("inline", user, Secret(pw) if pw is not None else None)
    loop = asyncio.get_running_loop()
    try:
        transport, receiver = await loop.create_connection(Receiver, host, port)
    except ConnectionRefusedError as err:
        raise RtspFailure(Failure.REFUSED, f"{where}: connection refused") from err
    except OSError as err:
        kind = Failure.TIMEOUT if err.errno == errno.ETIMEDOUT else Failure.UNREACHABLE
        raise RtspFailure(kind, f"{where}: cannot connect ({err.strerror or err})") from err
    conn = RtspConnection(
        receiver, transport, where, credential, loop.time, allow_basic=allow_basic
    )
    return conn, clean, where


async def _describe(s: RtspConnection, url: str) -> tuple[Response, str]:
    """OPTIONS (tolerated to fail: some cameras do not implement it) then DESCRIBE."""
    s.stage = "options"
    # A 401 here is answered (or is AUTH); other statuses are not fatal.
    await s.call("OPTIONS", url)
    s.stage = "describe"
    reply = await s.call("DESCRIBE", url, {"Accept": "application/sdp"})
    _expect_ok(reply, "DESCRIBE", s.where)
    # Control URLs resolve against Content-Base, then Content-Location, then the request URL.
    base = reply.get("content-base") or reply.get("content-location") or url
    return reply, strip_userinfo(base)[0]


def _play_url(base: str, session_control: str | None) -> str:
    """The aggregate URL (session-level control, else the base) for PLAY and TEARDOWN."""
    return strip_userinfo(resolve_control(base, session_control))[0] if session_control else base


async def _play(
    s: RtspConnection,
    base: str,
    video: VideoMedia,
    session_control: str | None,
    keyframe: bool = False,
) -> None:
    s.stage = "setup"
    setup_url = strip_userinfo(resolve_control(base, video.control))[0]
    reply = await s.call("SETUP", setup_url, {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
    _expect_ok(reply, "SETUP", s.where)
    transport = reply.get("transport") or ""
    if transport and "TCP" not in transport.upper():
        raise RtspFailure(
            Failure.PROTOCOL, f"{s.where}: SETUP granted a non-TCP transport ({transport[:60]})"
        )
    # Use the channels the camera grants: some answer interleaved=4-5, or a bare 0.
    m = _INTERLEAVED.search(transport)
    s.video_channel = int(m.group(1)) if m else 0
    session = reply.get("session")
    if session:
        s.session_id = session.split(";")[0].strip()  # drop ";timeout=60"
    s.counter = VideoCounter(video.codec or "", video.clock_rate)
    # The SDP's parameter sets give the size before any RTP; an in-band SPS, when one comes,
    # wins (some firmwares keep announcing the size they booted with after a change).
    sps = sps_from_fmtp(video.fmtp or "", video.codec or "")
    s.sdp_size = parse_sps(sps, video.codec or "") if sps is not None else None
    if keyframe and (video.codec or "").upper() in ("H264", "H265"):
        s.catcher = KeyframeCatcher(video.codec or "")
        s.catcher.seed(params_from_fmtp(video.fmtp or "", video.codec or ""))
    s.stage = "play"
    s.play_sent = asyncio.get_running_loop().time()
    reply = await s.call("PLAY", _play_url(base, session_control), {"Range": "npt=0.000-"})
    _expect_ok(reply, "PLAY", s.where)


async def _measure(s: RtspConnection, window_s: float, deadline: float) -> float:
    """Count RTP for ``window_s`` from the first packet; returns the measured window length."""
    loop = asyncio.get_running_loop()
    s.stage = "rtp"
    play_sent = s.play_sent if s.play_sent is not None else loop.time()
    # Some cameras hold RTP until their next keyframe (up to a GOP, ~2 s) and a busy recorder
    # starts late: wait a little longer for the first packet than the window itself.
    first_wait = max(2 * window_s, FIRST_RTP_WAIT_S)
    await s.stream(min(play_sent + first_wait, deadline), first_rtp=True)
    if s.first_rtp is None:
        return loop.time() - play_sent
    end = min(s.first_rtp + window_s, deadline)
    await s.stream(end)
    return max(min(loop.time(), end) - s.first_rtp, 1e-3)


async def probe_stream(
    uri: str,
    credential: Credential | None,
    *,
    window_s: float = 1.0,
    timeout_s: float = 5.0,
    host_override: str | None = None,
    port_override: int | None = None,
    allow_basic: bool = False,
    keyframe: bool = False,
) -> StreamProbe:
    """Play ``uri`` for ``window_s`` and say what arrived; the whole call ends by ``timeout_s``.

    A camera that offers only Basic authentication is not sent the password unless
    ``allow_basic`` (policy ``allow_basic_auth``): the probe fails with ``basic_only`` set."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeout_s
    # Leave room for TEARDOWN: measuring stops a little before the hard deadline.
    measure_deadline = deadline - min(_TEARDOWN_GRACE_S, timeout_s / 10)
    clean = strip_userinfo(uri)[0]
    s: RtspConnection | None = None
    play_url: str | None = None
    codec: str | None = None
    window = 0.0
    failure: Failure | None = None
    error: str | None = None
    basic_only = False
    try:
        async with asyncio.timeout_at(deadline):
            s, url, _ = await _open(uri, host_override, port_override, credential, allow_basic)
            reply, base = await _describe(s, url)
            session_control, videos = parse_sdp(reply.body.decode("utf-8", "replace"))
            if not videos:
                raise RtspFailure(Failure.UNSUPPORTED, f"{s.where}: the SDP offers no video")
            video = next((v for v in videos if v.codec in ("H264", "H265")), videos[0])
            codec = video.codec
            play_url = _play_url(base, session_control)
            await _play(s, base, video, session_control, keyframe)
            window = await _measure(s, window_s, measure_deadline)
    except RtspFailure as fail:
        failure, error, basic_only = fail.failure, str(fail), fail.basic_only
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
    if s is not None and s.counter is not None and failure is None:
        window = _stream_time(s.counter, window)
    result = _result(clean, s, stage, codec, window, failure, error, started)
    if s is not None and s.catcher is not None and s.catcher.done and result.ok:
        result = replace(result, keyframe=s.catcher.annexb)
    return replace(result, basic_only=True) if basic_only else result


def _stream_time(counter: VideoCounter, wall_s: float) -> float:
    """The window to divide frames and bytes by: the stream time the frames cover (RTP
    timestamps) when it is plausible, else the wall-clock time we spent reading.

    A burst (a camera's GOP cache, a backlog after a stall on either side) packs seconds of video
    into a short read; by the wall clock that is a 133 fps, 20 Mbit/s "camera".
    """
    media = counter.media_seconds()
    if media is None or wall_s <= 0:
        return wall_s
    if counter.frames / media > MAX_PLAUSIBLE_FPS or not 0.1 <= media / wall_s <= 50:
        return wall_s  # a broken RTP clock: trust our own
    return media


def _result(
    uri: str,
    s: RtspConnection | None,
    stage: str,
    codec: str | None,
    window: float,
    failure: Failure | None,
    error: str | None,
    started: float,
) -> StreamProbe:
    c = s.counter if s is not None else None
    size = (c.width, c.height) if c is not None and c.width and c.height else None
    size = size or (s.sdp_size if s is not None else None)
    packets = c.packets if c is not None else 0
    ok = failure is None and packets > 0
    first_ms = None
    if s is not None and s.first_rtp is not None:
        first_ms = round((s.first_rtp - started) * 1000, 1)
    return StreamProbe(
        uri=uri,
        ok=ok,
        failure=failure,
        error=error,
        stage=None if ok else stage,
        codec=codec,
        width=size[0] if size else None,
        height=size[1] if size else None,
        window_s=round(window, 3) if c is not None else 0.0,
        packets=packets,
        bytes=c.bytes if c else 0,
        seq_gaps=c.seq_gaps if c else 0,
        frames=c.frames if c else 0,
        keyframes=c.keyframes if c else 0,
        distinct_payloads=c.distinct_payloads if c else 0,
        first_rtp_ms=first_ms,
        # It played and no challenge ever came: anyone on the network can watch it.
        unauthenticated=ok and s is not None and s.auth is None,
    )


async def probe_rtsp_noauth(
    uri: str,
    *,
    timeout_s: float,
    host_override: str | None = None,
    port_override: int | None = None,
) -> bool | None:
    """True when DESCRIBE succeeds with no credentials at all; False when the camera demands
    them; None when it could not be told (refused, timeout, garbage)."""
    clean = strip_userinfo(uri)[0]  # never the inventory's inline credentials
    s: RtspConnection | None = None
    try:
        async with asyncio.timeout(timeout_s):
            s, url, _ = await _open(clean, host_override, port_override, None)
            await s.call("OPTIONS", url)
            reply = await s.call("DESCRIBE", url, {"Accept": "application/sdp"})
    except RtspFailure as fail:
        return False if fail.failure is Failure.AUTH else None
    except (TimeoutError, OSError):
        return None
    finally:
        if s is not None:
            s.close(None)
    if reply.status in (401, 403):
        return False
    return True if 200 <= reply.status < 300 else None
