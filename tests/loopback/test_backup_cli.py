"""`fleetctl backup` against a simulated fleet: two backups in a row write nothing new; a setting
changed on a camera is saved and shown by `backup diff`; `backup restore` puts it back through
push (dry run first, then --yes), and the camera reads as before."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from support.cli import fleetctl

from fleetctl.sim.fleet import SimFleet

FAST = ("--timeout", "8")


async def test_backup_unchanged_diff_and_restore(tmp_path: Path) -> None:
    async with SimFleet(cameras=4, faults="none", seed=31, discovery=False, rtsp=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        out = tmp_path / "backups"
        args = ("backup", "-i", str(inv), "-o", str(out), "-f", "json", *FAST)

        code, text, err = await fleetctl(*args, home=tmp_path)
        assert code == 0, err
        first = {c["name"]: c for c in json.loads(text)["cameras"]}
        assert {c["result"] for c in first.values()} == {"saved"}
        cam = fleet.cameras[0]
        saved = json.loads(Path(first[cam.name]["path"]).read_text("utf-8"))
        assert saved["device"]["model"] == cam.model and saved["device"]["firmware"] == cam.firmware
        assert saved["hostname"] == cam.hostname
        assert saved["video"]["main"]["fps"] is not None
        assert all("password" not in json.dumps(u).lower() for u in saved["users"])
        assert fleet.password not in Path(first[cam.name]["path"]).read_text("utf-8")
        assert stat.S_IMODE(os.stat(first[cam.name]["path"]).st_mode) == 0o600

        code, text, err = await fleetctl(*args, home=tmp_path)
        second = {c["name"]: c for c in json.loads(text)["cameras"]}
        assert {c["result"] for c in second.values()} == {"unchanged"}, second
        assert second[cam.name]["sha256"] == first[cam.name]["sha256"]

        # Someone changes the camera by hand: the next backup saves it, diff names it.
        old_hostname = cam.hostname
        cam.hostname = "changed-by-hand"
        code, text, err = await fleetctl(*args, home=tmp_path)
        third = {c["name"]: c for c in json.loads(text)["cameras"]}
        assert third[cam.name]["result"] == "saved"
        assert {third[c.name]["result"] for c in fleet.cameras[1:]} == {"unchanged"}
        code, text, err = await fleetctl(
            "backup", "diff", cam.name, "-o", str(out), "-f", "json", home=tmp_path
        )
        assert code == 0, err
        diff = json.loads(text)
        assert diff["changes"] == [
            {"setting": "hostname", "from": old_hostname, "to": "changed-by-hand"}
        ]

        # Restore the first backup: a dry run changes nothing, --yes puts the hostname back.
        taken = saved["taken"]
        restore = ("backup", "restore", cam.name, "--at", taken, "-i", str(inv), "-o", str(out))
        code, text, err = await fleetctl(*restore, home=tmp_path)
        assert cam.hostname == "changed-by-hand", err
        code, text, err = await fleetctl(*restore, "--yes", home=tmp_path)
        assert code == 0, err + text
        assert cam.hostname == old_hostname

        code, text, err = await fleetctl(
            "backup", "diff", "no-such-cam", "-o", str(out), home=tmp_path
        )
        assert code == 64 and "no backup of no-such-cam" in err
