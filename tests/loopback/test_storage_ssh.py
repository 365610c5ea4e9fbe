"""Recorder storage over SSH against a real asyncssh server on loopback: df parsing and TOFU."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncssh
import pytest

from fleetctl.adapters.storage.ssh import parse_df, read_ssh_storage
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import address_for

HOST = address_for(6300)
USER, PASSWORD = "nvr", "Kh0:@/%x"
CRED = Credential("nvr", USER, Secret(PASSWORD))

# Busybox df -P on a DS-style Linux NVR: one HDD full (it overwrites), an rootfs and tmpfs.
DF = """Filesystem           1024-blocks    Used Available Capacity Mounted on
/dev/root                   61504     61504         0 100% /
tmpfs                       63048        12     63036   0% /dev/shm
/dev/sda1              3844640768 3844640768         0 100% /mnt/hdd 1
/dev/sdb1              3844640768 1922320384 1922320384  50% /mnt/hdd2
"""


def test_parse_df_block_devices_only() -> None:
    media = parse_df(DF)
    assert [(m.name, m.state) for m in media] == [
        ("/", "full"),
        ("/mnt/hdd 1", "full"),
        ("/mnt/hdd2", "ok"),
    ]
    hdd2 = media[2]
    assert hdd2.source == "ssh" and hdd2.total_mb == round(3844640768 / 1024, 1)
    assert hdd2.used_mb == round(1922320384 / 1024, 1)


@pytest.mark.parametrize(
    "text", ["", "sh: df: not found\n", "<html>"], ids=["empty", "no-df", "html"]
)
def test_parse_df_refuses_other_output(text: str) -> None:
    with pytest.raises(ValueError):
        parse_df(text)


class _Server(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (USER, PASSWORD)


async def _df(process: asyncssh.SSHServerProcess[str]) -> None:
    if process.command == "df -P":
        process.stdout.write(DF)
        process.exit(0)
    else:
        process.exit(127)


Start = Callable[[asyncssh.SSHKey], Awaitable[int]]


@pytest.fixture
async def recorder() -> AsyncIterator[Start]:
    servers: list[asyncssh.SSHAcceptor] = []

    async def start(key: asyncssh.SSHKey) -> int:
        server = await asyncssh.create_server(
            _Server,
            HOST,
            0,
            server_host_keys=[key],
            process_factory=_df,
        )
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for s in servers:
        s.close()
        await s.wait_closed()


async def test_first_use_records_then_a_changed_key_is_refused(
    recorder: Start, tmp_path: Path
) -> None:
    known = tmp_path / "state" / "known_hosts"
    key = asyncssh.generate_private_key("ssh-ed25519")
    port = await recorder(key)

    first = await read_ssh_storage(HOST, port, CRED, known_hosts_path=known, timeout_s=5, tofu=True)
    assert first.ok, first.error
    assert [m.name for m in first.media] == ["/", "/mnt/hdd 1", "/mnt/hdd2"]
    recorded = known.read_text()
    assert recorded.startswith(f"[{HOST}]:{port} ssh-ed25519 ") and recorded.count("\n") == 1
    assert oct(known.stat().st_mode & 0o777) == oct(0o600)

    again = await read_ssh_storage(HOST, port, CRED, known_hosts_path=known, timeout_s=5, tofu=True)
    assert again.ok and known.read_text() == recorded  # same key: nothing appended

    # The recorder is "replaced": same address and port, a new host key.
    impostor = await recorder(asyncssh.generate_private_key("ssh-ed25519"))
    known.write_text(recorded.replace(f"]:{port} ", f"]:{impostor} "))
    refused = await read_ssh_storage(
        HOST, impostor, CRED, known_hosts_path=known, timeout_s=5, tofu=True
    )
    assert (refused.ok, refused.failure) == (False, Failure.AUTH)
    assert "host key changed" in (refused.error or "") and f"{known}:1" in (refused.error or "")


async def test_wrong_password_is_auth(recorder: Start, tmp_path: Path) -> None:
    port = await recorder(asyncssh.generate_private_key("ssh-ed25519"))
    bad = Credential("nvr", USER, Secret("nope"))
    readout = await read_ssh_storage(
        HOST, port, bad, known_hosts_path=tmp_path / "kh", timeout_s=5, tofu=True
    )
    assert (readout.ok, readout.failure) == (False, Failure.AUTH)
    assert "nope" not in (readout.error or "")


async def test_refused(tmp_path: Path) -> None:
    readout = await read_ssh_storage(
        address_for(6301, (127, 253)),
        2222,
        CRED,
        known_hosts_path=tmp_path / "kh",
        timeout_s=3,
        tofu=True,
    )
    assert readout.failure is Failure.REFUSED


async def test_hashed_openssh_entries_are_honoured(recorder: Start, tmp_path: Path) -> None:
    import base64
    import hashlib
    import hmac

    key = asyncssh.generate_private_key("ssh-ed25519")
    port = await recorder(key)
    salt = os.urandom(20)
    digest = hmac.new(salt, f"[{HOST}]:{port}".encode(), hashlib.sha1).digest()
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()[:2]
    known = tmp_path / "known_hosts"
    # `ssh-keygen -H` style: the recorded key is not the one the server presents.
    known.write_text(
        f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()} {' '.join(other)}\n"
    )
    readout = await read_ssh_storage(
        HOST, port, CRED, known_hosts_path=known, timeout_s=5, tofu=True
    )
    assert readout.failure is Failure.AUTH and "host key changed" in (readout.error or "")


async def test_concurrent_first_use_records_one_line(recorder: Start, tmp_path: Path) -> None:
    import asyncio

    port = await recorder(asyncssh.generate_private_key("ssh-ed25519"))
    known = tmp_path / "known_hosts"
    readouts = await asyncio.gather(
        *(
            read_ssh_storage(HOST, port, CRED, known_hosts_path=known, timeout_s=5, tofu=True)
            for _ in range(4)
        )
    )
    assert all(r.ok for r in readouts)
    assert len(known.read_text().splitlines()) == 1


def test_parse_df_reports_unreadable_mounts_as_failed() -> None:
    errors = "df: /mnt/hdd2: Input/output error\ndf: /nope: No such file or directory\n"
    media = parse_df(DF, errors)
    assert [(m.name, m.state) for m in media][-1] == ("/mnt/hdd2", "failed")
    assert all(m.name != "/nope" for m in media)


async def test_sim_recorder(tmp_path: Path) -> None:
    import random

    from fleetctl.sim.camera.model import Storage, Vendor
    from fleetctl.sim.recorder.ssh import start_ssh
    from fleetctl.sim.vendors.flavours import make_camera

    index = 6310
    cam = make_camera(
        index,
        "nvr",
        "lab",
        address_for(index),
        Vendor.GENERIC,
        random.Random(index),
        USER,
        PASSWORD,
    )
    cam.is_recorder, cam.ssh_port = True, 0
    cam.storage = [
        Storage("HDD1", total_mb=3_800_000, used_mb=1_000_000),
        Storage("HDD2", state="failed"),
        Storage("HDD3", state="full", total_mb=3_800_000),
    ]
    acceptor = await start_ssh(cam, asyncssh.generate_private_key("ssh-ed25519"))
    try:
        readout = await read_ssh_storage(
            cam.host,
            acceptor.get_port(),
            CRED,
            known_hosts_path=tmp_path / "kh",
            timeout_s=5,
            tofu=True,
        )
    finally:
        acceptor.close()
        await acceptor.wait_closed()
    assert readout.ok, readout.error
    states = {m.name: m.state for m in readout.media}
    assert states == {"/": "ok", "/mnt/hdd1": "ok", "/mnt/hdd3": "full", "/mnt/hdd2": "failed"}
    hdd1 = next(m for m in readout.media if m.name == "/mnt/hdd1")
    assert (hdd1.total_mb, hdd1.used_mb) == (3_800_000, 1_000_000)
    assert cam.counters.ssh_commands == 1
