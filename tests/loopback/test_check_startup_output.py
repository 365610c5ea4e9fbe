"""What `fleetctl check` costs outside the probes: what it imports, how it prints.

The check of a district runs in seconds, so start-up and output matter: the check path must
not import the TUI, rich or zeep (-f json -q), and the JSON of 10,000 cameras is written with
the C encoder (one camera per line) yet is the same document.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from support.check_schema import REPORT, check_report_json

from fleetctl.cli.render.check import render_json, report_json
from fleetctl.sim.fleet import SimFleet


def test_json_is_the_same_document_one_camera_per_line() -> None:
    text = render_json(REPORT)
    assert json.loads(text) == json.loads(json.dumps(report_json(REPORT)))
    check_report_json(text)
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    cams = [json.loads(line.strip().rstrip(",")) for line in lines if line.startswith("    {")]
    assert [c["name"] for c in cams] == [c.name for c in REPORT.cameras]
    assert "bến-xe" in text  # UTF-8 as is, not \u escapes


def test_json_of_an_empty_report() -> None:
    doc = json.loads(render_json(replace(REPORT, cameras=())))
    assert doc["cameras"] == [] and doc["summary"]["total"] == 0


# Runs the real CLI in a child process, then reports which modules it had loaded.
PROBE = """
import json, sys
from fleetctl.cli.main import main
code = main(sys.argv[1:])
sys.stdout.flush()
print("MODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr)
raise SystemExit(code)
"""

NOT_ON_THE_CHECK_PATH = ("textual", "rich", "zeep", "fleetctl.tui", "fleetctl.sim")


async def test_check_path_imports_and_timeline(sim_fleet: SimFleet, tmp_path: Path) -> None:
    inv, _ = sim_fleet.write_inventory(tmp_path / "sim.yaml")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE, "-v", "check", "-i", str(inv), "-f", "json", "-q",
        "--window", "0.3", "--db", str(tmp_path / "h.sqlite"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    text = err.decode()
    assert proc.returncode == 0, text
    doc = check_report_json(out.decode())
    assert doc["summary"]["ok"] == len(sim_fleet.cameras)
    assert all(c["duration_s"] > 0 for c in doc["cameras"])  # measured, and kept in history
    modules = json.loads(text.split("MODULES ", 1)[1])
    assert "fleetctl.engine.check.parallel" in modules  # the probe sees what the run loaded
    loaded = [m for m in modules if m.startswith(NOT_ON_THE_CHECK_PATH)]
    assert not loaded, f"the check path imported {loaded}"
    # -v explains where the time went
    timeline = next(line for line in text.splitlines() if "timeline (s):" in line)
    for phase in ("start-up", "inventory", "warm-up+fork", "checks", "history-write", "output"):
        assert phase in timeline, timeline
    assert timeline.endswith("loop uvloop"), timeline  # installed with fleetctl (base/aio.py)
