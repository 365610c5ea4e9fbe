"""The unicast sweep and the TCP sweep against the simulator on loopback; range parsing."""

from __future__ import annotations

import pytest

from fleetctl.adapters.discovery import sweep, wsdiscovery
from fleetctl.core.errors import UsageError
from fleetctl.sim.camera.model import SimCamera, Vendor, address_for
from fleetctl.sim.discovery.wsdiscovery import start_discovery
from fleetctl.sim.fleet import SimFleet

FIRST = 7100


def make_cam(i: int, **kw: object) -> SimCamera:
    return SimCamera(
        index=i,
        name=f"sw-{i}",
        site="lab",
        host=address_for(i),
        vendor=Vendor.DAHUA,
        manufacturer="Dahua",
        model="IPC-HFW2431S",
        firmware="2.800",
        serial=f"7J0{i:06d}",
        mac=f"3c:ef:8c:00:{i >> 8 & 255:02x}:{i & 255:02x}",
        endpoint=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
        **kw,  # type: ignore[arg-type]
    )


async def test_sweep_finds_cameras_that_multicast_does_not_reach() -> None:
    routed = [make_cam(FIRST + i, link_local=False) for i in range(6)]
    routed[4].faults.add("offline")
    service = await start_discovery(routed, max_delay=0.02)
    try:
        hosts = {c.host for c in routed}
        multicast = await wsdiscovery.multicast_probe(["127.0.0.1"], repeats=1, wait=0.2)
        assert not hosts & {m.address for m in multicast}
        # the 6 cameras plus 4 empty addresses around them
        addresses = sweep.expand_ranges([f"{address_for(FIRST)}-{address_for(FIRST + 9)}"])
        result = await sweep.unicast_sweep(addresses, rate=2000, repeats=2, wait=1.0)
    finally:
        service.close()
        await service.wait_closed()
    answered = {m.address for m in result.matches}
    assert answered == hosts - {routed[4].host}
    assert all(m.via == "unicast" and m.endpoint for m in result.matches)
    # round 1 probes all 10; round 2 only the 5 silent ones (the offline camera and 4 empty)
    assert result.packets == 10 + 5
    assert [c.counters.discovery_probes for c in routed] == [1, 1, 1, 1, 0, 1]


async def test_sweep_second_round_asks_for_tds_device() -> None:
    """A device that advertises only tds:Device is missed by round 1 (NVT) and found by 2."""
    cam = make_cam(FIRST + 20, link_local=False, wsd_types="tds:Device")
    service = await start_discovery([cam])
    try:
        result = await sweep.unicast_sweep([cam.host], rate=1000, repeats=2, wait=1.0)
    finally:
        service.close()
        await service.wait_closed()
    assert cam.counters.discovery_probes == 2 and len(result.matches) == 1


async def test_tcp_sweep_finds_onvif_hosts_silent_to_ws_discovery() -> None:
    import aiohttp

    fleet = SimFleet(
        cameras=2, seed=3, first_index=FIRST + 40, rtsp=False, ssh=False, discovery=False
    )
    async with fleet:
        port = fleet.cameras[0].onvif_port
        addresses = [c.host for c in fleet.cameras] + [address_for(FIRST + 45)]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
            found = await sweep.tcp_sweep(session, addresses, (port + 1, port), timeout=3)
    assert [(a, p) for a, p, _ in found] == [(c.host, port) for c in fleet.cameras]
    pre = found[0][2]
    assert pre.alive and pre.clock_offset_s is not None and abs(pre.clock_offset_s) < 5
    assert pre.device is None  # the simulator, like most cameras, wants auth for device info
    assert fleet.cameras[0].counters.requests["GetSystemDateAndTime"] == 1


@pytest.mark.parametrize(
    ("spec", "first", "count"),
    [
        ("10.20.1.0/24", "10.20.1.1", 254),  # hosts only: no .0, no broadcast
        ("10.20.1.0/30", "10.20.1.1", 2),
        ("10.20.2.10-10.20.2.80", "10.20.2.10", 71),
        ("10.20.2.10-80", "10.20.2.10", 71),
        ("10.20.3.*", "10.20.3.0", 256),
        ("10.20.3.1-5", "10.20.3.1", 5),
        ("10.20.4.7", "10.20.4.7", 1),
        ("10.20.4.7/32", "10.20.4.7", 1),
    ],
)
def test_expand_ranges(spec: str, first: str, count: int) -> None:
    out = sweep.expand_ranges([spec])
    assert out[0] == first and len(out) == count


def test_expand_ranges_dedups_across_specs() -> None:
    assert sweep.expand_ranges(["10.0.0.1-3", "10.0.0.2", "10.0.0.0/30"]) == [
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.3",
    ]


@pytest.mark.parametrize(
    "bad", ["10.20.1", "10.0.0.0/8", "fe80::/64", "a-b", "10.0.0.9-10.0.0.1", ""]
)
def test_bad_ranges_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="range"):
        sweep.expand_ranges([bad])
