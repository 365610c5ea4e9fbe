"""`onboard` run again after a device refused its factory login: the refused password is not
sent again (the device would count it towards locking this address out), and once the right one
is stored the device is onboarded. Real sockets: `fleetctl` as a child process against the
simulator, whose lockout counts every failed login."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from support.cli import fleetctl

from fleetctl.adapters.secrets import set_credential
from fleetctl.sim.fleet import SimFleet


async def test_a_refused_factory_login_is_not_sent_again_on_rerun(tmp_path: Path) -> None:
    async with SimFleet(cameras=4, fresh=4, seed=2) as fleet:
        # A camera with a factory password (old firmware) whose password a technician changed.
        cam = next(c for c in fleet.cameras if c.factory is None)
        cam.users[cam.factory_user].password = "Tech1cian-set"
        inv, secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        site = cam.site
        args = ("onboard", "-i", str(inv), "--site", site, "-a", cam.host, "-f", "json")

        reasons = []
        for _ in range(3):  # a technician rerunning it, as people do
            code, out, err = await fleetctl(*args, home=tmp_path)
            assert code == 2, err
            (dev,) = json.loads(out)["devices"]
            assert (dev["result"], dev["step"]) == ("failed", "login"), dev
            reasons.append(dev["reason"])
        assert cam.counters.logins_failed == 1, reasons  # one refusal in three runs: no lockout
        assert "factory login rejected" in reasons[0]
        assert all("not sent" in r and f"factory-{cam.vendor.value}" in r for r in reasons[1:])
        # In Vietnamese: the device did not make it ("thất bại"); it is not broken ("hỏng").
        code, out, err = await fleetctl("--lang", "vi", *args[:-2], home=tmp_path)
        row = next(line for line in out.splitlines() if line.startswith(cam.host))
        assert "thất bại" in row and "hỏng" not in row and "không gửi lại" in row, out
        assert "thất bại" in err and "hỏng" not in err, err
        assert cam.counters.logins_failed == 1
        memory = tmp_path / "data" / "fleetctl" / "onboard-refusals.json"
        assert stat.S_IMODE(memory.stat().st_mode) == 0o600
        assert "Tech1cian-set" not in memory.read_text()
        assert cam.factory_password not in memory.read_text()

        # The fix the message asks for: the device's password in the secrets file.
        set_credential(
            str(secrets), f"factory-{cam.vendor.value}", cam.factory_user, "Tech1cian-set"
        )
        code, out, err = await fleetctl(*args, home=tmp_path)
        assert code == 0, err
        (dev,) = json.loads(out)["devices"]
        assert dev["result"] == "onboarded", dev
        assert cam.counters.logins_failed == 1
        assert json.loads(memory.read_text()) == {}  # the device opened: nothing to hold
