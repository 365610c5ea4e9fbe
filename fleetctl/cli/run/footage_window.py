"""The footage window as the command line gives it: ``--from``/``--to``, read in a zone.

Shared by `fleetctl footage` and `fleetctl footage export`, which the footage command runs. The
zone of times written without one: ``--tz``, else the camera's site's ``tz:``, else this
machine's (core.footage.zones); the output names it (``zone_label``, shared with the TUI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo

from fleetctl.base.i18n import _
from fleetctl.core.errors import UsageError
from fleetctl.core.footage.coverage import Span
from fleetctl.core.footage.zones import (
    Zone,
    ZoneSource,
    camera_zones,
    distinct,
    machine_zone,
    named_zone,
    window_in,
    zone_label,
)
from fleetctl.core.models import Camera, Inventory


def option_zone(name: str | None) -> Zone | None:
    """``--tz``, checked: a usage error names a zone this machine does not know."""
    if not name:
        return None
    found = named_zone(name)
    if found is None:
        raise UsageError(_("unknown time zone %(zone)r") % {"zone": name})
    return found


def zone(name: str | None) -> tuple[tzinfo, str]:
    """The zone of times written without one, and its name for the output (no site known)."""
    z = option_zone(name) or machine_zone()
    return z.tz, z.name


def window(start: str, end: str, tz: tzinfo, now: datetime) -> Span:
    return _window(start, end, Zone(tz, "", ZoneSource.OPTION), now)


def _window(start: str, end: str, z: Zone, now: datetime) -> Span:
    try:
        return window_in(start, end, z, now)
    except ValueError as err:
        if not str(err):
            raise UsageError(_("the window is empty: --from must be before --to")) from None
        raise UsageError(_("not a time: %(text)r (see --help)") % {"text": str(err)}) from None


def camera_windows(
    start: str, end: str, tz_option: str | None, cameras: Sequence[Camera], inventory: Inventory
) -> tuple[dict[str, Zone], dict[str, Span]]:
    """Each camera's zone and window (true UTC): cameras of one zone share one window."""
    zones = camera_zones(cameras, inventory, option_zone(tz_option), machine_zone())
    now = datetime.now(UTC)
    by_zone = {z.name: _window(start, end, z, now) for z in distinct(zones)}
    return zones, {name: by_zone[z.name] for name, z in zones.items()}


def zone_name(zones: Mapping[str, Zone]) -> str | None:
    """The one zone's name for JSON, or None when the selected sites are in several."""
    used = distinct(zones)
    return used[0].name if len(used) == 1 else None


__all__ = ["camera_windows", "option_zone", "window", "zone", "zone_label", "zone_name"]
