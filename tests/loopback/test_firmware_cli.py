"""`fleetctl firmware` and the check's firmware findings, against a simulated fleet: counts equal
the simulator's, the cameras on a vulnerable build are flagged (and only they), the inventory's
minimum turns into `config` findings, and a rules file extends the shipped table."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from support.cli import fleetctl

from fleetctl.sim.camera.model import Vendor
from fleetctl.sim.fleet import SimFleet

FAST = ("--timeout", "5")


async def test_firmware_inventory_advisories_policy_and_refresh(tmp_path: Path) -> None:
    fleet = SimFleet(cameras=8, faults="none", seed=21, discovery=False, rtsp=False)
    # Two cameras of vendors with a vulnerable build in the simulator get it.
    targets = [
        i for i, c in enumerate(fleet.cameras) if c.vendor in (Vendor.HIKVISION, Vendor.DAHUA)
    ]
    assert len(targets) >= 2
    flagged = {fleet.cameras[i].name for i in targets[:2]}
    async with SimFleet(
        cameras=8, faults="none", seed=21, discovery=False, rtsp=False,
        assign={i: {"vulnerable_firmware"} for i in targets[:2]},
    ) as fleet:  # fmt: skip
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        db = str(tmp_path / "history.sqlite")
        truth = Counter((c.manufacturer, c.model, c.firmware) for c in fleet.cameras)

        # Before any check the history knows no identity: said on stderr, exit 0.
        code, out, err = await fleetctl(
            "firmware", "-i", str(inv), "--db", db, "-f", "json", home=tmp_path
        )
        assert code == 0, err
        assert "no identity in the history yet" in err
        assert [m["count"] for m in json.loads(out)["models"]] == [8]

        code, out, err = await fleetctl(
            "check",
            "-i",
            str(inv),
            "--db",
            db,
            "-f",
            "json",
            "--window",
            "0.3",
            *FAST,
            home=tmp_path,
        )
        doc = json.loads(out)
        security = {
            c["name"]
            for c in doc["cameras"]
            for p in c["problems"]
            if p["kind"] == "security" and "published" in p["message"]
        }
        assert security == flagged, doc

        code, out, err = await fleetctl(
            "firmware", "-i", str(inv), "--db", db, "-f", "json", home=tmp_path
        )
        assert code == 1, err  # a model has an advisory
        models = json.loads(out)["models"]
        got = Counter({(m["manufacturer"], m["model"], m["firmware"]): m["count"] for m in models})
        assert got == truth
        vulnerable = {n for m in models if m["advisories"] for n in m["cameras"]}
        assert vulnerable == flagged
        assert all(a["source"].startswith("https://") for m in models for a in m["advisories"])

        # A fleet minimum above the current Hikvision builds: `below`, and a config finding.
        text = inv.read_text(encoding="utf-8")
        inv.write_text('firmware:\n  minimum: {"DS-2CD*": "V9.0.0"}\n' + text, encoding="utf-8")
        code, out, err = await fleetctl(
            "firmware", "-i", str(inv), "--db", db, "-f", "json", "--refresh", *FAST, home=tmp_path
        )
        models = json.loads(out)["models"]
        hik = [m for m in models if (m["model"] or "").startswith("DS-2CD")]
        assert hik and all(m["policy"] == "below" and m["minimum"] == "V9.0.0" for m in hik)
        assert all(m["policy"] == "ok" for m in models if m not in hik)

        # A rules file replaces a shipped row by id: that advisory no longer matches anything.
        rules = tmp_path / "rules.yaml"
        rows = "".join(
            f"- {{id: {rid}, vendor: none, models: [NONE], severity: low, source: https://x.invalid}}\n"
            for rid in ("HSRC-202109-01", "DHCC-SA-202110-001", "DHCC-SA-202206-001")
        )
        rules.write_text(rows, encoding="utf-8")
        code, out, err = await fleetctl(
            "firmware",
            "-i",
            str(inv),
            "--db",
            db,
            "-f",
            "json",
            "--advisories",
            str(rules),
            home=tmp_path,
        )
        assert not any(m["advisories"] for m in json.loads(out)["models"])

        rules.write_text("- {id: x, severity: nope}\n", encoding="utf-8")
        code, out, err = await fleetctl(
            "firmware", "-i", str(inv), "--db", db, "--advisories", str(rules), home=tmp_path
        )
        assert code == 64 and "rules.yaml: row 1" in err
