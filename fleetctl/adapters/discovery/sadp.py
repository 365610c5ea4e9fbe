"""Hikvision SADP discovery: how factory-fresh (not yet activated) Hikvision devices are found.

An inactive Hikvision has no password and, on firmware of the last years, no ONVIF service:
WS-Discovery cannot see it. SADP can: an XML inquiry multicast to 239.255.255.250:37020 (TTL 1,
local link only; devices ignore unicast), answered by each device with a ProbeMatch naming its
model, serial, MAC, firmware, HTTP port and whether it is activated.

Replies are hostile input: bounded size, no entities, fields cleaned and bounded; booleans are
read leniently (firmware has been seen writing ``flase``). The answering address is the
device's address (never the IPv4Address it claims: a forged reply must not steer us elsewhere).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from lxml import etree

from fleetctl.adapters.discovery.wsdiscovery import drain, listen, open_socket
from fleetctl.core.text import clean_opt

log = logging.getLogger(__name__)

PORT = 37020
GROUP = "239.255.255.250"
MAX_REPLY = 8192


class _Answer(Protocol):
    @property
    def address(self) -> str: ...


Found = TypeVar("Found", bound=_Answer)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class SadpDevice:
    """What a Hikvision said about itself (``activated`` None: it did not say)."""

    address: str  # where the reply came from
    activated: bool | None
    model: str | None = None
    serial: str | None = None
    mac: str | None = None
    firmware: str | None = None
    http_port: int | None = None


def build_probe(probe_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Probe><Uuid>{probe_id}</Uuid><Types>inquiry</Types></Probe>"
    ).encode()


def lenient_bool(value: str | None) -> bool | None:
    text = (value or "").strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "flase", "0", "no", "off"):
        return False
    return None


def parse_match(data: bytes, address: str) -> SadpDevice | None:
    """A ProbeMatch from ``address``, or None for anything else."""
    if len(data) > MAX_REPLY or b"<!DOCTYPE" in data or b"ProbeMatch" not in data:
        return None
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if etree.QName(root).localname != "ProbeMatch":
        return None

    def text(name: str) -> str | None:
        for el in root:
            if isinstance(el.tag, str) and etree.QName(el).localname == name:
                return clean_opt(el.text, 128) or None
        return None

    port = text("HttpPort")
    return SadpDevice(
        address=address,
        activated=lenient_bool(text("Activated")),
        model=text("DeviceDescription"),
        serial=text("DeviceSN"),
        mac=text("MAC"),
        firmware=text("SoftwareVersion"),
        http_port=int(port) if port and port.isdigit() and 0 < int(port) < 65536 else None,
    )


class _Collector(asyncio.DatagramProtocol, Generic[Found]):
    def __init__(self, parse: Callable[[bytes, str], Found | None]) -> None:
        self.parse = parse
        self.found: dict[str, Found] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        match = self.parse(data, str(addr[0]))
        if match is not None:
            self.found.setdefault(match.address, match)


async def sadp_probe(
    interfaces: Sequence[str], *, repeats: int = 2, wait: float = 2.0
) -> list[SadpDevice]:
    """Inquire from each interface address; one entry per answering address, in answer order."""
    return await multicast_search(
        interfaces,
        (GROUP, PORT),
        lambda: build_probe(str(uuid.uuid4()).upper()),
        parse_match,
        repeats=repeats,
        wait=wait,
        label="SADP",
    )


async def multicast_search(
    interfaces: Sequence[str],
    target: tuple[str, int],
    build: Callable[[], bytes],
    parse: Callable[[bytes, str], Found | None],
    *,
    repeats: int,
    wait: float,
    label: str,
) -> list[Found]:
    """A vendor's multicast search (also DHIP's, adapters/discovery/dhip.py): ``build()`` sent
    to ``target`` from each interface address ``repeats`` times, replies ``parse``d (None:
    ignored) for ``wait`` seconds; one entry per answering address, in answer order."""
    loop = asyncio.get_running_loop()
    endpoints: list[tuple[asyncio.DatagramTransport, _Collector[Found], socket.socket]] = []
    try:
        for addr in interfaces:
            try:
                sock = open_socket(addr, multicast_if=addr)
            except OSError as err:
                log.warning("%s: cannot multicast from %s: %s", label, addr, err)
                continue
            transport, proto = await loop.create_datagram_endpoint(
                lambda: _Collector(parse), sock=sock
            )
            endpoints.append((transport, proto, sock))
        for round_no in range(max(1, repeats)):
            if round_no:
                await asyncio.sleep(random.uniform(0.05, 0.25))
            for transport, _, _ in endpoints:
                transport.sendto(build(), target)
        await listen(wait)
        for _, proto, sock in endpoints:
            drain(sock, proto)
    finally:
        for transport, _, _ in endpoints:
            with contextlib.suppress(Exception):
                transport.close()
    found: dict[str, Found] = {}
    for _, proto, _ in endpoints:
        for address, dev in proto.found.items():
            found.setdefault(address, dev)
    return list(found.values())
