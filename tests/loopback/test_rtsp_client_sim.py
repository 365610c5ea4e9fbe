"""The RTSP client against the simulator's RTSP server: every vendor flavour and stream fault.

Real sockets on 127.16.x.y, the sim's real H.264/H.265 RTP. Rates are compared with the
configured encoder settings with wide margins (a loaded CI box delays timers, it does not
invent frames); counts that do not depend on time are asserted exactly.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from fleetctl.adapters.rtsp.client import probe_rtsp_noauth, probe_stream
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import NAT_BASE, SimCamera, Vendor, address_for
from fleetctl.sim.rtsp.server import default_library, start_rtsp
from fleetctl.sim.vendors.flavours import make_camera

USER, PASSWORD = "fleet", "Tr@m:Ch/ua%20"  # breaks any client that puts it in the URL
CRED = Credential("fleet", USER, Secret(PASSWORD))
Start = Callable[..., Awaitable[tuple[SimCamera, str]]]


@pytest.fixture
async def camera() -> AsyncIterator[Start]:
    servers = []
    count = 0

    async def start(vendor: Vendor, *faults: str, sub: bool = True) -> tuple[SimCamera, str]:
        nonlocal count
        index = 6100 + count
        count += 1
        cam = make_camera(
            index,
            f"rtsp-{index}",
            "lab",
            address_for(index),
            vendor,
            random.Random(index),
            USER,
            PASSWORD,
            rtsp_port=0,
        )
        cam.faults = set(faults)
        server = await start_rtsp(cam, default_library())
        servers.append(server)
        cam.rtsp_port = server.sockets[0].getsockname()[1] if server.sockets else 0
        path = cam.profiles[1 if sub else 0].stream_path
        return cam, f"rtsp://{cam.host}:{cam.rtsp_port}{path}"

    yield start
    for s in servers:
        s.close()


@pytest.mark.parametrize("vendor", list(Vendor))
async def test_healthy_stream_per_vendor(camera: Start, vendor: Vendor) -> None:
    # Axis: the sim matches the sub-stream URL (main's query + &resolution=) to the main profile,
    # so the main stream is the unambiguous one there.
    sub = vendor is not Vendor.AXIS
    cam, uri = await camera(vendor, sub=sub)
    enc = cam.profiles[1 if sub else 0].encoder
    probe = await probe_stream(uri, CRED, window_s=1.0, timeout_s=5)
    assert probe.ok, probe.error
    assert (probe.codec, probe.width, probe.height) == (enc.encoding, enc.width, enc.height)
    assert probe.fps is not None and 0.6 * enc.fps <= probe.fps <= 1.4 * enc.fps
    assert probe.bitrate_kbps is not None and probe.bitrate_kbps >= 0.5 * enc.bitrate_kbps
    assert probe.distinct_payloads >= probe.frames - 1 and probe.seq_gaps == 0
    assert not probe.unauthenticated and probe.uri == uri
    assert cam.counters.rtsp_sessions >= 1


async def test_main_stream_size_from_sps(camera: Start) -> None:
    _, uri = await camera(Vendor.HIKVISION, sub=False)
    probe = await probe_stream(uri, CRED, window_s=0.5, timeout_s=5)
    assert probe.ok, probe.error
    assert (probe.width, probe.height) == (2688, 1520)


async def test_frozen(camera: Start) -> None:
    _, uri = await camera(Vendor.DAHUA, "frozen")
    probe = await probe_stream(uri, CRED, window_s=1.0, timeout_s=5)
    assert probe.ok and probe.frames >= 3
    assert probe.distinct_payloads <= max(1, probe.frames // 10)


async def test_no_video(camera: Start) -> None:
    _, uri = await camera(Vendor.HIKVISION, "no_video")
    probe = await probe_stream(uri, CRED, window_s=0.5, timeout_s=1.5)
    assert (probe.ok, probe.stage, probe.packets, probe.failure) == (False, "rtp", 0, None)


async def test_low_fps(camera: Start) -> None:
    cam, uri = await camera(Vendor.HIKVISION, "low_fps")
    probe = await probe_stream(uri, CRED, window_s=1.0, timeout_s=5)
    assert probe.ok and probe.fps is not None
    assert probe.fps < 0.5 * cam.profiles[1].encoder.fps


async def test_rtsp_down_is_refused(camera: Start) -> None:
    cam, _ = await camera(Vendor.HIKVISION, "rtsp_down")
    # A bound-but-not-listening socket: its port is in cam.rtsp_port only if the OS gave one.
    uri = f"rtsp://{cam.host}:{cam.rtsp_port or 1}/Streaming/Channels/102"
    probe = await probe_stream(uri, CRED, window_s=0.5, timeout_s=3)
    assert (probe.ok, probe.failure, probe.stage) == (False, Failure.REFUSED, "connect")


@pytest.mark.parametrize("vendor", [Vendor.HIKVISION, Vendor.AXIS])
async def test_wrong_password_is_auth(camera: Start, vendor: Vendor) -> None:
    _, uri = await camera(vendor)
    probe = await probe_stream(
        uri, Credential("fleet", USER, Secret("wrong")), window_s=0.5, timeout_s=5
    )
    assert (probe.ok, probe.failure) == (False, Failure.AUTH)
    assert "wrong" not in (probe.error or "") and PASSWORD not in (probe.error or "")


async def test_nat_camera_dialled_at_inventory_host(camera: Start) -> None:
    cam, uri = await camera(Vendor.GENERIC)
    nat = uri.replace(cam.host, address_for(6100, NAT_BASE))
    probe = await probe_stream(nat, CRED, window_s=0.5, timeout_s=5, host_override=cam.host)
    assert probe.ok, probe.error


async def test_noauth_probe_says_the_sim_demands_credentials(camera: Start) -> None:
    _, uri = await camera(Vendor.DAHUA)
    assert await probe_rtsp_noauth(uri, timeout_s=3) is False
