"""`fleetctl discover` as a technician reads it, against factory-fresh simulated devices on `lo`
(SADP, DHIP, Axis systemready and basicdeviceinfo): the set-up state in the chosen language, an
Axis's model, serial and firmware, one MAC spelling in the table, the JSON keywords unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

from support.cli import fleetctl

from fleetctl.sim.fleet import SimFleet

STATES_VI = {
    "inactive": "chưa kích hoạt",
    "uninitialised": "chưa khởi tạo",
    "needs-setup": "cần cài đặt",
    "ready": "sẵn sàng",
}


async def test_states_in_vietnamese_one_mac_spelling_json_keeps_keywords(tmp_path: Path) -> None:
    async with SimFleet(cameras=8, fresh=8, seed=2) as fleet:
        first, last = fleet.cameras[0].host, fleet.cameras[-1].host
        args = ("discover", "-r", f"{first}-{last}", "--wait", "1.0", "--tcp-ports", "none")
        code, out, err = await fleetctl(*args, "-f", "json", home=tmp_path)
        assert code == 0, err
        ours = {c.host for c in fleet.cameras}
        states = {
            d["address"]: d["state"] for d in json.loads(out)["devices"] if d["address"] in ours
        }
        assert "inactive" in states.values(), states  # SADP answered for a fresh Hikvision
        # A fresh Axis says what it is without credentials (basicdeviceinfo.cgi): model, serial
        # and firmware in the JSON and in the table, as for the SADP and DHIP ones.
        axes = [c for c in fleet.cameras if c.factory and c.factory.kind == "axis"]
        assert axes
        rows = {d["address"]: d for d in json.loads(out)["devices"]}
        for cam in axes:
            row = rows[cam.host]
            assert row["state"] == "needs-setup", row
            assert (row["manufacturer"], row["model"]) == ("AXIS", cam.model), row
            assert (row["serial"], row["firmware"]) == (cam.serial, cam.firmware), row

        code, table, err = await fleetctl("--lang", "vi", *args, home=tmp_path)
        assert code == 0, err
        for address, state in states.items():
            if state is None:
                continue
            row = next(
                ln for ln in table.splitlines() if re.search(rf"\s{re.escape(address)}\s", ln)
            )
            assert STATES_VI[state] in row, row
            if state == "needs-setup":
                cam = next(c for c in fleet.cameras if c.host == address)
                assert f" {cam.serial} " in row and f" {cam.firmware}" in row, row
            assert not re.search(rf"\b{re.escape(state)}\b", row), row
            mac = re.search(r"\b[0-9a-f]{2}([:-][0-9a-f]{2}){5}\b", row, re.I)
            assert mac is not None and "-" not in mac.group(0), row
