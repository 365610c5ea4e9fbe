"""`fleetctl push` against the simulator, asserting on the devices' own state, not the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.push import push_argv, push_process

from fleetctl.core.push.profile import load_profile
from fleetctl.core.selection import select_cameras
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.runner import PushOptions, apply_push, plan_push
from fleetctl.engine.workspace import load_workspace
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet

PROFILE = """\
dns: {servers: [127.0.0.53], search: [district.local]}
ntp: {servers: [127.0.0.123]}
time: {timezone: "<+07>-7", mode: ntp}
video:
  main: {fps: 20, bitrate_kbps: 2048}
"""


def writes(cams: list[SimCamera]) -> int:
    return sum(sum(c.counters.writes.values()) for c in cams)


def settings(c: SimCamera) -> tuple[object, ...]:
    main = c.profiles[0].encoder
    return (
        list(c.dns_servers),
        list(c.dns_search),
        list(c.ntp_servers),
        c.timezone,
        c.datetime_type,
        main.fps,
        main.bitrate_kbps,
    )


WANTED = (["127.0.0.53"], ["district.local"], ["127.0.0.123"], "<+07>-7", "NTP", 20.0, 2048)


async def push(inv: Path, tmp: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    rc, out, err = await push_process(push_argv(inv, tmp, PROFILE, *extra))
    assert out, err
    return rc, json.loads(out)


async def test_dry_run_writes_nothing_then_push_changes_exactly_the_plan_then_nothing(
    tmp_path: Path,
) -> None:
    async with SimFleet(cameras=6, faults="none", seed=11, discovery=False, rtsp=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        cams = fleet.cameras[:6]
        before = {c.name: settings(c) for c in cams}

        rc, plan = await push(inv, tmp_path, "--dry-run")
        assert rc == 0 and writes(cams) == 0  # a dry run sends zero writes
        assert {c.name: settings(c) for c in cams} == before
        planned = {
            c["name"]: {ch["setting"]: ch["to"] for ch in c["changes"]} for c in plan["cameras"]
        }

        rc, report = await push(inv, tmp_path, "--yes")
        assert rc == 0, report
        assert report["summary"] == {
            "changed": 6,
            "unchanged": 0,
            "failed": 0,
            "restored": 0,
            "unreachable": 0,
        }
        for c in cams:
            assert settings(c) == WANTED  # the device has what the profile asked
            # ...and exactly what the plan showed: every planned setting, nothing else.
            shown = {
                ch["setting"]: ch["to"]
                for ch in next(x for x in report["cameras"] if x["name"] == c.name)["changes"]
            }
            assert shown == planned[c.name]
        n = writes(cams)

        rc, again = await push(inv, tmp_path, "--yes")
        assert rc == 0 and again["summary"]["unchanged"] == 6
        assert writes(cams) == n  # a rerun writes nothing


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("n", [12, 500])
async def test_failures_are_restored_counted_and_retargeted(tmp_path: Path, n: int) -> None:
    """Some cameras hang on a write, some fault on the second setting, some silently ignore a
    value: none is left half-configured, the counts are exact, @failed retargets exactly them."""
    async with SimFleet(cameras=n, faults="none", seed=12, discovery=False, rtsp=False) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        cams = fleet.cameras[:n]
        step = max(12, n // 20)  # n=12: cameras 1, 4, 7; n=500: 25 of each kind
        hang = [c for i, c in enumerate(cams) if i % step == 1]
        second = [c for i, c in enumerate(cams) if i % step == 4]
        ignore = [c for i, c in enumerate(cams) if i % step == 7]
        # Every camera's plan writes DNS first, then NTP (the video change depends on the model).
        for c in hang:
            c.write_faults = {"SetNTP": "hang"}  # the second write never answers
        for c in second:
            c.write_faults = {"SetNTP": "fault"}  # the second write is refused
        for c in ignore:
            c.write_faults = {"SetDNS": "ignore"}  # 200 OK, but the camera keeps its old DNS
        broken = {c.name for c in hang + second + ignore}
        originals = {c.name: settings(c) for c in cams}

        ws = load_workspace(str(inv), str(secrets))
        profile_path = tmp_path / "p.yaml"
        profile_path.write_text(PROFILE)
        profile = load_profile(str(profile_path))
        journal = Journal(str(tmp_path / "j.sqlite"))
        planned = await plan_push(select_cameras(ws.inventory, ""), ws, profile, timeout_s=8)
        planned = [p for p in planned if p.camera.name in originals]
        # Steps of a healthy camera take ms; the deadline only has to survive a loaded machine.
        opts = PushOptions(timeout_s=2.0 if n < 100 else 8.0, max_fail_pct=100, concurrency=32)
        report = await apply_push(planned, ws, profile, opts, journal)
        results = {o.name: o.result for o in report.outcomes}
        why = {o.name: (o.result, o.error) for o in report.outcomes if o.result != "changed"}
        # No camera is left half-configured: each has all of the profile or none of it.
        for c in cams:
            if results[c.name] == "changed":
                assert settings(c) == WANTED, c.name
            else:
                assert settings(c) == originals[c.name], (c.name, results[c.name])
        # A refused or ignored write is undone; a hung write never landed, and reading back
        # proves the camera still has its old settings: all three end "restored".
        assert {name for name, r in results.items() if r != "changed"} == broken, why
        assert all(results[name] == "restored" for name in broken), why
        assert report.summary == {
            "changed": n - len(broken),
            "unchanged": 0,
            "failed": 0,
            "restored": len(broken),
            "unreachable": 0,
        }
        failed = set(journal.failed_last_run())
        assert failed == broken
        journal.close()

        # --limit @failed retargets exactly those; once the cameras are fixed it finishes them...
        for c in hang + second + ignore:
            c.write_faults = {}
        rc, again = await push(
            inv, tmp_path, "--yes", "--journal", str(tmp_path / "j.sqlite"), "--limit", "@failed"
        )
        assert {c["name"] for c in again["cameras"]} == failed
        assert rc == 0 and all(settings(c) == WANTED for c in cams)
        # ...and a full rerun changes nothing.
        before = writes(cams)
        rc, last = await push(inv, tmp_path, "--yes", "--journal", str(tmp_path / "j.sqlite"))
        assert rc == 0 and last["summary"]["changed"] == 0 and writes(cams) == before


async def test_max_fail_aborts_after_the_canary(tmp_path: Path) -> None:
    async with SimFleet(cameras=5, faults="none", seed=13, discovery=False, rtsp=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        cams = fleet.cameras[:5]
        for c in cams:
            c.write_faults = {"SetDNS": "fault"}
        rc, report = await push(
            inv, tmp_path, "--yes", "--canary", "1", "--batch", "2", "--max-fail", "0"
        )
        assert rc == 2 and report["aborted"]
        results = [c["result"] for c in report["cameras"]]
        assert results.count("restored") == 1 and results.count("skipped") == 4
        assert (
            sum(c.counters.writes.get("SetDNS", 0) for c in cams) == 0
        )  # refused writes change nothing
