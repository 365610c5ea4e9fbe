"""What the simulator's RTP stream carries, and each stream fault as a client sees it.

No timing assertions: rates are checked through RTP timestamps and bytes per access unit,
which the server sets, not through the wall clock of a loaded CI machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import struct
import time

import pytest
from support.sim_media import (
    RawRtsp,
    digest,
    make_cam,
    nal_types,
    rtp_fields,
    rtsp_camera,
    url,
)

FPS = 50.0  # fast enough that a GOP takes a second, slow enough for a 2-core CI box


def _payload_digest(packets: list[bytes]) -> str:
    return hashlib.sha256(b"".join(p[12:] for p in packets)).hexdigest()


async def test_rtp_framing_keyframe_first_timestamps_and_bitrate() -> None:
    cam = make_cam(main=(1280, 720, FPS, 2048))
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        setup, _ = await client.play(cam)
        units = [await client.access_unit() for _ in range(int(FPS))]  # one GOP = one clip loop
        await client.close()
    ssrc = int(setup.headers["transport"].split("ssrc=")[1].split(";")[0], 16)
    packets = [p for unit in units for p in unit]
    fields = [rtp_fields(p) for p in packets]
    assert {f[3] for f in fields} == {ssrc}
    assert all((b[1] - a[1]) % 65536 == 1 for a, b in itertools.pairwise(fields))
    assert all(p[0] == 0x80 and p[1] & 0x7F == 96 for p in packets)
    # Marker bit exactly on the last packet of each access unit; one timestamp per unit.
    for unit in units:
        marks = [rtp_fields(p)[0] for p in unit]
        assert marks == [False] * (len(unit) - 1) + [True]
        assert len({rtp_fields(p)[2] for p in unit}) == 1
    stamps = [rtp_fields(u[0])[2] for u in units]
    assert {(b - a) % 2**32 for a, b in itertools.pairwise(stamps)} == {90_000 // 50}
    # SPS and PPS precede the IDR; P-slices after; filler NAL units pad to the bitrate.
    assert nal_types(units[0])[:3] == [7, 8, 6] and 5 in nal_types(units[0])
    assert 1 in nal_types(units[1]) and nal_types(units[1])[-1] == 12
    payload = sum(len(p) - 12 for p in packets)
    kbps = payload * 8 / (len(units) / FPS) / 1000
    assert 2048 * 0.95 < kbps < 2048 * 1.05
    assert cam.counters.rtsp_packets >= len(packets)


async def test_healthy_video_changes_frozen_video_repeats() -> None:
    live, frozen = make_cam(main=(640, 360, FPS, 512)), make_cam(main=(640, 360, FPS, 512))
    frozen.faults.add("frozen")
    digests = {}
    for cam in (live, frozen):
        async with rtsp_camera(cam):
            client = await RawRtsp.connect(cam)
            await client.play(cam)
            units = [await client.access_unit() for _ in range(6)]
            await client.close()
        digests[cam.name] = [_payload_digest(u) for u in units]
        stamps = [rtp_fields(u[0])[2] for u in units]
        assert len(set(stamps)) == 6  # time still advances on a frozen camera
    assert len(set(digests[live.name])) == 6
    assert len(set(digests[frozen.name])) == 1


async def test_low_fps_runs_at_a_quarter_of_the_configured_rate() -> None:
    cam = make_cam(main=(640, 360, FPS, 512), faults={"low_fps"})
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        await client.play(cam)
        stamps = [rtp_fields((await client.access_unit())[0])[2] for _ in range(3)]
        await client.close()
    assert {(b - a) % 2**32 for a, b in itertools.pairwise(stamps)} == {int(90_000 * 4 / FPS)}


async def test_no_video_plays_but_sends_nothing() -> None:
    healthy, silent = make_cam(), make_cam(faults={"no_video"})
    seen = {}
    for cam in (healthy, silent):
        async with rtsp_camera(cam):
            client = await RawRtsp.connect(cam)
            _, play = await client.play(cam)
            # The first frame is written right after the PLAY reply, so on a healthy camera it
            # always precedes the reply to this request.
            keepalive = await client.request("OPTIONS", url(cam, userinfo=False))
            await client.close()
        assert (play.status, keepalive.status) == (200, 200)
        seen[cam.name] = (len(client.frames), cam.counters.rtsp_packets)
    assert seen[healthy.name][0] > 0 and seen[healthy.name][1] > 0
    assert seen[silent.name] == (0, 0)


async def test_rtsp_down_refuses_connections() -> None:
    cam = make_cam(faults={"rtsp_down"})
    async with rtsp_camera(cam) as server:
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(cam.host, cam.rtsp_port)
        # The fault cleared: the same server starts listening.
        cam.faults.discard("rtsp_down")
        await server.start_serving()
        client = await RawRtsp.connect(cam)
        assert (await client.request("OPTIONS", url(cam, userinfo=False))).status == 200
        # Set again while running: a new connection is reset before any reply.
        cam.faults.add("rtsp_down")
        late = await RawRtsp.connect(cam)
        with pytest.raises(ConnectionResetError):
            await late.request("OPTIONS", url(cam, userinfo=False))
        await client.close()
        await late.close()


async def test_stream_stops_when_the_camera_goes_offline() -> None:
    cam = make_cam(main=(640, 360, FPS, 512))
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        await client.play(cam)
        await client.access_unit()
        cam.online = False  # a reboot or a flap
        with pytest.raises(ConnectionResetError):
            while True:
                await client.access_unit()
        await client.close()


async def test_resolution_change_ends_the_session_and_shows_in_the_next_describe() -> None:
    cam = make_cam(main=(1920, 1080, FPS, 2048))
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        await client.play(cam)
        first = await client.access_unit()
        cam.profiles[0].encoder.fps = FPS / 2  # fps changes in place...
        stamps = [rtp_fields((await client.access_unit())[0])[2] for _ in range(4)]
        cam.profiles[0].encoder.width, cam.profiles[0].encoder.height = 640, 360  # ...size restarts
        with pytest.raises(asyncio.IncompleteReadError):
            while True:
                await client.access_unit()
        await client.close()
        again = await RawRtsp.connect(cam)
        await again.play(cam)
        second = await again.access_unit()
        await again.close()
    assert int(90_000 / (FPS / 2)) in {(b - a) for a, b in itertools.pairwise(stamps)}
    sps_before, sps_after = _sps(first), _sps(second)
    assert sps_before != sps_after


def _sps(unit: list[bytes]) -> bytes:
    return next(p[12:] for p in unit if p[12] & 0x1F == 7)


async def test_stalled_client_makes_the_camera_drop_frames_then_resume_on_a_keyframe() -> None:
    # 40 Mbit/s at 50 fps: 100 KB a frame fills the socket buffers within a few frames.
    cam = make_cam(main=(640, 360, FPS, 40_000))
    cam.profiles[0].encoder.gop = 10  # keyframes every 0.2 s: the resume comes quickly
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        await client.play(cam)
        while cam.counters.rtsp_frames_dropped == 0:  # we do not read: wait for the signal
            await asyncio.sleep(0.02)
        # Drain what was buffered up to the first timestamp jump: the frames the camera dropped.
        previous = rtp_fields((await client.access_unit())[0])[2]
        for _ in range(int(FPS) * 4):
            unit = await client.access_unit()
            stamp = rtp_fields(unit[0])[2]
            if (stamp - previous) % 2**32 > 90_000 // 50:
                break
            previous = stamp
        else:
            pytest.fail("frames were dropped, so the timestamps must jump")
        await client.close()
    assert nal_types(unit)[:2] == [7, 8], "after a drop the stream resumes on a keyframe"


async def test_hang_accepts_but_never_answers() -> None:
    cam = make_cam(faults={"hang"})
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.request("OPTIONS", url(cam, userinfo=False)), 0.3)
        await client.close()


async def test_pause_stops_and_play_resumes_on_a_keyframe() -> None:
    cam = make_cam(main=(640, 360, FPS, 512))
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        setup, _ = await client.play(cam)
        await client.access_unit()
        await client.access_unit()  # now mid-GOP
        session = {"Session": setup.headers["session"].partition(";")[0]}
        target = url(cam, userinfo=False)
        challenge = (await client.request("GET_PARAMETER", target)).headers["www-authenticate"]
        paused = await client.request(
            "PAUSE", target, {**digest(challenge, "PAUSE", target), **session}
        )
        client.frames.clear()
        quiet = await client.request("OPTIONS", target)
        assert client.frames == [] and (paused.status, quiet.status) == (200, 200)
        resumed = await client.request(
            "PLAY", target, {**digest(challenge, "PLAY", target), **session}
        )
        unit = await client.access_unit()
        await client.close()
    assert resumed.status == 200
    assert nal_types(unit)[:2] == [7, 8]


async def test_a_short_configured_gop_brings_keyframes_sooner() -> None:
    cam = make_cam(main=(640, 360, FPS, 512))
    cam.profiles[0].encoder.gop = 5
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        await client.play(cam)
        keys = [5 in nal_types(await client.access_unit()) for _ in range(11)]
        await client.close()
    assert keys == [True, False, False, False, False] * 2 + [True]


async def test_rtcp_sender_report_carries_the_camera_clock() -> None:
    cam = make_cam(main=(640, 360, FPS, 512))
    cam.clock_offset_s = 3600.0  # an hour fast: the SR says so, as a drifting camera's does
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        setup, _ = await client.play(cam)
        first = await client.access_unit()
        await client.access_unit()  # the SR follows the first access unit
        await client.close()
    ssrc = int(setup.headers["transport"].split("ssrc=")[1].split(";")[0], 16)
    [(channel, sr)] = client.rtcp
    version, pt, length, sender, ntp_s, _, rtptime, packets, octets = struct.unpack(
        ">BBHIIIIII", sr
    )
    assert (channel, version >> 6, pt, length, sender) == (1, 2, 200, 6, ssrc)
    assert rtptime == rtp_fields(first[0])[2]
    assert (packets, octets) == (len(first), sum(len(p) - 12 for p in first))
    assert abs(ntp_s - 2_208_988_800 - time.time() - 3600.0) < 60


async def test_no_rtcp_on_a_bare_granted_channel() -> None:
    cam = make_cam(main=(640, 360, FPS, 512))
    cam.rtsp_interleaved = "0"
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        await client.play(cam)
        for _ in range(3):
            await client.access_unit()
        await client.close()
    assert client.rtcp == []
