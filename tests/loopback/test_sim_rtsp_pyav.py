"""Fidelity: FFmpeg (through PyAV), a client nobody here wrote, plays the simulator's RTSP.

If FFmpeg and the simulator disagree, the simulator is wrong. Each vendor flavour is played:
Digest only (Hikvision), a query-string path and the User-Agent quirk (Dahua), Basic offered
beside Digest (Axis), live555-like granted channels 4-5 (generic), and H.265.
"""

from __future__ import annotations

import asyncio

import av
import pytest
from support.sim_media import make_cam, rtsp_camera, url

from fleetctl.sim.camera.model import Vendor

FRAMES = 12


def _decode(address: str, count: int, tcp: bool = True) -> list[tuple[int, int, str]]:
    """Open the stream as ffplay would and decode ``count`` frames.

    ``tcp=False`` leaves FFmpeg's default: it asks for UDP first, gets 461 and retries over TCP.
    """
    got: list[tuple[int, int, str]] = []
    # A short probe: FFmpeg otherwise watches a second of stream to guess the frame rate.
    options = {"analyzeduration": "100000", "probesize": "32768"}
    if tcp:
        options["rtsp_transport"] = "tcp"
    with av.open(address, options=options, timeout=10.0) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            got.append((frame.width, frame.height, stream.codec_context.name))
            if len(got) >= count:
                break
    return got


@pytest.mark.parametrize(
    ("vendor", "profile", "size"),
    [
        (Vendor.HIKVISION, 0, (1920, 1080)),
        (Vendor.DAHUA, 1, (704, 576)),
        (Vendor.AXIS, 1, (640, 360)),
        (Vendor.GENERIC, 0, (1280, 720)),
    ],
    ids=lambda v: (
        v.value
        if isinstance(v, Vendor)
        else f"{v[0]}x{v[1]}"
        if isinstance(v, tuple)
        else f"profile{v}"
    ),
)
async def test_ffmpeg_decodes_each_flavour(
    vendor: Vendor, profile: int, size: tuple[int, int]
) -> None:
    w, h = size
    cam = make_cam(vendor, main=(w, h, 25.0, 2048), sub=(w, h, 25.0, 512))
    async with rtsp_camera(cam):
        frames = await asyncio.to_thread(_decode, url(cam, profile), FRAMES)
    assert frames == [(w, h, "h264")] * FRAMES
    assert cam.counters.rtsp_sessions == 1
    assert cam.counters.rtsp_packets > FRAMES


async def test_ffmpeg_decodes_h265_after_an_encoder_change() -> None:
    cam = make_cam(Vendor.HIKVISION, main=(1920, 1080, 25.0, 4096))
    async with rtsp_camera(cam):
        before = await asyncio.to_thread(_decode, url(cam), 3)
        # What ONVIF SetVideoEncoderConfiguration does to the model: the next DESCRIBE shows it.
        cam.profiles[0].encoder.encoding = "H265"
        cam.profiles[0].encoder.width, cam.profiles[0].encoder.height = 640, 360
        after = await asyncio.to_thread(_decode, url(cam), FRAMES)
    assert before == [(1920, 1080, "h264")] * 3
    assert after == [(640, 360, "hevc")] * FRAMES


async def test_ffmpeg_default_transport_falls_back_from_udp_to_tcp() -> None:
    cam = make_cam(Vendor.AXIS, main=(1280, 720, 25.0, 1024))
    async with rtsp_camera(cam):
        frames = await asyncio.to_thread(_decode, url(cam), 5, False)
    assert frames == [(1280, 720, "h264")] * 5
