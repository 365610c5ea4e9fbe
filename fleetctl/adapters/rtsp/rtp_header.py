"""The fixed RTP header (RFC 3550 section 5.1) with its optional parts: CSRC list, header
extension, padding. Pure; a truncated or non-version-2 packet is None, never an exception."""

from __future__ import annotations

from dataclasses import dataclass

Buffer = bytes | bytearray | memoryview


@dataclass(frozen=True)
class RtpHeader:
    marker: bool
    payload_type: int
    seq: int
    timestamp: int
    ssrc: int
    payload_start: int  # offset into the packet
    payload_end: int


def parse_header(pkt: Buffer, start: int = 0, end: int | None = None) -> RtpHeader | None:
    """The RTP header of ``pkt[start:end]``, or None when it is not RTP version 2 or is truncated."""
    end = len(pkt) if end is None else end
    if end - start < 12 or pkt[start] >> 6 != 2:
        return None
    b0, b1 = pkt[start], pkt[start + 1]
    pos = start + 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if pos + 4 > end:
            return None
        pos += 4 + 4 * ((pkt[pos + 2] << 8) | pkt[pos + 3])
    stop = end
    if b0 & 0x20 and end > start:  # padding: the last byte says how much
        stop -= pkt[end - 1]
    if pos > stop:
        return None
    return RtpHeader(
        marker=bool(b1 & 0x80),
        payload_type=b1 & 0x7F,
        seq=(pkt[start + 2] << 8) | pkt[start + 3],
        timestamp=int.from_bytes(pkt[start + 4 : start + 8], "big"),
        ssrc=int.from_bytes(pkt[start + 8 : start + 12], "big"),
        payload_start=pos,
        payload_end=stop,
    )
