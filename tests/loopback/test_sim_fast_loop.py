"""`fleetctl sim` runs on uvloop when installed (sim/loop.py): clients must not tell the difference.

The rest of the simulator's suite runs on pytest's asyncio loop; these tests run the fleet on
the loop ``fleetctl.sim.loop.run`` picks, and check what depends on the loop's transports:
third-party clients (onvif-zeep-async, FFmpeg through PyAV), a refused and a reset RTSP port,
flow control (a stalled reader makes the camera drop frames, then resume on a keyframe), the
HTTP fast path with a pipelined keep-alive connection, and the drip fault's byte-by-byte writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import av
import pytest
from onvif import ONVIFCamera
from support.sim_media import RawRtsp, make_cam, nal_types, rtp_fields, rtsp_camera, url

from fleetctl.sim import loop as simloop
from fleetctl.sim.fleet import SimFleet

uvloop = pytest.importorskip("uvloop")

STREAM_SETUP = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}


def on_sim_loop(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` as `fleetctl sim` runs its fleet, and check that the loop is uvloop."""

    async def checked() -> None:
        if not type(asyncio.get_running_loop()).__module__.startswith("uvloop"):
            coro.close()
            pytest.fail("fleetctl.sim.loop.run did not pick uvloop")
        await coro

    simloop.run(checked())


@pytest.fixture(autouse=True)
def _no_loop_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(simloop.ENV, raising=False)  # a developer's setting must not skip these


def test_the_loop_is_uvloop_unless_the_environment_says_asyncio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def name() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert simloop.run(name()).startswith("uvloop") and simloop.loop_name() == "uvloop"
    monkeypatch.setenv(simloop.ENV, "asyncio")
    assert simloop.run(name()).startswith("asyncio") and simloop.loop_name() == "asyncio"


def _decode(address: str, count: int) -> list[tuple[int, int]]:
    options = {"rtsp_transport": "tcp", "analyzeduration": "100000", "probesize": "32768"}
    with av.open(address, options=options, timeout=10.0) as container:
        frames = []
        for frame in container.decode(container.streams.video[0]):
            frames.append((frame.width, frame.height))
            if len(frames) >= count:
                return frames
    return frames


def test_third_party_clients_and_http_faults_on_uvloop() -> None:
    async def scenario() -> None:
        # 0: Hikvision WS-Security, 1: Dahua (drip), 5: Hikvision with HTTP Digest.
        async with SimFleet(cameras=6, seed=3, discovery=False, assign={1: {"drip"}}) as fleet:
            cam = fleet.cameras[0]
            user, password = fleet.credentials
            client = ONVIFCamera(cam.host, cam.onvif_port, user, password)
            try:
                await client.update_xaddrs()
                info = await (await client.create_devicemgmt_service()).GetDeviceInformation()
                media = await client.create_media_service()
                profiles = await media.GetProfiles()
                uri = await media.GetStreamUri(
                    {"ProfileToken": profiles[0].token, "StreamSetup": STREAM_SETUP}
                )
            finally:
                await client.close()
            assert (info.Manufacturer, info.SerialNumber) == (cam.manufacturer, cam.serial)
            assert uri.Uri == f"rtsp://{cam.host}:{cam.rtsp_port}{cam.profiles[0].stream_path}"
            # FFmpeg plays what the camera advertised (credentials in the URL, as scripts do).
            address = uri.Uri.replace("rtsp://", f"rtsp://{user}:{password}@")
            enc = cam.profiles[0].encoder
            frames = await asyncio.to_thread(_decode, address, 5)
            assert frames == [(enc.width, enc.height)] * 5
            # Pipelined keep-alive requests, answered in order from the synchronous fast path.
            reader, writer = await asyncio.open_connection(cam.host, cam.onvif_port)
            writer.write(
                b"GET /onvif/device_service HTTP/1.1\r\n\r\n" * 2
                + b"GET /nothing HTTP/1.1\r\nConnection: close\r\n\r\n"
            )
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            assert [
                line.split(b" ")[1] for line in data.split(b"\r\n") if line.startswith(b"HTTP/1.1")
            ] == [b"405", b"405", b"404"]
            # The drip fault still writes byte by byte: the head arrives in pieces.
            dripping = fleet.cameras[1]
            reader, writer = await asyncio.open_connection(dripping.host, dripping.onvif_port)
            body = (
                b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>'
                b'<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>'
                b"</e:Body></e:Envelope>"
            )
            writer.write(
                b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            first = await asyncio.wait_for(reader.read(100), 5)
            writer.close()
            assert 0 < len(first) < 10  # a byte per 0.1 s: far from the whole reply

    on_sim_loop(scenario())


def test_refused_reset_and_flow_control_on_uvloop() -> None:
    async def scenario() -> None:
        down = make_cam(faults={"rtsp_down"})
        async with rtsp_camera(down):
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection(down.host, down.rtsp_port)
        cam = make_cam(main=(640, 360, 50.0, 40_000))  # 100 KB frames fill buffers fast
        cam.profiles[0].encoder.gop = 10
        async with rtsp_camera(cam):
            client = await RawRtsp.connect(cam)
            await client.play(cam)
            while cam.counters.rtsp_frames_dropped == 0:  # we do not read: wait for the signal
                await asyncio.sleep(0.02)
            previous = rtp_fields((await client.access_unit())[0])[2]
            for _ in range(200):
                unit = await client.access_unit()
                stamp = rtp_fields(unit[0])[2]
                if (stamp - previous) % 2**32 > 90_000 // 50:
                    break
                previous = stamp
            else:
                pytest.fail("frames were dropped, so the timestamps must jump")
            assert nal_types(unit)[:2] == [7, 8], "after a drop the stream resumes on a keyframe"
            cam.online = False  # a reboot: the session is cut with a TCP reset (SO_LINGER 0)
            with pytest.raises(ConnectionResetError):
                while True:
                    await client.access_unit()
            await client.close()
            late = await RawRtsp.connect(cam)  # still down: a new connection is reset too
            with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
                await late.request("OPTIONS", url(cam, userinfo=False))
            await late.close()

    on_sim_loop(scenario())
