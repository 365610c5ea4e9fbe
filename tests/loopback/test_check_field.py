"""`check` against cameras that behave as real ones do, not as a fresh simulator does.

Full cards that overwrite, a web server that hangs while the video flows, firmware that
leaves ONVIF calls out (and is remembered for it): real sockets against the simulator.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fleetctl.adapters.secrets import SecretStore
from fleetctl.core.models import Camera, CameraReport, Credential, Inventory, ProblemKind, Status
from fleetctl.core.secret import Secret
from fleetctl.engine.check.runner import CheckOptions, check_cameras
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.workspace import Workspace
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet

OPTIONS = CheckOptions(timeout_s=9.0, stream_window_s=0.5, concurrency=16)


def workspace_for(
    fleet: SimFleet, sims: list[SimCamera], *, rtsp_url: bool = False
) -> tuple[Workspace, list[Camera]]:
    user, password = fleet.credentials
    cameras = [
        Camera(
            name=c.name,
            host=c.host,
            site=c.site,
            port=c.onvif_port,
            credentials="fleet",
            rtsp_url=f"rtsp://{c.host}:{c.rtsp_port}{c.profiles[0].stream_path}"
            if rtsp_url
            else None,
        )
        for c in sims
    ]
    store = SecretStore(
        path="<test>", credentials={"fleet": Credential("fleet", user, Secret(password))}
    )
    return Workspace(Inventory(tuple(cameras), (), ()), store), cameras


async def check(
    fleet: SimFleet,
    sims: list[SimCamera],
    history: HistoryStore | None = None,
    *,
    rtsp_url: bool = False,
) -> dict[str, CameraReport]:
    workspace, cameras = workspace_for(fleet, sims, rtsp_url=rtsp_url)
    opts = replace(OPTIONS, recall=history.recall()) if history is not None else OPTIONS
    report = await check_cameras(cameras, workspace, opts, history=history)
    return {r.name: r for r in report.cameras}


def words(r: CameraReport) -> str:
    return "; ".join(f"{p.kind}/{p.severity}: {p.message}" for p in r.problems) or "no problem"


def step(r: CameraReport, name: str) -> str:
    return next(s.detail for s in r.checks if s.name == name)


async def test_full_cards_that_keep_recording_read_ok() -> None:
    # 0: Hikvision (ISAPI says overwrite on), 1: Dahua (its CGI says nothing about overwrite:
    # the ONVIF recording, still fresh, is the evidence), 2: Hikvision, overwrite off.
    fleet = SimFleet(
        cameras=4, faults="none", seed=3, discovery=False, assign={2: {"storage_full"}}
    )
    for cam in fleet.cameras[:2]:
        card = cam.storage[0]
        card.state, card.used_mb, card.overwrite = "full", card.total_mb, True
    stopped = fleet.cameras[3]  # Dahua, full, and nothing recorded for hours
    card = stopped.storage[0]
    card.state, card.used_mb, card.recording = "full", card.total_mb, False
    card.data_until_offset_s = 5 * 3600
    async with fleet:
        got = await check(fleet, fleet.cameras)
    hik, dahua, off, dead = (got[c.name] for c in fleet.cameras)
    assert hik.status is Status.OK, words(hik)
    assert "full (overwriting)" in step(hik, "storage")
    assert dahua.status is Status.OK, words(dahua)
    assert dahua.storage and dahua.storage[0].state == "full" and dahua.storage[0].overwrite is None
    assert "full (overwriting)" in step(dahua, "storage")
    assert off.status is Status.WARN and "overwrite is off" in words(off)
    assert dead.status is Status.CRIT and "recording stopped" in words(dead)


async def test_a_hung_web_server_is_onvif_and_its_video_is_still_checked(tmp_path: Path) -> None:
    fleet = SimFleet(cameras=2, faults="none", seed=8, discovery=False)
    hung, known = fleet.cameras
    async with fleet:
        with HistoryStore(str(tmp_path / "h.sqlite")) as history:
            first = await check(fleet, [known], history)  # healthy: its stream URI is learned
            assert first[known.name].status is Status.OK, words(first[known.name])
            hung.faults.add("web_hang")
            known.faults.add("web_hang")
            # one from the inventory's rtsp_url, one from the history's last good check
            by_inventory = await check(fleet, [hung], rtsp_url=True)
            by_history = await check(fleet, [known], history)
            known.faults.add("no_video")
            dead = await check(fleet, [known], history)
    for r in (by_inventory[hung.name], by_history[known.name]):
        assert r.status is Status.CRIT
        assert [p.kind for p in r.problems] == [ProblemKind.ONVIF], words(r)
        assert "web service does not answer within 4 s" in r.problems[0].message
        assert not any(p.kind is ProblemKind.OFFLINE for p in r.problems)
        (stream,) = r.streams
        assert stream.status is Status.OK and stream.fps and stream.fps > 5, stream
    # the video of a hung camera is judged too: no RTP is a stream problem beside the onvif one
    assert {p.kind for p in dead[known.name].problems} == {ProblemKind.ONVIF, ProblemKind.STREAM}


async def test_partial_onvif_warns_naming_the_calls_and_checks_the_video(tmp_path: Path) -> None:
    fleet = SimFleet(cameras=3, faults="none", seed=9, discovery=False)
    bare, soap11, _healthy = fleet.cameras
    bare.onvif_quirks |= {"no_clock", "no_device_info"}
    soap11.onvif_quirks |= {"soap11", "no_services", "clock_needs_auth"}
    async with fleet:
        with HistoryStore(str(tmp_path / "h.sqlite")) as history:
            first = await check(fleet, fleet.cameras, history)
            asked = dict(bare.counters.requests)
            second = await check(fleet, fleet.cameras, history)
    for got in (first, second):
        r = got[bare.name]
        assert r.status is Status.WARN, words(r)
        (p,) = r.problems
        assert p.kind is ProblemKind.ONVIF
        assert "GetSystemDateAndTime" in p.message and "GetDeviceInformation" in p.message
        assert r.device is None and r.clock_offset_s is None  # unknown, never invented
        assert r.streams and r.streams[0].status is Status.OK
        s11 = got[soap11.name]
        assert s11.status is Status.WARN and "not supported: GetServices" in words(s11)
        assert s11.device is not None and s11.device.manufacturer  # SOAP 1.1 read alright
        assert s11.streams and s11.streams[0].status is Status.OK
        assert got[_healthy.name].status is Status.OK, words(got[_healthy.name])
    # the second check remembered what this camera leaves out and did not ask again
    assert bare.counters.requests["GetSystemDateAndTime"] == asked["GetSystemDateAndTime"]
    assert bare.counters.requests["GetDeviceInformation"] == asked["GetDeviceInformation"]
    assert bare.counters.requests["GetProfiles"] > asked["GetProfiles"]


async def test_a_vbr_night_scene_far_below_its_ceiling_is_healthy() -> None:
    fleet = SimFleet(cameras=2, faults="none", seed=4, discovery=False)
    night, cbr = fleet.cameras
    for cam in fleet.cameras:
        cam.profiles[0].encoder.scene_ratio = 0.05
    night.profiles[0].encoder.cbr = False
    cbr.profiles[0].encoder.cbr = True  # CBR keeps its rate whatever the scene
    async with fleet:
        got = await check(fleet, fleet.cameras)
    quiet = got[night.name]
    assert quiet.status is Status.OK, words(quiet)
    (main,) = quiet.streams
    assert main.bitrate_kbps and main.configured_bitrate_kbps
    assert main.bitrate_kbps < 0.5 * main.configured_bitrate_kbps  # far below the ceiling
    steady = got[cbr.name]
    assert steady.status is Status.OK, words(steady)
    assert steady.streams[0].bitrate_kbps and steady.streams[0].configured_bitrate_kbps
    assert steady.streams[0].bitrate_kbps > 0.5 * steady.streams[0].configured_bitrate_kbps


async def test_factory_logins_within_a_budget_and_never_again_within_the_lockout_window(
    tmp_path: Path,
) -> None:
    fleet = SimFleet(cameras=9, faults="none", seed=5, discovery=False)
    oem = fleet.cameras[8]  # a generic OEM: admin with admin, then 12345, ...
    oem.users[oem.factory_user].password = "12345"  # the second of its vendor's logins
    new_hik = fleet.cameras[0]  # Hikvision on activation-era firmware: no factory password
    new_hik.users[new_hik.factory_user].password = "12345"
    sims = [oem, new_hik]
    opts = replace(OPTIONS, check_default_passwords=True)
    async with fleet:
        with HistoryStore(str(tmp_path / "h.sqlite")) as history:
            workspace, cameras = workspace_for(fleet, sims)
            first = await check_cameras(
                cameras, workspace, replace(opts, recall=history.recall()), history=history
            )
            failed = oem.counters.logins_failed
            again = await check_cameras(
                cameras, workspace, replace(opts, recall=history.recall()), history=history
            )
            after_again = oem.counters.logins_failed
            one_try = await check_cameras(  # a site whose policy allows one attempt
                [replace(cameras[0], policy=replace(cameras[0].policy, default_password_tries=1))],
                workspace,
                opts,
            )
    for report in (first, again):
        r = {c.name: c for c in report.cameras}
        (p,) = [p for p in r[oem.name].problems if p.kind is ProblemKind.SECURITY]
        assert "(user admin)" in p.message and "12345" not in p.message
        assert r[new_hik.name].status is Status.OK, words(r[new_hik.name])
    assert failed == 1  # admin/admin refused, admin/12345 opened: two attempts, one failure
    assert after_again == failed  # the second run tried nothing
    assert oem.counters.logins_failed == failed + 1  # one attempt, refused: no finding
    assert new_hik.counters.logins_failed == 0  # no login spent where none can exist
    assert one_try.cameras[0].status is Status.OK  # its one attempt (admin/admin) was refused


async def test_the_picture_probe_calls_out_unusable_pictures_of_healthy_streams() -> None:
    faults = {1: {"picture_black"}, 2: {"picture_flat"}, 3: {"picture_blurred"}}
    fleet = SimFleet(cameras=5, faults="none", seed=6, discovery=False, assign=faults)
    opts = replace(OPTIONS, picture=True)
    async with fleet:
        workspace, cameras = workspace_for(fleet, fleet.cameras)
        first = {r.name: r for r in (await check_cameras(cameras, workspace, opts)).cameras}
        # the same picture, first seen three days ago: unchanged for days
        stuck = fleet.cameras[4]
        learned = {s: {k: v} for s, k, v in first[stuck.name].learned if k == "picture"}
        assert learned, [(c.name, c.detail) for c in first[stuck.name].checks]
        fingerprint = learned[f"cam:{stuck.name}"]["picture"].split("|")[0]
        recall = {f"cam:{stuck.name}": {"picture": f"{fingerprint}|2026-01-01T00:00:00+00:00"}}
        again = await check_cameras([cameras[4]], workspace, replace(opts, recall=recall))
    healthy = first[fleet.cameras[0].name]
    assert healthy.status is Status.OK, words(healthy)
    assert "edges" in step(healthy, "picture")
    expected = {
        1: (Status.CRIT, "black"),
        2: (Status.CRIT, "flat colour"),
        3: (Status.WARN, "blurred"),
    }
    for index, (severity, text) in expected.items():
        r = first[fleet.cameras[index].name]
        pictures = [p for p in r.problems if p.kind is ProblemKind.PICTURE]
        assert [p.severity for p in pictures] == [severity], words(r)
        assert text in pictures[0].message
        assert r.streams[0].status is Status.OK  # the stream itself is healthy
    (p,) = again.cameras[0].problems
    assert p.kind is ProblemKind.PICTURE and "unchanged for" in p.message
