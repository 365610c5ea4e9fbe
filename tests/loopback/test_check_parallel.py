"""`fleetctl check --workers N`: forked workers give the same report as one process."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from fleetctl.sim.fleet import SimFleet


async def check(inv: Path, workers: int, db: Path) -> tuple[int, dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        "check",
        "-i",
        str(inv),
        "-f",
        "json",
        "-q",
        "--workers",
        str(workers),
        "--window",
        "0.5",
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await proc.communicate()
    assert out, err.decode()
    assert proc.returncode is not None
    return proc.returncode, json.loads(out)


async def test_workers_report_every_camera_once_in_inventory_order(tmp_path: Path) -> None:
    faults = {1: {"offline"}, 4: {"clock_drift"}, 7: {"frozen"}, 9: {"wrong_credentials"}}
    async with SimFleet(
        cameras=12, faults="none", seed=21, assign=faults, discovery=False
    ) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        rc1, one = await check(inv, 1, tmp_path / "one.sqlite")
        rc3, three = await check(inv, 3, tmp_path / "three.sqlite")
    names = [c.name for c in fleet.cameras[:12]]
    for report in (one, three):
        assert [c["name"] for c in report["cameras"]] == names  # each camera once, inventory order
    status = {
        c["name"]: (c["status"], sorted(p["kind"] for p in c["problems"])) for c in three["cameras"]
    }
    assert status == {
        c["name"]: (c["status"], sorted(p["kind"] for p in c["problems"])) for c in one["cameras"]
    }
    bad = {fleet.cameras[i].name for i in faults}
    assert {n for n, (s, _) in status.items() if s != "ok"} == bad
    assert rc1 == rc3 == 2
