"""`fleetctl check` and `fleetctl history` as a user runs them: a subprocess against a sim fleet.

The simulator serves from this test's event loop while the CLI runs as a child process, so the
bytes cross real loopback sockets, and the exit codes and stdout are what scripts will see.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.check_schema import check_report_json
from support.cli import fleetctl

from fleetctl.core.errors import UsageError
from fleetctl.sim.fleet import SimFleet

FAST = ("--timeout", "5", "--window", "0.3")


async def test_check_json_nagios_history_and_exit_codes(tmp_path: Path) -> None:
    fleet = SimFleet(
        cameras=5,
        recorders=1,
        faults="none",
        seed=11,
        discovery=False,
        assign={0: {"no_video"}, 1: {"clock_skew"}, 2: {"storage_full"}},
    )
    async with fleet:
        inv, _secrets = fleet.write_inventory(tmp_path / "sim.yaml")
        db = str(tmp_path / "history.sqlite")
        code, out, err = await fleetctl(
            "check", "-i", str(inv), "--db", db, "-f", "json", *FAST, home=tmp_path
        )
        assert code == 2, err
        doc = check_report_json(out)
        by_name = {c["name"]: c for c in doc["cameras"]}
        assert doc["summary"] == {"total": 6, "ok": 3, "warn": 2, "crit": 1, "unknown": 0}
        broken = by_name[fleet.cameras[0].name]
        assert broken["status"] == "crit" and broken["problems"][0]["kind"] == "stream"
        assert broken["problems"][0]["message"].startswith("no video: 0 RTP packets in")
        assert "since" in broken["problems"][0]
        recorder = by_name[fleet.cameras[5].name]
        assert recorder["status"] == "ok", recorder["problems"]
        assert {m["source"] for m in recorder["storage"]} >= {"ssh"}
        assert fleet.password not in out + err

        # Only what was warn last time, re-checked: Nagios output, exit 1 by the worst.
        code, out, err = await fleetctl(
            "check",
            "-i",
            str(inv),
            "--db",
            db,
            "-f",
            "nagios",
            "-s",
            "status:warn",
            *FAST,
            home=tmp_path,
        )
        assert code == 1, err
        head, *rest = out.splitlines()
        assert head.startswith(
            "FLEETCTL WARN - 0 crit, 2 warn, 0 unknown of 2 cameras | total=2 ok=0 warn=2"
        )
        assert {line.split()[1] for line in rest} == {fleet.cameras[1].name, fleet.cameras[2].name}
        assert any("clock" in line for line in rest) and any("full" in line for line in rest)

        code, out, err = await fleetctl(
            "history", fleet.cameras[0].name, "--db", db, "-f", "json", home=tmp_path
        )
        assert code == 0, err
        timeline = json.loads(out)["timeline"]
        assert [e["event"] for e in timeline] == ["problem", "status"]
        assert timeline[0]["kind"] == "stream" and timeline[1]["status"] == "crit"

        # Nothing matches: a usage error, nothing checked.
        code, _out, err = await fleetctl(
            "check", "-i", str(inv), "--no-history", "-s", "site:nowhere", home=tmp_path
        )
        assert code == 64 and "no camera matches" in err


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--window", "20"], "--window"),
        (["--concurrency", "0"], "--concurrency"),
        (["--timeout", "0"], "--timeout"),
    ],
    ids=["window-20", "concurrency-0", "timeout-0"],
)
def test_bad_limits_are_usage_errors(flags: list[str], words: str) -> None:
    from fleetctl.cli.main import build_parser
    from fleetctl.cli.run.check import _validate

    args = build_parser().parse_args(["check", *flags])
    with pytest.raises(UsageError, match=words):
        _validate(args)


async def test_all_ok_exits_0_and_csv(tmp_path: Path) -> None:
    async with SimFleet(cameras=2, faults="none", seed=12, discovery=False) as fleet:
        inv, _ = fleet.write_inventory(tmp_path / "sim.yaml")
        code, out, err = await fleetctl(
            "check", "-i", str(inv), "--no-history", "-f", "csv", *FAST, home=tmp_path
        )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("name,site,host,status") and len(lines) == 3
    assert all(",ok," in line for line in lines[1:])
