"""RTP header parsing, H.264/H.265 frame and keyframe counting, SPS sizes: pure, on real clips."""

from __future__ import annotations

import base64
import struct

import pytest
from support.rtp_packets import access_units, clip, nal_type, rtp_packets, split_annexb

from fleetctl.adapters.rtsp.rtp import VideoCounter, parse_header
from fleetctl.adapters.rtsp.sps import parse_sps, sps_from_fmtp, unescape_rbsp

H264_CLIPS = [
    ("640x360.h264", 640, 360),
    ("704x576.h264", 704, 576),
    ("1280x720.h264", 1280, 720),
    ("1920x1080.h264", 1920, 1080),
    ("2688x1520.h264", 2688, 1520),
]
H265_CLIPS = [("640x360.h265", 640, 360), ("1920x1080.h265", 1920, 1080)]


def _sps(name: str, codec: str) -> bytes:
    return next(
        n for n in split_annexb(clip(name)) if nal_type(n, codec) == (33 if codec == "H265" else 7)
    )


@pytest.mark.parametrize(("name", "w", "h"), H264_CLIPS)
def test_h264_sps_size_from_recorded_clip(name: str, w: int, h: int) -> None:
    # 1080 and 1520 are not multiples of 16: the frame_cropping path must be right.
    assert parse_sps(_sps(name, "H264"), "H264") == (w, h)


@pytest.mark.parametrize(("name", "w", "h"), H265_CLIPS)
def test_h265_sps_size_from_recorded_clip(name: str, w: int, h: int) -> None:
    assert parse_sps(_sps(name, "H265"), "H265") == (w, h)


@pytest.mark.parametrize(
    ("hexsps", "size"),
    [
        # libx264 High profile (chroma_format_idc and bit depths present), recorded with PyAV.
        ("67640028acd940780227e584000003000400000300c83c60c658", (1920, 1080)),
        ("6764000dacd941609684000003000400000300c83c50a658", (352, 288)),
    ],
)
def test_h264_high_profile_sps(hexsps: str, size: tuple[int, int]) -> None:
    assert parse_sps(bytes.fromhex(hexsps), "H264") == size


def test_emulation_prevention_bytes_removed() -> None:
    assert (
        unescape_rbsp(b"\x00\x00\x03\x01\x00\x00\x03\x00\x00\x03")
        == b"\x00\x00\x01\x00\x00\x00\x00"
    )
    assert unescape_rbsp(b"\x01\x00\x03") == b"\x01\x00\x03"  # one zero is not a prevention


def test_sps_garbage_is_none_not_an_exception() -> None:
    assert parse_sps(b"\x67", "H264") is None
    assert parse_sps(b"\x67\x00\x00\x00\x00", "H264") is None
    assert parse_sps(b"\x42\x01\xff", "H265") is None


def test_sps_from_sdp_fmtp() -> None:
    sps = _sps("1280x720.h264", "H264")
    fmtp = (
        "packetization-mode=1;profile-level-id=4d401f;sprop-parameter-sets="
        + base64.b64encode(sps).decode().rstrip("=")
        + ",aO48gA=="
    )
    got = sps_from_fmtp(fmtp, "H264")
    assert got == sps and parse_sps(got, "H264") == (1280, 720)
    assert sps_from_fmtp("packetization-mode=1", "H264") is None
    h265 = _sps("640x360.h265", "H265")
    assert (
        sps_from_fmtp(f"sprop-vps=QAE=; sprop-sps={base64.b64encode(h265).decode()}", "H265")
        == h265
    )


def test_rtp_header_with_csrc_extension_and_padding() -> None:
    # V=2 P=1 X=1 CC=1, marker, PT 96; one CSRC; one-word extension; 3 bytes of padding.
    pkt = (
        struct.pack(">BBHII", 0xB1, 0xE0, 7, 1234, 99)
        + b"\x00\x00\x00\x01"
        + b"\xbe\xde\x00\x01"
        + b"XXXX"
        + b"\x65\x88"
        + b"\x00\x00\x03"
    )
    hdr = parse_header(pkt)
    assert hdr is not None and hdr.marker and hdr.payload_type == 96 and hdr.seq == 7
    assert pkt[hdr.payload_start : hdr.payload_end] == b"\x65\x88"
    assert parse_header(b"\x40" + bytes(20)) is None  # RTP version 1
    assert parse_header(pkt[:10]) is None


@pytest.mark.parametrize("aggregate", [True, False])
@pytest.mark.parametrize(("name", "codec"), [("1280x720.h264", "H264"), ("640x360.h265", "H265")])
def test_counts_frames_keyframes_and_size(name: str, codec: str, aggregate: bool) -> None:
    units = access_units(split_annexb(clip(name)), codec)
    irap = {5} if codec == "H264" else set(range(16, 22))
    keyframes = sum(any(nal_type(n, codec) in irap for n in u) for u in units)
    pkts = list(rtp_packets(units, codec, aggregate=aggregate))
    c = VideoCounter(codec)
    for p in pkts:
        c.feed(p, 0, len(p))
    assert keyframes >= 1
    assert (c.frames, c.keyframes, c.packets, c.seq_gaps) == (len(units), keyframes, len(pkts), 0)
    assert c.bytes == sum(len(p) - 12 for p in pkts)
    assert (c.width, c.height) == tuple(int(x) for x in name.split(".")[0].split("x"))
    assert c.distinct_payloads == len(units)  # a live picture: every frame differs


def test_frozen_stream_has_one_distinct_payload() -> None:
    units = access_units(split_annexb(clip("640x360.h264")), "H264")
    frozen = [units[1]] * 30  # the same picture resent, as a stuck encoder does
    c = VideoCounter("H264")
    for p in rtp_packets(frozen, "H264"):
        c.feed(p, 0, len(p))
    assert c.frames == 30 and c.distinct_payloads == 1


def test_sequence_gaps_and_missing_marker() -> None:
    units = access_units(split_annexb(clip("640x360.h264")), "H264")[:10]
    pkts = list(rtp_packets(units, "H264"))
    del pkts[5]  # one lost packet
    c = VideoCounter("H264")
    for p in pkts:
        # Some encoders never set the marker: the timestamp change still closes the frame.
        q = bytes([p[0], p[1] & 0x7F]) + p[2:]
        c.feed(q, 0, len(q))
    assert c.seq_gaps == 1
    assert c.frames == 9  # the last frame stays open: no marker, no following timestamp


def test_sequence_wraps_without_a_gap() -> None:
    units = access_units(split_annexb(clip("640x360.h264")), "H264")[:5]
    c = VideoCounter("H264")
    for p in rtp_packets(units, "H264", seq=0xFFFE):
        c.feed(p, 0, len(p))
    assert c.seq_gaps == 0 and c.frames == 5


def test_feed_at_offsets_into_a_shared_buffer() -> None:
    units = access_units(split_annexb(clip("640x360.h264")), "H264")[:3]
    pkts = list(rtp_packets(units, "H264"))
    buf = bytearray(b"junk")
    spans = []
    for p in pkts:
        spans.append((len(buf), len(buf) + len(p)))
        buf += p
    c = VideoCounter("H264")
    for start, end in spans:
        c.feed(buf, start, end)
    assert c.frames == 3 and c.packets == len(pkts)


def test_truncated_and_foreign_packets_are_ignored() -> None:
    c = VideoCounter("H264")
    for junk in (b"", b"\x80\x60", b"\x00" * 40, b"GET / HTTP/1.1\r\n\r\n"):
        c.feed(junk, 0, len(junk))
    assert c.packets == 0 and c.frames == 0


def test_jpeg_stream_counts_frames_but_never_invents_keyframes() -> None:
    c = VideoCounter("JPEG")
    for seq in range(6):
        # RFC 2435 header whose first byte would read as an H.264 IDR (type 5) if misparsed.
        pkt = (
            struct.pack(">BBHII", 0x80, 0x80 | 26, seq, seq * 3600, 1)
            + b"\x05\x00\x00\x00"
            + bytes(20)
        )
        c.feed(pkt, 0, len(pkt))
    assert (c.frames, c.keyframes, c.width) == (6, 0, None)


def test_media_time_from_rtp_timestamps_including_wrap() -> None:
    units = access_units(split_annexb(clip("640x360.h264")), "H264")[:10]
    c = VideoCounter("H264")
    for p in rtp_packets(units, "H264", ts_step=3600):  # 25 fps on the 90 kHz clock
        # Start near 2**32: the span must survive the wrap.
        q = (
            p[:4]
            + ((int.from_bytes(p[4:8], "big") + 2**32 - 20_000) % 2**32).to_bytes(4, "big")
            + p[8:]
        )
        c.feed(q, 0, len(q))
    assert c.media_seconds() == pytest.approx(10 / 25)


def test_media_time_unknown_for_a_constant_clock() -> None:
    units = access_units(split_annexb(clip("640x360.h264")), "H264")[:5]
    c = VideoCounter("H264")
    for p in rtp_packets(units, "H264", ts_step=0):  # a broken camera that never advances it
        c.feed(p, 0, len(p))
    assert c.frames == 5 and c.media_seconds() is None
