"""The simulator's WS-Discovery responder: every SimCamera answers Probes like a real device.

Design, for fleets of 2,000+ cameras: one UDP socket per camera bound to ``cam.host:3702``, plus
ONE socket per service joined to 239.255.255.250 on the loopback interface. Why not one wildcard
socket with IP_PKTINFO for everything: binding 0.0.0.0:3702 would collide with other simulators
(and tests) running on the same host, and answering *from* the camera's own address through a
wildcard socket needs IP_PKTINFO ancillary data on every send. A per-camera socket answers from
the right address for free, costs one file descriptor (2,000 cameras: 2,000 of a 20,000 limit)
and about 1 KB of kernel memory, and a camera that goes offline simply stops answering.

Multicast probes are answered from each camera's own socket (so the reply's source is the
camera), unicast to the prober, after a random delay (real devices wait up to APP_MAX_DELAY to
avoid a reply storm). Cameras with ``link_local=False`` sit "behind a router": they hear only
unicast Probes. Offline, hanging and flapping-down cameras stay silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import random
import re
import socket
import uuid
from collections.abc import Sequence
from typing import cast
from urllib.parse import quote

from lxml import etree

from fleetctl.sim.camera.model import SimCamera, Vendor

PORT = 3702
GROUP = "239.255.255.250"
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NS_DN = "http://www.onvif.org/ver10/network/wsdl"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
_PREFIXES = {"dn": NS_DN, "tds": NS_TDS}
SILENT_FAULTS = frozenset({"offline", "hang"})  # flapping: cam.online tracks up/down

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_PRETTY = re.compile(rb">\s+<")


def probe_matches(cam: SimCamera, relates_to: str) -> bytes:
    """The ProbeMatches a camera sends for a Probe whose MessageID is ``relates_to``."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{NS_SOAP}" xmlns:wsa="{NS_WSA}" '
        f'xmlns:d="{NS_WSD}" xmlns:dn="{NS_DN}" xmlns:tds="{NS_TDS}">\n'
        "<SOAP-ENV:Header>\n"
        f"<wsa:MessageID>{_STEM}{next(_COUNTER):012x}</wsa:MessageID>\n"
        f"<wsa:RelatesTo>{relates_to}</wsa:RelatesTo>\n"
    )
    host = cam.wsd_xaddr_host or cam.reported_host
    body = _match_body(
        cam.endpoint,
        cam.wsd_types,
        host,
        cam.onvif_port,
        cam.manufacturer,
        cam.model,
        cam.site,
        cam.mac,
    )
    return head.encode() + body


# A multicast Probe makes every camera answer within max_delay: the part of the answer that
# does not depend on the Probe is built once per camera state, and MessageIDs are counted.
_STEM = f"urn:uuid:{str(uuid.uuid4())[:24]}"
_COUNTER = itertools.count()


@functools.lru_cache(maxsize=16384)
def _match_body(
    endpoint: str,
    types: str,
    host: str,
    port: int,
    manufacturer: str,
    model: str,
    site: str,
    mac: str,
) -> bytes:
    scopes = " ".join(
        (
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/Profile/Streaming",
            f"onvif://www.onvif.org/name/{quote(f'{manufacturer} {model}')}",
            f"onvif://www.onvif.org/hardware/{quote(model)}",
            f"onvif://www.onvif.org/location/{quote(site)}",
            f"onvif://www.onvif.org/MAC/{mac}",
        )
    )
    return (
        "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>\n"
        f"<wsa:Action>{NS_WSD}/ProbeMatches</wsa:Action>\n"
        "</SOAP-ENV:Header>\n<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>\n"
        f"<wsa:EndpointReference><wsa:Address>{endpoint}</wsa:Address></wsa:EndpointReference>\n"
        f"<d:Types>{types}</d:Types>\n"
        f"<d:Scopes>{scopes}</d:Scopes>\n"
        f"<d:XAddrs>http://{host}:{port}/onvif/device_service</d:XAddrs>\n"
        "<d:MetadataVersion>1</d:MetadataVersion>\n"
        "</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    ).encode()


def parse_probe(data: bytes) -> tuple[str, set[tuple[str | None, str]]] | None:
    """(MessageID, requested types) of a Probe, or None for anything else."""
    if len(data) > 16384 or b"<!DOCTYPE" in data:
        return None
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    action = root.findtext(f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}Action") or ""
    mid = (root.findtext(f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}MessageID") or "").strip()
    probe = root.find(f"{{{NS_SOAP}}}Body/{{{NS_WSD}}}Probe")
    if action.strip() != f"{NS_WSD}/Probe" or probe is None or not mid:
        return None
    types_el = probe.find(f"{{{NS_WSD}}}Types")
    wanted = set()
    for qname in ((types_el.text or "") if types_el is not None else "").split():
        prefix, _, local = qname.rpartition(":")
        wanted.add((types_el.nsmap.get(prefix or None) if types_el is not None else None, local))
    return mid, wanted


def advertised(cam: SimCamera) -> set[tuple[str | None, str]]:
    """The camera's Types as (namespace, local name) pairs."""
    out = set()
    for qname in cam.wsd_types.split():
        prefix, _, local = qname.rpartition(":")
        out.add((_PREFIXES.get(prefix), local))
    return out


class _CameraEndpoint(asyncio.DatagramProtocol):
    def __init__(self, cam: SimCamera) -> None:
        self.cam = cam
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        if self.cam.online and not self.cam.faults & SILENT_FAULTS:
            self.answer(parse_probe(data), is_pretty(data), addr)

    def answer(
        self,
        probe: tuple[str, set[tuple[str | None, str]]] | None,
        pretty: bool,
        addr: tuple[str | int, int],
        delay: float = 0.0,
    ) -> None:
        cam = self.cam
        if probe is None or not cam.online or cam.faults & SILENT_FAULTS:
            return
        if cam.factory is not None and not cam.factory.onvif_enabled:
            return  # ONVIF (WS-Discovery with it) is off until the device's setup turns it on
        cam.counters.discovery_probes += 1
        mid, wanted = probe
        if not wanted <= advertised(cam):
            return  # WS-Discovery: a target answers only if it has every requested type
        if cam.vendor == Vendor.HIKVISION and pretty:
            return  # quirk seen in the field: this firmware ignores pretty-printed Probes
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self._reply, mid, addr)
        else:
            self._reply(mid, addr)

    def _reply(self, relates_to: str, addr: tuple[str | int, int]) -> None:
        # Built when sent: a multicast Probe to 2,000 cameras spreads the work over max_delay.
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(probe_matches(self.cam, relates_to), addr)


def is_pretty(data: bytes) -> bool:
    return b"\n" in data.strip() or _PRETTY.search(data) is not None


class _MulticastEndpoint(asyncio.DatagramProtocol):
    def __init__(self, cameras: list[_CameraEndpoint], max_delay: float) -> None:
        self.cameras = cameras
        self.max_delay = max_delay

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        probe = parse_probe(data)  # once for every camera on the link
        if probe is None:
            return
        pretty = is_pretty(data)
        for endpoint in self.cameras:
            if endpoint.cam.link_local:
                endpoint.answer(probe, pretty, addr, random.uniform(0.0, self.max_delay))


def group_socket(group: str, port: int) -> socket.socket:
    """A non-blocking UDP socket in multicast ``group`` on loopback (WS-Discovery, SADP, DHIP).
    Several simulators (parallel tests) may listen to the group at once: each gets a copy."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((group, port))
    member = socket.inet_aton(group) + socket.inet_aton("127.0.0.1")
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, member)
    sock.setblocking(False)
    return sock


def _same(endpoint: _CameraEndpoint) -> _CameraEndpoint:
    return endpoint


class DiscoveryService:
    """Running responders; ``close()`` then ``await wait_closed()`` releases every socket."""

    def __init__(self, transports: list[asyncio.DatagramTransport]) -> None:
        self._transports = transports
        self._closed = asyncio.Event()

    @property
    def sockets(self) -> int:
        return len(self._transports)

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._closed.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()
        await asyncio.sleep(0)  # let the loop run the transports' connection_lost callbacks


async def start_discovery(
    cameras: Sequence[SimCamera], *, multicast: bool = True, max_delay: float = 0.2
) -> DiscoveryService:
    """Answer Probes for ``cameras`` (unicast to cam.host:3702, and multicast on loopback).

    ``max_delay``: the random delay before answering a multicast Probe, in seconds.
    Raises OSError if an address is taken (another responder already serves that camera).
    """
    loop = asyncio.get_running_loop()
    transports: list[asyncio.DatagramTransport] = []
    endpoints: list[_CameraEndpoint] = []
    try:
        for cam in cameras:
            endpoint = _CameraEndpoint(cam)
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_same, endpoint), local_addr=(cam.host, PORT)
            )
            transports.append(transport)
            endpoints.append(endpoint)
        if multicast:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _MulticastEndpoint(endpoints, max_delay), sock=group_socket(GROUP, PORT)
            )
            transports.append(transport)
    except BaseException:
        for transport in transports:
            with contextlib.suppress(Exception):
                transport.close()
        raise
    return DiscoveryService(transports)
