"""Which zone ``--from``/``--to`` times written without one are read in, camera by camera.

    zone_for(option, site_tz, machine) -> Zone       --tz, else the site's ``tz:``, else machine
    camera_zones(cameras, inventory, option, machine) -> {camera name: Zone}
    window_in(start, end, zone, now) -> Span          true UTC; ValueError names the bad text
    named_zone(name) -> Zone | None                   None: no such IANA zone here
    zone_label(zones) -> str                          which zone times are in, for a title

The rule users read in docs/commands.md#footage: a time with a zone (``...Z``, ``+07:00``) or a
relative one (``-2h``, ``now``) is one instant whatever the zone; a time without a zone is local
time of ``--tz`` when given, else of the camera's site (its inventory ``tz:``), else of this
machine. Cameras of sites in different zones each get their own window: "yesterday 21:00" means
21:00 where each camera is. Pure: zoneinfo (and the catalogue, for ``zone_label``'s words).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum

from fleetctl.base.i18n import _
from fleetctl.core.footage.coverage import Span
from fleetctl.core.footage.timespec import parse_when
from fleetctl.core.models import Camera, Inventory


class ZoneSource(StrEnum):
    OPTION = "option"  # --tz
    SITE = "site"  # the site's `tz:` in the inventory
    MACHINE = "machine"  # this machine's zone


@dataclass(frozen=True)
class Zone:
    tz: tzinfo
    name: str  # the IANA name, or "UTC+0700" for a machine zone without one
    source: ZoneSource


def named_zone(name: str, source: ZoneSource = ZoneSource.OPTION) -> Zone | None:
    from zoneinfo import ZoneInfo

    try:
        return Zone(ZoneInfo(name), name, source)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


def machine_zone(now: datetime | None = None) -> Zone:
    local = (now or datetime.now(UTC)).astimezone().tzinfo or UTC
    key = getattr(local, "key", None) or (now or datetime.now(UTC)).astimezone(local).strftime(
        "UTC%z"
    )
    return Zone(local, str(key), ZoneSource.MACHINE)


def zone_for(option: Zone | None, site_tz: str | None, machine: Zone) -> Zone:
    if option is not None:
        return option
    if site_tz:
        site = named_zone(site_tz, ZoneSource.SITE)
        if site is not None:  # validated when the inventory was loaded; a vanished zone: machine
            return site
    return machine


def camera_zones(
    cameras: Iterable[Camera], inventory: Inventory, option: Zone | None, machine: Zone
) -> dict[str, Zone]:
    site_tz = {s.name: s.tz for s in inventory.sites}
    return {c.name: zone_for(option, site_tz.get(c.site), machine) for c in cameras}


def window_in(start: str, end: str, zone: Zone, now: datetime) -> Span:
    """[start, end) in true UTC; ``ValueError(text)`` for a time that cannot be read, and
    ``ValueError("")`` for an empty window."""
    a = parse_when(start, now, zone.tz)
    b = parse_when(end, now, zone.tz)
    if a >= b:
        raise ValueError("")
    return Span(a.astimezone(UTC), b.astimezone(UTC))


def distinct(zones: Mapping[str, Zone]) -> list[Zone]:
    """The zones in use, each once, in first-camera order."""
    seen: dict[str, Zone] = {}
    for z in zones.values():
        seen.setdefault(z.name, z)
    return list(seen.values())


def zone_label(zones: Mapping[str, Zone]) -> str:
    """Which zone the times were read in, for a title: one zone and where it came from, or the
    list when the selected sites are in several."""
    used = distinct(zones)
    if len(used) > 1:
        return _("each site's zone: %(zones)s") % {"zones": ", ".join(z.name for z in used)}
    if not used:
        return machine_zone().name
    z = used[0]
    why = {
        ZoneSource.OPTION: "--tz",
        ZoneSource.SITE: _("the site's zone"),
        ZoneSource.MACHINE: _("this machine's zone"),
    }[z.source]
    return f"{z.name}, {why}"
