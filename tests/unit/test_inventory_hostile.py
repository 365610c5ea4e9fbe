"""Hostile inventory and profile files (issue 13): a YAML alias bomb in a value (item 5), a
password in an `rtsp_url` query (item 8), oversized files and values (item 13). Each is
refused with file, line and key, quickly, and never quoted back whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetctl.base.logsafe import MASK, query_secrets, safe_url
from fleetctl.core.errors import InventoryError
from fleetctl.core.inventory.load import lint_inventory
from fleetctl.core.push.profile import load_profile


def bomb(depth: int = 10) -> str:
    """A flow list whose items anchor nine references to the previous one: ~30 lines of text,
    9**depth leaves when expanded (the "billion laughs" of YAML)."""
    items = ["&a0 [" + ", ".join(["lol"] * 9) + "]"]
    items += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, depth)]
    return "[" + ", ".join(items) + "]"


SITE = """\
sites:
  s1:
    cameras:
      - name: c1
        host: 10.0.0.1
"""


# Generous bound: a hang is minutes; the real run is well under a second.
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text, key",
    [
        (f"policy:\n  slow_s: {bomb()}\n" + SITE, "policy.slow_s"),
        (f"policy:\n  flap_checks: {bomb()}\n" + SITE, "policy.flap_checks"),
        (f"defaults:\n  port: {bomb()}\n" + SITE, "defaults.port"),
        (f"defaults:\n  tags: {bomb()}\n" + SITE, "defaults.tags"),
        (SITE + f"        location: {bomb()}\n", "sites.s1.cameras[0].location"),
        (SITE + f"        host2: {bomb()}\n", "sites.s1.cameras[0].host2"),
    ],
    ids=["policy-number", "policy-count", "port", "tags", "location", "unknown-key"],
)
def test_alias_bomb_in_an_inventory_value_is_refused_quickly(
    tmp_path: Path, text: str, key: str
) -> None:
    inv = tmp_path / "bomb.yaml"
    inv.write_text(text)
    inventory, issues = lint_inventory(str(inv))
    assert inventory is None
    mine = [i for i in issues if i.key.startswith(key)]
    assert mine, issues
    assert all(i.line is not None and len(i.message) < 300 for i in issues)
    assert "lol" not in " ".join(i.message for i in issues)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text",
    [
        f"hostname: {bomb()}\n",
        f"reboot: {bomb()}\n",
        f"time: {{timezone: {bomb()}}}\n",
        f"video: {{main: {{resolution: {bomb()}}}}}\n",
        f"ntp: {{servers: {bomb()}}}\n",
    ],
    ids=["hostname", "reboot", "timezone", "video", "ntp"],
)
def test_alias_bomb_in_a_profile_value_is_refused_quickly(tmp_path: Path, text: str) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(text)
    with pytest.raises(InventoryError) as err:
        load_profile(str(profile))
    assert "lol" not in str(err.value) and len(str(err.value)) < 4000


@pytest.mark.parametrize(
    "query",
    ["?password=Secr3t", "?user=admin&pwd=Secr3t", "?channel=1&passwd=Secr3t&subtype=0",
     "?PassWord=Secr3t", "?token=Secr3t"],
)  # fmt: skip
def test_rtsp_url_with_a_password_in_its_query_is_refused(tmp_path: Path, query: str) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(SITE + f"        rtsp_url: rtsp://10.0.0.1:554/live{query}\n")
    inventory, issues = lint_inventory(str(inv))
    assert inventory is None
    [issue] = [i for i in issues if i.severity == "error"]
    assert issue.key == "sites.s1.cameras[0].rtsp_url" and issue.line == 6
    assert "password in its query" in issue.message and "Secr3t" not in issue.message


def test_urls_are_masked_wherever_shown() -> None:
    url = "rtsp://admin:Secr3t@10.0.0.1:554/live?channel=1&pwd=Secr3t&subtype=0#x"
    shown = safe_url(url)
    assert "Secr3t" not in shown
    assert shown == f"rtsp://admin:{MASK}@10.0.0.1:554/live?channel=1&pwd={MASK}&subtype=0#x"
    assert safe_url("rtsp://h/live?password=a;b=1") == f"rtsp://h/live?password={MASK};b=1"
    assert safe_url("rtsp://h/live?passwords=1") == "rtsp://h/live?passwords=1"
    assert query_secrets("rtsp://h/x?a=1&Password=2&pwd=") == ["Password"]


def test_an_oversized_value_or_list_is_refused_with_file_line_and_key(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    tags = "[" + ", ".join(f"t{i}" for i in range(1500)) + "]"
    inv.write_text(SITE + f"        location: {'x' * 5000}\n        tags: {tags}\n")
    inventory, issues = lint_inventory(str(inv))
    assert inventory is None
    got = {(i.key, i.line): i.message for i in issues}
    assert "5000 characters long: the limit is 4096" in got[("sites.s1.cameras[0].location", 6)]
    assert "1500 items: the limit is 1024" in got[("sites.s1.cameras[0].tags", 7)]
    assert all(len(i.message) < 200 for i in issues)


def test_an_oversized_file_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fleetctl.core.inventory.load as load

    monkeypatch.setattr(load, "MAX_FILE_BYTES", 4096)
    inv = tmp_path / "big.yaml"
    inv.write_text(SITE + "#" * 8192 + "\n")
    inventory, issues = lint_inventory(str(inv))
    assert inventory is None
    [issue] = issues
    assert issue.file == str(inv) and "larger than" in issue.message
