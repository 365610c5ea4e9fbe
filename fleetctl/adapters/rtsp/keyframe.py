"""One keyframe out of the RTP packets a stream probe is already reading (H.264 / H.265).

``KeyframeCatcher.feed`` takes the video channel's RTP packets in order while the picture probe
is on, depacketizes them (single NAL units; H.264 STAP-A and FU-A, RFC 6184; H.265 AP and FU,
RFC 7798), keeps the latest parameter sets and collects the first access unit that starts with
a keyframe (H.264 IDR, H.265 IRAP). ``annexb`` is then that access unit behind its parameter
sets, in Annex B form, ready for a decoder. Bounded: past ``MAX_BYTES`` it gives up.
"""

from __future__ import annotations

import base64
import binascii

from fleetctl.adapters.rtsp.rtp_header import Buffer, parse_header

MAX_BYTES = 4 * 1024 * 1024  # a 4K IDR is well under this
_START = b"\x00\x00\x00\x01"


class KeyframeCatcher:
    """Collects the first keyframe access unit of one stream; ``done`` once it has it."""

    def __init__(self, codec: str) -> None:
        self.h265 = codec.upper() in ("H265", "HEVC")
        self.params: dict[int, bytes] = {}  # NAL type -> the latest VPS / SPS / PPS
        self.nals: list[bytes] = []  # the keyframe's NAL units so far
        self._ts: int | None = None  # its RTP timestamp
        self._fu: bytearray | None = None  # a fragmented NAL unit being reassembled
        self._size = 0
        self.done = False
        self.gave_up = False

    # ------------------------------------------------------------------ input

    def seed(self, nals: list[bytes]) -> None:
        """Parameter sets announced out of band (the SDP's ``sprop-*``): in-band ones win."""
        for nal in nals:
            if nal:
                kind = self._type(nal)
                if kind in ((32, 33, 34) if self.h265 else (7, 8)):
                    self.params.setdefault(kind, nal)

    def feed(self, pkt: Buffer, start: int, end: int) -> None:
        """One RTP packet of the video channel (``pkt[start:end]``)."""
        if self.done or self.gave_up:
            return
        head = parse_header(pkt, start, end)
        if head is None or head.payload_end <= head.payload_start:
            return
        if self._ts is not None and head.timestamp != self._ts:
            self._finish()  # the next picture began: the keyframe is complete
            return
        payload = bytes(pkt[head.payload_start : head.payload_end])
        for nal in self._depacketize(payload):
            self._nal(nal, head.timestamp)
        if head.marker and self._ts == head.timestamp and self.nals:
            self._finish()

    # ------------------------------------------------------------------ output

    @property
    def annexb(self) -> bytes | None:
        """The keyframe behind its parameter sets, Annex B; None until ``done``."""
        if not self.done:
            return None
        order = (32, 33, 34) if self.h265 else (7, 8)
        units = [self.params[t] for t in order if t in self.params] + self.nals
        return b"".join(_START + u for u in units)

    # ------------------------------------------------------------------ parsing

    def _finish(self) -> None:
        if self.nals and self._has_params():
            self.done = True
        else:  # a keyframe without its parameter sets cannot be decoded: wait for the next
            self.nals, self._ts = [], None

    def _has_params(self) -> bool:
        needed = (32, 33, 34) if self.h265 else (7, 8)
        return all(t in self.params for t in needed)

    def _type(self, nal: bytes) -> int:
        return (nal[0] >> 1) & 0x3F if self.h265 else nal[0] & 0x1F

    def _keyframe(self, kind: int) -> bool:
        return 16 <= kind <= 21 if self.h265 else kind == 5

    def _nal(self, nal: bytes, ts: int) -> None:
        if not nal:
            return
        kind = self._type(nal)
        if kind in ((32, 33, 34) if self.h265 else (7, 8)):
            self.params[kind] = nal
            return
        if self._ts is None:
            if not self._keyframe(kind):
                return  # waiting for a keyframe to start
            self._ts = ts
        self._size += len(nal)
        if self._size > MAX_BYTES:
            self.gave_up = True
            return
        self.nals.append(nal)

    def _depacketize(self, p: bytes) -> list[bytes]:
        if self.h265:
            return self._h265(p)
        kind = p[0] & 0x1F
        if 1 <= kind <= 23:
            return [p]
        if kind == 24 and len(p) > 1:  # STAP-A: 16-bit sizes
            return _aggregated(p, 1)
        if kind == 28 and len(p) > 2:  # FU-A
            fu = p[1]
            if fu & 0x80:
                self._fu = bytearray([(p[0] & 0xE0) | (fu & 0x1F)]) + p[2:]
            elif self._fu is not None:
                self._fu += p[2:]
            if fu & 0x40 and self._fu is not None:
                nal, self._fu = bytes(self._fu), None
                return [nal]
        return []

    def _h265(self, p: bytes) -> list[bytes]:
        if len(p) < 3:
            return []
        kind = (p[0] >> 1) & 0x3F
        if kind < 48:
            return [p]
        if kind == 48:  # AP
            return _aggregated(p, 2)
        if kind == 49:  # FU: 2-byte payload header, 1-byte FU header
            fu = p[2]
            if fu & 0x80:
                first = ((p[0] & 0x81) | ((fu & 0x3F) << 1)) & 0xFF
                self._fu = bytearray([first, p[1]]) + p[3:]
            elif self._fu is not None:
                self._fu += p[3:]
            if fu & 0x40 and self._fu is not None:
                nal, self._fu = bytes(self._fu), None
                return [nal]
        return []


def _aggregated(p: bytes, header: int) -> list[bytes]:
    out: list[bytes] = []
    pos = header
    while pos + 2 <= len(p):
        size = (p[pos] << 8) | p[pos + 1]
        pos += 2
        if size == 0 or pos + size > len(p):
            break
        out.append(p[pos : pos + size])
        pos += size
    return out


def params_from_fmtp(fmtp: str, codec: str) -> list[bytes]:
    """The parameter sets an SDP ``a=fmtp`` line announces (H.264 ``sprop-parameter-sets``,
    H.265 ``sprop-vps``/``sprop-sps``/``sprop-pps``); unreadable entries are skipped."""
    keys = (
        ("sprop-vps", "sprop-sps", "sprop-pps")
        if codec.upper() in ("H265", "HEVC")
        else ("sprop-parameter-sets",)
    )
    out: list[bytes] = []
    for part in fmtp.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() not in keys:
            continue
        for b64 in value.strip().split(","):
            try:
                out.append(base64.b64decode(b64 + "=" * (-len(b64) % 4)))
            except (binascii.Error, ValueError):
                continue
    return out
