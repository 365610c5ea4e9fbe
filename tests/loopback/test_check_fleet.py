"""`check` against a simulated fleet on loopback: every injected fault found, healthy ones ok.

The simulator records what it injected (``fleet.injected``) and ``sim.camera.model.FAULTS`` says
what a correct check must report for each fault (kind and severity): the test holds the engine to
that, for every fault in the catalogue, with real ONVIF, RTSP and HTTP on 127.16.x.y.
"""

from __future__ import annotations

import resource
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fleetctl.adapters.http.client import Pool
from fleetctl.adapters.secrets import SecretStore
from fleetctl.core.models import Camera, CameraReport, Credential, Inventory, ProblemKind, Status
from fleetctl.core.secret import Secret
from fleetctl.engine.check.runner import CheckOptions, check_camera, check_cameras
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.workspace import Workspace
from fleetctl.sim.camera.model import FAULTS, SimCamera
from fleetctl.sim.fleet import SimFleet

# Long enough for the "slow" camera (2.5 s per ONVIF answer) to show two answers, short enough
# that the hostile cameras' deadlines keep the test quick.
OPTIONS = CheckOptions(
    timeout_s=9.0, stream_window_s=0.5, check_default_passwords=True, concurrency=64, picture=True
)
HOSTILE = ("huge_reply", "entity_bomb", "malformed_xml", "drip", "hang")


def workspace_for(fleet: SimFleet, sims: list[SimCamera]) -> tuple[Workspace, list[Camera]]:
    user, password = fleet.credentials
    cameras = [
        Camera(name=c.name, host=c.host, site=c.site, port=c.onvif_port, credentials="fleet")
        for c in sims
    ]
    store = SecretStore(
        path="<test>", credentials={"fleet": Credential("fleet", user, Secret(password))}
    )
    return Workspace(Inventory(tuple(cameras), (), ()), store), cameras


@pytest.fixture
async def every() -> AsyncIterator[SimFleet]:
    fleet = SimFleet(cameras=32, faults="every", seed=7, discovery=False, nat=0.0)
    for cam in fleet.cameras:
        if cam.has("flapping"):
            # Start the flapping camera in a long "down" phase so the check meets it down (up, it
            # is indistinguishable from a healthy camera in one check: `serve` damps flapping).
            cam.fault_params.update(flap_up_s=0.0, flap_down_s=120.0)
    async with fleet:
        yield fleet


async def test_every_fault_is_reported_with_its_kind_and_severity(every: SimFleet) -> None:
    sims = every.cameras
    workspace, cameras = workspace_for(every, sims)
    seen: list[str] = []
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = await check_cameras(
        cameras, workspace, OPTIONS, on_result=lambda r: seen.append(r.name)
    )
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    injected = every.injected
    assert set().union(*injected.values()) == set(FAULTS), "the fleet should carry every fault"
    by_name = {r.name: r for r in report.cameras}
    assert sorted(seen) == sorted(by_name)  # on_result saw each camera once
    failures: list[str] = []
    for cam in sims:
        r = by_name[cam.name]
        faults = injected.get(cam.name, set())
        if not faults:
            if r.status is not Status.OK:
                failures.append(
                    f"{cam.name} healthy but {r.status}: {[p.message for p in r.problems]}"
                )
            continue
        found = {(p.kind.value, p.severity.value) for p in r.problems}
        for fault in faults:
            spec = FAULTS[fault]
            if (spec.kind, spec.severity) not in found:
                failures.append(
                    f"{cam.name} [{fault}] wants {spec.kind}/{spec.severity}, got {_words(r)}"
                )
        worst = Status.worst([Status(FAULTS[f].severity) for f in faults])
        if r.status is not worst:
            failures.append(
                f"{cam.name} {sorted(faults)}: status {r.status}, want {worst}: {_words(r)}"
            )
    assert not failures, "\n".join(failures)
    # Hostile cameras: their own probe deadline produced the verdict (not the camera's deadline)
    for cam in sims:
        if cam.faults & set(HOSTILE):
            r = by_name[cam.name]
            assert not any("did not finish" in p.message for p in r.problems), _words(r)
    assert rss_growth_mb < 200, (
        f"memory grew by {rss_growth_mb:.0f} MB (a 50 MB reply must not be read)"
    )


def _words(r: CameraReport) -> str:
    return "; ".join(f"{p.kind}/{p.severity}: {p.message}" for p in r.problems) or "no problem"


async def test_report_carries_device_stream_storage_and_steps(tmp_path: Path) -> None:
    async with SimFleet(cameras=3, faults="none", seed=3, discovery=False) as fleet:
        workspace, cameras = workspace_for(fleet, fleet.cameras)
        sim = fleet.cameras[1]
        rtsp_only = Camera(
            name="rtsp-only",
            host=sim.host,
            site=sim.site,
            port=sim.onvif_port,
            credentials="fleet",
            onvif=False,
            rtsp_url=f"rtsp://{sim.host}:{sim.rtsp_port}{sim.profiles[0].stream_path}",
        )
        report = await check_cameras([*cameras, rtsp_only], workspace, OPTIONS)
    plain = report.cameras[-1]
    assert plain.status is Status.OK, _words(plain)
    assert plain.checks[0].name == "reach" and "onvif" not in {s.name for s in plain.checks}
    assert plain.streams[0].fps and plain.device is None
    hik = report.cameras[0]  # camera 0 is a Hikvision (sim.fleet VENDOR_CYCLE)
    assert hik.status is Status.OK, _words(hik)
    assert hik.device is not None and hik.device.manufacturer and hik.device.serial
    assert hik.clock_offset_s is not None and abs(hik.clock_offset_s) < 5
    (main,) = hik.streams
    assert (
        main.status is Status.OK and main.codec in ("H264", "H265") and main.fps and main.fps > 10
    )
    assert main.uri and "@" not in main.uri and fleet.password not in main.uri
    assert hik.storage and hik.storage[0].source == "isapi" and hik.storage[0].total_mb
    assert [s.name for s in hik.checks][:2] == ["reach", "onvif"]
    assert {"stream", "storage", "security"} <= {s.name for s in hik.checks}
    assert all(s.duration_ms is not None for s in hik.checks)


async def test_since_survives_across_runs(tmp_path: Path) -> None:
    fleet = SimFleet(
        cameras=4,
        faults="none",
        seed=5,
        discovery=False,
        assign={0: {"offline"}, 1: {"no_video"}, 2: {"clock_skew"}},
    )
    async with fleet:
        workspace, cameras = workspace_for(fleet, fleet.cameras)
        opts = CheckOptions(timeout_s=5.0, stream_window_s=0.3)
        with HistoryStore(str(tmp_path / "h.sqlite")) as history:
            first = await check_cameras(cameras, workspace, opts, history=history)
            streamed: list[CameraReport] = []
            second = await check_cameras(
                cameras, workspace, opts, on_result=streamed.append, history=history
            )
            statuses = history.last_statuses()
    one = {r.name: r for r in first.cameras}
    two = {r.name: r for r in second.cameras}
    for cam, kind in (
        (fleet.cameras[0], ProblemKind.OFFLINE),
        (fleet.cameras[1], ProblemKind.STREAM),
        (fleet.cameras[2], ProblemKind.CLOCK),
    ):
        (p1,) = [p for p in one[cam.name].problems if p.kind is kind]
        (p2,) = [p for p in two[cam.name].problems if p.kind is kind]
        assert p1.since == one[cam.name].checked_at  # new in run one
        assert p2.since == p1.since  # still the same episode in run two
    assert {r.name: r.problems for r in streamed} == {
        n: r.problems for n, r in two.items()
    }  # annotated
    assert statuses[fleet.cameras[3].name] is Status.OK
    assert statuses[fleet.cameras[0].name] is Status.CRIT


async def test_unreachable_camera_is_one_problem() -> None:
    cam = Camera(name="gone", host="127.253.0.9", site="t", port=80, credentials="fleet")
    store = SecretStore(path="<test>", credentials={"fleet": Credential("fleet", "u", Secret("p"))})
    ws = Workspace(Inventory((cam,), (), ()), store)
    report = await check_cameras([cam], ws, CheckOptions(timeout_s=3.0))
    (r,) = report.cameras
    assert r.status is Status.CRIT and [p.kind for p in r.problems] == [ProblemKind.OFFLINE]
    assert [s.name for s in r.checks] == ["reach"]
    assert report.worst.exit_code == 2


async def test_a_bug_in_one_side_probe_is_that_probe_s_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A defect cannot be injected into a probe without replacing it: this stands in for a bug
    # in the storage reader; the stream probe next to it must still finish and be judged.
    from fleetctl.engine.check import probing

    async def broken(*_a: object, **_k: object) -> None:
        raise AttributeError("simulated defect")

    monkeypatch.setattr(probing, "storage", broken)
    async with SimFleet(cameras=1, faults="none", seed=3, discovery=False) as fleet:
        workspace, cameras = workspace_for(fleet, fleet.cameras)
        report = await check_cameras(cameras, workspace, OPTIONS)
    (cam,) = report.cameras
    (problem,) = cam.problems
    assert (problem.kind, problem.severity) == (ProblemKind.STORAGE, Status.UNKNOWN), _words(cam)
    assert "internal error (AttributeError)" in problem.message
    assert cam.streams and cam.streams[0].status is Status.OK  # its neighbour still finished


async def test_the_run_uses_the_pool_it_is_given_and_leaves_it_to_its_owner() -> None:
    # A caller (serve, a test) passes its own connections; the run neither replaces nor closes
    # them, and every camera's ONVIF and storage calls go through them.
    async with SimFleet(cameras=3, faults="none", seed=5, discovery=False) as fleet:
        workspace, cameras = workspace_for(fleet, fleet.cameras)
        pool = Pool(per_host=2)
        try:
            report = await check_cameras(cameras, workspace, OPTIONS, pool=pool)
            again = await check_camera(cameras[0], workspace, OPTIONS, pool)
            assert not pool.closed
            assert pool.connects >= len(cameras)  # each camera was reached through it
        finally:
            await pool.close()
    assert all(c.status is Status.OK for c in report.cameras), [_words(c) for c in report.cameras]
    assert again.status is Status.OK, _words(again)
