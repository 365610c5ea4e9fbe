"""The named baseline of bench_rtsp_probe: fleetctl's RTP path before the fast rewrite.

A frozen copy of commit 9e335c7 (``fleetctl/adapters/rtsp/rtp.py`` VideoCounter, and the RTP part of
``rtsp_wire.RtspConnection.fill``/``pump``): a StreamReader read per chunk, the chunk appended to
the connection's buffer, one ``feed`` call per RTP packet, the frame fingerprint chained over
every packet. Benchmark-only: never imported by fleetctl.
"""

from __future__ import annotations

import asyncio
import zlib

from fleetctl.adapters.rtsp.rtp import parse_header
from fleetctl.adapters.rtsp.sps import parse_sps

_H264_STAP_A, _H264_FU_A, _H264_IDR, _H264_SPS = 24, 28, 5, 7
_H265_AP, _H265_FU, _H265_SPS = 48, 49, 33
_H265_IRAP = range(16, 22)
_FINGERPRINT_BYTES = 96
READ_CHUNK = 256 * 1024


class OldConnection:
    """The old read-and-demux loop, RTP frames only (the replay has no RTSP messages)."""

    def __init__(
        self, reader: asyncio.StreamReader, counter: OldVideoCounter, channel: int
    ) -> None:
        self._reader, self.counter, self.channel = reader, counter, channel
        self._buf = bytearray()

    async def fill(self) -> None:
        chunk = await self._reader.read(READ_CHUNK)
        if not chunk:
            raise EOFError
        self._buf += chunk

    def pump(self) -> None:
        buf, pos, n = self._buf, 0, len(self._buf)
        counter, channel = self.counter, self.channel
        while pos < n and buf[pos] == 0x24:
            if pos + 4 > n:
                break
            end = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
            if end > n:
                break
            if buf[pos + 1] == channel:
                counter.feed(buf, pos + 4, end)
            pos = end
        del buf[:pos]


class OldVideoCounter:
    """Running counts over the RTP packets of one video stream (``codec`` H264 or H265)."""

    __slots__ = (
        "_first_ts",
        "_frame_crc",
        "_frame_key",
        "_h264",
        "_h265",
        "_in_frame",
        "_last_seq",
        "_last_ts",
        "_prev_frame_crc",
        "_span_ts",
        "bytes",
        "clock_rate",
        "codec",
        "distinct_payloads",
        "frames",
        "height",
        "keyframes",
        "packets",
        "seq_gaps",
        "width",
    )

    def __init__(self, codec: str, clock_rate: int = 90_000) -> None:
        self.codec = codec.upper()
        self.clock_rate = clock_rate if clock_rate > 0 else 90_000
        # NAL analysis only for the codecs we know; JPEG & co. still get packets and frames.
        self._h264, self._h265 = self.codec == "H264", self.codec == "H265"
        self.packets = 0
        self.bytes = 0  # RTP payload bytes: comparable to the encoder's configured bitrate
        self.seq_gaps = 0
        self.frames = 0
        self.keyframes = 0
        self.distinct_payloads = 0
        self.width: int | None = None
        self.height: int | None = None
        self._last_seq: int | None = None
        self._last_ts: int | None = None
        self._in_frame = False
        self._frame_crc = 0
        self._prev_frame_crc: int | None = None
        self._frame_key = False
        self._first_ts: int | None = None
        self._span_ts = 0  # RTP clock ticks from the first frame to the last completed one

    def media_seconds(self) -> float | None:
        """Stream time the completed frames cover, by their RTP timestamps (None: too few).

        Arrival times lie when a camera (or a loaded network) delivers a backlog in a burst:
        40 frames in 0.3 s is 1.6 s of video, not 133 fps. N frames span N-1 intervals.
        """
        if self.frames < 2 or self._span_ts <= 0 or self._span_ts >= 1 << 31:
            return None
        return self._span_ts / self.clock_rate * self.frames / (self.frames - 1)

    def feed(self, buf: bytes | bytearray | memoryview, start: int, end: int) -> None:
        """Account for the RTP packet in ``buf[start:end]``. Non-RTP bytes are ignored."""
        if end - start < 13 or buf[start] >> 6 != 2:
            return
        b0 = buf[start]
        if b0 == 0x80:  # the common case: no CSRC, extension or padding
            pos, stop = start + 12, end
        else:
            hdr = parse_header(buf, start, end)
            if hdr is None:
                return
            pos, stop = hdr.payload_start, hdr.payload_end
        if stop <= pos:
            return
        seq = (buf[start + 2] << 8) | buf[start + 3]
        ts = int.from_bytes(buf[start + 4 : start + 8], "big")
        self.packets += 1
        self.bytes += stop - pos
        if self._first_ts is None:
            self._first_ts = ts
        if self._last_seq is not None and seq != (self._last_seq + 1) & 0xFFFF:
            self.seq_gaps += 1
        self._last_seq = seq
        # A new timestamp while a frame is open: the camera did not set the marker bit on the
        # last packet of the previous frame (seen on some encoders). Close it here instead.
        if self._in_frame and ts != self._last_ts:
            self._end_frame()
        self._last_ts = ts
        self._in_frame = True
        self._frame_crc = zlib.crc32(
            buf[pos : min(stop, pos + _FINGERPRINT_BYTES)], self._frame_crc
        )
        if self._h264:
            self._nal_h264(buf, pos, stop)
        elif self._h265:
            self._nal_h265(buf, pos, stop)
        if buf[start + 1] & 0x80:  # marker: last packet of the access unit
            self._end_frame()

    def _end_frame(self) -> None:
        self.frames += 1
        if self._last_ts is not None and self._first_ts is not None:
            self._span_ts = (self._last_ts - self._first_ts) & 0xFFFFFFFF
        if self._frame_crc != self._prev_frame_crc:
            self.distinct_payloads += 1
        # Keyframes are counted per access unit, not per NAL: an IDR picture cut into several
        # slices (common at 4K) is still one keyframe.
        self.keyframes += self._frame_key
        self._prev_frame_crc = self._frame_crc
        self._frame_crc = 0
        self._in_frame = False
        self._frame_key = False

    def _nal_h264(self, buf: bytes | bytearray | memoryview, pos: int, stop: int) -> None:
        t = buf[pos] & 0x1F
        if t == _H264_FU_A:
            if stop - pos > 1 and buf[pos + 1] & 0x80 and buf[pos + 1] & 0x1F == _H264_IDR:
                self._frame_key = True
        elif t == _H264_STAP_A:
            p, idr = pos + 1, False
            while p + 2 < stop:
                size = (buf[p] << 8) | buf[p + 1]
                if size == 0 or p + 2 + size > stop:
                    break
                inner = buf[p + 2] & 0x1F
                idr = idr or inner == _H264_IDR
                if inner == _H264_SPS and self.width is None:
                    self._sps(bytes(buf[p + 2 : p + 2 + size]))
                p += 2 + size
            self._frame_key = self._frame_key or idr
        elif t == _H264_IDR:
            self._frame_key = True
        elif t == _H264_SPS and self.width is None:
            self._sps(bytes(buf[pos:stop]))

    def _nal_h265(self, buf: bytes | bytearray | memoryview, pos: int, stop: int) -> None:
        if stop - pos < 3:
            return
        t = (buf[pos] >> 1) & 0x3F
        if t == _H265_FU:
            if buf[pos + 2] & 0x80 and (buf[pos + 2] & 0x3F) in _H265_IRAP:
                self._frame_key = True
        elif t == _H265_AP:
            p, irap = pos + 2, False
            while p + 3 < stop:
                size = (buf[p] << 8) | buf[p + 1]
                if size < 2 or p + 2 + size > stop:
                    break
                inner = (buf[p + 2] >> 1) & 0x3F
                irap = irap or inner in _H265_IRAP
                if inner == _H265_SPS and self.width is None:
                    self._sps(bytes(buf[p + 2 : p + 2 + size]))
                p += 2 + size
            self._frame_key = self._frame_key or irap
        elif t in _H265_IRAP:
            self._frame_key = True
        elif t == _H265_SPS and self.width is None:
            self._sps(bytes(buf[pos:stop]))

    def _sps(self, nal: bytes) -> None:
        size = parse_sps(nal, self.codec)
        if size is not None:
            self.width, self.height = size
