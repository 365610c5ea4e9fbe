"""`fleetctl onboard` on a box of factory-fresh cameras as a technician runs it (a subprocess):
inactive Hikvision activated once and uninitialised Dahua initialised once, ONVIF enabled, its
user made; killed -9 between activation (initialisation) and the ONVIF switch, the next run
finishes without activating (initialising) again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from fleetctl.adapters.secrets import load_secret_file
from fleetctl.core.inventory.load import load_inventory
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet

PROFILE = 'ntp: {servers: [ntp1.example.vn]}\nhostname: "{site}-{n:03}"\n'
INTEGRATE = "/ISAPI/System/Network/Integrate"
CONFIG = "/cgi-bin/configManager.cgi"


def _args(inv: Path, site: str, profile: Path) -> list[str]:
    return [
        "onboard",
        "-i",
        str(inv),
        "--site",
        site,
        "--profile",
        str(profile),
        "--wait",
        "1.0",
        "--stream-window",
        "1.0",
        "--timeout",
        "10",
        "-f",
        "json",
    ]


async def _fleetctl(*args: str) -> tuple[int, dict[str, object], str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, json.loads(out.decode() or "{}"), err.decode()


async def test_mixed_box_onboarded_in_one_run_then_nothing_changes(tmp_path: Path) -> None:
    # Five fresh cameras: an inactive Hikvision, an uninitialised Dahua, an old-firmware
    # Hikvision and Dahua (factory passwords), an Axis that needs setup.
    async with SimFleet(cameras=5, fresh=5, seed=21) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "box.yaml")
        profile = tmp_path / "baseline.yaml"
        profile.write_text(PROFILE)
        site = load_inventory(str(inv)).sites[0].name
        kinds = [c.factory.kind if c.factory else f"old {c.vendor.value}" for c in fleet.cameras]
        assert sorted(kinds) == ["axis", "dahua", "hikvision", "old dahua", "old hikvision"]
        inactive = [c for c in fleet.cameras if c.factory and c.factory.kind == "hikvision"]
        waiting = [c for c in fleet.cameras if c.factory and c.factory.kind == "dahua"]

        code, report, err = await _fleetctl(*_args(inv, site, profile))
        assert code == 0, err
        results = {d["address"]: d for d in report["devices"]}  # type: ignore[union-attr]
        assert all(results[c.host]["result"] == "onboarded" for c in fleet.cameras), results
        for cam in inactive:
            assert cam.factory is not None and cam.factory.activations == 1
            assert cam.factory.onvif_enabled and cam.factory.rtsp_auth == "digest"
            assert results[cam.host]["state"] == "inactive"
            assert results[cam.host]["activations"] == 1
        for cam in waiting:
            assert cam.factory is not None and cam.factory.activations == 1
            assert cam.factory.activated and cam.factory.onvif_enabled
            assert fleet.username in cam.users and cam.factory.access_set
            assert results[cam.host]["state"] == "uninitialised"
            assert results[cam.host]["activations"] == 1
        entries = {c.host: c for c in load_inventory(str(inv)).cameras}
        assert set(entries) == {c.host for c in fleet.cameras}

        before = inv.read_bytes()
        code, again, err = await _fleetctl(*_args(inv, site, profile))
        assert code == 0, err
        assert again["summary"]["onboarded"] == 0  # type: ignore[index]
        assert inv.read_bytes() == before
        assert all(c.factory is None or c.factory.activations == 1 for c in fleet.cameras)


async def _kill_at_onvif_switch_then_rerun(
    fleet: SimFleet, cam: SimCamera, fault: str, path: str, tmp_path: Path
) -> dict[str, object]:
    """Run onboard with the device's ONVIF switch (write fault ``fault``) hanging, kill -9 it
    once ``path`` was asked twice (read answered, write held), check the administrator password
    was stored before it was sent, then run again; the device's row of the second run."""
    assert cam.factory is not None
    cam.write_faults[fault] = "hang"  # the ONVIF switch never answers: kill it there
    inv, secrets = fleet.write_inventory(tmp_path / "box.yaml")
    profile = tmp_path / "baseline.yaml"
    profile.write_text(PROFILE)
    site = load_inventory(str(inv)).sites[0].name
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        *_args(inv, site, profile),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(120):  # generous: the suite shares 2 cores
        while cam.counters.requests[path] < 2:
            await asyncio.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    assert cam.factory.activated and not cam.factory.onvif_enabled
    store = load_secret_file(str(secrets))
    password = store.get(f"recovery-{cam.mac.replace(':', '')}").password
    assert password is not None and password.reveal() == cam.factory.admin_password

    cam.write_faults.clear()
    code, report, err = await _fleetctl(*_args(inv, site, profile))
    assert code == 0, err
    rows = {d["address"]: d for d in report["devices"]}  # type: ignore[union-attr]
    assert len(load_inventory(str(inv)).cameras) == len(fleet.cameras)
    return rows[cam.host]


async def test_kill_between_activation_and_onvif_then_rerun_finishes(tmp_path: Path) -> None:
    async with SimFleet(cameras=1, fresh=1, seed=22) as fleet:
        (cam,) = fleet.cameras
        row = await _kill_at_onvif_switch_then_rerun(fleet, cam, "Integrate", INTEGRATE, tmp_path)
        assert row["result"] == "onboarded", row
        assert cam.factory is not None and cam.factory.activations == 1  # never activated again
        assert cam.factory.onvif_enabled and fleet.username in cam.users


async def test_dahua_killed_between_initialisation_and_onvif_then_rerun_finishes(
    tmp_path: Path,
) -> None:
    async with SimFleet(cameras=2, fresh=2, seed=23) as fleet:
        cam = next(c for c in fleet.cameras if c.factory and c.factory.kind == "dahua")
        row = await _kill_at_onvif_switch_then_rerun(fleet, cam, "VSP_ONVIF", CONFIG, tmp_path)
        assert row["result"] == "onboarded", row
        assert cam.factory is not None and cam.factory.activations == 1  # never initialised again
        assert cam.factory.onvif_enabled and fleet.username in cam.users
