"""The simulated camera's RTSP 1.0 server (RFC 2326): real H.264/H.265 over RTP, TCP interleaved.

One asyncio server per camera on ``cam.host:cam.rtsp_port``; one protocol object per
connection, holding at most one session (what FFmpeg, VLC and camera probes open). Methods:
OPTIONS (no auth, as cameras do), DESCRIBE, SETUP (``RTP/AVP/TCP`` interleaved only: UDP gets
461, cameras behind NAT are probed over TCP anyway), PLAY, PAUSE, TEARDOWN, GET_PARAMETER and
SET_PARAMETER (keep-alives). Every other request needs credentials from ``cam.users``
(``rtsp_auth.py``: Digest, Basic where the vendor allows it); the vendor's realm, control
names, Server header and quirks come from ``rtsp_flavours.py``.

Streaming (``rtsp_stream.py``): one timer per playing session (on a 10 ms grid, so sessions
share loop wake-ups), one write per access unit, media shared by all cameras. Faults read live from ``cam.faults``: ``rtsp_down`` and
``offline`` (refused), ``hang`` (accepts, never answers), ``no_video``, ``frozen``,
``low_fps`` (see ``RtpSender``).
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import re
from functools import lru_cache
from typing import cast
from urllib.parse import parse_qsl, urlsplit

from fleetctl.sim.camera.model import MediaProfile, SimCamera
from fleetctl.sim.rtsp.auth import authorized, challenges
from fleetctl.sim.rtsp.flavours import RtspFlavour, flavour_for
from fleetctl.sim.rtsp.h264 import MediaLibrary, clip_of, default_library
from fleetctl.sim.rtsp.replay import ReplaySender, first_recorded, parse_clock_range
from fleetctl.sim.rtsp.stream import RtpSender, reset

__all__ = ["MediaLibrary", "RtspProtocol", "default_library", "start_rtsp"]

MAX_HEADER_BYTES = 16 * 1024  # a request head larger than this is hostile: 400 and close
MAX_BODY_BYTES = 64 * 1024
_METHODS = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
_HANDLERS = {  # method -> RtspProtocol method that serves it (after authentication)
    "DESCRIBE": "_describe",
    "SETUP": "_setup",
    "PLAY": "_play",
    "PAUSE": "_pause",
    "TEARDOWN": "_teardown",
    "GET_PARAMETER": "_keepalive",
    "SET_PARAMETER": "_keepalive",
}
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    457: "Invalid Range",
    501: "Not Implemented",
    551: "Option not supported",
    505: "RTSP Version Not Supported",
}


async def start_rtsp(cam: SimCamera, media: MediaLibrary) -> asyncio.AbstractServer:
    """Bind ``cam.host:cam.rtsp_port`` and serve RTSP for ``cam``.

    With ``rtsp_down`` or ``offline`` set at start the socket is bound but not listening, so
    clients get a real "connection refused"; ``await server.start_serving()`` brings it up.
    Faults set later are honoured per connection (refused connections are reset at once).
    """
    loop = asyncio.get_running_loop()
    refusing = cam.has("rtsp_down") or cam.has("offline")
    return await loop.create_server(
        lambda: RtspProtocol(cam, media),
        cam.host,
        cam.rtsp_port,
        reuse_address=True,
        backlog=64,
        start_serving=not refusing,
    )


REPLAY_PATH = "/onvif-replay/"  # GetReplayUri's path (sim/onvif/search.py)


def is_replay(url: str) -> bool:
    return urlsplit(url).path.startswith(REPLAY_PATH)


def match_profile(cam: SimCamera, url: str, control: str) -> MediaProfile | None:
    """The profile whose ``stream_path`` this request URL names (``/<control>`` suffix allowed).

    Paths compare case-insensitively without a trailing slash; the profile's query parameters
    must all be present (clients append their own, e.g. Dahua's ``&unicast=true&proto=Onvif``).
    """
    if is_replay(url):
        return cam.profiles[0] if cam.profiles and cam.storage else None  # the main stream
    suffix = "/" + control
    if url.endswith(suffix):
        url = url[: -len(suffix)]
    path, query = _path_and_query(url)
    for profile in cam.profiles:
        want_path, want_query = _path_and_query(profile.stream_path)
        if want_path == path and want_query <= query:
            return profile
    return None


@lru_cache(maxsize=4096)
def _path_and_query(url: str) -> tuple[str, frozenset[tuple[str, str]]]:
    # Cached: the same few URLs come back in every DESCRIBE, SETUP and PLAY of every camera.
    parts = urlsplit(url)
    return parts.path.rstrip("/").lower(), frozenset(parse_qsl(parts.query.rstrip("/")))


@lru_cache(maxsize=64)
def _date(second: int) -> str:
    """The Date header of a reply sent at ``second`` (cameras' clocks differ, not by much)."""
    return email.utils.formatdate(second, usegmt=True)


class RtspProtocol(asyncio.Protocol):
    """One RTSP connection to a simulated camera."""

    def __init__(self, cam: SimCamera, media: MediaLibrary) -> None:
        self.cam = cam
        self.media = media
        self.flavour: RtspFlavour = flavour_for(cam)
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.silent = False  # the "hang" fault: read everything, answer nothing
        self.session_id = ""
        self.profile: MediaProfile | None = None
        self.sender: RtpSender | None = None
        self.replay: ReplaySender | None = None
        self.replay_channels: tuple[int, int | None] | None = None  # SETUP of a replay

    # -- asyncio.Protocol -----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's does not subclass asyncio.Transport, hence no isinstance).
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        cam = self.cam
        if cam.has("rtsp_down") or cam.has("offline") or not cam.online:
            reset(transport)  # started healthy, went down since: RST, like a dead daemon
            return
        self.silent = cam.has("hang")
        # Bounded send buffer: a client that stops reading makes us drop frames, not hoard them.
        transport.set_write_buffer_limits(high=512 * 1024, low=128 * 1024)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.replay is not None:
            self.replay.stop()
        if self.sender is not None:
            self.sender.stop()
        self.transport = None

    def pause_writing(self) -> None:
        if self.sender is not None:
            self.sender.paused = True
        if self.replay is not None:
            self.replay.paused = True

    def resume_writing(self) -> None:
        if self.sender is not None:
            self.sender.paused = False
        if self.replay is not None:
            self.replay.resume()

    def data_received(self, data: bytes) -> None:
        if self.silent or self.transport is None:
            return
        self.buffer += data
        while self.transport is not None and self.buffer:
            if self.buffer[0] == 0x24:  # '$': the client's RTCP receiver reports, interleaved
                if len(self.buffer) < 4:
                    return
                size = 4 + int.from_bytes(self.buffer[2:4], "big")
                if len(self.buffer) < size:
                    return
                del self.buffer[:size]
                continue
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    self._reply_and_close(400)
                return
            head = bytes(self.buffer[:end]).decode("utf-8", "replace")
            lines = head.split("\r\n")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY_BYTES:
                self._reply_and_close(400)
                return
            if len(self.buffer) < end + 4 + length:
                return
            del self.buffer[: end + 4 + length]
            self._handle(lines[0], headers)

    # -- requests ---------------------------------------------------------------------------
    def _handle(self, request_line: str, headers: dict[str, str]) -> None:
        parts = request_line.split(" ")
        cseq = headers.get("cseq", "")
        if len(parts) != 3 or not cseq:
            self._reply_and_close(400, cseq)
            return
        method, url, version = parts
        if version != "RTSP/1.0":
            self._reply(505, cseq)
            return
        if method == "OPTIONS":
            self._reply(200, cseq, {"Public": _METHODS})
            return
        name = _HANDLERS.get(method)
        if name is None:
            self._reply(501, cseq, {"Allow": _METHODS})
            return
        if not authorized(self.cam, self.flavour, method, url, headers):
            self._reply(401, cseq, {"WWW-Authenticate": challenges(self.flavour, self.cam)})
            return
        getattr(self, name)(url, cseq, headers)

    def _describe(self, url: str, cseq: str, headers: dict[str, str]) -> None:
        profile = match_profile(self.cam, url, self.flavour.control)
        if profile is None:
            self._reply(404, cseq)
            return
        enc = profile.encoder
        clip = clip_of(self.media, self.cam, enc)
        host = self.transport.get_extra_info("sockname")[0] if self.transport else self.cam.host
        rtpmap = "H265/90000" if clip.codec == "H265" else "H264/90000"
        session_version = int(self.cam.boot_time)
        sdp = (
            "v=0\r\n"
            f"o=- {session_version} {session_version} IN IP4 {host}\r\n"
            f"s={self.flavour.session_name}\r\n"
            "t=0 0\r\n"
            "a=control:*\r\n"
            "a=range:npt=now-\r\n"
            "m=video 0 RTP/AVP 96\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            f"b=AS:{int(enc.bitrate_kbps)}\r\n"
            f"a=rtpmap:96 {rtpmap}\r\n"
            f"a=fmtp:96 {clip.fmtp()}\r\n"
            f"a=framerate:{enc.fps:g}\r\n"
            f"a=control:{self.flavour.control}\r\n"
        ).encode()
        base = url if url.endswith("/") else url + "/"
        self._reply(200, cseq, {"Content-Base": base, "Content-Type": "application/sdp"}, sdp)

    def _setup(self, url: str, cseq: str, headers: dict[str, str]) -> None:
        if self.sender is not None:
            self._reply(459, cseq)  # one video track: a second SETUP is an aggregate misuse
            return
        profile = match_profile(self.cam, url, self.flavour.control)
        if profile is None:
            self._reply(404, cseq)
            return
        transport = headers.get("transport", "")
        found = re.search(r"interleaved=(\d+)(?:-(\d+))?", transport)
        if "RTP/AVP/TCP" not in transport.upper():
            # UDP is refused: FFmpeg's default then falls back to TCP, as it does on NATed sites.
            self._reply(461, cseq)
            return
        asked = int(found.group(1)) if found else 0  # no channels asked: the server picks
        granted = self.cam.rtsp_interleaved or self.flavour.interleaved or f"{asked}-{asked + 1}"
        first, _, second = granted.partition("-")
        channel, rtcp_channel = int(first), int(second) if second else None
        if is_replay(url):
            if "onvif-replay" not in headers.get("require", ""):
                self._reply(551, cseq, {"Unsupported": "onvif-replay"})
                return
            self.replay_channels = (channel, rtcp_channel)
        self.profile = profile
        self.session_id = os.urandom(4).hex().upper()
        assert self.transport is not None
        self.sender = RtpSender(
            self.cam, self.media, profile, self.transport, channel, rtcp_channel
        )
        self.cam.counters.rtsp_sessions += 1
        self._reply(
            200,
            cseq,
            {
                "Transport": f"RTP/AVP/TCP;unicast;interleaved={granted};"
                f'ssrc={self.sender.ssrc:08X};mode="play"',
            },
        )

    def _session_ok(self, cseq: str, headers: dict[str, str]) -> bool:
        sid = headers.get("session", "").partition(";")[0].strip()
        if self.sender is None or sid != self.session_id:
            self._reply(454, cseq)
            return False
        return True

    def _play(self, url: str, cseq: str, headers: dict[str, str]) -> None:
        if not self._session_ok(cseq, headers):
            return
        if self.replay_channels is not None:
            self._play_replay(url, cseq, headers)
            return
        assert self.sender is not None
        seq, rtptime = self.sender.next_seq, self.sender.next_timestamp
        self._reply(
            200,
            cseq,
            {
                "Range": "npt=0.000-",
                "RTP-Info": f"url={url.rstrip('/')}/{self.flavour.control};seq={seq};rtptime={rtptime}",
            },
        )
        self.sender.start()  # the first keyframe follows the reply at once

    def _play_replay(self, url: str, cseq: str, headers: dict[str, str]) -> None:
        """PLAY of recorded footage: ``Require: onvif-replay`` and ``Range: clock=...``."""
        if "onvif-replay" not in headers.get("require", ""):
            self._reply(551, cseq, {"Unsupported": "onvif-replay"})
            return
        asked = parse_clock_range(headers.get("range", ""))
        if asked is None:
            self._reply(457, cseq)
            return
        start, end = asked[0], asked[1] if asked[1] is not None else self.cam.now()
        begin = first_recorded(self.cam, start, end)
        if begin is None or self.profile is None or self.transport is None:
            self._reply(457, cseq)  # nothing recorded in the range
            return
        assert self.replay_channels is not None and self.sender is not None
        if self.replay is not None:
            self.replay.stop()
        channel, rtcp = self.replay_channels
        self.replay = ReplaySender(
            self.cam, self.media, self.profile, self.transport, channel, rtcp,
            self.sender.ssrc, start, end,
        )  # fmt: skip
        self._reply(
            200,
            cseq,
            {
                "Range": headers.get("range", ""),
                "RTP-Info": f"url={url.rstrip('/')};seq={self.replay.seq};"
                f"rtptime={self.replay.base_ts}",
            },
        )
        self.replay.start_sending()

    def _pause(self, url: str, cseq: str, headers: dict[str, str]) -> None:
        if self._session_ok(cseq, headers):
            assert self.sender is not None
            self.sender.stop()
            self._reply(200, cseq)

    def _teardown(self, url: str, cseq: str, headers: dict[str, str]) -> None:
        if self._session_ok(cseq, headers):
            assert self.sender is not None
            self.sender.stop()
            if self.replay is not None:
                self.replay.stop()
                self.replay, self.replay_channels = None, None
            self._reply(200, cseq)
            self.sender, self.session_id = None, ""

    def _keepalive(self, url: str, cseq: str, headers: dict[str, str]) -> None:
        self._reply(200, cseq)

    # -- replies ----------------------------------------------------------------------------
    def _reply(
        self, status: int, cseq: str, extra: dict[str, str] | None = None, body: bytes = b""
    ) -> None:
        if self.transport is None:
            return
        lines = [f"RTSP/1.0 {status} {_REASONS.get(status, 'Error')}", f"CSeq: {cseq}"]
        if self.flavour.server:
            lines.append(f"Server: {self.flavour.server}")
        lines.append(f"Date: {_date(int(self.cam.now()))}")
        if self.session_id:
            lines.append(f"Session: {self.session_id};timeout=60")
        lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def _reply_and_close(self, status: int, cseq: str = "0") -> None:
        self._reply(status, cseq)
        if self.transport is not None:
            self.transport.close()
