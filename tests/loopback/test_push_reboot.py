"""`reboot:` in push profiles, against the simulator: its reboot counters and boot times prove it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from support.push import push_argv
from support.push import push_here as run_here

from fleetctl.sim.fleet import SimFleet

REBOOT_S = 1.0  # how long the simulated camera stays away: short, the test waits for it


async def push_here(
    inv: Path, tmp: Path, capsys: pytest.CaptureFixture[str], profile: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    argv = push_argv(
        inv,
        tmp,
        profile,
        "--timeout",
        "3",
        "--reboot-wait",
        "30",
        "--yes",
        *extra,
        name="reboot.yaml",
    )
    return await run_here(argv, capsys)


@pytest.mark.slow
async def test_reboot_always_reboots_each_changed_camera_one_per_site_and_sees_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEETCTL_SECRETS", raising=False)
    async with SimFleet(
        cameras=4,
        sites=2,
        faults="none",
        seed=31,
        discovery=False,
        rtsp=False,
        ssh=False,
        reboot_s=REBOOT_S,
    ) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        cams = fleet.cameras[:4]
        cams[3].dns_servers = ["127.0.0.53"]  # already right: unchanged, so not rebooted
        started = time.time()
        rc, report = await push_here(
            inv, tmp_path, capsys, "dns: {servers: [127.0.0.53]}\nreboot: always\n"
        )
        assert rc == 0, report
        by_name = {c["name"]: c for c in report["cameras"]}
        for c in cams[:3]:
            assert by_name[c.name]["result"] == "changed" and by_name[c.name]["rebooted"] is True
            assert c.counters.reboots == 1 and c.boot_time > started, c.name
        assert cams[3].counters.reboots == 0 and by_name[cams[3].name]["rebooted"] is False
        # One camera per site at a time: the second of a site was only told to reboot once the
        # first answered again, so its boot came at least one whole reboot later (causality, not
        # speed: without the throttle both boots land within milliseconds of each other).
        same_site = [c for c in cams[:3] if c.site == cams[0].site]
        assert len(same_site) == 2
        first, second = sorted(same_site, key=lambda c: c.boot_time)
        assert second.boot_time - first.boot_time >= REBOOT_S


async def test_if_needed_and_never_do_not_reboot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLEETCTL_SECRETS", raising=False)
    async with SimFleet(
        cameras=2, faults="none", seed=32, discovery=False, rtsp=False, ssh=False, reboot_s=REBOOT_S
    ) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        cams = fleet.cameras[:2]
        profile = "dns: {servers: [127.0.0.53]}\nreboot: if-needed\n"
        rc, plan = await push_here(inv, tmp_path, capsys, profile, "--dry-run")
        assert rc == 0 and plan["reboot"].startswith("reboot: not needed"), plan
        rc, report = await push_here(inv, tmp_path, capsys, profile)
        assert rc == 0 and report["summary"]["changed"] == 2
        assert not any(c["rebooted"] for c in report["cameras"])
        rc, report = await push_here(
            inv, tmp_path, capsys, "dns: {servers: [127.0.0.54]}\nreboot: never\n"
        )
        assert rc == 0 and report["summary"]["changed"] == 2
        assert all(c.counters.reboots == 0 and c.dns_servers == ["127.0.0.54"] for c in cams)
