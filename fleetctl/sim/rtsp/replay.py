"""ONVIF replay (Streaming Specification, section 6): recorded footage over RTSP, from an instant.

A client asks ``GetReplayUri``, then DESCRIBE, SETUP and PLAY on it with ``Require:
onvif-replay`` (SETUP and PLAY) and ``Range: clock=START-END`` (UTC, on the camera's clock).
``Rate-Control: no`` (what an export sends) lets the client pull as fast as it reads; we always
send as fast as the socket takes (flow control holds us back), which is what that header asks.

What the client receives, as from a camera:
- playback starts at the clean point at the requested instant, or at the next recorded section
  when the instant falls in a gap; nothing recorded in the range: 457 Invalid Range;
- every access unit's first packet carries the RTP header extension 0xABAC: its NTP capture
  time (the camera's clock) and the C (clean point), E (end of a contiguous section) and D
  (discontinuity) flags; RTP timestamps follow the recorded instants (a gap in the recording is
  a jump in them);
- at the end of the range (or of the footage), an RTCP BYE on the RTCP channel.

The same synthetic H.264 as the live stream (``h264.Track``), its GOP restarted at every section.
"""

from __future__ import annotations

import asyncio
import re
import struct
from datetime import UTC, datetime

from fleetctl.sim.camera.history import history_of
from fleetctl.sim.camera.model import MediaProfile, SimCamera
from fleetctl.sim.rtsp.h264 import MediaLibrary, Track, clip_of

RTP_CLOCK = 90_000
NTP_EPOCH_OFFSET = 2_208_988_800
FRAMES_PER_TURN = 25  # frames sent per loop turn: other cameras' sessions get the loop too
_RANGE = re.compile(r"clock\s*=\s*(\d{8}T\d{6}(?:\.\d+)?Z)\s*-\s*(\d{8}T\d{6}(?:\.\d+)?Z)?")
_EXT = struct.Struct(">HHIIBBH")  # 0xABAC, length 3, NTP seconds, fraction, flags, cseq, pad


def parse_clock_range(value: str) -> tuple[float, float | None] | None:
    """``clock=20261206T140000Z-20261206T143000Z`` -> (start, end) epoch seconds."""
    m = _RANGE.search(value)
    if m is None:
        return None

    def ts(text: str) -> float:
        fmt = "%Y%m%dT%H%M%S.%fZ" if "." in text else "%Y%m%dT%H%M%SZ"
        return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()

    return ts(m.group(1)), ts(m.group(2)) if m.group(2) else None


def first_recorded(cam: SimCamera, start: float, end: float) -> float | None:
    """Where playback of [start, end) begins: ``start`` if recorded, else the next section."""
    for a, b in history_of(cam).intervals(cam.now()):
        if b > start and a < end:
            return max(a, start)
    return None


class ReplaySender:
    """Sends [start, end) of the recording to one transport, as fast as it is read."""

    def __init__(
        self,
        cam: SimCamera,
        media: MediaLibrary,
        profile: MediaProfile,
        transport: asyncio.Transport,
        channel: int,
        rtcp_channel: int | None,
        ssrc: int,
        start: float,
        end: float,
    ) -> None:
        self.cam, self.transport = cam, transport
        self.channel, self.rtcp_channel, self.ssrc = channel, rtcp_channel, ssrc
        enc = profile.encoder
        clip = clip_of(media, cam, enc)
        self.track: Track = media.track(clip, enc.bitrate_kbps, enc.fps, channel)
        self.fps = max(float(enc.fps), 1.0)
        self.spans = [
            (a, b) for a, b in history_of(cam).intervals(cam.now()) if b > start and a < end
        ]
        self.start, self.end = start, end
        self.t = self.spans[0][0] if self.spans else end
        self.t = max(self.t, start)
        self.base_ts = 0x1000
        self.seq = 1
        self.index = 0
        self.paused = False
        self.stopped = False
        self.frames = 0
        self._discontinuity = False

    def start_sending(self) -> None:
        asyncio.get_running_loop().call_soon(self._pump)

    def stop(self) -> None:
        self.stopped = True

    def resume(self) -> None:
        self.paused = False
        if not self.stopped:
            asyncio.get_running_loop().call_soon(self._pump)

    def _next_instant(self) -> float | None:
        """The instant of the next frame: ``self.t`` if recorded, else the next section."""
        for a, b in self.spans:
            if self.t < b:
                if self.t < a:
                    self.t, self.index, self._discontinuity = a, 0, True  # a gap: jump
                return self.t if self.t < self.end else None
        return None

    def _pump(self) -> None:
        if self.stopped or self.transport.is_closing():
            return
        for _ in range(FRAMES_PER_TURN):
            if self.paused or self.stopped:
                return  # resume() comes back
            at = self._next_instant()
            if at is None:
                self._bye()
                return
            self._send(at)
            self.t = at + 1.0 / self.fps
        asyncio.get_running_loop().call_soon(self._pump)

    def _send(self, at: float) -> None:
        units = self.track.units
        unit = units[self.index % len(units)]
        self.index += 1
        ts = (self.base_ts + round((at - self.start) * RTP_CLOCK)) & 0xFFFFFFFF
        raw = unit.render(self.seq, ts, self.ssrc)
        self.seq = (self.seq + len(unit.offsets)) & 0xFFFF
        nxt = at + 1.0 / self.fps
        last_of_section = not any(a <= nxt < b for a, b in self.spans)
        flags = (0x80 if unit.keyframe else 0) | (0x40 if last_of_section else 0)
        flags |= 0x20 if self._discontinuity else 0
        self._discontinuity = False
        self.transport.write(with_extension(raw, unit.offsets, at, flags))
        self.frames += 1
        self.cam.counters.rtsp_packets += len(unit.offsets)

    def _bye(self) -> None:
        self.stopped = True
        if self.rtcp_channel is not None:
            bye = struct.pack(">BBHI", 0x81, 203, 1, self.ssrc)
            self.transport.write(struct.pack(">cBH", b"$", self.rtcp_channel, len(bye)) + bye)


def with_extension(raw: bytearray, offsets: tuple[int, ...], at: float, flags: int) -> bytes:
    """The unit's first packet with the 0xABAC extension (NTP time of ``at``, C/E/D flags)."""
    first = offsets[0]
    end = offsets[1] - 4 if len(offsets) > 1 else len(raw)
    ntp = at + NTP_EPOCH_OFFSET
    seconds = int(ntp)
    ext = _EXT.pack(
        0xABAC, 3, seconds & 0xFFFFFFFF, int((ntp - seconds) * 2**32) & 0xFFFFFFFF, flags, 0, 0
    )
    packet = bytearray(raw[first:end])
    packet[0] |= 0x10  # X: a header extension follows the fixed header
    packet[12:12] = ext
    head = raw[first - 4 : first - 2] + struct.pack(">H", len(packet))
    return bytes(raw[: first - 4]) + bytes(head) + bytes(packet) + bytes(raw[end:])
