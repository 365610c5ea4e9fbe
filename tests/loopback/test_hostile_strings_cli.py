"""The CLI prints what cameras and inventories say as text: no markup, no terminal escapes.

A simulated recorder whose failed disk is mounted at `/mnt/<ESC>[2J[/x]` (it reaches us over SSH
in `df -P` output), a camera whose model carries an 8-bit CSI sequence, and an inventory
`location` with ESC sequences: `check`, `history` and `inventory list` print them as plain text.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from fleetctl.cli.main import main
from fleetctl.sim.fleet import SimFleet

ESCAPES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


async def fleetctl(*args: str, home: Path) -> tuple[int, str, str]:
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "cfg"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleetctl", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_check_history_and_list_print_hostile_strings_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = SimFleet(
        cameras=1, recorders=1, faults="none", seed=3, discovery=False,
        assign={1: {"storage_failed"}},
    )  # fmt: skip
    camera, recorder = fleet.cameras
    camera.model = "DS-2CD\u009b2J[/b]"
    for disk in recorder.storage:
        disk.name = "\x1b[2J[/x]"
    async with fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        text = inv.read_text(encoding="utf-8")
        inv.write_text(
            re.sub(r"location: Chợ.*", r'location: "\\e]0;pwned\\a\\e[31mChợ [/i]"', text, count=1),
            encoding="utf-8",
        )
        db = str(tmp_path / "history.sqlite")
        check = ["check", "-i", str(inv), "--db", db, "--timeout", "8", "--window", "0.3"]
        code, out, err = await fleetctl(*check, "--all", home=tmp_path)
    assert code == 2, err
    assert not ESCAPES.search(out + err), (out + err)[:3000]
    assert "[/x]" in out, out  # the failed disk's mount point, as written
    capsys.readouterr()
    assert main(["history", recorder.name, "--db", db]) == 0
    history = capsys.readouterr()
    assert main(["inventory", "list", "-i", str(inv)]) == 0
    listed = capsys.readouterr()
    for seen in (history, listed):
        assert not ESCAPES.search(seen.out + seen.err), (seen.out + seen.err)[:3000]
    assert "[/x]" in history.out, history.out
    assert "Chợ [/i]" in listed.out, listed.out
