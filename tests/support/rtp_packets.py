"""Test helper: an independent RFC 6184 / RFC 7798 packetizer over the simulator's recorded clips.

Written from the RFCs, not shared with the simulator, so a bug in one is not mirrored in the
other. Yields the bytes a camera puts on the wire: RTP packets, optionally interleaved.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from importlib import resources

MTU = 1400


def clip(name: str) -> bytes:
    return (resources.files("fleetctl.sim") / "assets" / name).read_bytes()


def split_annexb(data: bytes) -> list[bytes]:
    nals, i = [], data.find(b"\x00\x00\x01")
    while i >= 0:
        nxt = data.find(b"\x00\x00\x01", i + 3)
        nal = data[i + 3 : len(data) if nxt < 0 else nxt]
        nals.append(nal.rstrip(b"\x00") if nxt >= 0 else nal)
        i = nxt
    return nals


def nal_type(nal: bytes, codec: str) -> int:
    return (nal[0] >> 1) & 0x3F if codec == "H265" else nal[0] & 0x1F


def access_units(nals: list[bytes], codec: str) -> list[list[bytes]]:
    """Group NALs into pictures: a VCL NAL starting a new picture closes the previous one."""
    units: list[list[bytes]] = [[]]
    for nal in nals:
        t = nal_type(nal, codec)
        vcl = t < 32 if codec == "H265" else 1 <= t <= 5
        if vcl:
            first = nal[2] & 0x80 if codec == "H265" else nal[1] & 0x80
            if first and any(_is_vcl(n, codec) for n in units[-1]):
                units.append([])
        units[-1].append(nal)
    return [u for u in units if u]


def _is_vcl(nal: bytes, codec: str) -> bool:
    t = nal_type(nal, codec)
    return t < 32 if codec == "H265" else 1 <= t <= 5


def payloads(unit: list[bytes], codec: str, *, aggregate: bool = True) -> list[bytes]:
    """RTP payloads of one access unit: small non-VCL NALs in one STAP-A/AP, big ones in FUs."""
    out: list[bytes] = []
    small = [n for n in unit if not _is_vcl(n, codec) and len(n) < 300] if aggregate else []
    if len(small) > 1:
        if codec == "H265":
            out.append(bytes([48 << 1, 1]) + b"".join(struct.pack(">H", len(n)) + n for n in small))
        else:
            out.append(bytes([24]) + b"".join(struct.pack(">H", len(n)) + n for n in small))
    for nal in unit:
        if len(small) > 1 and nal in small:
            continue
        if len(nal) <= MTU:
            out.append(nal)
            continue
        if codec == "H265":
            t, head, body = (
                nal_type(nal, codec),
                bytes([(nal[0] & 0x81) | (49 << 1), nal[1]]),
                nal[2:],
            )
            chunks = [body[i : i + MTU] for i in range(0, len(body), MTU)]
            for k, chunk in enumerate(chunks):
                fu = t | (0x80 if k == 0 else 0) | (0x40 if k == len(chunks) - 1 else 0)
                out.append(head + bytes([fu]) + chunk)
        else:
            t, body = nal[0] & 0x1F, nal[1:]
            chunks = [body[i : i + MTU] for i in range(0, len(body), MTU)]
            for k, chunk in enumerate(chunks):
                fu = t | (0x80 if k == 0 else 0) | (0x40 if k == len(chunks) - 1 else 0)
                out.append(bytes([(nal[0] & 0xE0) | 28, fu]) + chunk)
    return out


def rtp_packets(
    units: list[list[bytes]],
    codec: str,
    *,
    seq: int = 1000,
    ts_step: int = 3600,
    aggregate: bool = True,
) -> Iterator[bytes]:
    """RTP packets (PT 96) of the given access units, marker on each unit's last packet."""
    ts = 90000
    for unit in units:
        pls = payloads(unit, codec, aggregate=aggregate)
        for k, pl in enumerate(pls):
            marker = 0x80 if k == len(pls) - 1 else 0
            yield (
                struct.pack(">BBHII", 0x80, marker | 96, seq & 0xFFFF, ts & 0xFFFFFFFF, 0x1234) + pl
            )
            seq += 1
        ts += ts_step


def interleave(pkt: bytes, channel: int = 0) -> bytes:
    return struct.pack(">cBH", b"$", channel, len(pkt)) + pkt
