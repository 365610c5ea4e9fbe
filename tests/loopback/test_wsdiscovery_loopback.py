"""WS-Discovery over real UDP on the loopback interface: our client against the simulator.

Multicast on ``lo`` works with IP_MULTICAST_IF=127.0.0.1 (Linux). Other simulators may run
concurrently and answer our multicast Probes too, so assertions look only at this test's
addresses (indexes 7000+: outside other engineers' blocks).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from fleetctl.adapters.discovery import wsdiscovery
from fleetctl.sim.camera.model import SimCamera, Vendor, address_for
from fleetctl.sim.discovery.wsdiscovery import DiscoveryService, start_discovery

LO = "127.0.0.1"


def make_cam(i: int, **kw: object) -> SimCamera:
    vendor = kw.pop("vendor", Vendor.GENERIC)
    return SimCamera(
        index=i,
        name=f"wsd-{i}",
        site="lab",
        host=address_for(i),
        vendor=vendor,  # type: ignore[arg-type]
        manufacturer="ACME",
        model="IPC-1",
        firmware="1.0",
        serial=f"SN{i:06d}",
        mac=f"02:00:00:00:{i >> 8 & 255:02x}:{i & 255:02x}",
        endpoint=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def cams() -> AsyncIterator[tuple[list[SimCamera], DiscoveryService]]:
    cameras = [
        make_cam(7000),
        make_cam(7001, vendor=Vendor.HIKVISION),
        make_cam(7002, link_local=False),  # behind a router: multicast never reaches it
        make_cam(7003, wsd_xaddr_host="0.0.0.0"),
        make_cam(7004, faults={"hang"}),
        make_cam(7005, online=False),  # rebooting
    ]
    service = await start_discovery(cameras, max_delay=0.05)
    yield cameras, service
    service.close()
    await service.wait_closed()


def ours(
    matches: list[wsdiscovery.ProbeMatch], cameras: list[SimCamera]
) -> dict[str, list[wsdiscovery.ProbeMatch]]:
    hosts = {c.host for c in cameras}
    out: dict[str, list[wsdiscovery.ProbeMatch]] = {}
    for m in matches:
        if m.address in hosts:
            out.setdefault(m.address, []).append(m)
    return out


async def test_multicast_on_loopback_finds_link_local_cameras_only(
    cams: tuple[list[SimCamera], DiscoveryService],
) -> None:
    cameras, _ = cams
    found = ours(await wsdiscovery.multicast_probe([LO], repeats=1, wait=1.0), cameras)
    assert set(found) == {cameras[0].host, cameras[1].host, cameras[3].host}
    # Each device answers both Probe kinds; the repeat is dropped before parsing.
    assert all(len(v) == 1 for v in found.values())
    for cam in (cameras[0], cameras[1], cameras[3]):
        # Both Probe kinds reached it. At least: multicast on `lo` is shared by every process,
        # and a second test run beside this one probes the same group.
        assert cam.counters.discovery_probes >= 2
    m = found[cameras[0].host][0]
    assert m.endpoint == cameras[0].endpoint and m.via == "multicast"
    assert m.xaddrs == (f"http://{cameras[0].host}:8080/onvif/device_service",)
    assert m.decoded_scopes.mac == cameras[0].mac and m.decoded_scopes.name == "ACME IPC-1"
    # 0.0.0.0 in the camera's XAddrs: replaced by the address that answered
    assert found[cameras[3].host][0].xaddrs == (
        f"http://{cameras[3].host}:8080/onvif/device_service",
    )
    assert cameras[2].counters.discovery_probes == 0  # never reached
    assert cameras[4].counters.discovery_probes == 0 and cameras[5].counters.discovery_probes == 0


async def test_resolve_interface_by_name_and_address() -> None:
    assert wsdiscovery.resolve_interface("lo") == LO
    assert wsdiscovery.resolve_interface("127.0.0.1") == LO
    with pytest.raises(ValueError):
        wsdiscovery.resolve_interface("no-such-if0")


async def first_answer(host: str, *datagrams: bytes) -> bytes:
    """Send ``datagrams`` in order from one socket to host:3702; return the first reply.

    The simulator handles datagrams in order and answers unicast Probes at once, so if an
    earlier datagram were answered its reply would come first: "ignored" is observable
    without sleeping.
    """
    loop = asyncio.get_running_loop()
    got: asyncio.Queue[bytes] = asyncio.Queue()

    class P(asyncio.DatagramProtocol):
        def datagram_received(self, d: bytes, addr: tuple[str | int, int]) -> None:
            got.put_nowait(d)

    transport, _ = await loop.create_datagram_endpoint(P, local_addr=(LO, 0))
    try:
        for d in datagrams:
            transport.sendto(d, (host, 3702))
        return await asyncio.wait_for(got.get(), 5)
    finally:
        transport.close()


CONTROL = wsdiscovery.build_probe("urn:uuid:control")


async def test_hikvision_answers_only_a_minified_probe(
    cams: tuple[list[SimCamera], DiscoveryService],
) -> None:
    generic, hik = cams[0][0], cams[0][1]
    pretty = b'<?xml version="1.0" encoding="UTF-8"?>\n' + wsdiscovery.build_probe(
        "urn:uuid:pretty"
    ).replace(b"><", b">\n  <")
    assert b"urn:uuid:control" in await first_answer(hik.host, pretty, CONTROL)
    assert hik.counters.discovery_probes == 2  # the pretty one arrived, and was ignored
    assert b"urn:uuid:pretty" in await first_answer(generic.host, pretty, CONTROL)


@pytest.mark.parametrize(
    ("types", "answered"),
    [
        ("", True),  # empty Types: every device matches
        ("dn:NetworkVideoTransmitter", True),
        ("tds:Device", True),
        ("dn:NetworkVideoTransmitter tds:Device", True),
        ("tds:Printer", False),  # same namespace, a type the camera does not have
        ("tds:Device tds:Printer", False),  # AND semantics: all listed types must match
    ],
)
async def test_camera_answers_only_probes_whose_types_it_has(
    cams: tuple[list[SimCamera], DiscoveryService], types: str, answered: bool
) -> None:
    probe = wsdiscovery.build_probe("urn:uuid:typed", types)
    reply = await first_answer(cams[0][0].host, probe, CONTROL)
    assert (b"urn:uuid:typed" in reply) is answered


async def test_hostile_replies_on_the_wire_are_dropped_and_valid_ones_kept() -> None:
    """A fake device in the multicast group answers each Probe with garbage, a 60 KB blob,
    a reply to someone else's MessageID, and finally one valid ProbeMatches."""
    loop = asyncio.get_running_loop()
    host = address_for(7010)
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((wsdiscovery.GROUP, 3702))
    listener.setsockopt(
        socket.IPPROTO_IP,
        socket.IP_ADD_MEMBERSHIP,
        socket.inet_aton(wsdiscovery.GROUP) + socket.inet_aton(LO),
    )
    listener.setblocking(False)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind((host, 3702))
    sent_valid = asyncio.Event()
    fake = make_cam(7010)

    class Evil(asyncio.DatagramProtocol):
        def datagram_received(self, d: bytes, addr: tuple[str | int, int]) -> None:
            from fleetctl.sim.discovery.wsdiscovery import parse_probe, probe_matches

            probe = parse_probe(d)
            if probe is None:
                return
            for junk in (
                b"\x00garbage",
                b"<a>" + b"A" * 60000 + b"</a>",
                probe_matches(fake, "urn:uuid:someone-else"),
            ):
                sender.sendto(junk, addr)
            sender.sendto(probe_matches(fake, probe[0]), addr)
            sent_valid.set()

    transport, _ = await loop.create_datagram_endpoint(Evil, sock=listener)
    try:
        matches = await wsdiscovery.multicast_probe([LO], repeats=1, wait=1.0)
    finally:
        transport.close()
        sender.close()
    assert sent_valid.is_set()
    mine = [m for m in matches if m.address == host]
    assert len(mine) == 1  # hostile datagrams dropped, the second valid answer a repeat
    assert all(m.endpoint == fake.endpoint for m in mine)
