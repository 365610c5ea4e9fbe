"""Discovery on a busy machine (issue 13, item 15): `test_unique_passwords_per_camera` once
found no device with a second suite running.

The cause: the second suite's simulator, started with the same seed, answered the multicast
Probe on lo with the same EndpointReferences (clones do the same in the field), and merging by
EndpointReference alone put the clone's address in place of the device in the swept range; the
CPU load decided which answer came first. Also: a window measured by the wall clock ended while
the process was off the CPU; now it is measured in running time, and the slip is reported.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from fleetctl.adapters.discovery import sweep, wsdiscovery
from fleetctl.cli.run.discover import busy_warning
from fleetctl.core.models import Inventory, Site
from fleetctl.engine.discover import DiscoverOptions, DiscoveryReport, discover, merge_matches
from fleetctl.sim.camera.model import UNUSED_BASE, address_for
from fleetctl.sim.fleet import SimFleet

FIRST = 7700


def _match(address: str, via: str) -> wsdiscovery.ProbeMatch:
    return wsdiscovery.ProbeMatch(
        address, "urn:uuid:clone", ("dn:NetworkVideoTransmitter",), (), (), None, via
    )


def test_two_addresses_with_one_endpoint_stay_two_devices() -> None:
    devices = merge_matches(
        [_match("10.0.0.9", "multicast"), _match("10.0.0.5", "unicast"), _match("10.0.0.5", "multicast")]
    )  # fmt: skip
    assert [(d.address, d.via) for d in devices] == [
        ("10.0.0.9", ("multicast",)),
        ("10.0.0.5", ("unicast", "multicast")),
    ]


async def test_a_clone_on_the_multicast_link_does_not_hide_the_swept_device() -> None:
    # The clone answers multicast only, and first; the device is behind a router (unicast).
    clone = SimFleet(cameras=2, seed=11, first_index=FIRST, rtsp=False, ssh=False)
    device = SimFleet(cameras=2, seed=11, first_index=FIRST + 20, rtsp=False, ssh=False)
    for cam in device.cameras:
        cam.link_local = False
        # Answers only the sweep's second round (tds:Device): the clone's answer comes first,
        # as it did when the load delayed the unicast round.
        cam.wsd_types = "tds:Device"
    assert [c.endpoint for c in clone.cameras] == [c.endpoint for c in device.cameras]
    ranges = (f"{device.cameras[0].host}-{device.cameras[1].host}",)
    inventory = Inventory(cameras=(), sites=(Site("lab", ranges=ranges),), files=())
    options = DiscoverOptions(
        ranges=ranges, interfaces=("lo",), wait_s=1.0, tcp_ports=(), enrich=False
    )
    async with clone, device:
        report = await discover(inventory, options)
    found = {d.address for d in report.devices}
    assert {c.host for c in device.cameras} <= found


async def test_a_starved_loop_stretches_the_window_and_says_so() -> None:
    fleet = SimFleet(cameras=2, seed=12, first_index=FIRST + 40, rtsp=False, ssh=False)
    silent = address_for(5, UNUSED_BASE)  # never answers: the window runs to its end
    async with fleet:
        loop = asyncio.get_running_loop()
        # The whole process off the CPU for longer than the window (a blocking call stands in
        # for the scheduler giving both cores to someone else).
        loop.call_later(0.1, time.sleep, 1.0)
        result = await sweep.unicast_sweep(
            [c.host for c in fleet.cameras] + [silent], repeats=1, wait=0.5
        )
    assert {m.address for m in result.matches} == {c.host for c in fleet.cameras}
    assert result.slip_s > 0
    report = DiscoveryReport((), datetime.now(UTC), 1.0, slip_s=result.slip_s)
    assert report.to_json()["slip_s"] == result.slip_s
    assert "busy" in busy_warning(report)


async def test_listen_counts_running_time() -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, time.sleep, 0.6)
    assert await wsdiscovery.listen(0.3) > 0
