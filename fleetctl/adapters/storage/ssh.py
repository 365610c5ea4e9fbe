"""Recorder disks over SSH: ``df -P`` on Linux NVRs, host keys trusted on first use.

Host keys live in an OpenSSH-format ``known_hosts`` file of fleetctl's own, or the one the
inventory names (``[host]:port`` for ports other than 22; hashed ``|1|`` entries written by
OpenSSH are understood too). A recorder never seen before is not sent a password: its key is
pre-seeded (``fleetctl inventory trust HOST``: ``fetch_host_key`` + ``record_host_key``), or the
credential is key-only (nothing secret crosses; the key is recorded after the login), or policy
allows trust on first use (``tofu``: recorded after a successful login). One whose key differs
from the recorded key is refused before any password is sent (a replaced box, or someone in the
middle): the error says which file and line to remove once the change is explained.

Contract: ``read_ssh_storage`` never raises for the recorder's failure; ``timeout_s`` is a hard
deadline on connect, login and command; command output is capped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure, StorageProbe, StorageReadout

MAX_OUTPUT_BYTES = 256 * 1024  # df of a 64-disk NVR is a few KiB
DF_COMMAND = "df -P"
FULL_PERCENT = 99
# Pseudo and RAM filesystems say nothing about recording disks.
_PSEUDO = (
    "tmpfs",
    "devtmpfs",
    "udev",
    "overlay",
    "none",
    "proc",
    "sysfs",
    "shm",
    "rootfs",
    "cgroup",
)


@dataclass
class _HostKeys:
    """Parsed known_hosts: plain names -> key strings, hashed entries kept as (salt, hash, key)."""

    stamp: tuple[int, int]
    plain: dict[str, set[str]] = field(default_factory=dict)
    hashed: list[tuple[bytes, bytes, str]] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # name -> first line number, for errors

    def keys_for(self, name: str) -> set[str]:
        found = set(self.plain.get(name, ()))
        for salt, digest, key in self.hashed:
            if hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), digest):
                found.add(key)
        return found


_cache: dict[str, _HostKeys] = {}
_locks: dict[str, asyncio.Lock] = {}


def default_known_hosts() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("fleetctl")) / "known_hosts"


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def _load(path: Path) -> _HostKeys:
    """The file's entries, re-read only when it changed (500 recorders share one parse)."""
    stamp = _stamp(path)
    cached = _cache.get(str(path))
    if cached is not None and cached.stamp == stamp:
        return cached
    hk = _HostKeys(stamp)
    text = path.read_text("utf-8", "replace") if stamp != (0, 0) else ""
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if len(fields) < 3 or fields[0].startswith(("#", "@")):
            continue
        key = f"{fields[1]} {fields[2]}"
        for name in fields[0].split(","):
            if name.startswith("|1|"):
                try:
                    salt, digest = (base64.b64decode(p) for p in name[3:].split("|", 1))
                except ValueError:
                    continue
                hk.hashed.append((salt, digest, key))
            else:
                hk.plain.setdefault(name, set()).add(key)
                hk.lines.setdefault(name, number)
    _cache[str(path)] = hk
    return hk


def _append(path: Path, name: str, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(f"{name} {key}\n")
    hk = _load(path)
    hk.plain.setdefault(name, set()).add(key)


class _TofuClient(asyncssh.SSHClient):
    """Accepts a recorded key, or any key for a host never seen; refuses a changed one."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.presented: str | None = None
        self.changed = False

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        blob = key.export_public_key("openssh").decode("ascii").split()
        self.presented = f"{blob[0]} {blob[1]}"
        if not self.known:
            return True  # first use: recorded by the caller once the login worked
        self.changed = self.presented not in self.known
        return not self.changed


async def read_ssh_storage(
    host: str,
    port: int,
    credential: Credential,
    *,
    known_hosts_path: str | Path | None,
    timeout_s: float,
    tofu: bool = False,
) -> StorageReadout:
    """Disks of a Linux recorder from ``df -P`` over SSH (password or key file).

    A host whose key was never recorded gets no password unless ``tofu`` (policy ``ssh_tofu``):
    a spoofed recorder would collect it. A key-only credential may meet it (a signature is not
    a secret); its key is then recorded."""
    path = Path(known_hosts_path) if known_hosts_path is not None else default_known_hosts()
    name = host if port == 22 else f"[{host}]:{port}"
    where = f"{host}:{port}"
    lock = _locks.setdefault(str(path), asyncio.Lock())
    try:
        known = _load(path).keys_for(name)
    except OSError as err:
        return StorageReadout(
            ok=False, failure=Failure.PROTOCOL, error=f"cannot read {path}: {err.strerror}"
        )
    if not known and not tofu and credential.password is not None:
        return StorageReadout(
            ok=False,
            failure=Failure.AUTH,
            error=(
                f"{where}: SSH host key never recorded: the password is not sent to a host never "
                f"seen (run `fleetctl inventory trust {host}"
                + (f" --port {port}" if port != 22 else "")
                + "`, name a known_hosts file in the inventory, use a key, or set policy ssh_tofu)"
            ),
        )
    client = _TofuClient(known)
    try:
        async with asyncio.timeout(timeout_s):
            conn, _ = await asyncssh.create_connection(
                lambda: client,
                host,
                port,
                username=credential.username,
                password=credential.password.reveal() if credential.password else None,
                client_keys=[credential.key_file] if credential.key_file else None,
                # Trust comes from our file alone: an empty list makes asyncssh ask the client.
                known_hosts=([], [], []),
                agent_path=None,
                config=None,
                server_host_key_algs="default",
            )
            async with conn:
                if client.presented is not None and not known:
                    async with lock:  # two probes of one new recorder must not both record
                        recorded = _load(path).keys_for(name)
                        if not recorded:
                            _append(path, name, client.presented)
                        elif client.presented not in recorded:
                            raise asyncssh.HostKeyNotVerifiable("host key changed while connecting")
                output, errors = await _run(conn)
    except asyncssh.HostKeyNotVerifiable:
        line = _load(path).lines.get(name)
        at = f"{path}:{line}" if line else str(path)
        return StorageReadout(
            ok=False,
            failure=Failure.AUTH,
            error=(
                f"{where}: SSH host key changed since it was recorded in {at}: refusing to log in "
                "(if the recorder was replaced, delete that line)"
            ),
        )
    except asyncssh.PermissionDenied:
        return StorageReadout(ok=False, failure=Failure.AUTH, error=f"{where}: SSH login rejected")
    except TimeoutError:
        return StorageReadout(
            ok=False, failure=Failure.TIMEOUT, error=f"{where}: SSH silent for {timeout_s:g} s"
        )
    except ConnectionRefusedError:
        return StorageReadout(
            ok=False, failure=Failure.REFUSED, error=f"{where}: SSH connection refused"
        )
    except _NoDf as err:
        return StorageReadout(
            ok=False, failure=Failure.UNSUPPORTED, error=f"{where}: no df on this host ({err})"
        )
    except _Oversized:
        return StorageReadout(
            ok=False,
            failure=Failure.OVERSIZED,
            error=f"{where}: df output over {MAX_OUTPUT_BYTES} bytes",
        )
    except (asyncssh.Error, OSError) as err:
        kind = Failure.PROTOCOL if isinstance(err, asyncssh.Error) else Failure.UNREACHABLE
        return StorageReadout(ok=False, failure=kind, error=f"{where}: SSH: {type(err).__name__}")
    try:
        return StorageReadout(ok=True, media=tuple(parse_df(output, errors)))
    except ValueError as err:
        return StorageReadout(ok=False, failure=Failure.MALFORMED, error=f"{where}: {err}")


class _Oversized(Exception):
    pass


def known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


async def fetch_host_key(host: str, port: int, *, timeout_s: float) -> str:
    """The server's host key (``"ssh-ed25519 AAAA..."``), asked without logging in.

    Raises OSError (and TimeoutError) for a host that does not answer SSH."""
    try:
        async with asyncio.timeout(timeout_s):
            key = await asyncssh.get_server_host_key(host, port)
    except asyncssh.Error as err:
        raise OSError(f"SSH: {type(err).__name__}") from err
    if key is None:
        raise OSError(f"{host}:{port} presented no host key")
    blob = key.export_public_key("openssh").decode("ascii").split()
    return f"{blob[0]} {blob[1]}"


def key_fingerprint(key: str) -> str:
    """OpenSSH's SHA256 fingerprint of ``"type base64"`` (what `ssh-keygen -lf` prints)."""
    raw = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def record_host_key(
    known_hosts_path: str | Path | None, host: str, port: int, key: str
) -> tuple[Path, str]:
    """Record ``key`` for host:port; (file, "added" | "present" | "changed").

    A different key already recorded is left alone ("changed"): replacing it is a decision a
    person takes by deleting the line."""
    path = Path(known_hosts_path) if known_hosts_path is not None else default_known_hosts()
    name = known_hosts_name(host, port)
    recorded = _load(path).keys_for(name)
    if key in recorded:
        return path, "present"
    if recorded:
        return path, "changed"
    _append(path, name, key)
    return path, "added"


async def _run(conn: asyncssh.SSHClientConnection) -> tuple[str, str]:
    """(stdout, stderr) of ``df -P``, each capped. A failed disk makes df exit 1 with the
    healthy ones on stdout and ``df: /mnt/hdd1: Input/output error`` on stderr: both matter."""
    async with conn.create_process(DF_COMMAND, encoding=None) as proc:  # type: ignore[arg-type]
        out, err = await _read_capped(proc.stdout), await _read_capped(proc.stderr)
        status = (await proc.wait()).exit_status
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    if status == 127 or ("not found" in stderr and not stdout):
        raise _NoDf(stderr.strip()[:80])
    if status not in (0, None) and not stdout:
        raise ValueError(f"`{DF_COMMAND}` failed with status {status}")
    return stdout, stderr


async def _read_capped(stream: asyncssh.SSHReader[bytes]) -> bytes:
    data = bytearray()
    while chunk := await stream.read(65536):
        data += chunk
        if len(data) > MAX_OUTPUT_BYTES:
            raise _Oversized
    return bytes(data)


class _NoDf(Exception):
    pass


# `df: /mnt/hdd1: Input/output error`: the disk is in the mount table but statfs fails.
_DF_ERROR = re.compile(r"^df: (/\S*): (.+)$")
# Errors that say nothing about the disk's health.
_NOT_A_FAILURE = ("No such file or directory", "Permission denied")


def parse_df(text: str, errors: str = "") -> list[StorageProbe]:
    """Block devices from POSIX ``df -P`` output (1024-byte blocks), plus the mounts df could
    not read (``errors``: its stderr) as ``failed``. Raises ValueError if it is not df output."""
    lines = text.splitlines()
    if not lines or not lines[0].lower().startswith("filesystem"):
        raise ValueError("not `df -P` output")
    out: list[StorageProbe] = []
    for line in lines[1:]:
        fields = line.split()
        # The mount point may contain spaces: the first five fields are fixed.
        if len(fields) < 6 or not fields[1].isdigit():
            continue
        fs, blocks, used = (
            fields[0],
            int(fields[1]),
            int(fields[2]) if fields[2].isdigit() else None,
        )
        mount = " ".join(fields[5:])
        if fs.split("/")[-1] in _PSEUDO or not fs.startswith("/dev/") or blocks == 0:
            continue
        percent = fields[4].rstrip("%")
        full = percent.isdigit() and int(percent) >= FULL_PERCENT
        out.append(
            StorageProbe(
                name=mount,
                source="ssh",
                state="full" if full else "ok",
                total_mb=round(blocks / 1024, 1),
                used_mb=None if used is None else round(used / 1024, 1),
            )
        )
    for line in errors.splitlines():
        m = _DF_ERROR.match(line.strip())
        if m and m[2].strip() not in _NOT_A_FAILURE:
            out.append(StorageProbe(m[1], "ssh", "failed", total_mb=None, used_mb=None))
    return out
