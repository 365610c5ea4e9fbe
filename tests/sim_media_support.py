"""Test helper for the simulator's RTSP/SSH tests: cameras built by hand, servers as contexts.

Indexes >= 5000 and ports 18554 / 12222 keep these tests clear of other suites running at the
same time (each camera has its own loopback address, so several tests can share a port).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fleetctl.sim.h264 import default_library
from fleetctl.sim.model import (
    EncoderConfig,
    MediaProfile,
    SimCamera,
    Storage,
    User,
    Vendor,
    address_for,
)
from fleetctl.sim.rtsp import start_rtsp

RTSP_PORT, SSH_PORT = 18554, 12222
USER, PASSWORD = "fleet", "Fl33t-pass"
PATHS = {
    Vendor.HIKVISION: ("/Streaming/Channels/101", "/Streaming/Channels/102"),
    Vendor.DAHUA: ("/cam/realmonitor?channel=1&subtype=0", "/cam/realmonitor?channel=1&subtype=1"),
    Vendor.AXIS: (
        "/axis-media/media.amp?videocodec=h264&camera=1",
        "/axis-media/media.amp?videocodec=h264&camera=1&resolution=640x360",
    ),
    Vendor.GENERIC: ("/stream1", "/stream1_sub"),
}
_indexes = itertools.count(5000)


def make_cam(
    vendor: Vendor = Vendor.HIKVISION,
    main: tuple[int, int, float, int] = (1920, 1080, 25.0, 4096),
    sub: tuple[int, int, float, int] = (640, 360, 15.0, 512),
    faults: set[str] | None = None,
    storage: list[Storage] | None = None,
    index: int | None = None,
) -> SimCamera:
    """A camera with the fleet account ``USER``/``PASSWORD``; a fresh loopback address each call."""
    i = next(_indexes) if index is None else index
    profiles = [
        MediaProfile(
            f"Profile_{n + 1}",
            name,
            EncoderConfig(
                f"enc{n}", name, width=w, height=h, fps=fps, bitrate_kbps=kbps, gop=int(fps * 2)
            ),
            path,
        )
        for n, (name, (w, h, fps, kbps), path) in enumerate(
            (("main", main, PATHS[vendor][0]), ("sub", sub, PATHS[vendor][1]))
        )
    ]
    mac = f"ac:cc:8e:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
    return SimCamera(
        index=i,
        name=f"sim-media-{i}",
        site="lab",
        host=address_for(i),
        vendor=vendor,
        manufacturer=vendor.value.upper(),
        model="SIM-1",
        firmware="1.0",
        serial=f"SN{i:010d}",
        mac=mac,
        endpoint=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
        rtsp_port=RTSP_PORT,
        ssh_port=SSH_PORT,
        users={USER: User(USER, PASSWORD)},
        profiles=profiles,
        faults=set(faults or ()),
        storage=list(storage or ()),
    )


@asynccontextmanager
async def rtsp_camera(cam: SimCamera) -> AsyncIterator[asyncio.AbstractServer]:
    server = await start_rtsp(cam, default_library())
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()


def url(cam: SimCamera, profile: int = 0, userinfo: bool = True) -> str:
    auth = f"{USER}:{PASSWORD}@" if userinfo else ""
    return f"rtsp://{auth}{cam.host}:{cam.rtsp_port}{cam.profiles[profile].stream_path}"
