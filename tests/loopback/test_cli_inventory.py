"""`fleetctl inventory lint|list|show`: output formats, exit codes, and a fast `--help`."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fleetctl.cli.main import main
from fleetctl.core.exitcodes import ExitCode

REPO = Path(__file__).parents[2]
DISTRICT = str(REPO / "inventories")
BROKEN = str(Path(__file__).parents[1] / "data" / "inventories" / "broken")
_ISSUE_LINE = re.compile(r"^(?P<file>[^:]+\.yaml):(?P<line>\d+): (?P<key>\S+): (?P<message>.+)$")


@pytest.fixture(autouse=True)
def _no_user_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FLEETCTL_SECRETS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_lint_clean_district(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "lint", "-i", DISTRICT]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert out == "" and "inventory ok: 20 cameras in 4 sites" in err


def test_lint_broken_prints_every_problem_and_exits_65(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "lint", "-i", BROKEN]) == ExitCode.INVENTORY
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 33 and all(_ISSUE_LINE.match(line) for line in lines), out
    assert sum("warning: inline password" in line for line in lines) == 1
    assert sum(": warning: same address" in line for line in lines) == 1
    assert "30 errors, 3 warnings" in err


def test_lint_warns_about_credentials_missing_from_the_secrets_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inv.yaml").write_text(
        "secrets: s.yaml\nsites: {a: {cameras: [{name: x, host: 10.0.0.1, credentials: nope}]}}\n"
    )
    (tmp_path / "s.yaml").write_text("fleet: {username: u, password: pppp}\n")
    (tmp_path / "s.yaml").chmod(0o600)
    assert main(["inventory", "lint", "-i", str(tmp_path / "inv.yaml")]) == ExitCode.OK
    out = capsys.readouterr().out
    assert re.search(
        r"inv\.yaml:2: credentials: nope: warning: not in the secrets file .*s\.yaml", out
    )


@pytest.mark.parametrize(
    "command", [["list"], ["show", "dt-cho-01"], ["list", "-f", "json"]], ids=" ".join
)
def test_every_command_refuses_a_broken_inventory_with_the_same_report(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "lint", "-i", BROKEN]) == ExitCode.INVENTORY
    lint_errors = [ln for ln in capsys.readouterr().out.splitlines() if ": warning: " not in ln]
    assert main(["inventory", *command, "-i", BROKEN]) == ExitCode.INVENTORY
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[1:] == lint_errors


def test_missing_inventory_is_exit_66(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "list", "-i", str(tmp_path / "nope.yaml")]) == ExitCode.NOINPUT
    assert "nope.yaml" in capsys.readouterr().err


def test_list_table_json_csv_and_select(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "list", "-i", DISTRICT, "-s", "site:'dong tien' tag:market"]) == 0
    table = capsys.readouterr().out
    assert "dt-cho-01" in table and "Chợ Đông Tiến, cổng chính" in table and "qt-" not in table
    assert "3 of 20 cameras" in table

    assert main(["inventory", "list", "-i", DISTRICT, "-f", "json", "-s", "tag:recorder"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in data["cameras"]] == ["dt-nvr", "dl-nvr"]
    assert data["cameras"][0]["ssh"] == {
        "port": 22,
        "credentials": "nvr",
        "username": None,
        "password": None,
        "key_file": None,
    }

    assert main(["inventory", "list", "-i", DISTRICT, "-f", "csv", "-s", "dt-rtsp-*"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        {
            "name": "dt-rtsp-02",
            "site": "dong-tien",
            "host": "10.20.1.12",
            "port": "80",
            "kind": "rtsp",
            "tags": "dong-tien; market",
            "location": "Bãi xe chợ",
            "group": "Đông Sơn",  # added last: the columns before it are where they were
        }
    ]


def test_bad_selection_is_exit_64_with_a_pointer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "list", "-i", DISTRICT, "-s", "site:a tagg:b"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "did you mean `tag:`" in err and "         ^^^^^^" in err


def test_show_every_inherited_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "show", "qt-dinh-01", "-i", DISTRICT, "-f", "json"]) == 0
    cam = json.loads(capsys.readouterr().out)
    assert (cam["credentials"], cam["port"], cam["site"]) == ("fleet", 8080, "quang-thinh")
    assert cam["tags"] == ["quang-thinh", "heritage", "generic"]
    assert (cam["policy"]["slow_s"], cam["policy"]["clock_warn_s"]) == (3.0, 30.0)
    assert cam["source"].endswith("district.yaml:84")
    origins = cam["origins"]
    assert origins["port"].startswith("camera (") and origins["port"].endswith("district.yaml:86)")
    assert origins["policy.slow_s"].startswith("site quang-thinh policy (")
    assert origins["credentials"].startswith("defaults (")
    assert "site quang-thinh defaults" in origins["tags"] and "camera" in origins["tags"]
    assert "policy.stream_min_ratio" not in origins  # built-in default
    assert main(["inventory", "show", "hq-quoc-lo-01", "-i", DISTRICT]) == 0
    table = capsys.readouterr().out
    assert re.search(r"port\s+│ 443\s+│ https: true in camera", table)
    assert re.search(r"policy\.clock_crit_s\s+│ 300\s+│ policy \(", table)
    assert re.search(r"policy\.slow_s\s+│ 2\s+│ built-in default", table)


def test_show_unknown_name_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "show", "dt-cho-1", "-i", DISTRICT]) == ExitCode.USAGE
    assert "did you mean dt-cho-01" in capsys.readouterr().err


def test_show_masks_an_inline_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "i.yaml").write_text(
        'sites: {a: {cameras: [{name: x, host: 10.0.0.1, password: "hunter22"}]}}\n'
    )
    for fmt in ("table", "json"):
        assert main(["inventory", "show", "x", "-i", str(tmp_path / "i.yaml"), "-f", fmt]) == 0
        out = capsys.readouterr().out
        assert "hunter22" not in out and "********" in out


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from fleetctl.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('rich', 'ruamel', 'netaddr', 'zeep', 'onvif', 'textual', 'asyncssh', 'aiohttp', 'lxml')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert "inventory" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_list_status_terms_read_the_history_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from fleetctl.core.models import CameraReport, FleetReport, Status
    from fleetctl.engine.history import HistoryStore

    db = str(tmp_path / "history.sqlite")
    crit = CameraReport("dt-cho-01", "dong-tien", "10.20.1.11", Status.CRIT)
    ok = CameraReport("dt-cho-02", "dong-tien", "10.20.1.13", Status.OK)
    with HistoryStore(db) as history:
        history.record(FleetReport("0.1.0", datetime.now(UTC), 1.0, (crit, ok)))
    argv = ["inventory", "list", "-i", DISTRICT, "--db", db, "-f", "csv"]
    assert main([*argv, "-s", "site:dong-tien !status:ok"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["name"] == "dt-cho-01" and rows[0]["status"] == "crit"
    assert "dt-cho-02" not in {r["name"] for r in rows} and len(rows) == 5  # never checked: not ok
