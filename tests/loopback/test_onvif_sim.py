"""probe_onvif against the simulated fleet: every vendor, Digest, NAT, and each ONVIF fault.

One fleet per module keeps it quick: camera i's vendor follows the simulator's fixed cycle
(0 Hikvision, 1 Dahua, 4 Axis, 5 Hikvision with HTTP Digest, 8 generic), faults are assigned
by index, and the simulator's own counters say what really happened on the device.
"""

from __future__ import annotations

import asyncio
import resource
from collections.abc import AsyncIterator

import pytest

from fleetctl.adapters.factory import first_factory_login
from fleetctl.adapters.http.pool import HttpPool
from fleetctl.adapters.onvif import client as onvif
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure, OnvifProbe
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import SimCamera, Vendor
from fleetctl.sim.fleet import SimFleet

HEALTHY = {
    0: Vendor.HIKVISION,
    1: Vendor.DAHUA,
    4: Vendor.AXIS,
    5: Vendor.HIKVISION,
    8: Vendor.GENERIC,
}
FAULTED = {
    2: "clock_skew",
    3: "clock_drift",
    6: "wrong_credentials",
    7: "soap_fault",
    9: "malformed_xml",
    10: "huge_reply",
    12: "entity_bomb",
    13: "drip",
    14: "hang",
    15: "slow",
    17: "offline",
    18: "factory_password",
}
DEADLINE_S = 1.5  # short: hang, drip and slow must end here, not at a library timeout


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    async with SimFleet(
        cameras=20,
        faults="none",
        seed=3,
        rtsp=False,
        ssh=False,
        discovery=False,
        assign={i: {f} for i, f in FAULTED.items()},
        nat=0.0,
    ) as f:
        yield f


def camera(sim: SimCamera) -> Camera:
    return Camera(name=sim.name, host=sim.host, site=sim.site, port=sim.onvif_port)


def cred(fleet: SimFleet) -> Credential:
    user, password = fleet.credentials
    return Credential("fleet", user, Secret(password))


async def probe_all(fleet: SimFleet, indexes: list[int]) -> dict[int, OnvifProbe]:
    results = await asyncio.gather(
        *(
            onvif.probe_onvif(
                camera(fleet.cameras[i]),
                cred(fleet),
                timeout_s=DEADLINE_S,
                want_config=True,
                all_stream_uris=True,
            )
            for i in indexes
        )
    )
    return dict(zip(indexes, results, strict=True))


async def test_healthy_cameras_of_every_vendor(fleet: SimFleet) -> None:
    probes = await probe_all(fleet, list(HEALTHY))
    for i, vendor in HEALTHY.items():
        sim, probe = fleet.cameras[i], probes[i]
        assert sim.vendor is vendor
        assert probe.ok, (vendor, probe.error)
        assert probe.device is not None and probe.device.serial == sim.serial
        assert probe.device.manufacturer == sim.manufacturer
        assert (
            probe.clock_offset_s is not None and abs(probe.clock_offset_s - sim.clock_offset_s) < 2
        )
        assert len(probe.profiles) == len(sim.profiles)
        for info, prof in zip(probe.profiles, sim.profiles, strict=True):
            assert info.token == prof.token
            assert info.encoder is not None and info.encoder.width == prof.encoder.width
            assert info.encoder.fps == prof.encoder.fps
            assert info.stream_uri is not None and info.stream_uri.startswith(f"rtsp://{sim.host}:")
            assert "@" not in info.stream_uri
        assert sim.counters.logins_failed == 0
    assert probes[5].auth_method == "digest" and fleet.cameras[5].auth_mode == "digest"
    assert probes[0].auth_method == "wsse"


async def test_nat_camera_is_pinned_to_the_inventory_address(make_fleet) -> None:
    fleet = await make_fleet(cameras=2, faults="none", seed=4, rtsp=False, ssh=False, nat=1.0)
    sim = fleet.cameras[0]
    assert sim.nat_address and sim.nat_address.startswith("127.254.")
    probe = await onvif.probe_onvif(
        camera(sim), cred(fleet), timeout_s=3, want_config=True, all_stream_uris=True
    )
    assert probe.ok, probe.error
    assert sim.counters.requests["GetProfiles"] == 1  # the media service was reached anyway
    assert probe.profiles and all(
        p.stream_uri and sim.nat_address not in p.stream_uri for p in probe.profiles
    )
    assert all(
        p.stream_uri and p.stream_uri.startswith(f"rtsp://{sim.host}:") for p in probe.profiles
    )


async def test_clock_faults_are_measured_and_auth_still_works(fleet: SimFleet) -> None:
    probes = await probe_all(fleet, [2, 3])
    for i in (2, 3):
        sim, probe = fleet.cameras[i], probes[i]
        assert probe.ok, probe.error
        assert (
            probe.clock_offset_s is not None and abs(probe.clock_offset_s - sim.clock_offset_s) < 2
        )
    assert abs(probes[3].clock_offset_s or 0) >= 300  # drift: crit territory
    assert 30 <= abs(probes[2].clock_offset_s or 0) < 300  # skew: warn territory


EXPECTED = {
    6: Failure.AUTH,
    7: Failure.PROTOCOL,
    9: Failure.MALFORMED,
    10: Failure.OVERSIZED,
    12: Failure.MALFORMED,
    13: Failure.TIMEOUT,
    14: Failure.TIMEOUT,
    17: Failure.REFUSED,
}


async def test_faults_become_the_right_failure_within_the_deadline(fleet: SimFleet) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    loop = asyncio.get_running_loop()
    start = loop.time()
    probes = await probe_all(fleet, [*EXPECTED, 15, 0])
    elapsed = loop.time() - start
    for i, failure in EXPECTED.items():
        probe = probes[i]
        assert probe.failure is failure, (FAULTED[i], probe.failure, probe.error)
        assert probe.error and fleet.cameras[i].host in probe.error
        assert fleet.password not in repr(probe)
    assert elapsed < DEADLINE_S + 1.0  # everyone, hostile ones included, ended at the deadline
    assert probes[0].ok  # a healthy camera in the same batch is unaffected
    assert not probes[14].answered and not probes[17].answered  # hang, offline: nothing spoke
    # huge spoke (headers came at once); the drip's headers alone take 15 s at 0.1 s a byte, so
    # to aiohttp it is as silent as a hang (the engine tells them apart with a first-byte probe).
    assert probes[10].answered
    slow = probes[15]  # 2.5 s per answer vs a 1.5 s deadline: nothing completes, but it is alive
    assert slow.failure is Failure.TIMEOUT and slow.calls == ()
    assert (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 60_000
    )  # KiB: 50 MB not held


async def test_slow_camera_is_slow_not_broken(fleet: SimFleet) -> None:
    # 2.5 s per answer: within 3 s the clock answers and nothing else; that answer is timed, so
    # the verdict can say "slow" (warn) rather than "broken" (crit).
    sim = fleet.cameras[15]
    probe = await onvif.probe_onvif(camera(sim), cred(fleet), timeout_s=3, want_recordings=False)
    assert probe.failure is Failure.TIMEOUT and probe.answered
    assert probe.latency_ms is not None and probe.latency_ms >= 2000
    assert probe.slowest_ms is not None and probe.slowest_ms >= 2000
    assert probe.clock_offset_s is not None
    assert probe.error and "GetDeviceInformation" in probe.error  # what it was waiting for


async def test_wrong_credentials_retry_once_only(fleet: SimFleet) -> None:
    sim = fleet.cameras[6]
    probe = await onvif.probe_onvif(
        camera(sim), cred(fleet), timeout_s=3, want_config=True, all_stream_uris=True
    )
    assert probe.failure is Failure.AUTH and probe.answered
    assert sim.counters.logins_failed == 2  # the call and its one retry after re-measuring


async def test_digest_wrong_password_costs_one_attempt(fleet: SimFleet) -> None:
    # Digest does not depend on the clock: no re-measure and retry, which would spend two more
    # attempts of the lockout budget (the middleware re-answers a fresh challenge once more).
    sim = fleet.cameras[5]
    assert sim.auth_mode == "digest"
    bad = Credential("fleet", fleet.credentials[0], Secret("not-the-password"))
    probe = await onvif.probe_onvif(camera(sim), bad, timeout_s=3)
    assert probe.failure is Failure.AUTH
    assert sim.counters.logins_failed == 1


async def test_factory_password_single_attempt(fleet: SimFleet) -> None:
    opened = fleet.cameras[18]
    guess = first_factory_login(opened.manufacturer)
    assert (
        await onvif.try_login(camera(opened), guess.username, guess.password, timeout_s=3) is True
    )
    closed = fleet.cameras[0]
    guess = first_factory_login(closed.manufacturer)
    assert (
        await onvif.try_login(camera(closed), guess.username, guess.password, timeout_s=3) is False
    )
    assert closed.counters.logins_failed == 1
    digest = fleet.cameras[5]
    assert await onvif.try_login(camera(digest), "admin", "12345", timeout_s=3) is False
    assert digest.counters.logins_failed == 1
    assert await onvif.try_login(camera(fleet.cameras[17]), "admin", "12345", timeout_s=2) is None


async def test_sync_time_fixes_a_drifted_clock_and_reboot(fleet: SimFleet) -> None:
    sim = fleet.cameras[3]
    assert abs(sim.clock_offset_s) >= 300
    assert await onvif.sync_time(camera(sim), cred(fleet), timeout_s=3) is None
    assert abs(sim.clock_offset_s) < 3 and sim.datetime_type == "Manual"
    assert sim.counters.writes["SetSystemDateAndTime"] == 1
    digest = fleet.cameras[5]
    assert await onvif.reboot(camera(digest), cred(fleet), timeout_s=3) is None
    assert digest.counters.writes["SystemReboot"] == 1
    error = await onvif.reboot(camera(fleet.cameras[6]), cred(fleet), timeout_s=3)
    assert error is not None and fleet.password not in error


async def test_media2_profiles_and_uris_match_media1(fleet: SimFleet, http_pool: HttpPool) -> None:
    # The simulator offers media2 next to media1: read both and compare, on real bytes.
    from fleetctl.adapters.onvif.media2 import MEDIA2_NS, media2_profiles
    from fleetctl.adapters.onvif.parse import parse_services
    from fleetctl.adapters.onvif.session import Conversation, pin_xaddr

    sim = fleet.cameras[0]
    media1 = await onvif.probe_onvif(
        camera(sim), cred(fleet), timeout_s=5, want_recordings=False, all_stream_uris=True
    )
    assert MEDIA2_NS in media1.services
    conv = Conversation(
        camera(sim), cred(fleet), max_bytes=1_000_000, read_timeout_s=5, pool=http_pool
    )
    await conv.measure_clock()
    services = parse_services(await conv.call("devicemgmt", "GetServices", IncludeCapability=False))
    conv.xaddrs["media2"] = pin_xaddr(services[MEDIA2_NS], conv.base)
    media2 = await media2_profiles(conv)
    assert [(p.token, p.stream_uri) for p in media2] == [
        (p.token, p.stream_uri) for p in media1.profiles
    ]
    for p2, prof in zip(media2, sim.profiles, strict=True):
        assert p2.encoder is not None
        assert (p2.encoder.encoding, p2.encoder.width, p2.encoder.fps, p2.encoder.gop) == (
            prof.encoder.encoding,
            prof.encoder.width,
            prof.encoder.fps,
            prof.encoder.gop,
        )
    assert [op for op, _ in conv.calls][-1] == "GetStreamUri"


async def test_a_wedged_camera_costs_its_first_reply_limit_not_the_whole_budget(
    fleet: SimFleet,
) -> None:
    hang = fleet.cameras[14]
    assert hang.has("hang")
    probe = await onvif.probe_onvif(camera(hang), cred(fleet), timeout_s=30, first_reply_s=0.4)
    assert probe.failure is Failure.TIMEOUT and not probe.answered and not probe.calls
    assert probe.error is not None and "within 0.4 s" in probe.error  # the limit, not the 30 s


async def test_a_slow_camera_is_left_once_its_pace_says_the_rest_cannot_finish(
    fleet: SimFleet,
) -> None:
    slow = fleet.cameras[15]
    assert slow.has("slow")
    slow.fault_params["slow_s"] = 0.4  # every answer 0.4 s: clock + login fit, three more do not
    probe = await onvif.probe_onvif(camera(slow), cred(fleet), timeout_s=1.9, first_reply_s=1.0)
    assert probe.failure is Failure.TIMEOUT and probe.answered
    assert [op for op, _ in probe.calls] == ["GetSystemDateAndTime", "GetDeviceInformation"]
    assert probe.device is not None and probe.device.manufacturer  # identity and login kept
    assert probe.error is not None and "cannot finish" in probe.error
    # Asked for no more than it could answer: the camera saw exactly the two calls.
    assert slow.counters.requests.get("GetServices", 0) == 0
