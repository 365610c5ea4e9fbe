"""Running `fleetctl push` from tests: one argv, in a subprocess or in this process.

The simulator lives in the test's event loop, so a subprocess is awaited (never
``subprocess.run``); the in-process form saves an interpreter start where no kill is needed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest


def push_argv(
    inv: Path, tmp: Path, profile: str, *extra: str, name: str = "profile.yaml"
) -> list[str]:
    """`push -i INV --profile P --format json --journal TMP/journal.sqlite --timeout 4 EXTRA...`
    (a later --journal or --timeout in ``extra`` wins)."""
    prof = tmp / name
    prof.write_text(profile)
    return [
        "push",
        "-i",
        str(inv),
        "--profile",
        str(prof),
        "--format",
        "json",
        "--journal",
        str(tmp / "journal.sqlite"),
        "--timeout",
        "4",
        *extra,
    ]


async def push_process(
    argv: list[str], env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    """The CLI in a subprocess: (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleetctl",
        *argv,
        env=dict(env) if env is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(120):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def push_here(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    """The same CLI in this process: (exit status, the JSON report)."""
    from fleetctl.cli.main import build_parser
    from fleetctl.cli.run.push import _push

    args = build_parser().parse_args(argv)
    capsys.readouterr()
    rc = await _push(args)
    return rc, json.loads(capsys.readouterr().out)
