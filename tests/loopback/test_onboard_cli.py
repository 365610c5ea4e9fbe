"""`fleetctl onboard` as a user runs it (a subprocess, -vv logs on): generated passwords reach
the devices and the secrets file, and never stdout, stderr or the debug log."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from fleetctl.adapters.secrets import load_secret_file
from fleetctl.core.inventory.load import load_inventory
from fleetctl.sim.fleet import SimFleet


async def _fleetctl(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()  # the simulator keeps serving on this loop meanwhile
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_unique_passwords_never_printed_or_logged(tmp_path: Path) -> None:
    async with SimFleet(cameras=3, fresh=2, seed=5) as fleet:
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        text = inv.read_text()
        inv.write_text(
            text.replace("    location:", "    onboard: {unique_passwords: true}\n    location:", 1)
        )
        site = load_inventory(str(inv)).sites[0].name
        code, out, err = await _fleetctl(
            "-vv",
            "onboard",
            "-i",
            str(inv),
            "--site",
            site,
            "--wait",
            "0.5",
            "--stream-window",
            "1.0",
            "--timeout",
            "8",
        )
        assert code == 0, out + err
        rows = [line.split() for line in out.splitlines()[1:] if not line.startswith(" ")]
        assert sorted(r[1] for r in rows) == ["onboarded", "onboarded", "skipped"]
        assert "onboard-" in err  # the -v log names the credentials it stored...

        store = load_secret_file(str(secrets))
        generated = [n for n in store.names() if n.startswith(("onboard-", "recovery-"))]
        assert len(generated) == 4
        for name in generated:
            password = store.get(name).password
            assert password is not None
            assert password.reveal() not in out + err  # ...never what is in them
        for cam in fleet.cameras[1:]:
            if cam.factory is not None:  # an uninitialised Dahua: initialised, no factory user
                assert cam.factory.activated and cam.factory_user not in cam.users
            else:
                assert cam.users[cam.factory_user].password != cam.factory_password
        assert any(c.factory is None for c in fleet.cameras[1:])

        # Again: nothing new, exit 0, the inventory file untouched.
        before = inv.read_bytes()
        code, out, err = await _fleetctl(
            "onboard", "-i", str(inv), "--site", site, "--wait", "0.5", "-f", "json"
        )
        assert code == 0, err
        assert '"onboarded": 0' in out and inv.read_bytes() == before
