"""One push per journal (issue 13, item 6), with two real processes: a push that is running
holds the journal's lock; a second push and a `--resume` are refused and told who holds it
(pid, host, start); once the holder dies (kill -9), `--resume` takes the run over with the
rollout options it was started with."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.runlock import PushBusy

HOLDER = """
import sys
from fleetctl.engine.push.journal import Journal
j = Journal(sys.argv[1])
run = j.start_run("baseline.yaml", "site:x", ["cam-1", "cam-2"],
                  options={"canary": 2, "batch_size": 5, "max_fail_pct": 10.0})
print(run, flush=True)
sys.stdin.read()  # a push in progress until the test kills it
"""


async def _holder(journal: Path) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(journal),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)  # the run is journaled: it holds
    return proc, int(line)


async def test_a_live_push_cannot_be_resumed_or_doubled(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    proc, run = await _holder(path)
    try:
        journal = Journal(str(path))
        try:
            with pytest.raises(PushBusy) as busy:
                journal.interrupted_run()
            assert f"pid {proc.pid}" in str(busy.value) and f"run {run}" in str(busy.value)
            with pytest.raises(PushBusy):
                journal.start_run("other.yaml", "", ["cam-3"])
            assert journal.audit() == []  # readers are never locked out
        finally:
            journal.close()

        # The command line says the same and exits non-zero, before touching any camera.
        cli = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fleetctl", "push", "--resume", "--journal", str(path),
            "--yes", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "FLEETCTL_SECRETS": str(tmp_path / "none.yaml")},
        )  # fmt: skip
        _, err = await asyncio.wait_for(cli.communicate(), 120)
        assert cli.returncode == 75  # EX_TEMPFAIL: try again when that push is done
        assert f"pid {proc.pid}" in err.decode() and "still running" in err.decode()
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: the kernel drops the lock
        await proc.wait()

    journal = Journal(str(path))
    try:
        found = journal.interrupted_run()
        assert found is not None and found[0] == run and found[3] == ["cam-1", "cam-2"]
        assert journal.run_options(run) == {"canary": 2, "batch_size": 5, "max_fail_pct": 10.0}
        owner = journal.run_owner(run)
        assert owner is not None and owner[0] == proc.pid
        # This process holds the lock now: another opener is refused in turn.
        other = Journal(str(path))
        try:
            with pytest.raises(PushBusy):
                other.start_run("x.yaml", "", [])
        finally:
            other.close()
    finally:
        journal.close()
