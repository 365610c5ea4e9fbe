"""Times as the vendors' search APIs write them: read defensively, pure.

- Hikvision ISAPI writes ISO 8601 (``2021-08-27T12:00:00Z``, ``...+07:00``, compact
  ``20210827T120000Z`` in playback URIs). Some firmware marks *device-local* time with ``Z``:
  ``isapi_time`` keeps the wall-clock digits and the designator apart so the caller decides.
- Its time zone is POSIX-shaped with the sign inverted: ``CST-7:00:00`` is UTC+7
  (``posix_utc_offset_s``).
- Dahua CGI writes device-local time without a zone, months and days unpadded:
  ``2021-8-27 12:00:00`` (``dahua_time``).

Garbage (month 13, hour 25, text) reads as None, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "IsapiTime",
    "dahua_stamp",
    "dahua_time",
    "isapi_stamp",
    "isapi_time",
    "local_to_utc",
    "posix_utc_offset_s",
    "round_zone_s",
]

# std name (letters, or <...> quoted), then the POSIX offset [+-]hh[:mm[:ss]] (west positive).
_POSIX = re.compile(
    r"^\s*(?:<[^>]{1,16}>|[A-Za-z]{3,16})([+-]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?"
)
_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{1,2})-?(\d{1,2})[T ](\d{1,2}):?(\d{1,2}):?(\d{1,2})(?:[.,]\d{1,9})?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.IGNORECASE,
)
_DAHUA = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})\s*$")
MAX_ZONE_S = 14 * 3600  # no zone on Earth is further from UTC


@dataclass(frozen=True)
class IsapiTime:
    """A Hikvision time: its wall-clock digits (naive) and its designator as an offset.

    ``utc_offset_s`` is 0 for ``Z``, the offset for ``+07:00``, None when none was written."""

    wall: datetime
    utc_offset_s: int | None
    zulu: bool = False


def posix_utc_offset_s(text: str | None) -> int | None:
    """UTC offset (seconds east) of a POSIX-style zone: ``CST-7:00:00`` -> +25200.

    POSIX writes the offset to *add to local time to reach UTC*, hence the inverted sign.
    None when unreadable or beyond any real zone."""
    m = _POSIX.match(text or "")
    if m is None:
        return None
    seconds = int(m[2]) * 3600 + int(m[3] or 0) * 60 + int(m[4] or 0)
    if int(m[3] or 0) > 59 or int(m[4] or 0) > 59 or seconds > MAX_ZONE_S:
        return None
    return seconds if m[1] == "-" else -seconds


def _wall(parts: tuple[str, ...]) -> datetime | None:
    try:
        y, mo, d, h, mi, s = (int(p) for p in parts)
        return datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def isapi_time(text: str | None) -> IsapiTime | None:
    """A Hikvision ISAPI time, or None if it is not one."""
    m = _ISO.match(text or "")
    if m is None:
        return None
    wall = _wall(m.groups()[:6])
    if wall is None:
        return None
    zone = m[7]
    if zone is None:
        return IsapiTime(wall, None)
    if zone.upper() == "Z":
        return IsapiTime(wall, 0, zulu=True)
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if minutes > 59 or hours * 3600 + minutes * 60 > MAX_ZONE_S:
        return None
    offset = hours * 3600 + minutes * 60
    return IsapiTime(wall, offset if zone[0] == "+" else -offset)


def dahua_time(text: str | None) -> datetime | None:
    """A Dahua CGI time (device-local, naive): ``2021-8-27 12:00:00``; None if not one."""
    m = _DAHUA.match(text or "")
    return _wall(m.groups()) if m is not None else None


def local_to_utc(wall: datetime, utc_offset_s: float) -> datetime:
    """Device-local wall-clock digits as an aware UTC instant (on the device's clock)."""
    return (wall - timedelta(seconds=utc_offset_s)).replace(tzinfo=UTC)


def _local_wall(when: datetime, utc_offset_s: float) -> datetime:
    return (when.astimezone(UTC) + timedelta(seconds=utc_offset_s)).replace(tzinfo=None)


def isapi_stamp(when: datetime, utc_offset_s: int) -> str:
    """``when`` as device-local digits with an explicit offset (``2021-08-27T12:00:00+07:00``).

    Firmware that honours the designator and firmware that reads the digits as local time
    both search the same instant."""
    sign = "+" if utc_offset_s >= 0 else "-"
    hours, rest = divmod(abs(int(utc_offset_s)), 3600)
    wall = _local_wall(when, utc_offset_s)
    return f"{wall:%Y-%m-%dT%H:%M:%S}{sign}{hours:02d}:{rest // 60:02d}"


def dahua_stamp(when: datetime, utc_offset_s: float) -> str:
    """``when`` as Dahua device-local time: ``2021-08-27 12:00:00``."""
    return f"{_local_wall(when, utc_offset_s):%Y-%m-%d %H:%M:%S}"


def round_zone_s(seconds: float) -> int:
    """A measured local-minus-UTC difference to the nearest real zone (quarter hours)."""
    return round(seconds / 900.0) * 900
