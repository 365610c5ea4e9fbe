"""The in-place RTP path over real sockets: several simulated cameras stream at once through the
one shared receive buffer, and each probe still sees exactly its own stream.

Real sockets on 127.16.x.y, the simulator's real RTP. Counts that do not depend on time (gaps,
distinct frames, sizes) are asserted exactly; rates only with the margins of a loaded box.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from fleetctl.adapters.rtsp.client import probe_stream
from fleetctl.adapters.rtsp.rtp import VideoCounter
from fleetctl.adapters.rtsp.wire import Receiver, RtspConnection
from fleetctl.core.models import Credential
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import SimCamera, Vendor, address_for
from fleetctl.sim.rtsp.server import default_library, start_rtsp
from fleetctl.sim.vendors.flavours import make_camera

USER, PASSWORD = "fleet", "Fa5t:p@th"
CRED = Credential("fleet", USER, Secret(PASSWORD))
Start = Callable[..., Awaitable[tuple[SimCamera, str]]]


@pytest.fixture
async def camera() -> AsyncIterator[Start]:
    servers: list[asyncio.AbstractServer] = []

    async def start(index: int, vendor: Vendor, *faults: str) -> tuple[SimCamera, str]:
        cam = make_camera(
            index,
            f"fast-{index}",
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
        assert isinstance(server, asyncio.Server)
        servers.append(server)
        cam.rtsp_port = server.sockets[0].getsockname()[1]
        return cam, f"rtsp://{cam.host}:{cam.rtsp_port}{cam.profiles[0].stream_path}"

    yield start
    for s in servers:
        s.close()


async def test_concurrent_main_streams_do_not_mix_in_the_shared_buffer(camera: Start) -> None:
    plan = [
        (Vendor.HIKVISION, ()),
        (Vendor.HIKVISION, ()),
        (Vendor.DAHUA, ()),
        (Vendor.HIKVISION, ("frozen",)),
        (Vendor.DAHUA, ("frozen",)),
        (Vendor.HIKVISION, ("low_fps",)),
    ]
    cams = [await camera(6300 + i, vendor, *faults) for i, (vendor, faults) in enumerate(plan)]
    probes = await asyncio.gather(
        *(probe_stream(uri, CRED, window_s=0.6, timeout_s=8) for _, uri in cams)
    )
    for (cam, _), probe in zip(cams, probes, strict=True):
        enc = cam.profiles[0].encoder
        assert probe.ok, probe.error
        assert (probe.codec, probe.width, probe.height) == (enc.encoding, enc.width, enc.height)
        assert probe.seq_gaps == 0 and probe.frames >= 2 and probe.keyframes >= 1
        if "frozen" in cam.faults:
            assert probe.distinct_payloads == 1  # the one keyframe, resent byte for byte
            assert probe.keyframes == probe.frames
        else:
            assert probe.distinct_payloads == probe.frames  # every picture differs
        expected = enc.fps / 4 if "low_fps" in cam.faults else enc.fps
        assert probe.fps is not None and 0.5 * expected <= probe.fps <= 1.5 * expected


@pytest.mark.parametrize("endless", [True, False])
async def test_reading_stops_when_the_window_ends(endless: bool) -> None:
    # A camera that never stops sending, or one that went quiet before the window ended: after
    # ``stream`` returns the connection reads no more (what the camera sends after the window
    # stays in the kernel, never counted).
    track = default_library().track(default_library().clip_for("H264", 640, 360), 512, 15.0, 0)
    frames = [bytes(u.render(i * 40, i * 6000, 9)) for i, u in enumerate(track.units[:30])]

    handlers: list[asyncio.Task[None]] = []

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        with contextlib.suppress(ConnectionError):
            while True:
                for frame in frames:
                    writer.write(frame)
                await writer.drain()  # blocks once the client stops reading
                if not endless:
                    await reader.read()  # quiet until the client hangs up
                    return

    server = await asyncio.start_server(flood, address_for(6350), 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_connection(Receiver, address_for(6350), port)
    conn = RtspConnection(receiver, transport, "flood", None, loop.time)
    conn.counter, conn.video_channel = VideoCounter("H264"), 0
    try:
        await conn.stream(loop.time() + 5, first_rtp=True)
        assert conn.first_rtp is not None and conn.counter.packets >= 1
        await conn.stream(conn.first_rtp + 0.05)
        counted = conn.counter.packets
        assert not transport.is_reading()
        for _ in range(20):  # the camera keeps writing on this loop meanwhile
            await asyncio.sleep(0)
        assert not transport.is_reading() and conn.counter.packets == counted
    finally:
        transport.close()
        for task in handlers:
            task.cancel()
        server.close()
        await server.wait_closed()
