"""Which zone footage times without one are read in: --tz, else the site's `tz:`, else machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from fleetctl.core.errors import InventoryError
from fleetctl.core.footage.coverage import Span
from fleetctl.core.footage.zones import (
    Zone,
    ZoneSource,
    camera_zones,
    named_zone,
    window_in,
    zone_for,
)
from fleetctl.core.inventory.load import load_documents

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, 04:00 in Berlin
MACHINE = Zone(timezone(timedelta(hours=-5)), "UTC-0500", ZoneSource.MACHINE)
HCM, BERLIN = "Asia/Ho_Chi_Minh", "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "end", "option", "site_tz", "expected", "zone", "source"),
    [
        # the site's zone, no DST (Việt Nam: UTC+7 all year)
        ("2026-12-06 21:00", "2026-12-06 21:30", None, HCM, utc(2026, 12, 6, 14), HCM, "site"),
        ("2026-07-06 21:00", "2026-07-06 21:30", None, HCM, utc(2026, 7, 6, 14), HCM, "site"),
        # --tz wins over the site's zone
        ("2026-12-06 21:00", "2026-12-06 22:00", "UTC", HCM, utc(2026, 12, 6, 21), "UTC", "option"),
        # a time that names its zone is that instant, whatever --tz or the site say
        ("2026-12-06T21:00+07:00", "now", BERLIN, HCM, utc(2026, 12, 6, 14), BERLIN, "option"),
        ("2026-12-06T14:00Z", "-1h", None, BERLIN, utc(2026, 12, 6, 14), BERLIN, "site"),
        # a zone with DST: the offset of that date, not of today
        ("2026-07-01 12:00", "2026-07-01 12:10", None, BERLIN, utc(2026, 7, 1, 10), BERLIN, "site"),
        ("2026-12-01 12:00", "2026-12-01 12:10", None, BERLIN, utc(2026, 12, 1, 11), BERLIN, "site"),
        ("2026-03-29 03:30", "2026-03-29 04:00", None, BERLIN, utc(2026, 3, 29, 1, 30), BERLIN, "site"),
        # day words are the site's days: yesterday in Hà Nội is 6 December
        ("yesterday 21:00", "yesterday 21:30", None, HCM, utc(2026, 12, 6, 14), HCM, "site"),
        # relative times do not depend on any zone
        ("-2h", "now", None, HCM, utc(2026, 12, 7, 1), HCM, "site"),
        # no --tz, no site zone: this machine's
        ("2026-12-06 21:00", "2026-12-06 21:30", None, None, utc(2026, 12, 7, 2), "UTC-0500", "machine"),
    ],
)  # fmt: skip
def test_zone_and_window(
    start: str,
    end: str,
    option: str | None,
    site_tz: str | None,
    expected: datetime,
    zone: str,
    source: str,
) -> None:
    z = zone_for(named_zone(option) if option else None, site_tz, MACHINE)
    assert (z.name, z.source.value) == (zone, source)
    win = window_in(start, end, z, NOW)
    assert win.start == expected and win.start.tzinfo is not None


@pytest.mark.parametrize(
    "bad", ["Asia/Hanoi", "<+07>-7", "../etc/passwd", "/etc/localtime", "Asia"]
)
def test_named_zone_refuses_what_is_not_an_iana_zone(bad: str) -> None:
    assert named_zone(bad) is None


def test_window_errors_name_the_text() -> None:
    z = zone_for(None, HCM, MACHINE)
    with pytest.raises(ValueError, match="tomorrow-ish"):
        window_in("tomorrow-ish", "now", z, NOW)
    with pytest.raises(ValueError) as info:
        window_in("now", "-1h", z, NOW)
    assert str(info.value) == ""  # the empty window


INVENTORY = """\
tz: Europe/Berlin          # the file's sites, unless they say otherwise
sites:
  dong-tien:
    tz: Asia/Ho_Chi_Minh
    cameras: [{name: dt-1, host: 10.0.0.1}]
  berlin:
    cameras: [{name: b-1, host: 10.0.0.2}]
"""


def test_each_camera_gets_its_sites_zone_and_the_files_zone_is_the_default() -> None:
    inventory, _ = load_documents([("inv.yaml", INVENTORY)])
    assert [s.tz for s in inventory.sites] == [HCM, BERLIN]
    zones = camera_zones(inventory.cameras, inventory, None, MACHINE)
    assert {n: z.name for n, z in zones.items()} == {"dt-1": HCM, "b-1": BERLIN}
    wins = {n: window_in("2026-12-06 21:00", "2026-12-06 22:00", z, NOW) for n, z in zones.items()}
    assert wins["dt-1"] == Span(utc(2026, 12, 6, 14), utc(2026, 12, 6, 15))
    assert wins["b-1"] == Span(utc(2026, 12, 6, 20), utc(2026, 12, 6, 21))
    forced = camera_zones(inventory.cameras, inventory, named_zone("UTC"), MACHINE)
    assert {z.name for z in forced.values()} == {"UTC"}
    assert isinstance(zones["dt-1"].tz, ZoneInfo)


def test_a_malformed_zone_is_an_inventory_error_with_file_line_and_key() -> None:
    text = INVENTORY.replace("tz: Asia/Ho_Chi_Minh", "tz: Asia/Saigon City").replace(
        "tz: Europe/Berlin ", "tz: 7              "
    )
    with pytest.raises(InventoryError) as info:
        load_documents([("inv.yaml", text)])
    shown = str(info.value)
    assert "inv.yaml:4: sites.dong-tien.tz: 'Asia/Saigon City' is not a time zone name" in shown
    assert "inv.yaml:1: tz: must be a non-empty string, not a number" in shown
