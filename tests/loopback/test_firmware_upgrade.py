"""`fleetctl firmware upgrade` against simulated cameras: the checksum gates everything, a dry
run sends nothing, the canary and batches run one camera per site at a time, a camera that
comes back on its old version is `failed`, one that never comes back is `not-restorable` and
stops the rollout, a second run finds the upgraded cameras unchanged, and a rollout killed
mid-way finishes with --resume."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys
from pathlib import Path

from support.cli import fleetctl

from fleetctl.sim.camera.firmware import make_image
from fleetctl.sim.camera.model import Vendor
from fleetctl.sim.fleet import SimFleet

NEW = "V5.7.99 build 261201"


def _hik(fleet: SimFleet) -> list[int]:
    return [
        i for i, c in enumerate(fleet.cameras) if c.vendor is Vendor.HIKVISION and not c.is_recorder
    ]


async def test_staged_upgrade_with_rollback_and_a_camera_that_never_returns(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=12, faults="none", seed=41, discovery=False, rtsp=True, reboot_s=0.3
    ) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        hik = _hik(fleet)
        assert len(hik) >= 4
        models = sorted({fleet.cameras[i].model for i in hik})
        image = tmp_path / "digicap.dav"
        image.write_bytes(make_image("hikvision", models, NEW))
        digest = hashlib.sha256(image.read_bytes()).hexdigest()
        journal = str(tmp_path / "fw.sqlite")
        base = ("firmware", "upgrade", "-i", str(inv), "--image", str(image), "--version", NEW,
                "--models", "DS-2CD*,DS-2DE*", "--journal", journal, "--timeout", "5")  # fmt: skip

        code, out, err = await fleetctl(*base, "--sha256", "0" * 64, "--yes", home=tmp_path)
        assert code == 64 and "nothing sent" in err
        code, out, err = await fleetctl(*base, "--dry-run", "-f", "json", home=tmp_path)
        assert code == 0, err
        plan = {r["name"]: r for r in json.loads(out)["plan"]}
        upgradable = {
            fleet.cameras[i].name for i in hik if fleet.cameras[i].model.startswith("DS-2CD")
        }
        assert {n for n, r in plan.items() if r["result"] == "to upgrade"} == upgradable
        assert all(r["result"] == "skipped" for n, r in plan.items() if n not in upgradable)
        assert sum(c.counters.upgrades for c in fleet.cameras) == 0

        order = [fleet.cameras[i] for i in hik if fleet.cameras[i].name in upgradable]
        rollback, bricked = order[1], order[-1]
        rollback.upgrade_fault, bricked.upgrade_fault = "rollback", "bricked"
        code, out, err = await fleetctl(
            *base, "--sha256", digest, "--canary", "1", "--batch", "50%", "--max-fail", "60",
            "--wait", "6", "--yes", "-f", "json", home=tmp_path,
        )  # fmt: skip
        doc = json.loads(out)
        by = {c["name"]: c for c in doc["cameras"]}
        assert code == 2, err  # the rollout stopped
        assert by[bricked.name]["result"] == "not-restorable"
        assert (
            by[rollback.name]["result"] == "failed" and "did not take" in by[rollback.name]["error"]
        )
        changed = [n for n, c in by.items() if c["result"] == "changed"]
        assert changed and all(fleet.by_name(n).firmware == NEW for n in changed)
        assert by[order[0].name]["result"] == "changed"  # the canary
        assert rollback.firmware != NEW
        assert "did not come back" in doc["stopped"]

        # Again (the bricked one is gone for good): the upgraded cameras are unchanged.
        bricked_name = bricked.name
        code, out, err = await fleetctl(
            *base,
            "--yes",
            "-f",
            "json",
            "--select",
            f"!name:{bricked_name}",
            "--wait",
            "6",
            home=tmp_path,
        )
        again = {c["name"]: c["result"] for c in json.loads(out)["cameras"]}
        assert all(again[n] == "unchanged" for n in changed)


async def test_a_killed_rollout_finishes_with_resume(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=10, faults="none", seed=43, discovery=False, rtsp=True, reboot_s=1.0
    ) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        hik = [fleet.cameras[i] for i in _hik(fleet) if fleet.cameras[i].model.startswith("DS-2CD")]
        image = tmp_path / "digicap.dav"
        image.write_bytes(make_image("hikvision", sorted({c.model for c in hik}), NEW))
        journal = str(tmp_path / "fw.sqlite")
        env = dict(
            os.environ,
            XDG_DATA_HOME=str(tmp_path / "data"),
            XDG_CONFIG_HOME=str(tmp_path / "config"),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fleetctl", "firmware", "upgrade", "-i", str(inv), "--image", str(image),
            "--version", NEW, "--models", "DS-2CD*", "--journal", journal, "--canary", "1",
            "--batch", "1", "--yes", "--timeout", "5", "--wait", "20",
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stderr is not None
        # Kill -9 as soon as the canary is reported done: the next camera may be mid-flash.
        while True:
            line = await asyncio.wait_for(proc.stderr.readline(), 60)
            assert line, "the upgrade ended before reporting its canary"
            if b": changed" in line:
                break
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        assert any(c.firmware != NEW for c in hik)

        code, out, err = await fleetctl(
            "firmware", "upgrade", "-i", str(inv), "--resume", "--journal", journal, "-f", "json",
            "--timeout", "5", home=tmp_path,
        )  # fmt: skip
        assert code == 0, err + out
        assert all(c.firmware == NEW for c in hik), [(c.name, c.firmware) for c in hik]
        code, out, err = await fleetctl(
            "firmware", "upgrade", "-i", str(inv), "--resume", "--journal", journal, home=tmp_path
        )
        assert code == 0 and "nothing to resume" in err
