"""Run `fleetctl` as a user does: a child process with its own config and data dirs."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def fleetctl(*args: str, home: Path) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``python -m fleetctl ARGS``, with XDG dirs under ``home``.
    Async, so a simulator served from the test's event loop keeps answering meanwhile."""
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
    env.pop("FLEETCTL_SECRETS", None)
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
