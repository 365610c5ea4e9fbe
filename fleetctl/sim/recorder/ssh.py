"""The simulated recorder's SSH server (asyncssh): what a Linux NVR's busybox shell answers.

fleetctl reads recording storage on Linux recorders with ``df -P`` over SSH (docs/inventory.md,
inventory ``ssh:``). This server accepts the recorder's ``cam.users`` by password, and public
keys listed in ``cam.ssh_authorized_keys[username]``; it runs exec requests and offers a tiny
interactive shell (prompt, same commands, ``exit``), enough for the TUI's "ssh to recorder".

Commands (``shell.py``) reflect ``cam.storage`` as a real recorder would: a healthy
disk is a mounted filesystem, a full one shows 100 %, a failed one stays in the mount table but
``statfs`` fails (``df: /mnt/hdd1: Input/output error`` on stderr, exit status 1), an
unformatted one is not mounted at all. Unknown commands: ``sh: X: not found``, exit 127.
"""

from __future__ import annotations

import hmac

import asyncssh

from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.onvif.auth import locked
from fleetctl.sim.recorder.shell import run_command

LOGIN_TIMEOUT_S = 30.0
# Recorders run old embedded OpenSSH builds or dropbear; clients should not care, but they see it.
SERVER_VERSION = "OpenSSH_7.4"


async def start_ssh(cam: SimCamera, host_key: asyncssh.SSHKey) -> asyncssh.SSHAcceptor:
    """Serve SSH for recorder ``cam`` on ``cam.host:cam.ssh_port`` with ``host_key``.

    The caller owns the acceptor: ``acceptor.close(); await acceptor.wait_closed()``.
    """

    async def session(process: asyncssh.SSHServerProcess[str]) -> None:
        await _session(cam, process)

    return await asyncssh.listen(
        cam.host,
        cam.ssh_port,
        server_host_keys=[host_key],
        server_factory=lambda: _RecorderServer(cam),
        process_factory=session,
        reuse_address=True,
        server_version=SERVER_VERSION,
        login_timeout=LOGIN_TIMEOUT_S,
        encoding="utf-8",
        agent_forwarding=False,
        allow_scp=False,
    )


class _RecorderServer(asyncssh.SSHServer):
    def __init__(self, cam: SimCamera) -> None:
        self.cam = cam

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        if self.cam.has("offline") or not self.cam.online:
            conn.abort()  # gone, as far as a client can tell

    def begin_auth(self, username: str) -> bool:
        return True  # every user must authenticate; no anonymous shells on a recorder

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.cam.counters.ssh_passwords += 1
        if locked(self.cam):
            return False  # the account lockout (sim/onvif/auth.py) covers SSH too
        user = self.cam.users.get(username)
        return user is not None and hmac.compare_digest(user.password.encode(), password.encode())

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if username not in self.cam.users or locked(self.cam):
            return False
        for line in self.cam.ssh_authorized_keys.get(username, []):
            try:
                allowed = asyncssh.import_public_key(line)
            except (asyncssh.KeyImportError, ValueError):
                continue  # a bad line in authorized_keys is skipped, as sshd does
            if allowed.public_data == key.public_data:
                return True
        return False


async def _session(cam: SimCamera, process: asyncssh.SSHServerProcess[str]) -> None:
    if process.command is not None:
        result = run_command(cam, process.command)
        process.stdout.write(result.stdout)
        process.stderr.write(result.stderr)
        process.exit(result.status)
        return
    prompt = f"[root@{cam.hostname or cam.name} ~]# "
    process.stdout.write(f"BusyBox v1.22.1 built-in shell (ash)\n\n{prompt}")
    status = 0
    tty = process.get_terminal_type() is not None
    while True:
        try:
            line = await process.stdin.readline()
        except asyncssh.BreakReceived:
            process.stdout.write(f"^C\n{prompt}")
            continue
        except asyncssh.TerminalSizeChanged:
            continue
        command = line.strip()
        if not line or command in ("exit", "logout"):
            break
        if command:
            result = run_command(cam, command)
            status = result.status
            # With a pty, asyncssh's line editor turns "\n" into "\r\n" for us, and errors go
            # to the terminal like everything else, as a shell's stderr on a tty does.
            process.stdout.write(result.stdout)
            (process.stdout if tty else process.stderr).write(result.stderr)
        process.stdout.write(prompt)
    process.exit(status)
