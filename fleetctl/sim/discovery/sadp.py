"""The simulator's SADP responder: factory-fresh Hikvision cameras answer the vendor's discovery.

SADP is multicast only (239.255.255.250, UDP 37020; devices ignore unicast). A Probe is
``<Probe><Uuid>U</Uuid><Types>inquiry</Types></Probe>``; each device answers with a ProbeMatch
that says what it is and whether it is activated. As in sim/discovery/wsdiscovery.py: one socket per
camera bound to ``cam.host:37020`` (so the answer comes from the camera's own address) plus ONE
socket joined to the group on loopback. Answers go to the prober's address. Offline cameras are
silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import re
from collections.abc import Callable, Sequence
from typing import cast
from xml.sax.saxutils import escape

from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.discovery.wsdiscovery import SILENT_FAULTS, DiscoveryService, group_socket

PORT = 37020
GROUP = "239.255.255.250"
_UUID = re.compile(rb"<Uuid>([0-9A-Za-z-]{1,64})</Uuid>")


def probe_match(cam: SimCamera, uuid: str) -> bytes:
    activated = cam.factory is None or cam.factory.activated
    return (
        '<?xml version="1.0" encoding="UTF-8"?><ProbeMatch>'
        f"<Uuid>{escape(uuid)}</Uuid><Types>inquiry</Types>"
        "<DeviceType>139913</DeviceType>"
        f"<DeviceDescription>{escape(cam.model)}</DeviceDescription>"
        f"<DeviceSN>{escape(cam.serial)}</DeviceSN>"
        "<CommandPort>8000</CommandPort>"
        f"<HttpPort>{cam.onvif_port}</HttpPort>"
        f"<MAC>{escape(cam.mac.replace(':', '-'))}</MAC>"
        f"<IPv4Address>{cam.host}</IPv4Address><IPv4SubnetMask>255.255.255.0</IPv4SubnetMask>"
        "<IPv4Gateway>0.0.0.0</IPv4Gateway><DHCP>false</DHCP>"
        "<AnalogChannelNum>0</AnalogChannelNum><DigitalChannelNum>1</DigitalChannelNum>"
        f"<SoftwareVersion>{escape(cam.firmware)}</SoftwareVersion>"
        f"<Activated>{'true' if activated else 'false'}</Activated>"
        "<PasswordResetAbility>true</PasswordResetAbility></ProbeMatch>"
    ).encode()


def parse_probe(data: bytes) -> str | None:
    """The Probe's Uuid, or None for anything that is not an inquiry."""
    if len(data) > 4096 or b"<Probe>" not in data or b"<Types>inquiry</Types>" not in data:
        return None
    m = _UUID.search(data)
    return m.group(1).decode() if m else None


class _CameraSocket(asyncio.DatagramProtocol):
    def __init__(
        self, cam: SimCamera, reply: Callable[[SimCamera, str], bytes], label: str
    ) -> None:
        self.cam, self.reply, self.label = cam, reply, label
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def answer(self, token: str, addr: tuple[str | int, int]) -> None:
        cam = self.cam
        if self.transport is None or self.transport.is_closing():
            return
        if cam.online and not cam.faults & SILENT_FAULTS:
            cam.counters.requests[self.label] += 1
            self.transport.sendto(self.reply(cam, token), addr)


class _Group(asyncio.DatagramProtocol):
    def __init__(
        self, cameras: list[_CameraSocket], max_delay: float, parse: Callable[[bytes], str | None]
    ) -> None:
        self.cameras, self.max_delay, self.parse = cameras, max_delay, parse

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        token = self.parse(data)
        if token is None:
            return
        loop = asyncio.get_running_loop()
        for cam in self.cameras:
            loop.call_later(random.uniform(0.0, self.max_delay), cam.answer, token, addr)


def _same(endpoint: _CameraSocket) -> _CameraSocket:
    return endpoint


def answers_sadp(cam: SimCamera) -> bool:
    return cam.fresh and cam.vendor.value == "hikvision"


async def start_sadp(cameras: Sequence[SimCamera], max_delay: float = 0.1) -> DiscoveryService:
    """Answer SADP inquiries for the Hikvision cameras among ``cameras`` that are fresh."""
    return await start_responder(
        [c for c in cameras if answers_sadp(c)],
        port=PORT,
        group=GROUP,
        parse=parse_probe,
        reply=probe_match,
        label="SADP inquiry",
        max_delay=max_delay,
    )


async def start_responder(
    cameras: Sequence[SimCamera],
    *,
    port: int,
    group: str,
    parse: Callable[[bytes], str | None],
    reply: Callable[[SimCamera, str], bytes],
    label: str,
    max_delay: float = 0.1,
) -> DiscoveryService:
    """A vendor's multicast discovery: ``parse`` a request (its token, or None to ignore it),
    and each of ``cameras`` answers ``reply(cam, token)`` from its own address after a random
    delay up to ``max_delay``. Also the DHIP responder's machinery (sim/discovery/dhip.py)."""
    loop = asyncio.get_running_loop()
    transports: list[asyncio.DatagramTransport] = []
    sockets: list[_CameraSocket] = []
    try:
        for cam in cameras:
            endpoint = _CameraSocket(cam, reply, label)
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_same, endpoint), local_addr=(cam.host, port)
            )
            transports.append(transport)
            sockets.append(endpoint)
        if sockets:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Group(sockets, max_delay, parse), sock=group_socket(group, port)
            )
            transports.append(transport)
    except BaseException:
        for transport in transports:
            with contextlib.suppress(Exception):
                transport.close()
        raise
    return DiscoveryService(transports)
