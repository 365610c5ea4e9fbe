"""The simulator's H.264/H.265 handling: clips, access units, RFC 6184/7798 packets, filler.

The depacketizer here is written from the RFCs, independently of ``fleetctl.sim.rtsp.h264``; FFmpeg
(PyAV) then decodes what it reassembles, filler NAL units included.
"""

from __future__ import annotations

import struct

import av
import pytest
from av.video.codeccontext import VideoCodecContext

from fleetctl.sim.rtsp.h264 import (
    H264,
    H265,
    MAX_PAYLOAD,
    Clip,
    Track,
    default_library,
    filler_nal,
    nal_type,
    rtp_payloads,
)

CLIPS = [
    "2688x1520.h264",
    "2560x1440.h264",
    "1920x1080.h264",
    "1280x720.h264",
    "704x576.h264",
    "640x480.h264",
    "640x360.h264",
    "1920x1080.h265",
    "640x360.h265",
]


def _clip(name: str) -> Clip:
    size, _, ext = name.partition(".")
    w, h = (int(v) for v in size.split("x"))
    clip = default_library().clip_for("H265" if ext == "h265" else "H264", w, h)
    assert clip.name == name
    return clip


def _depacketize(payloads: list[bytes], codec: str) -> list[bytes]:
    """NAL units from RTP payloads: single NAL units and FU-A (H.264) / FU (H.265)."""
    nals: list[bytes] = []
    current = bytearray()
    for p in payloads:
        if codec == H264 and p[0] & 0x1F == 28:
            if p[1] & 0x80:
                current = bytearray([(p[0] & 0xE0) | (p[1] & 0x1F)])
            current += p[2:]
            if p[1] & 0x40:
                nals.append(bytes(current))
        elif codec == H265 and (p[0] >> 1) & 0x3F == 49:
            if p[2] & 0x80:
                current = bytearray([(p[0] & 0x81) | ((p[2] & 0x3F) << 1), p[1]])
            current += p[3:]
            if p[2] & 0x40:
                nals.append(bytes(current))
        else:
            nals.append(p)
    return nals


@pytest.mark.parametrize("name", CLIPS)
def test_every_clip_is_a_two_second_gop_with_parameter_sets_first(name: str) -> None:
    clip = _clip(name)
    assert len(clip.units) == 50
    assert [u.keyframe for u in clip.units] == [True] + [False] * 49
    first = [nal_type(n, clip.codec) for n in clip.units[0].nals]
    assert first[: len(clip.parameter_sets)] == ([32, 33, 34] if clip.codec == H265 else [7, 8])


def test_access_units_keep_multi_slice_frames_together() -> None:
    # x264 cut the 1080p frames in two slices: both belong to one access unit.
    clip = _clip("1920x1080.h264")
    slices = [sum(1 for n in u.nals if nal_type(n, H264) in (1, 5)) for u in clip.units]
    assert set(slices) == {2}


@pytest.mark.parametrize("codec", [H264, H265])
@pytest.mark.parametrize("size", [3, 100, MAX_PAYLOAD, MAX_PAYLOAD + 1, 10_000])
def test_fragmentation_round_trips_and_respects_the_mtu(codec: str, size: int) -> None:
    nal = filler_nal(size, codec)
    assert len(nal) == size and nal_type(nal, codec) == (38 if codec == H265 else 12)
    payloads = rtp_payloads(nal, codec)
    assert all(len(p) <= MAX_PAYLOAD for p in payloads)
    assert _depacketize(payloads, codec) == [nal]
    assert (len(payloads) == 1) == (size <= MAX_PAYLOAD)


@pytest.mark.parametrize("name", ["1280x720.h264", "640x360.h265"])
def test_ffmpeg_decodes_the_padded_track_reassembled_from_rtp(name: str) -> None:
    clip = _clip(name)
    track = default_library().track(clip, 8192, 25.0, 0)
    assert track.filler_bytes > 30_000
    stream = bytearray()
    for unit in track.units:
        payloads, pos, template = [], 0, unit.render(1, 2, 3)
        while pos < len(template):
            (size,) = struct.unpack_from(">H", template, pos + 2)
            payloads.append(bytes(template[pos + 4 + 12 : pos + 4 + size]))
            pos += 4 + size
        for nal in _depacketize(payloads, clip.codec):
            stream += b"\x00\x00\x00\x01" + nal
    codec = "hevc" if clip.codec == H265 else "h264"
    decoder = av.CodecContext.create(codec, "r")
    assert isinstance(decoder, VideoCodecContext)
    packets = decoder.parse(bytes(stream)) + decoder.parse(None)  # None flushes the parser
    frames = [f for p in packets for f in decoder.decode(p)]
    frames += decoder.decode(None)
    assert len(frames) == 50
    assert {(f.width, f.height) for f in frames} == {(clip.width, clip.height)}


def test_tracks_are_shared_and_padding_meets_the_bitrate() -> None:
    lib = default_library()
    clip = _clip("1920x1080.h264")
    a, b = lib.track(clip, 4096, 25.0, 0), lib.track(clip, 4096, 25.0, 0)
    assert a is b  # 2,000 cameras on one setting share one copy of the packets
    per_frame = 4096 * 1000 / 8 / 25
    average = clip.average_au_bytes + a.filler_bytes
    assert per_frame - 64 <= average <= per_frame
    below = lib.track(clip, 8, 25.0, 0)  # below the clip's own rate: no filler at all
    assert below.filler_bytes == 0 and isinstance(below, Track)


def test_closest_clip_and_codec_fallback() -> None:
    lib = default_library()
    assert lib.clip_for("H264", 2592, 1944).name == "2688x1520.h264"
    assert lib.clip_for("H264", 800, 600).name == "704x576.h264"
    assert lib.clip_for("JPEG", 640, 360).name == "640x360.h264"  # no MJPEG: H.264, as the SDP says
    assert lib.clip_for("H265", 1920, 1080).codec == H265
