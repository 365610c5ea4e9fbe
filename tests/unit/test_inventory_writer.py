"""Inventory writer: round-trip byte-for-byte, idempotent, atomic, re-validated, mode kept."""

from __future__ import annotations

import difflib
import os
import stat
import threading
from pathlib import Path

import pytest

from fleetctl.core.errors import InventoryError
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.inventory.writer import upsert_camera
from fleetctl.core.secret import Secret

ORIGINAL = """\
# Đông Tiến district — hand-edited; keep these comments
defaults:
  credentials: district   # the fleet account

sites:
  dong-tien:
    location: "Xã Đông Tiến"
    tz: Asia/Ho_Chi_Minh   # footage times are local time here
    cameras:
      - name: dt-cho-01          # chợ, cổng chính
        host: 10.20.1.11
        tags: [market, hik]
        location: 'Chợ Đông Tiến, cổng chính'
      - name: dt-nvr
        host: 10.20.1.2
        ssh: {port: 22, credentials: nvr}
  quang-thinh:
    cameras: []   # filled in by onboarding
"""


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    path = tmp_path / "district.yaml"
    path.write_text(ORIGINAL, "utf-8")
    return path


def _ops(before: str, after: str) -> set[str]:
    sm = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    return {op for op, *_ in sm.get_opcodes() if op != "equal"}


def test_adding_a_camera_only_inserts_lines(inv: Path) -> None:
    assert upsert_camera(
        str(inv),
        "dong-tien",
        {
            "name": "dt-cho-02",
            "host": "10.20.1.13",
            "tags": ["market"],
            "location": "Chợ, cổng sau",
        },
    )
    after = inv.read_text("utf-8")
    assert _ops(ORIGINAL, after) == {"insert"}  # every original byte, comment and quote is kept
    assert "      - name: dt-cho-02\n        host: 10.20.1.13\n        tags: [market]\n" in after
    loaded = load_inventory(str(inv))
    cam = loaded.camera("dt-cho-02")
    assert cam is not None and cam.location == "Chợ, cổng sau" and cam.site == "dong-tien"
    assert loaded.site("dong-tien").tz == "Asia/Ho_Chi_Minh"  # type: ignore[union-attr]
    assert "    tz: Asia/Ho_Chi_Minh   # footage times are local time here\n" in after


def test_same_values_write_nothing(inv: Path) -> None:
    before = os.stat(inv)
    fields = {"name": "dt-cho-01", "host": "10.20.1.11", "tags": ("market", "hik")}
    assert upsert_camera(str(inv), "dong-tien", fields) is False
    after = os.stat(inv)
    assert inv.read_text("utf-8") == ORIGINAL and after.st_ino == before.st_ino
    # And a change applied twice changes the file once.
    assert upsert_camera(str(inv), "dong-tien", {"name": "dt-cho-01", "port": 8080}) is True
    once = inv.read_bytes()
    assert upsert_camera(str(inv), "dong-tien", {"name": "dt-cho-01", "port": 8080}) is False
    assert inv.read_bytes() == once


def test_update_changes_only_that_line_and_none_removes(inv: Path) -> None:
    upsert_camera(
        str(inv), "dong-tien", {"name": "dt-cho-01", "host": "10.20.1.99", "location": None}
    )
    after = inv.read_text("utf-8")
    diff = [d for d in difflib.ndiff(ORIGINAL.splitlines(), after.splitlines()) if d[:1] in "+-"]
    assert diff == [
        "-         host: 10.20.1.11",
        "+         host: 10.20.1.99",
        "-         location: 'Chợ Đông Tiến, cổng chính'",
    ]


def test_new_site_and_new_file(inv: Path, tmp_path: Path) -> None:
    assert upsert_camera(
        str(inv), "hoang-quang", {"name": "hq-01", "host": "10.20.4.11", "ssh": {"port": 22}}
    )
    assert load_inventory(str(inv)).camera("hq-01").ssh.port == 22  # type: ignore[union-attr]
    fresh = tmp_path / "sub" / "new.yaml"
    fresh.parent.mkdir()
    assert upsert_camera(str(fresh), "đông-lĩnh", {"name": "dl-01", "host": "10.20.5.11"})
    assert load_inventory(str(fresh)).cameras[0].site == "đông-lĩnh"


def test_invalid_result_leaves_the_old_file_intact(inv: Path) -> None:
    os.chmod(inv, 0o640)
    with pytest.raises(InventoryError) as info:
        upsert_camera(str(inv), "dong-tien", {"name": "dt-bad", "host": "10.20.1.300"})
    assert "not a valid IPv4 address" in str(info.value)
    assert inv.read_text("utf-8") == ORIGINAL
    assert sorted(os.listdir(inv.parent)) == ["district.yaml"]  # no temp file left behind
    # A valid write keeps the file's mode (0640 here, not the temp file's 0600).
    upsert_camera(str(inv), "dong-tien", {"name": "dt-ok", "host": "10.20.1.30"})
    assert stat.S_IMODE(os.stat(inv).st_mode) == 0o640


def test_refusals(inv: Path) -> None:
    with pytest.raises(InventoryError, match="already in site `dong-tien`"):
        upsert_camera(str(inv), "quang-thinh", {"name": "dt-cho-01", "host": "10.20.1.11"})
    with pytest.raises(ValueError, match="password"):
        upsert_camera(
            str(inv), "dong-tien", {"name": "x", "host": "10.0.0.1", "password": Secret("pw")}
        )
    with pytest.raises(ValueError, match="hostt"):
        upsert_camera(str(inv), "dong-tien", {"name": "x", "hostt": "10.0.0.1"})
    assert inv.read_text("utf-8") == ORIGINAL


@pytest.mark.parametrize(
    ("text", "added"),
    [
        (
            "sites:\n    a:\n        cameras:\n        -   name: a1\n            host: 10.0.0.1\n",
            "        -   name: a2\n            host: 10.0.0.2\n",
        ),
        (
            "sites:\n  a:\n    cameras:\n    - name: a1  # no offset\n      host: 10.0.0.1\n",
            "    - name: a2\n      host: 10.0.0.2\n",
        ),
    ],
    ids=["4-spaces-offset-dash", "2-spaces-no-offset"],
)
def test_indentation_style_of_the_file_is_kept(tmp_path: Path, text: str, added: str) -> None:
    path = tmp_path / "style.yaml"
    path.write_text(text)
    upsert_camera(str(path), "a", {"name": "a2", "host": "10.0.0.2"})
    assert path.read_text() == text + added


def test_concurrent_writers_lose_nothing(inv: Path) -> None:
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            upsert_camera(str(inv), "quang-thinh", {"name": f"qt-{n:02}", "host": f"10.20.3.{n}"})
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    names = {c.name for c in load_inventory(str(inv)).cameras}
    assert {f"qt-{n:02}" for n in range(1, 9)} <= names
