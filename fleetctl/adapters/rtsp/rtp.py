"""RTP packets of an H.264 / H.265 stream: counted, not decoded.

``VideoCounter`` keeps running counts over the packets of one stream: packets, payload bytes,
sequence gaps, frames, keyframes and how many frames differ from the one before (a frozen camera
repeats the same picture: one distinct frame, or a handful). Two entry points, one meaning:

- ``feed(buf, start, end)``: one RTP packet (the reference path, and the rare packets below);
- ``feed_interleaved(buf, pos, n, channel)``: every complete ``$`` frame of an RTSP byte stream
  in one synchronous loop. 500 streams of ~400 packets/s share one process, so the common packet
  (``0x80``: no CSRC, extension or padding) costs one ``unpack_from`` and a few integer
  operations on local variables; only packets that start a NAL unit (about one in six at
  1080p, where FU-A continuations dominate) reach the NAL code. Anything else goes to ``feed``.

A frame's fingerprint is a ``crc32`` of the first bytes of its first slice: the slice header
(``frame_num``, POC, ``idr_pic_id``) differs in every picture an encoder produces and is repeated
byte for byte by a camera stuck on one picture. Other codecs (JPEG & co.) carry no such header:
there every packet's first bytes are chained. SPS parsing (width/height) runs once per stream.
"""

from __future__ import annotations

import struct
import zlib

from fleetctl.adapters.rtsp.rtp_header import Buffer, RtpHeader, parse_header
from fleetctl.adapters.rtsp.sps import parse_sps

__all__ = ["RtpHeader", "VideoCounter", "parse_header"]

# RFC 6184 (H.264) and RFC 7798 (H.265) payload types that carry more than one NAL header.
_H264_STAP_A, _H264_FU_A, _H264_IDR, _H264_SPS = 24, 28, 5, 7
_H265_AP, _H265_FU, _H265_SPS = 48, 49, 33
_H265_IRAP = range(16, 22)  # BLA, IDR, CRA: a decoder can start here
_H264_SLICE = range(1, 6)  # coded slices (VCL): non-IDR, partitions A-C, IDR
_H265_SLICE = range(32)  # VCL NAL unit types

# How much of a slice feeds the frame fingerprint: the slice header and the first macroblocks.
_FINGERPRINT_BYTES = 96
_SEQ_TS = struct.Struct(">HI")  # sequence number, timestamp: bytes 2-7 of the RTP header
# '$', channel, length | V/P/X/CC, M/PT, seq, timestamp, (SSRC) | the payload's first byte and
# the FU header: byte 1 of an H.264 FU-A (RFC 6184 5.8), byte 2 of an H.265 FU (RFC 7798 4.4.3).
_FAST_H264 = struct.Struct(">BBHBBHI4xBB")
_FAST_H265 = struct.Struct(">BBHBBHI4xBxB")
_INTERLEAVED = 0x24  # '$' channel len16 (RFC 2326 section 10.12)


class VideoCounter:
    """Running counts over the RTP packets of one video stream (``codec`` H264 or H265)."""

    __slots__ = (
        "_fast",
        "_first_ts",
        "_frame_crc",
        "_frame_key",
        "_h264",
        "_h265",
        "_in_frame",
        "_last_seq",
        "_last_ts",
        "_prev_frame_crc",
        "_sampled",
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
        # feed_interleaved's header layout, shortest RTP packet it takes, and the FU test
        # (type & mask == value); other codecs never match (mask 0, value 1): every packet counts.
        self._fast: tuple[struct.Struct, int, int, int] = (
            (_FAST_H265, 15, 0x7E, _H265_FU << 1)
            if self._h265
            else (_FAST_H264, 14, 0x1F, _H264_FU_A)
            if self._h264
            else (_FAST_H264, 14, 0, 1)
        )
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
        self._sampled = False  # the open frame's fingerprint is taken (H.264/H.265)
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

    def feed(self, buf: Buffer, start: int, end: int) -> None:
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
        seq, ts = _SEQ_TS.unpack_from(buf, start + 2)
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
        self._payload(buf, pos, stop)
        if buf[start + 1] & 0x80:  # marker: last packet of the access unit
            self._end_frame()

    def feed_interleaved(self, buf: Buffer, pos: int, n: int, channel: int) -> int:
        """Account for every complete interleaved frame in ``buf[pos:n]`` that is on ``channel``
        (others, RTCP among them, are skipped); stop at a byte that is not ``$`` or at a frame
        that is not complete yet, and return its offset. Counts exactly as ``feed`` would.

        One ``unpack_from`` reads the interleaved header, the RTP header and the NAL/FU bytes;
        the per-packet state is kept in local variables (deltas) and written back before
        anything else (``feed``, ``_end_frame``) reads it.
        """
        head, min_len, fu_mask, fu_type = self._fast
        unpack, hsize = head.unpack_from, head.size
        nal_code = self._nal_h264 if self._h264 else self._nal_h265 if self._h265 else self._chain
        fast = fbytes = gaps = 0
        expect = -1 if self._last_seq is None else self._last_seq + 1  # not wrapped: see below
        last_ts, in_frame = self._last_ts, self._in_frame
        while pos + hsize <= n:
            dollar, ch, length, b0, b1, seq, ts, nal, fu = unpack(buf, pos)
            start = pos + 4
            end = start + length
            if dollar != _INTERLEAVED or end > n:
                break
            pos = end
            if ch != channel:
                continue
            if b0 != 0x80 or length < min_len:  # CSRC, extension, padding, junk, tiny: rare
                self._sync(fast, fbytes, gaps, expect, last_ts, in_frame)
                fast = fbytes = gaps = 0
                self.feed(buf, start, end)
                expect = -1 if self._last_seq is None else self._last_seq + 1
                last_ts, in_frame = self._last_ts, self._in_frame
                continue
            fast += 1
            fbytes += length
            if seq != expect and expect >= 0 and seq != expect & 0xFFFF:  # & : 65535 -> 0
                gaps += 1
            expect = seq + 1
            if ts != last_ts:  # a new frame, or the first packet (see ``feed``)
                if self._first_ts is None:
                    self._first_ts = ts
                if in_frame:
                    self._last_ts = last_ts
                    self._end_frame()
                last_ts = ts
            in_frame = True
            # A fragment that continues a NAL unit (FU without the S bit) says nothing about
            # keyframes, parameter sets or the fingerprint: most packets of a big frame stop here.
            if (nal & fu_mask) != fu_type or fu & 0x80:
                nal_code(buf, start + 12, end)
            if b1 & 0x80:  # marker: last packet of the access unit
                self._last_ts = last_ts
                self._end_frame()
                in_frame = False
        self._sync(fast, fbytes, gaps, expect, last_ts, in_frame)
        # The last bytes: complete frames shorter than the fast path's header, if any.
        while pos + 4 <= n and buf[pos] == _INTERLEAVED:
            end = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
            if end > n:
                break
            if buf[pos + 1] == channel:
                self.feed(buf, pos + 4, end)
            pos = end
        return pos

    def _sync(
        self, fast: int, fbytes: int, gaps: int, expect: int, last_ts: int | None, in_frame: bool
    ) -> None:
        """Write ``feed_interleaved``'s local state back (12 header bytes per fast packet)."""
        self.packets += fast
        self.bytes += fbytes - 12 * fast
        self.seq_gaps += gaps
        self._last_seq = None if expect < 0 else (expect - 1) & 0xFFFF
        self._last_ts, self._in_frame = last_ts, in_frame

    def _payload(self, buf: Buffer, pos: int, stop: int) -> None:
        if self._h264:
            self._nal_h264(buf, pos, stop)
        elif self._h265:
            self._nal_h265(buf, pos, stop)
        else:
            self._chain(buf, pos, stop)

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
        self._sampled = False
        self._in_frame = False
        self._frame_key = False

    def _chain(self, buf: Buffer, pos: int, stop: int) -> None:
        """Fingerprint for codecs without a slice header we read: every packet's first bytes."""
        self._frame_crc = zlib.crc32(
            buf[pos : min(stop, pos + _FINGERPRINT_BYTES)], self._frame_crc
        )

    def _sample(self, buf: Buffer, pos: int, stop: int) -> None:
        """The frame's fingerprint from the first bytes of its first slice (once per frame)."""
        if not self._sampled:
            self._sampled = True
            self._frame_crc = zlib.crc32(buf[pos : min(stop, pos + _FINGERPRINT_BYTES)])

    def _nal_h264(self, buf: Buffer, pos: int, stop: int) -> None:
        t = buf[pos] & 0x1F
        if t == _H264_FU_A:
            if stop - pos > 1 and buf[pos + 1] & 0x80:  # the first fragment of a NAL unit
                inner = buf[pos + 1] & 0x1F
                if inner in _H264_SLICE:
                    self._frame_key = self._frame_key or inner == _H264_IDR
                    self._sample(buf, pos, stop)
        elif t == _H264_STAP_A:
            p = pos + 1
            while p + 2 < stop:
                size = (buf[p] << 8) | buf[p + 1]
                if size == 0 or p + 2 + size > stop:
                    break
                inner = buf[p + 2] & 0x1F
                if inner in _H264_SLICE:
                    self._frame_key = self._frame_key or inner == _H264_IDR
                    self._sample(buf, p + 2, p + 2 + size)
                elif inner == _H264_SPS and self.width is None:
                    self._sps(bytes(buf[p + 2 : p + 2 + size]))
                p += 2 + size
        elif t in _H264_SLICE:
            self._frame_key = self._frame_key or t == _H264_IDR
            self._sample(buf, pos, stop)
        elif t == _H264_SPS and self.width is None:
            self._sps(bytes(buf[pos:stop]))

    def _nal_h265(self, buf: Buffer, pos: int, stop: int) -> None:
        if stop - pos < 3:
            return
        t = (buf[pos] >> 1) & 0x3F
        if t == _H265_FU:
            if buf[pos + 2] & 0x80:  # the first fragment of a NAL unit
                inner = buf[pos + 2] & 0x3F
                if inner in _H265_SLICE:
                    self._frame_key = self._frame_key or inner in _H265_IRAP
                    self._sample(buf, pos, stop)
        elif t == _H265_AP:
            p = pos + 2
            while p + 3 < stop:
                size = (buf[p] << 8) | buf[p + 1]
                if size < 2 or p + 2 + size > stop:
                    break
                inner = (buf[p + 2] >> 1) & 0x3F
                if inner in _H265_SLICE:
                    self._frame_key = self._frame_key or inner in _H265_IRAP
                    self._sample(buf, p + 2, p + 2 + size)
                elif inner == _H265_SPS and self.width is None:
                    self._sps(bytes(buf[p + 2 : p + 2 + size]))
                p += 2 + size
        elif t in _H265_SLICE:
            self._frame_key = self._frame_key or t in _H265_IRAP
            self._sample(buf, pos, stop)
        elif t == _H265_SPS and self.width is None:
            self._sps(bytes(buf[pos:stop]))

    def _sps(self, nal: bytes) -> None:
        size = parse_sps(nal, self.codec)
        if size is not None:
            self.width, self.height = size
