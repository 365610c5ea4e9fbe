"""`push --resume` when nothing was interrupted: say so and succeed (a cron may always resume)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.push import push_argv, push_here

from fleetctl.cli.main import build_parser, main
from fleetctl.cli.run.push import _push
from fleetctl.sim.fleet import SimFleet

PROFILE = "dns: {servers: [127.0.0.53]}\n"


async def test_resume_after_a_push_that_finished_says_nothing_to_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with SimFleet(cameras=2, faults="none", seed=3, discovery=False, rtsp=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        rc, report = await push_here(push_argv(inv, tmp_path, PROFILE, "--yes"), capsys)
        assert rc == 0 and report["summary"]["changed"] == 2, report
        run = report["run"]
        args = build_parser().parse_args(push_argv(inv, tmp_path, PROFILE, "--resume"))
        rc = await _push(args)
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out == ""
    assert re.search(
        rf"nothing to resume: the last push \(run {run}\) finished at "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
        captured.err,
    ), captured.err


def test_resume_with_an_empty_journal_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "journal.sqlite"
    inv = tmp_path / "inv.yaml"
    inv.write_text("sites: {}\n")
    assert main(["push", "-i", str(inv), "--resume", "--journal", str(journal)]) == 0
    err = capsys.readouterr().err
    assert f"nothing to resume: the journal {journal} records no push" in err
