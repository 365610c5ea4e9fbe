"""SSH trust before the first password (issue 13, item 9), against the simulator's SSH recorder:
a host never seen gets no password; `fleetctl inventory trust HOST` (or the inventory's
`known_hosts:`) pre-seeds its key; a key-only credential needs no pre-seeding; `ssh_tofu`
policy is the explicit way back to trust on first use."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from fleetctl.adapters.storage.ssh import read_ssh_storage
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import SimCamera, Storage, Vendor, address_for
from fleetctl.sim.fleet import SimFleet
from fleetctl.sim.recorder.ssh import start_ssh
from fleetctl.sim.vendors.flavours import make_camera

USER, PASSWORD = "nvr", "Tru5t-me-not"
CRED = Credential("nvr", USER, Secret(PASSWORD))


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[SimCamera, int]]:
    index = 6320
    cam = make_camera(
        index, "nvr", "lab", address_for(index), Vendor.GENERIC, random.Random(index), USER, PASSWORD
    )  # fmt: skip
    cam.is_recorder, cam.ssh_port = True, 0
    cam.storage = [Storage("HDD1", total_mb=3_800_000, used_mb=1_000_000)]
    acceptor = await start_ssh(cam, asyncssh.generate_private_key("ssh-ed25519"))
    try:
        yield cam, acceptor.get_port()
    finally:
        acceptor.close()
        await acceptor.wait_closed()


async def test_a_host_never_seen_gets_no_password_until_trusted(
    recorder: tuple[SimCamera, int], tmp_path: Path
) -> None:
    cam, port = recorder
    known = tmp_path / "known_hosts"
    refused = await read_ssh_storage(cam.host, port, CRED, known_hosts_path=known, timeout_s=10)
    assert (refused.ok, refused.failure) == (False, Failure.AUTH)
    assert "never recorded" in (refused.error or "") and "inventory trust" in (refused.error or "")
    assert cam.counters.ssh_passwords == 0  # nothing crossed the socket
    assert not known.exists()

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleetctl", "inventory", "trust", cam.host, "--port", str(port),
        "--known-hosts", str(known),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    assert f"{cam.host}:{port} ssh-ed25519 SHA256:" in out.decode()
    assert known.read_text().startswith(f"[{cam.host}]:{port} ssh-ed25519 ")
    assert cam.counters.ssh_passwords == 0  # asking for the key is not a login

    trusted = await read_ssh_storage(cam.host, port, CRED, known_hosts_path=known, timeout_s=10)
    assert trusted.ok, trusted.error
    assert cam.counters.ssh_passwords == 1


async def test_policy_tofu_and_key_only_logins(
    recorder: tuple[SimCamera, int], tmp_path: Path
) -> None:
    cam, port = recorder
    key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id_ed25519"
    key_file.write_bytes(key.export_private_key())
    os.chmod(key_file, 0o600)
    cam.ssh_authorized_keys[USER] = [key.export_public_key().decode()]
    key_only = Credential("nvr-key", USER, None, str(key_file))
    known = tmp_path / "kh-key"
    readout = await read_ssh_storage(cam.host, port, key_only, known_hosts_path=known, timeout_s=10)
    assert readout.ok, readout.error
    assert cam.counters.ssh_passwords == 0 and known.read_text().count("\n") == 1

    tofu = await read_ssh_storage(
        cam.host, port, CRED, known_hosts_path=tmp_path / "kh-tofu", timeout_s=10, tofu=True
    )
    assert tofu.ok and cam.counters.ssh_passwords == 1


async def test_the_simulated_inventory_names_its_recorders_keys(tmp_path: Path) -> None:
    async with SimFleet(cameras=2, recorders=1, seed=41, discovery=False, rtsp=False) as fleet:
        inv, _secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        inventory = load_inventory(str(inv))
        assert inventory.known_hosts_path == str(tmp_path / "sim-known_hosts")
        nvr = next(c for c in fleet.cameras if c.is_recorder)
        line = (tmp_path / "sim-known_hosts").read_text()
        assert line.startswith(f"[{nvr.host}]:{nvr.ssh_port} ssh-ed25519 ")
        readout = await read_ssh_storage(
            nvr.host,
            nvr.ssh_port,
            Credential("sim", *fleet.credentials[:1], Secret(fleet.credentials[1])),
            known_hosts_path=inventory.known_hosts_path,
            timeout_s=10,
        )
        assert readout.ok, readout.error
