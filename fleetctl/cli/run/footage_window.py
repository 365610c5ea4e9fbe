"""The footage window as the command line gives it: ``--from``/``--to`` in a zone (``--tz``).

Shared by `fleetctl footage` and `fleetctl footage export`, which the footage command runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from fleetctl.base.i18n import _
from fleetctl.core.errors import UsageError
from fleetctl.core.footage.coverage import Span
from fleetctl.core.footage.timespec import parse_when


def zone(name: str | None) -> tuple[tzinfo, str]:
    """The zone of times written without one, and its name for the output."""
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(_("unknown time zone %(zone)r") % {"zone": name}) from None
    local = datetime.now().astimezone().tzinfo or UTC
    key = getattr(local, "key", None) or datetime.now(local).strftime("UTC%z")
    return local, str(key)


def window(start: str, end: str, tz: tzinfo, now: datetime) -> Span:
    try:
        a = parse_when(start, now, tz)
    except ValueError:
        raise UsageError(_("not a time: %(text)r (see --help)") % {"text": start}) from None
    try:
        b = parse_when(end, now, tz)
    except ValueError:
        raise UsageError(_("not a time: %(text)r (see --help)") % {"text": end}) from None
    if a >= b:
        raise UsageError(_("the window is empty: --from must be before --to"))
    return Span(a.astimezone(UTC), b.astimezone(UTC))
