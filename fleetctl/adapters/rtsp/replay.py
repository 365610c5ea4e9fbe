"""ONVIF replay over our own RTSP client: recorded footage from an instant, as access units.

    fetch_replay(uri, credential, start, end, sink, *, timeout_s, idle_s, host) -> ReplayStream

DESCRIBE, SETUP (TCP interleaved) and PLAY with ``Require: onvif-replay`` on SETUP and PLAY,
``Range: clock=START-END`` (UTC, the camera's clock) and ``Rate-Control: no`` (as fast as we
read). FFmpeg cannot send these headers, hence our own client. Each access unit is handed to
``sink`` as it completes: its NAL units, its RTP timestamp and its capture time from the RTP
header extension 0xABAC (NTP, the camera's clock; None when the camera sent none) with its
clean-point flag. The replay ends at an RTCP BYE, when an access unit reaches ``end``, when
the camera closes, or after ``idle_s`` without a byte; TEARDOWN is sent in every case.

Failures raise ``RtspFailure`` (the adapters' error family) with the address and the stage,
never a credential: 457 (nothing recorded in the range) is UNSUPPORTED with those words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fleetctl.adapters.rtsp.client import _describe, _expect_ok, _open, _play_url
from fleetctl.adapters.rtsp.keyframe import params_from_fmtp
from fleetctl.adapters.rtsp.rtp_header import parse_header
from fleetctl.adapters.rtsp.sdp import parse_sdp, resolve_control
from fleetctl.adapters.rtsp.wire import RtspConnection, RtspFailure, strip_userinfo
from fleetctl.base.i18n import M_
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure

__all__ = ["AccessUnit", "ReplayStream", "fetch_replay"]

NTP_EPOCH_OFFSET = 2_208_988_800
MAX_UNIT_BYTES = 8 * 1024 * 1024  # one access unit; a 4K IDR is well under this
_START = b"\x00\x00\x00\x01"


@dataclass
class AccessUnit:
    nals: list[bytes]
    rtp_ts: int
    at: float | None  # capture time (epoch seconds, the camera's clock) from 0xABAC
    keyframe: bool

    def annexb(self) -> bytes:
        return b"".join(_START + n for n in self.nals)


@dataclass
class ReplayStream:
    codec: str
    clock_rate: int
    params: list[bytes]  # the SDP's parameter sets (SPS, PPS; H.265 with VPS)
    units: int = 0
    ended_by: str = ""  # bye | end | closed | idle
    first_at: float | None = None
    last_at: float | None = None
    _pending: list[bytes] = field(default_factory=list)


def _time_of(pkt: bytes) -> float | None:
    """The 0xABAC extension's NTP time, or None."""
    if len(pkt) < 12 or not pkt[0] & 0x10:
        return None
    pos = 12 + 4 * (pkt[0] & 0x0F)
    if pos + 12 > len(pkt) or pkt[pos : pos + 2] != b"\xab\xac":
        return None
    seconds = int.from_bytes(pkt[pos + 4 : pos + 8], "big")
    fraction = int.from_bytes(pkt[pos + 8 : pos + 12], "big")
    return seconds - NTP_EPOCH_OFFSET + fraction / 2**32


class _Assembler:
    """RTP packets of one H.264/H.265 stream -> access units (RFC 6184 / RFC 7798)."""

    def __init__(self, codec: str, sink: Callable[[AccessUnit], None]) -> None:
        self.h265 = codec.upper() in ("H265", "HEVC")
        self.sink = sink
        self.unit: AccessUnit | None = None
        self.size = 0
        self.fu: bytearray | None = None

    def packet(self, pkt: bytes) -> None:
        head = parse_header(pkt)
        if head is None or head.payload_end <= head.payload_start:
            return
        if self.unit is not None and head.timestamp != self.unit.rtp_ts:
            self.flush()
        if self.unit is None:
            self.unit, self.size = AccessUnit([], head.timestamp, _time_of(pkt), False), 0
        for nal in self._nals(pkt[head.payload_start : head.payload_end]):
            kind = (nal[0] >> 1) & 0x3F if self.h265 else nal[0] & 0x1F
            self.unit.keyframe |= 16 <= kind <= 21 if self.h265 else kind == 5
            self.size += len(nal)
            if self.size > MAX_UNIT_BYTES:
                raise RtspFailure(Failure.OVERSIZED, "an access unit larger than 8 MiB")
            self.unit.nals.append(nal)
        if head.marker:
            self.flush()

    def flush(self) -> None:
        unit, self.unit = self.unit, None
        if unit is not None and unit.nals:
            self.sink(unit)

    def _nals(self, p: bytes) -> list[bytes]:
        if len(p) < 3:
            return []
        kind = (p[0] >> 1) & 0x3F if self.h265 else p[0] & 0x1F
        agg, frag, hdr = (48, 49, 2) if self.h265 else (24, 28, 1)
        if kind == agg:
            out, pos = [], hdr
            while pos + 2 <= len(p):
                size = (p[pos] << 8) | p[pos + 1]
                pos += 2
                if size == 0 or pos + size > len(p):
                    break
                out.append(p[pos : pos + size])
                pos += size
            return out
        if kind == frag:
            fu = p[hdr]
            if fu & 0x80:
                if self.h265:
                    first = bytes([((p[0] & 0x81) | ((fu & 0x3F) << 1)) & 0xFF, p[1]])
                else:
                    first = bytes([(p[0] & 0xE0) | (fu & 0x1F)])
                self.fu = bytearray(first) + p[hdr + 1 :]
            elif self.fu is not None:
                self.fu += p[hdr + 1 :]
            if fu & 0x40 and self.fu is not None:
                nal, self.fu = bytes(self.fu), None
                return [nal]
            return []
        return [p] if kind < (48 if self.h265 else 24) else []


def clock_range(start: datetime, end: datetime) -> str:
    """``clock=YYYYMMDDTHHMMSSZ-YYYYMMDDTHHMMSSZ`` (UTC only, whole seconds)."""
    f = "%Y%m%dT%H%M%SZ"
    return f"clock={start.astimezone(UTC).strftime(f)}-{end.astimezone(UTC).strftime(f)}"


async def fetch_replay(
    uri: str,
    credential: Credential | None,
    start: datetime,
    end: datetime,
    sink: Callable[[AccessUnit], None],
    *,
    idle_s: float = 10.0,
    host: str | None = None,
    on_describe: Callable[[ReplayStream], None] | None = None,
) -> ReplayStream:
    """Replay [start, end] (the camera's clock) from ``uri``; units to ``sink``. The caller
    bounds the whole call (``asyncio.timeout``); ``idle_s`` bounds a silence. ``on_describe``
    gets the stream's codec and SDP parameter sets before the first unit."""
    conn, clean, where = await _open(uri, host, None, credential)
    play_url: str | None = None
    try:
        reply, base = await _describe(conn, clean)
        session_control, videos = parse_sdp(reply.body.decode("utf-8", "replace"))
        video = videos[0] if videos else None
        if video is None or (video.codec or "").upper() not in ("H264", "H265", "HEVC"):
            raise RtspFailure(Failure.UNSUPPORTED, f"{where}: the replay is not H.264/H.265 video")
        replay = ReplayStream(
            (video.codec or "").upper(), video.clock_rate or 90000,
            params_from_fmtp(video.fmtp or "", video.codec or ""),
        )  # fmt: skip
        if on_describe is not None:
            on_describe(replay)  # codec and parameter sets, before the first unit
        require = {"Require": "onvif-replay"}
        conn.stage = "setup"
        setup_url = strip_userinfo(resolve_control(base, video.control))[0]
        got = await conn.call(
            "SETUP", setup_url, {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", **require}
        )
        _expect_ok(got, "SETUP", where)
        transport = got.get("transport") or ""
        channel = _granted(transport)
        session = got.get("session")
        if session:
            conn.session_id = session.split(";")[0].strip()
        assembler = _Assembler(replay.codec, lambda u: _take(replay, u, sink))
        done = asyncio.Event()

        def frame(ch: int, data: bytes) -> None:
            if ch == channel:
                assembler.packet(data)
                if replay.last_at is not None and replay.last_at >= end.timestamp() - 1e-3:
                    replay.ended_by = replay.ended_by or "end"
                    done.set()
            elif ch == channel + 1 and len(data) >= 2 and data[1] == 203:  # RTCP BYE
                assembler.flush()
                replay.ended_by = replay.ended_by or "bye"
                done.set()

        conn.frame_sink = frame
        conn.stage = "play"
        play_url = _play_url(base, session_control)
        got = await conn.call(
            "PLAY",
            play_url,
            {**require, "Range": clock_range(start, end), "Rate-Control": "no"},
        )
        if got.status == 457:
            since, until = start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%H:%M:%S")
            empty = RtspFailure(
                Failure.UNSUPPORTED,
                f"{where}: nothing recorded between {since} and {until} (camera clock)",
            )
            empty.nothing_recorded = True
            empty.msg = M_(
                "%(where)s: nothing recorded between %(start)s and %(end)s (camera clock)",
                where=where,
                start=since,
                end=until,
            )
            raise empty
        _expect_ok(got, "PLAY", where)
        conn.stage = "rtp"
        await _read_until(conn, done, replay, idle_s)
        assembler.flush()
        return replay
    finally:
        conn.close(play_url)


def _granted(transport: str) -> int:
    import re

    m = re.search(r"interleaved\s*=\s*(\d+)", transport, re.I)
    return int(m.group(1)) if m else 0


def _take(replay: ReplayStream, unit: AccessUnit, sink: Callable[[AccessUnit], None]) -> None:
    replay.units += 1
    if unit.at is not None:
        replay.first_at = unit.at if replay.first_at is None else replay.first_at
        replay.last_at = unit.at
    sink(unit)


async def _read_until(
    conn: RtspConnection, done: asyncio.Event, replay: ReplayStream, idle_s: float
) -> None:
    while not done.is_set():
        conn.pump()
        if done.is_set():
            return
        try:
            async with asyncio.timeout(idle_s):
                await conn.fill()
        except TimeoutError:
            replay.ended_by = "idle"
            return
        except (OSError, RtspFailure):
            conn.pump()  # what arrived before the close still counts
            replay.ended_by = replay.ended_by or "closed"
            return
