"""`fleetctl onboard` in Vietnamese as a technician runs it (a subprocess against the simulator):
the table says each device's actions and reason in Vietnamese, `-f json` says the very same run's
in English (JSON never changes with the language), without forcing English on the run."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from fleetctl.base.i18n import render
from fleetctl.core.inventory.load import load_inventory
from fleetctl.sim.fleet import SimFleet

ACTIVATE_PLAN = (  # the plan for a device that says it offers the V3 flow
    "activate by the V3 flow the device offers: generate a password, "
    "store it as `recovery-%(id)s`, activate once; then ONVIF on, fleet "
    "ONVIF user, RTSP Digest"
)
ACTIVATED_V3 = "activated (V3 flow); administrator password stored as `%(name)s`"
KNOWN = "already in inventory as %(name)s"


async def _fleetctl_vi(*args: str, home: Path) -> tuple[int, str, str]:
    drop = ("FLEETCTL_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "FLEETCTL_SECRETS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        LANG="vi_VN.UTF-8",
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_onboard_table_in_vietnamese_and_json_in_english(tmp_path: Path) -> None:
    # Cameras 4 and 5 are factory-fresh: an Axis that needs setup, a Hikvision that needs the
    # V3 activation; the four others are in the inventory already (skipped, with a reason).
    async with SimFleet(cameras=6, fresh=2, seed=41) as fleet:
        hik = next(c for c in fleet.cameras if c.factory is not None and c.factory.activate_v3)
        known = next(c for c in fleet.cameras if not c.fresh)
        inv, _ = fleet.write_inventory(tmp_path / "box.yaml")
        site = load_inventory(str(inv)).sites[0].name
        args = ("onboard", "-i", str(inv), "--site", site, "--wait", "1.0", "--timeout", "20")
        args += ("--stream-window", "1.0")
        ident = hik.mac.replace(":", "").lower()  # its secrets key: the MAC SADP gave

        code, table, err = await _fleetctl_vi(*args, "--dry-run", home=tmp_path)
        assert code == 0, err
        assert table.startswith(render("ADDRESS", {}, "vi")), table[:300]
        plan_vi = render(ACTIVATE_PLAN, {"id": ident}, "vi")
        known_vi = render(KNOWN, {"name": known.name}, "vi")
        assert plan_vi != render(ACTIVATE_PLAN, {"id": ident}, "en")  # a real translation
        assert plan_vi in table and known_vi in table, table
        assert render(ACTIVATE_PLAN, {"id": ident}, "en") not in table
        assert render(KNOWN, {"name": known.name}, "en") not in table
        assert hik.factory is not None and hik.factory.activations == 0  # a plan writes nothing

        code, out, err = await _fleetctl_vi(*args, "-f", "json", home=tmp_path)
        assert code == 0, err
        doc = json.loads(out)
        # The run itself still speaks the user's language: its summary on stderr.
        done = render(
            "onboard %(site)s: %(counts)s in %(seconds)s s",
            {"site": site, "counts": "", "seconds": ""},
            "vi",
        )
        assert done.split(site)[0] + site in err and render("onboarded", {}, "vi") in err, err
        rows = {d["address"]: d for d in doc["devices"]}
        assert rows[hik.host]["result"] == "onboarded", rows[hik.host]
        assert (
            render(ACTIVATED_V3, {"name": f"recovery-{ident}"}, "en") in rows[hik.host]["actions"]
        )
        assert rows[known.host]["reason"] == render(KNOWN, {"name": known.name}, "en")
        words = [w for d in rows.values() for w in [d["reason"] or "", *d["actions"]]]
        assert words and all(w.isascii() for w in words), words  # no Vietnamese in JSON
        assert render(ACTIVATED_V3, {"name": "x"}, "vi") != render(
            ACTIVATED_V3, {"name": "x"}, "en"
        )
