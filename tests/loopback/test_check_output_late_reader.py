"""A script that reads `fleetctl check -f json` late (a cron job piping into a slow consumer)
gets the whole document: it was once cut at 64 KiB, a pipe's size, without an error."""

from __future__ import annotations

import array
import asyncio
import contextlib
import fcntl
import json
import os
import sys
import termios
from pathlib import Path

from fleetctl.sim.fleet import SimFleet


def _pipe_full(rfd: int) -> bool:
    """The pipe holds 64 KiB unread: its writer has to wait (or, non-blocking, cut short)."""
    pending = array.array("i", [0])
    fcntl.ioctl(rfd, termios.FIONREAD, pending)
    return pending[0] >= 65536


async def test_the_whole_json_reaches_a_reader_that_starts_late(tmp_path: Path) -> None:
    async with SimFleet(
        cameras=150, recorders=1, faults="realistic", seed=12, discovery=False
    ) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        env = dict(
            os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_CONFIG_HOME=str(tmp_path / "c")
        )
        # A plain pipe, as a shell makes for `fleetctl check -f json | script`.
        rfd, wfd = os.pipe()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fleetctl", "check", "-i", str(inv), "--no-history", "-f", "json",
            "-q", "--timeout", "5",
            env=env, stdout=wfd, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        os.close(wfd)
        # Read nothing until fleetctl has filled the pipe and waits on it, or has exited.
        while proc.returncode is None and not _pipe_full(rfd):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.05)
        with os.fdopen(rfd, "rb") as reader:
            out = await asyncio.to_thread(reader.read)
        await proc.wait()
        assert len(out) > 65536  # more than a pipe holds: the case that was cut
        doc = json.loads(out)
        assert len(doc["cameras"]) == doc["summary"]["total"] >= 150
