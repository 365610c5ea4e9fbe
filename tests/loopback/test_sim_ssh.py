"""The simulated recorder over SSH, as OpenSSH's ``ssh`` and asyncssh's client see it."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from pathlib import Path

import asyncssh
import pytest
from support.sim_media import PASSWORD, USER, make_cam, ssh_recorder

from fleetctl.sim.camera.model import SimCamera, Storage
from fleetctl.sim.recorder.shell import run_command

SSH = "/usr/bin/ssh"
DISKS = [
    Storage("HDD1", total_mb=3_815_447, used_mb=1_907_723),
    Storage("HDD2", state="full", total_mb=1_907_729, used_mb=1_000),
    Storage("HDD3", state="failed"),
    Storage("HDD4", state="unformatted"),
]


async def _run(cam: SimCamera, command: str, **auth: str) -> asyncssh.SSHCompletedProcess:
    options = {"username": USER, "password": PASSWORD, **auth}
    async with asyncssh.connect(
        cam.host, cam.ssh_port, known_hosts=None, client_keys=None, **options
    ) as conn:
        return await conn.run(command, check=False)


def _rows(stdout: str) -> dict[str, list[str]]:
    return {line.split()[-1]: line.split() for line in stdout.splitlines()[1:]}


async def test_df_reports_healthy_full_failed_and_unformatted_disks() -> None:
    cam = make_cam(storage=DISKS)
    async with ssh_recorder(cam):
        result = await _run(cam, "df -P")
    assert isinstance(result.stdout, str) and isinstance(result.stderr, str)
    header, *_ = result.stdout.splitlines()
    assert header.split() == [
        "Filesystem",
        "1024-blocks",
        "Used",
        "Available",
        "Capacity",
        "Mounted",
        "on",
    ]
    rows = _rows(result.stdout)
    assert rows["/mnt/hdd1"] == [
        "/dev/sda1",
        str(3_815_447 * 1024),
        str(1_907_723 * 1024),
        str((3_815_447 - 1_907_723) * 1024),
        "50%",
        "/mnt/hdd1",
    ]
    assert rows["/mnt/hdd2"][3:5] == ["0", "100%"]
    assert "/mnt/hdd3" not in rows and "/mnt/hdd4" not in rows
    assert result.stderr == "df: /mnt/hdd3: Input/output error\n"
    assert result.exit_status == 1
    assert cam.counters.ssh_commands == 1


async def test_healthy_recorder_df_exits_zero_and_takes_paths() -> None:
    cam = make_cam(storage=[Storage("HDD1")])
    async with ssh_recorder(cam):
        whole = await _run(cam, "df -P")
        one = await _run(cam, "df -P /mnt/hdd1/record/ch01")
        missing = await _run(cam, "df -P /mnt/nope")
    assert (whole.exit_status, whole.stderr) == (0, "")
    assert set(_rows(str(whole.stdout))) == {"/", "/tmp", "/mnt/hdd1"}
    assert set(_rows(str(one.stdout))) == {"/mnt/hdd1"}
    assert missing.exit_status == 1 and "No such file or directory" in str(missing.stderr)


async def test_other_commands_and_unknown_ones() -> None:
    cam = make_cam(storage=[Storage("HDD1")])
    cam.hostname = "nvr-01"
    async with ssh_recorder(cam):
        up = await _run(cam, "uptime")
        uname = await _run(cam, "uname -a")
        mdstat = await _run(cam, "cat /proc/mdstat")
        unknown = await _run(cam, "reboot-now --force")
    assert " up " in str(up.stdout) and "load average:" in str(up.stdout)
    assert str(uname.stdout).startswith("Linux nvr-01 ") and uname.exit_status == 0
    assert "sda1[0]" in str(mdstat.stdout)
    assert (unknown.exit_status, unknown.stderr) == (127, "sh: reboot-now: not found\n")
    assert cam.counters.ssh_commands == 4


async def test_wrong_password_and_unknown_user_are_refused() -> None:
    cam = make_cam()
    async with ssh_recorder(cam):
        with pytest.raises(asyncssh.PermissionDenied):
            await _run(cam, "true", password="wrong")
        with pytest.raises(asyncssh.PermissionDenied):
            await _run(cam, "true", username="nobody")
    assert cam.counters.ssh_commands == 0


async def test_interactive_shell_runs_the_same_commands() -> None:
    cam = make_cam(storage=[Storage("HDD1")])
    cam.hostname = "nvr-02"
    async with (
        ssh_recorder(cam),
        asyncssh.connect(
            cam.host,
            cam.ssh_port,
            username=USER,
            password=PASSWORD,
            known_hosts=None,
            client_keys=None,
        ) as conn,
    ):
        process = await conn.create_process(term_type="xterm")
        process.stdin.write("df -P\nexit\n")
        output = await asyncio.wait_for(process.stdout.read(), 10)
        await process.wait()
    assert "[root@nvr-02 ~]# " in output
    assert "/dev/sda1" in output and "/mnt/hdd1" in output
    assert cam.counters.ssh_commands == 1


def _client_key(tmp_path: Path, cam: SimCamera) -> Path:
    key = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp_path / "id_ed25519"
    key.write_private_key(str(path))
    os.chmod(path, 0o600)
    cam.ssh_authorized_keys[USER] = [key.export_public_key().decode()]
    return path


async def _openssh(
    cam: SimCamera, key: Path, command: str | None, typed: bytes | None = None
) -> tuple[int, str, str]:
    """Run OpenSSH's client: an exec request, or (``command=None``) a shell on a pty fed ``typed``."""
    options = [
        "StrictHostKeyChecking=no",
        "UserKnownHostsFile=/dev/null",
        "BatchMode=yes",
        "IdentitiesOnly=yes",
        "LogLevel=ERROR",
        "ConnectTimeout=10",
    ]
    argv = [SSH, "-F", "/dev/null", "-i", str(key), "-p", str(cam.ssh_port)]
    argv += [arg for o in options for arg in ("-o", o)]
    argv += ["-tt"] if command is None else []
    argv += [f"{USER}@{cam.host}"] + ([command] if command is not None else [])
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE if typed is not None else asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(proc.communicate(typed), 30)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.skipif(
    shutil.which(SSH) is None, reason="OpenSSH client /usr/bin/ssh is not installed"
)
async def test_openssh_client_runs_df_with_a_key(tmp_path: Path) -> None:
    cam = make_cam(storage=DISKS)
    key = _client_key(tmp_path, cam)
    async with ssh_recorder(cam):
        status, out, err = await _openssh(cam, key, "df -P")
    assert status == 1  # the failed disk: df's own exit status travels through ssh
    assert _rows(out)["/mnt/hdd1"][0] == "/dev/sda1"
    assert "df: /mnt/hdd3: Input/output error" in err


@pytest.mark.skipif(
    shutil.which(SSH) is None, reason="OpenSSH client /usr/bin/ssh is not installed"
)
async def test_openssh_client_with_an_unlisted_key_is_refused(tmp_path: Path) -> None:
    cam = make_cam()
    key = _client_key(tmp_path, cam)
    cam.ssh_authorized_keys.clear()
    async with ssh_recorder(cam):
        status, _, err = await _openssh(cam, key, "uptime")
    assert status == 255 and "Permission denied" in err
    assert cam.counters.ssh_commands == 0


async def test_a_locked_recorder_refuses_its_own_password() -> None:
    cam = make_cam()
    cam.locked_until = time.monotonic() + 30
    async with ssh_recorder(cam):
        with pytest.raises(asyncssh.PermissionDenied):
            await _run(cam, "true")
        cam.locked_until = 0.0
        assert (await _run(cam, "true")).exit_status == 0


async def test_a_recorder_going_offline_drops_new_connections() -> None:
    cam = make_cam()
    async with ssh_recorder(cam):
        cam.online = False  # rebooting or flapped down, listener not yet closed by the fleet
        with pytest.raises((asyncssh.Error, ConnectionError)):
            await _run(cam, "true")
    assert cam.counters.ssh_commands == 0


@pytest.mark.parametrize(
    ("command", "status", "stdout", "stderr"),
    [
        ("df -h /mnt/hdd2", 0, r"/dev/sdb1 +1\.8T +1\.8T +0 100% /mnt/hdd2\n", ""),
        # busybox prints the header even when no argument is a filesystem
        ("df -P /mnt/hdd4", 1, r"Filesystem .*\n", "df: /mnt/hdd4: No such file or directory\n"),
        ("uname -r", 0, r"4\.9\.37\n", ""),
        ("/bin/echo a 'b c'", 0, r"a b c\n", ""),
        ("cat /etc/shadow", 1, "", "cat: can't open '/etc/shadow': No such file or directory\n"),
        ("echo 'unterminated", 2, "", "sh: syntax error: unterminated quoted string\n"),
        ("", 0, "", ""),
    ],
    ids=[
        "df-h",
        "df-missing-mount",
        "uname",
        "echo-quoted",
        "no-shadow",
        "unterminated-quote",
        "empty",
    ],
)
def test_recorder_shell_table(command: str, status: int, stdout: str, stderr: str) -> None:
    cam = make_cam(storage=DISKS)
    result = run_command(cam, command)
    assert result.status == status
    assert re.fullmatch(
        stdout, result.stdout.splitlines(keepends=True)[-1] if stdout else result.stdout
    )
    assert result.stderr == stderr


@pytest.mark.skipif(
    shutil.which(SSH) is None, reason="OpenSSH client /usr/bin/ssh is not installed"
)
async def test_openssh_interactive_shell_on_a_pty(tmp_path: Path) -> None:
    cam = make_cam(storage=[Storage("HDD1")])
    cam.hostname = "nvr-03"
    key = _client_key(tmp_path, cam)
    async with ssh_recorder(cam):
        status, out, _ = await _openssh(cam, key, None, b"df -P\nnope\nexit\n")
    lines = out.split("\r\n")  # a terminal session: CRLF line ends
    assert any(line.startswith("/dev/sda1 ") and line.endswith("/mnt/hdd1") for line in lines)
    assert "[root@nvr-03 ~]# sh: nope: not found" in lines  # errors show on the terminal
    assert status == 127  # exit with no argument: the last command's status, as sh does
