"""`onboard` against the simulator: factory-fresh cameras behind a "router" (unicast sweep only),
real ONVIF accounts, settings and RTSP; assertions on the simulator's own state."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from dataclasses import replace
from pathlib import Path

from fleetctl.adapters.onvif.client import try_login
from fleetctl.adapters.secrets import load_secret_file, set_credential
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.models import Camera
from fleetctl.core.push.profile import load_profile
from fleetctl.engine.discover import DiscoverOptions
from fleetctl.engine.onboard.runner import OnboardOptions, OnboardReport, Result, Step, onboard
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet

PROFILE = """\
ntp: {servers: [ntp1.example.vn, 10.20.0.5]}
time: {timezone: "<+07>-7", mode: ntp}
dns: {servers: [10.20.0.53], search: [example.local]}
hostname: "{site}-{n:03}"
"""
NTP = ["ntp1.example.vn", "10.20.0.5"]


def _setup(fleet: SimFleet, tmp_path: Path, onboard_key: str = "") -> tuple[Path, Path, Path]:
    inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
    if onboard_key:  # a site key, under the site's `location:` (ruamel kept the layout)
        text = inv.read_text()
        inv.write_text(text.replace("    location:", f"    {onboard_key}\n    location:", 1))
    profile = tmp_path / "baseline.yaml"
    profile.write_text(PROFILE)
    return inv, secrets, profile


async def _run(inv: Path, secrets: Path, profile: Path | None, **over: object) -> OnboardReport:
    inventory = load_inventory(str(inv))
    site = inventory.sites[0]
    opts = OnboardOptions(
        site=site.name,
        inventory_file=str(inv),
        secrets_path=str(secrets),
        credentials=site.credentials,
        unique_passwords=site.unique_passwords,
        port=site.port,
        profile=load_profile(str(profile)) if profile else None,
        timeout_s=10.0,  # load-tolerant: the suite shares 2 cores
        stream_window_s=1.0,
        # Multicast is on: the fresh cameras must still be found by the unicast sweep alone.
        discover=DiscoverOptions(ranges=site.ranges, wait_s=1.0, tcp_ports=(), timeout_s=5.0),
    )
    opts = replace(opts, **over)  # type: ignore[arg-type]
    return await onboard(inventory, load_secret_file(str(secrets)), opts)


def _writes(fleet: SimFleet) -> int:
    return sum(sum(c.counters.writes.values()) for c in fleet.cameras)


async def _factory_opens(cam: SimCamera) -> bool | None:
    target = Camera(cam.name, cam.host, cam.site, port=cam.onvif_port)
    return await try_login(target, cam.factory_user, cam.factory_password, timeout_s=3.0)


async def test_twenty_fresh_cameras_onboarded_then_second_run_is_noop(tmp_path: Path) -> None:
    async with SimFleet(cameras=22, fresh=20, seed=6) as fleet:
        fresh = [c for c in fleet.cameras if c.fresh]
        assert len(fresh) == 20 and not any(c.link_local for c in fresh)
        inv, secrets, profile = _setup(fleet, tmp_path)
        report = await _run(inv, secrets, profile)

        results = {d.address: d for d in report.devices}
        failed = {
            a: d.reason
            for a, d in results.items()
            if d.result is not Result.ONBOARDED and d.result is not Result.SKIPPED
        }
        assert not failed
        assert report.summary["onboarded"] == 20 and report.summary["skipped"] == 2
        inventory = load_inventory(str(inv))
        site = inventory.sites[0].name
        assert len(inventory.cameras) == 22
        for cam in fresh:
            entry = next(c for c in inventory.cameras if c.host == cam.host)
            assert entry.name == results[cam.host].name and entry.name.startswith(f"{site}-")
            if cam.factory is not None and cam.factory.kind == "dahua":
                # An uninitialised Dahua: found by DHIP (no endpoint yet), initialised once.
                assert entry.mac == cam.mac and cam.factory.activated
                assert cam.factory.onvif_enabled and cam.factory.access_set
                assert cam.factory.activations == 1 and cam.factory_user not in cam.users
            elif cam.factory is not None and cam.factory.kind == "hikvision":
                # An inactive Hikvision: found by SADP (no endpoint yet), activated once.
                assert entry.mac == cam.mac and cam.factory.activated
                assert cam.factory.onvif_enabled and cam.factory.rtsp_auth == "digest"
                assert cam.factory.activations == 1 and cam.factory_user not in cam.users
            elif cam.factory is not None:  # an Axis that needed setup: its administrator made
                assert (entry.endpoint, entry.mac) == (cam.endpoint, cam.mac)
                assert cam.factory.activations == 1 and cam.factory.admin_password
                assert "root" not in cam.users  # ONVIF accounts: the fleet's alone
            else:
                assert (entry.endpoint, entry.mac) == (cam.endpoint, cam.mac)
                # The simulator's own state: factory password gone.
                assert cam.users[cam.factory_user].password != cam.factory_password
            # Fleet account, baseline set.
            assert cam.users[fleet.username].password == fleet.password
            assert cam.hostname == entry.name
            assert cam.ntp_servers == NTP and cam.datetime_type == "NTP"
            assert cam.dns_servers == ["10.20.0.53"] and cam.timezone == "<+07>-7"
        assert any(c.factory is not None for c in fresh)
        assert await _factory_opens(next(c for c in fresh if c.factory is None)) is False
        store = load_secret_file(str(secrets))
        assert sum(n.startswith("recovery-") for n in store.names()) == 20
        assert stat.S_IMODE(os.stat(secrets).st_mode) == 0o600

        before, text = _writes(fleet), inv.read_bytes()
        again = await _run(inv, secrets, profile)
        assert again.summary["skipped"] == 22 and again.summary["onboarded"] == 0
        assert _writes(fleet) == before  # nothing written to any device
        assert inv.read_bytes() == text  # nor to the inventory


async def test_wrong_factory_password_stops_at_login_then_resumes(tmp_path: Path) -> None:
    async with SimFleet(cameras=4, fresh=4, seed=2) as fleet:
        # The two with a factory password (old firmware); the others, an inactive Hikvision and
        # an uninitialised Dahua, go through the vendor's set-up.
        changed, other = [c for c in fleet.cameras if c.factory is None]
        thirds = [c for c in fleet.cameras if c not in (changed, other)]
        # A technician changed the password on the device before onboarding.
        changed.users[changed.factory_user].password = "Tech1cian-set"
        # The other camera silently ignores SetNTP: the baseline read-back must catch it.
        other.write_faults["SetNTP"] = "ignore"
        inv, secrets, profile = _setup(fleet, tmp_path)
        report = await _run(inv, secrets, profile)
        by_host = {d.address: d for d in report.devices}
        assert len(by_host) == 4, report.to_json()

        stopped = by_host[changed.host]
        assert (stopped.result, stopped.step) == (Result.FAILED, Step.LOGIN)
        assert f"factory-{changed.vendor.value}" in (stopped.reason or "")
        assert sum(changed.counters.writes.values()) == 0
        assert changed.counters.logins_failed == 1  # the one factory attempt: no lockout
        ignored = by_host[other.host]
        assert (ignored.result, ignored.step) == (Result.FAILED, Step.BASELINE)
        assert "ntp.servers" in (ignored.reason or "")
        assert all(by_host[c.host].result is Result.ONBOARDED for c in thirds), report.to_json()
        assert len(load_inventory(str(inv)).cameras) == 2

        # The fix: the device's password is configured, the firmware takes NTP again.
        set_credential(
            str(secrets), f"factory-{changed.vendor.value}", changed.factory_user, "Tech1cian-set"
        )
        other.write_faults.clear()
        rerun = await _run(inv, secrets, profile)
        by_host = {d.address: d for d in rerun.devices}
        assert by_host[changed.host].result is Result.ONBOARDED
        assert changed.users[changed.factory_user].password != "Tech1cian-set"
        resumed = by_host[other.host]
        assert resumed.result is Result.ONBOARDED, resumed.reason
        assert any("fleet account" in a and "opens it" in a for a in resumed.actions)
        assert other.ntp_servers == NTP
        assert all(by_host[c.host].result is Result.SKIPPED for c in thirds)
        names = [c.name for c in load_inventory(str(inv)).cameras]
        assert len(names) == len(set(names)) == 4


async def test_unique_passwords_per_camera(tmp_path: Path) -> None:
    async with SimFleet(cameras=2, fresh=2, seed=3) as fleet:
        inv, secrets, _ = _setup(fleet, tmp_path, onboard_key="onboard: {unique_passwords: true}")
        report = await _run(inv, secrets, None)
        assert report.summary["onboarded"] == 2, [d.reason for d in report.devices]
        store = load_secret_file(str(secrets))
        passwords = set()
        entries = {c.host: c for c in load_inventory(str(inv)).cameras}
        for cam in fleet.cameras:
            entry = entries[cam.host]
            assert entry.credentials and entry.credentials.startswith("onboard-")
            cred = store.get(entry.credentials)
            assert cred.password is not None
            pw = cred.password.reveal()
            # 20 characters; 16 where the vendor's rules stop there (Hikvision)
            assert cam.users[cred.username].password == pw and len(pw) >= 16
            passwords.add(pw)
            assert pw not in json.dumps(report.to_json())
        assert len(passwords) == 2


async def test_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    # The last two (an old-firmware Hikvision and Dahua) open with their factory passwords;
    # --no-multicast: no vendor discovery (an uninitialised device would not be found).
    async with SimFleet(cameras=4, fresh=2, seed=4) as fleet:
        inv, secrets, profile = _setup(fleet, tmp_path)
        text, secret_text = inv.read_bytes(), secrets.read_bytes()
        site = load_inventory(str(inv)).sites[0].name
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "fleetctl",
            "onboard",
            "-i",
            str(inv),
            "--site",
            site,
            "--profile",
            str(profile),
            "--dry-run",
            "-f",
            "json",
            "--wait",
            "0.5",
            "--no-multicast",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        doc = json.loads(out)
        planned = [d for d in doc["devices"] if d["result"] == "planned"]
        assert len(planned) == 2 and doc["dry_run"] is True
        assert any("hostname" in a for a in planned[0]["actions"])
        assert _writes(fleet) == 0
        assert inv.read_bytes() == text and secrets.read_bytes() == secret_text
        assert fleet.password not in (out + err).decode()
        for cam in fleet.cameras:  # Dahua's admin/admin: the account name is shown, fine
            if cam.factory_password != cam.factory_user:
                assert cam.factory_password not in (out + err).decode()
