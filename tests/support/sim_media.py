"""Test helper for the simulator's RTSP/SSH tests: cameras built by hand, servers as contexts.

Indexes from 5000 (below the fleet's automatic blocks, which start at 8192) and ports away from
the defaults keep these tests clear of other suites running at the same time; each camera has its
own loopback address, so the tests of one run share a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import re
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncssh

from fleetctl.sim.camera.model import (
    EncoderConfig,
    MediaProfile,
    SimCamera,
    Storage,
    User,
    Vendor,
    address_for,
)
from fleetctl.sim.recorder.ssh import start_ssh
from fleetctl.sim.rtsp.h264 import default_library
from fleetctl.sim.rtsp.server import start_rtsp

# Ports vary with the pid so two pytest runs of these tests at once (an engineer's and CI's on the
# same box) do not collide on the same address and port.
RTSP_PORT, SSH_PORT = 18000 + os.getpid() % 9000, 12000 + os.getpid() % 6000
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


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class RawRtsp:
    """A deliberately small RTSP client speaking raw bytes: nothing hidden between test and wire.

    ``request`` returns the reply and keeps, in ``frames``, every interleaved frame that arrived
    before it (channel, RTP packet), in order.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.cseq = 0
        self.frames: list[tuple[int, bytes]] = []
        self.rtcp: list[tuple[int, bytes]] = []  # RTCP seen by access_unit()

    @classmethod
    async def connect(cls, cam: SimCamera) -> RawRtsp:
        reader, writer = await asyncio.open_connection(cam.host, cam.rtsp_port)
        return cls(reader, writer)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    async def send(self, method: str, target: str, headers: dict[str, str] | None = None) -> None:
        self.cseq += 1
        lines = [f"{method} {target} RTSP/1.0", f"CSeq: {self.cseq}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()

    async def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        user_agent: bool = True,
    ) -> Reply:
        agent = {"User-Agent": "raw-test"} if user_agent else {}
        await self.send(method, target, {**agent, **(headers or {})})
        while True:
            first = await self.reader.readexactly(1)
            if first == b"$":
                self.frames.append(await self._frame_body())
                continue
            head = (first + await self.reader.readuntil(b"\r\n\r\n")).decode()
            lines = head.split("\r\n")
            hdrs = {}
            for line in lines[1:]:
                if line:
                    k, _, v = line.partition(":")
                    hdrs[k.strip().lower()] = v.strip()
            body = await self.reader.readexactly(int(hdrs.get("content-length", "0")))
            return Reply(int(lines[0].split(" ")[1]), hdrs, body)

    async def _frame_body(self) -> tuple[int, bytes]:
        channel, size = struct.unpack(">BH", await self.reader.readexactly(3))
        return channel, await self.reader.readexactly(size)

    async def frame(self) -> tuple[int, bytes]:
        """The next interleaved frame (the stream must not interleave RTSP replies here)."""
        assert await self.reader.readexactly(1) == b"$"
        return await self._frame_body()

    async def access_unit(self) -> list[bytes]:
        """RTP packets up to and including the next one with the marker bit."""
        packets = []
        while True:
            channel, packet = await self.frame()
            if 200 <= packet[1] <= 204:  # RTCP (sender reports), on the odd channel
                self.rtcp.append((channel, packet))
                continue
            packets.append(packet)
            if packet[1] & 0x80:
                return packets

    async def play(self, cam: SimCamera, profile: int = 0) -> tuple[Reply, Reply]:
        """DESCRIBE (Digest), SETUP interleaved=0-1, PLAY: returns the SETUP and PLAY replies."""
        target = url(cam, profile, userinfo=False)
        first = await self.request("DESCRIBE", target)
        challenge = first.headers["www-authenticate"]
        described = await self.request("DESCRIBE", target, digest(challenge, "DESCRIBE", target))
        assert described.status == 200, described.status
        base = described.headers["content-base"]
        control = re.findall(r"a=control:(\S+)", described.body.decode())[-1]
        track = base + control
        setup = await self.request(
            "SETUP",
            track,
            {
                **digest(challenge, "SETUP", track),
                "Transport": "RTP/AVP/TCP;unicast;interleaved=0-1",
            },
        )
        session = setup.headers["session"].partition(";")[0]
        played = await self.request(
            "PLAY", base, {**digest(challenge, "PLAY", base), "Session": session}
        )
        return setup, played


def challenge_params(challenge: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', challenge))


def digest(
    challenge: str, method: str, uri: str, user: str = USER, password: str = PASSWORD
) -> dict[str, str]:
    """An ``Authorization`` header answering a Digest challenge (RFC 2617, no qop)."""
    p = challenge_params(challenge)
    ha1 = hashlib.md5(f"{user}:{p['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{p['nonce']}:{ha2}".encode()).hexdigest()
    return {
        "Authorization": f'Digest username="{user}", realm="{p["realm"]}", '
        f'nonce="{p["nonce"]}", uri="{uri}", response="{response}"'
    }


def rtp_fields(packet: bytes) -> tuple[bool, int, int, int]:
    """(marker, seq, timestamp, ssrc) of an RTP packet."""
    marker_pt, seq, ts, ssrc = struct.unpack(">xBHII", packet[:12])
    return bool(marker_pt & 0x80), seq, ts, ssrc


def nal_types(packets: list[bytes]) -> list[int]:
    """H.264 NAL types in an access unit's packets (FU-A counted once, by its inner type)."""
    types = []
    for p in packets:
        kind = p[12] & 0x1F
        if kind == 28:
            if p[13] & 0x80:
                types.append(p[13] & 0x1F)
        else:
            types.append(kind)
    return types


@asynccontextmanager
async def ssh_recorder(cam: SimCamera) -> AsyncIterator[asyncssh.SSHAcceptor]:
    cam.is_recorder = True
    acceptor = await start_ssh(cam, asyncssh.generate_private_key("ssh-ed25519"))
    try:
        yield acceptor
    finally:
        acceptor.close()
        await acceptor.wait_closed()


async def serve_on_a_free_address(handler: Any, block: int) -> tuple[Any, str]:
    """The simulator's HTTP server for ``handler`` on port 8080 of a free 127.16.x.y address in
    address block ``block`` (a range the fleets' automatic blocks never use): (listener, host)."""
    from fleetctl.sim.camera.model import address_for
    from fleetctl.sim.http import serve

    for k in range(50):
        host = address_for(block * 8192 + (k * 7919) % 8000)
        try:
            return await serve(handler, host, 8080), host
        except OSError:
            continue
    raise AssertionError(f"no free address in block {block}")
