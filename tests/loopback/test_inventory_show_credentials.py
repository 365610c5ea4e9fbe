"""`inventory show` says where a camera's login comes from, and never shows the password."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fleetctl.cli.main import main

PASSWORD = "Sup3r-secret-pw"
INVENTORY = """\
defaults: {credentials: district}
secrets: secrets.yaml
sites:
  dong-tien:
    cameras:
      - {name: cam-a, host: 127.253.0.1}
      - {name: cam-b, host: 127.253.0.2, credentials: nope}
      - {name: cam-c, host: 127.253.0.3, username: inline-user}
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "inv.yaml"
    inv.write_text(INVENTORY)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"district: {{username: operator, password: {PASSWORD}}}\n")
    os.chmod(secrets, 0o600)
    return inv


def show(capsys: pytest.CaptureFixture[str], inv: Path, name: str, *extra: str) -> str:
    capsys.readouterr()
    assert main(["inventory", "show", name, "-i", str(inv), *extra]) == 0
    out = capsys.readouterr().out
    assert PASSWORD not in out
    return out


def row(out: str, key: str) -> list[str]:
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if cells and cells[0] == key:
            return cells
    raise AssertionError(f"no row {key!r} in:\n{out}")


def test_show_names_the_credential_that_supplies_the_user_name(
    inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = inventory.parent / "secrets.yaml"
    out = show(capsys, inventory, "cam-a")
    where = f"from credential `district` in {secrets}"
    assert row(out, "username")[1:] == ["operator", where], out
    assert row(out, "password")[1:] == ["********", where], out
    doc = json.loads(show(capsys, inventory, "cam-a", "-f", "json"))
    assert doc["credential"] == {
        "name": "district",
        "file": str(secrets),
        "found": True,
        "username": "operator",
        "problem": None,
    }


def test_show_says_when_the_reference_is_missing(
    inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = show(capsys, inventory, "cam-b")
    secrets = inventory.parent / "secrets.yaml"
    assert row(out, "username")[1:] == ["", f"credential `nope` is not in {secrets}"], out
    doc = json.loads(show(capsys, inventory, "cam-b", "-f", "json"))
    assert doc["credential"]["found"] is False and doc["credential"]["username"] is None


def test_show_says_when_the_secrets_file_is_missing(
    inventory: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = tmp_path / "absent.yaml"
    out = show(capsys, inventory, "cam-a", "--secrets", str(absent))
    assert row(out, "username")[2] == f"the secrets file {absent} does not exist", out


def test_an_inline_user_name_wins_and_keeps_its_origin(
    inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = show(capsys, inventory, "cam-c")
    assert row(out, "username")[1] == "inline-user"
    assert row(out, "username")[2].startswith("camera ("), out
    assert "from credential" not in row(out, "password")[2], out
