"""deploy/fleetctl-report.{service,timer}: the timer fires at 07:00 and the service's commands
are `fleetctl report` command lines this fleetctl accepts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from fleetctl.cli.main import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_timer_fires_daily_at_seven() -> None:
    text = (DEPLOY / "fleetctl-report.timer").read_text(encoding="utf-8")
    assert re.search(r"^OnCalendar=\*-\*-\* 07:00:00$", text, re.M)
    assert re.search(r"^Persistent=true$", text, re.M)


def test_the_service_runs_report_command_lines_that_parse() -> None:
    text = (DEPLOY / "fleetctl-report.service").read_text(encoding="utf-8")
    lines = re.findall(r"^ExecStart=/bin/sh -c '(.*)'$", text, re.M)
    assert lines
    outputs = []
    for line in lines:
        command = line.split("exec ", 1)[1].replace("$d", "2026-12-07")
        argv = shlex.split(command)
        assert argv[0].endswith("/fleetctl")
        args = build_parser().parse_args(argv[1:])
        assert args.command == "report" and args.since == "24h"
        outputs += [args.output, args.pdf]
    assert any(o and o.endswith(".html") for o in outputs)
    assert any(o and o.endswith(".pdf") for o in outputs)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_the_calendar() -> None:
    out = subprocess.run(
        ["systemd-analyze", "calendar", "*-*-* 07:00:00"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "07:00:00" in out
