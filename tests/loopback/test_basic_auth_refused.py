"""The fleet password never goes out as cleartext Basic (issue 13, item 2).

Simulated cameras with the ``basic_only`` fault offer only Basic on RTSP and on their vendor
storage page. Over real sockets the simulator counts every ``Authorization: Basic`` header it
receives: with the default policy none ever arrives, and the camera gets a ``security`` warning
"offers only Basic". With ``allow_basic_auth`` (meant for TLS or per-camera passwords) on that
camera, Basic is answered and the stream is measured: the counter is not blind.
"""

from __future__ import annotations

from dataclasses import replace

from fleetctl.adapters.secrets import SecretStore
from fleetctl.core.models import (
    Camera,
    Credential,
    Inventory,
    Policy,
    ProblemKind,
    Status,
)
from fleetctl.core.secret import Secret
from fleetctl.engine.check.runner import CheckOptions, check_cameras
from fleetctl.engine.workspace import Workspace
from fleetctl.sim.camera.model import SimCamera, Vendor
from fleetctl.sim.fleet import SimFleet

OPTIONS = CheckOptions(timeout_s=15.0, stream_window_s=0.5, concurrency=8)


def _workspace(
    fleet: SimFleet, sims: list[SimCamera], policy: Policy
) -> tuple[Workspace, list[Camera]]:
    user, password = fleet.credentials
    cameras = [
        Camera(
            name=c.name, host=c.host, site=c.site, port=c.onvif_port, credentials="fleet",
            policy=policy,
        )
        for c in sims
    ]  # fmt: skip
    store = SecretStore(
        path="<test>", credentials={"fleet": Credential("fleet", user, Secret(password))}
    )
    return Workspace(Inventory(tuple(cameras), (), ()), store), cameras


async def test_basic_only_cameras_never_receive_the_fleet_password() -> None:
    fleet = SimFleet(cameras=8, seed=21, discovery=False, nat=0.0)
    hik = [c for c in fleet.cameras if c.vendor is Vendor.HIKVISION][:1]
    others = [c for c in fleet.cameras if c.vendor is not Vendor.HIKVISION][:1]
    targets = hik + others  # one with a storage page, one without
    assert targets
    for cam in targets:
        cam.faults.add("basic_only")
    async with fleet:
        workspace, cameras = _workspace(fleet, fleet.cameras, Policy())
        report = await check_cameras(cameras, workspace, OPTIONS)
        assert sum(c.counters.basic_auth_headers for c in fleet.cameras) == 0
        by_name = {r.name: r for r in report.cameras}
        for cam in targets:
            r = by_name[cam.name]
            words = [(p.kind, p.severity, p.message) for p in r.problems]
            assert any(
                p.kind is ProblemKind.SECURITY and "offers only Basic" in p.message
                for p in r.problems
            ), words
            assert r.status is Status.WARN, words  # a finding, not "wrong password"
            assert not any(p.kind is ProblemKind.AUTH for p in r.problems), words
        for r in report.cameras:
            if r.name not in {c.name for c in targets}:
                assert r.status is Status.OK, [p.message for p in r.problems]

        # Allowed for these cameras (TLS or their own password): Basic is answered.
        allowed = Policy(allow_basic_auth=True)
        workspace, cameras = _workspace(fleet, targets, allowed)
        report = await check_cameras(cameras, workspace, OPTIONS)
        assert all(c.counters.basic_auth_headers > 0 for c in targets)
        for r in report.cameras:
            assert r.status is Status.OK, [p.message for p in r.problems]
            assert r.streams and r.streams[0].fps


async def test_a_camera_offering_digest_and_basic_gets_digest() -> None:
    fleet = SimFleet(cameras=8, seed=22, discovery=False, nat=0.0)
    both = [c for c in fleet.cameras if c.vendor in (Vendor.AXIS, Vendor.GENERIC)]
    assert both  # their RTSP servers offer Basic beside Digest
    async with fleet:
        workspace, cameras = _workspace(fleet, both, replace(Policy(), allow_basic_auth=True))
        report = await check_cameras(cameras, workspace, OPTIONS)
        assert all(r.status is Status.OK for r in report.cameras)
        assert sum(c.counters.basic_auth_headers for c in both) == 0
