"""The commands a simulated recorder's shell runs: busybox-shaped output from ``SimCamera`` state.

Pure functions of the camera (no I/O), so the SSH server stays small and the output can be
checked byte for byte. Storage mapping: ``HDDn``/other names are SATA disks ``/dev/sdX1``,
``SDn`` are SD cards ``/dev/mmcblkNp1``; each is mounted on ``/mnt/<name lowercased>``.
"""

from __future__ import annotations

import math
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

from fleetctl.sim.camera.model import SimCamera, Storage

KERNEL = "4.9.37"
MACHINE = "armv7l"
# The recorder's own filesystems, always present beside the data disks: (device, KiB, used KiB, mount).
SYSTEM_MOUNTS = (("/dev/root", 65_536, 48_210, "/"), ("tmpfs", 512_000, 1_204, "/tmp"))


@dataclass(frozen=True)
class CommandResult:
    stdout: str
    stderr: str = ""
    status: int = 0


@dataclass(frozen=True)
class _Mount:
    device: str
    kib: int
    used_kib: int
    path: str
    failed: bool = False


def _mounts(cam: SimCamera) -> list[_Mount]:
    mounts = [_Mount(*m) for m in SYSTEM_MOUNTS]
    sata = sd = 0
    for disk in cam.storage:
        if disk.name.upper().startswith("SD"):
            device, sd = f"/dev/mmcblk{sd}p1", sd + 1
        else:
            device, sata = f"/dev/sd{chr(ord('a') + sata)}1", sata + 1
        if disk.state == "unformatted":
            continue  # no filesystem: never mounted
        mounts.append(_disk_mount(disk, device))
    return mounts


def _disk_mount(disk: Storage, device: str) -> _Mount:
    kib = disk.total_mb * 1024
    used = kib if disk.state == "full" else min(kib, disk.used_mb * 1024)
    return _Mount(device, kib, used, f"/mnt/{disk.name.lower()}", failed=disk.state == "failed")


def _human(kib: int) -> str:
    if kib == 0:
        return "0"  # df -h prints a bare 0 for an empty column
    size, unit = float(kib), "K"
    for unit in "KMGT":  # the unit the loop stops at is the one printed
        if size < 1024 or unit == "T":
            break
        size /= 1024
    return f"{size:.1f}{unit}" if size < 10 and unit != "K" else f"{size:.0f}{unit}"


def _owner(mounts: list[_Mount], path: str) -> _Mount | None:
    """The mount holding ``path`` (the longest matching mount point), if the path exists."""
    owners = [m for m in mounts if path == m.path or path.startswith(m.path.rstrip("/") + "/")]
    if not owners:
        return None
    best = max(owners, key=lambda m: len(m.path))
    # Only the disks' mount points exist under /mnt (an unformatted disk's does not).
    return None if path.startswith("/mnt/") and best.path == "/" else best


def df(cam: SimCamera, args: list[str]) -> CommandResult:
    """``df [-P] [-k] [-h] [PATH...]``; a failed disk's statfs gives EIO, as on real hardware."""
    flags = {a for a in args if a.startswith("-")}
    paths = [a for a in args if not a.startswith("-")]
    human = any("h" in f for f in flags)
    mounts = _mounts(cam)
    err: list[str] = []
    if paths:
        chosen = []
        for path in paths:
            owner = _owner(mounts, path)
            if owner is None:
                err.append(f"df: {path}: No such file or directory")
            else:
                chosen.append(owner)
        mounts = chosen
    if human:
        out = [f"{'Filesystem':<20} {'Size':>6} {'Used':>6} {'Avail':>6} {'Use%':>4} Mounted on"]
    else:
        out = [
            f"{'Filesystem':<20} {'1024-blocks':>11} {'Used':>10} {'Available':>10} Capacity Mounted on"
        ]
    for m in mounts:
        if m.failed:
            err.append(f"df: {m.path}: Input/output error")
            continue
        avail = m.kib - m.used_kib
        cap = math.ceil(m.used_kib * 100 / m.kib) if m.kib else 0  # POSIX: rounded up
        if human:
            out.append(
                f"{m.device:<20} {_human(m.kib):>6} {_human(m.used_kib):>6} "
                f"{_human(avail):>6} {cap:>3}% {m.path}"
            )
        else:
            out.append(
                f"{m.device:<20} {m.kib:>11} {m.used_kib:>10} {avail:>10} {cap:>7}% {m.path}"
            )
    return CommandResult("\n".join(out) + "\n", "".join(e + "\n" for e in err), 1 if err else 0)


def uptime(cam: SimCamera, args: list[str]) -> CommandResult:
    up = max(0, int(time.time() - cam.boot_time))
    days, rest = divmod(up, 86_400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    clock = time.strftime("%H:%M:%S", time.gmtime(cam.now()))
    span = f"{days} day{'s' if days != 1 else ''}, " if days else ""
    span += f"{hours:2d}:{minutes:02d}, " if hours else f"{minutes} min, "
    return CommandResult(f" {clock} up {span} load average: 0.42, 0.38, 0.35\n")


def uname(cam: SimCamera, args: list[str]) -> CommandResult:
    built = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(1_650_000_000))
    fields = {
        "s": "Linux",
        "n": cam.hostname or cam.name,
        "r": KERNEL,
        "v": f"#1 SMP PREEMPT {built}",
        "m": MACHINE,
    }
    wanted = "".join(a.lstrip("-") for a in args) or "s"
    if "a" in wanted:
        return CommandResult(" ".join(fields.values()) + " GNU/Linux\n")
    return CommandResult(" ".join(v for k, v in fields.items() if k in wanted) + "\n")


def cat(cam: SimCamera, args: list[str]) -> CommandResult:
    up = max(0.0, time.time() - cam.boot_time)
    disks = " ".join(
        f"{m.device.removeprefix('/dev/')}[{i}]" for i, m in enumerate(_mounts(cam)[2:])
    )
    files = {
        "/proc/mdstat": "Personalities : [linear] [raid0] [raid1]\n"
        + (f"md0 : active linear {disks}\n" if disks else "")
        + "unused devices: <none>\n",
        "/proc/uptime": f"{up:.2f} {up * 1.8:.2f}\n",
        "/proc/loadavg": "0.42 0.38 0.35 1/87 1234\n",
        "/etc/hostname": f"{cam.hostname or cam.name}\n",
    }
    out, err = [], []
    for path in args:
        if path in files:
            out.append(files[path])
        else:
            err.append(f"cat: can't open '{path}': No such file or directory\n")
    return CommandResult("".join(out), "".join(err), 1 if err else 0)


def _date(cam: SimCamera, args: list[str]) -> CommandResult:
    return CommandResult(time.strftime("%a %b %e %H:%M:%S UTC %Y\n", time.gmtime(cam.now())))


_COMMANDS: dict[str, Callable[[SimCamera, list[str]], CommandResult]] = {
    "df": df,
    "uptime": uptime,
    "uname": uname,
    "cat": cat,
    "date": _date,
    "hostname": lambda cam, a: CommandResult(f"{cam.hostname or cam.name}\n"),
    "echo": lambda cam, a: CommandResult(" ".join(a) + "\n"),
    "true": lambda cam, a: CommandResult(""),
    "false": lambda cam, a: CommandResult("", "", 1),
}


def run_command(cam: SimCamera, command: str) -> CommandResult:
    """Run one command line as the recorder's busybox ``sh -c`` would; counts it."""
    cam.counters.ssh_commands += 1
    try:
        argv = shlex.split(command)
    except ValueError:
        return CommandResult("", "sh: syntax error: unterminated quoted string\n", 2)
    if not argv:
        return CommandResult("")
    name = argv[0].rsplit("/", 1)[-1]  # /bin/df works too
    handler = _COMMANDS.get(name)
    if handler is None:
        return CommandResult("", f"sh: {argv[0]}: not found\n", 127)
    return handler(cam, argv[1:])
