"""One playing RTSP session's RTP sender: the clock, the faults, the backpressure.

One timer per session (``loop.call_at``, on a 10 ms grid so sessions share loop wake-ups), one
``transport.write`` per access unit, and only a handful of integers per session: the packets
come pre-framed from a shared ``Track`` and are patched with this session's sequence numbers,
timestamp and SSRC (``PacketizedUnit.render``).

Settings are read from the profile's ``EncoderConfig`` at every frame, so an ONVIF
SetVideoEncoderConfiguration shows in the stream at once: fps, bitrate and a GOP shorter than
the clip's change in place; a new resolution or codec ends the session, as cameras restart
their encoder (a client then re-DESCRIBEs and sees the new SDP).

Faults, read live from ``cam.faults``:
- ``no_video``: PLAY succeeded, nothing is ever sent (the session stays up, keep-alives work);
- ``frozen``: the first keyframe is sent again and again (identical payload, advancing
  timestamps), so the picture never changes;
- ``low_fps``: a quarter of the configured frame rate, timestamps following real time;
- ``offline``/``rtsp_down``/``online == False``: the connection is reset.

Backpressure: when the transport's buffer passes its high-water mark (``pause_writing``), frames
are dropped, as a camera's encoder does, and sending resumes at the next keyframe so the
client's decoder is never fed a P-frame whose reference it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import struct

from fleetctl.sim.camera.model import MediaProfile, SimCamera
from fleetctl.sim.rtsp.h264 import Clip, MediaLibrary, Track, clip_of

RTP_CLOCK = 90_000  # Hz, RFC 6184 §8.2.1
RTCP_SR_INTERVAL_S = 5.0  # cameras send a sender report every few seconds
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)
_SR = struct.Struct(
    ">cBHBBHIIIIII"
)  # '$', channel, length | V/P/RC, PT 200, length, SSRC, NTP, RTP, counts
LOW_FPS_DIVISOR = 4
MAX_LAG_S = 1.0  # an overloaded loop skips ahead rather than bursting frames to catch up
GRID_S = 0.01  # frame timers fire on this grid (see _tick)


def reset(transport: asyncio.Transport) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashed or rebooting camera's stack does."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class RtpSender:
    """Sends one profile's stream to one transport on one interleaved channel."""

    def __init__(
        self,
        cam: SimCamera,
        media: MediaLibrary,
        profile: MediaProfile,
        transport: asyncio.Transport,
        channel: int,
        rtcp_channel: int | None = None,
    ) -> None:
        self.cam = cam
        self.media = media
        self.profile = profile
        self.transport = transport
        self.channel = channel
        self.rtcp_channel = rtcp_channel  # None: the camera granted a bare channel, no RTCP
        self._packets_sent = 0
        self._octets_sent = 0
        self._next_report = 0.0
        self.ssrc = int.from_bytes(os.urandom(4), "big")
        self.next_seq = int.from_bytes(os.urandom(2), "big")
        self._timestamp = float(int.from_bytes(os.urandom(4), "big"))
        self.paused = False  # set by the protocol's pause_writing/resume_writing
        self._need_keyframe = True
        self._index = 0
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._clip: Clip | None = None
        self._track: Track | None = None
        self._key: tuple[str, int, int, float, float] | None = None
        self._loop = asyncio.get_running_loop()
        self.dropped = 0

    @property
    def next_timestamp(self) -> int:
        return int(self._timestamp) & 0xFFFFFFFF

    def start(self) -> None:
        """Start (or resume after PAUSE) sending; the first frame goes out immediately."""
        if self._timer is not None:
            return
        self._deadline = self._loop.time()
        # Cameras force an IDR for a new PLAY: restart the clip at its keyframe, no waiting.
        self._index = 0
        self._need_keyframe = True
        self._tick()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _current_track(self) -> Track | None:
        enc = self.profile.encoder
        kbps = enc.bitrate_kbps if enc.cbr else enc.bitrate_kbps * enc.scene_ratio
        key = (enc.encoding, enc.width, enc.height, kbps, enc.fps)
        if key == self._key:
            return self._track  # the common case, every frame: one tuple compare
        clip = clip_of(self.media, self.cam, enc)
        if self._clip is not None and clip is not self._clip:
            return None  # encoder restarted with another resolution/codec: session ends
        self._clip, self._key = clip, key
        self._track = self.media.track(clip, kbps, enc.fps, self.channel)
        return self._track

    def _tick(self) -> None:
        self._timer = None
        transport, faults = self.transport, self.cam.faults
        if transport.is_closing():
            return
        if (faults and ("offline" in faults or "rtsp_down" in faults)) or not self.cam.online:
            reset(transport)
            return
        track = self._current_track()
        if track is None:
            transport.close()
            return
        fps = max(float(self.profile.encoder.fps), 0.1)
        if not faults:
            self._send(track, False)
        else:
            if "low_fps" in faults:
                fps /= LOW_FPS_DIVISOR
            if "no_video" not in faults:
                self._send(track, "frozen" in faults)
        self._timestamp += RTP_CLOCK / fps
        now = self._loop.time()
        self._deadline = max(self._deadline + 1.0 / fps, now - MAX_LAG_S)
        # The timer fires on the next GRID_S boundary, not at the exact deadline: sessions that
        # share a boundary are served in one loop wake-up (and a client reading many streams
        # gets them in one epoll round too). The deadline itself stays exact, so the rate is;
        # a frame leaves at most GRID_S late, well inside a real network's jitter.
        self._timer = self._loop.call_at(math.ceil(self._deadline / GRID_S) * GRID_S, self._tick)

    def _send(self, track: Track, frozen: bool) -> None:
        units = track.units
        if frozen:
            unit = units[0]  # the same keyframe, byte for byte, forever
        else:
            # The clips have one IDR per 50 frames; a shorter configured GOP restarts the clip
            # early so keyframes come every ``gop`` frames (a longer one stays at 50). All-intra
            # (gop 1) is not modelled: repeating one keyframe would look frozen.
            gop = self.profile.encoder.gop
            span = min(len(units), gop) if gop >= 2 else len(units)
            unit = units[self._index % span]
            self._index += 1
        if self.paused or (self._need_keyframe and not unit.keyframe):
            # The socket is full (or we are waiting for a keyframe after dropping): drop.
            self.dropped += 1
            self.cam.counters.rtsp_frames_dropped += 1
            self._need_keyframe = True
            return
        self._need_keyframe = False
        self.transport.write(unit.render(self.next_seq, self.next_timestamp, self.ssrc))
        count = len(unit.offsets)
        self.next_seq = (self.next_seq + count) & 0xFFFF
        self.cam.counters.rtsp_packets += count
        self._packets_sent += count
        self._octets_sent += unit.payload_bytes
        if self.rtcp_channel is not None and self._loop.time() >= self._next_report:
            self._next_report = self._loop.time() + RTCP_SR_INTERVAL_S
            self._sender_report()

    def _sender_report(self) -> None:
        """RTCP SR (RFC 3550 §6.4.1): the camera's wall clock (drift included) vs RTP time.

        Clients (FFmpeg among them) map RTP timestamps to wall-clock time with it, so a
        drifting camera's evidence timestamps drift too, as on a real one.
        """
        assert self.rtcp_channel is not None
        ntp = self.cam.now() + NTP_EPOCH_OFFSET
        seconds = int(ntp)
        fraction = int((ntp - seconds) * 2**32) & 0xFFFFFFFF
        self.transport.write(
            _SR.pack(
                b"$",
                self.rtcp_channel,
                28,
                0x80,
                200,
                6,
                self.ssrc,
                seconds & 0xFFFFFFFF,
                fraction,
                self.next_timestamp,
                self._packets_sent & 0xFFFFFFFF,
                self._octets_sent & 0xFFFFFFFF,
            )
        )
