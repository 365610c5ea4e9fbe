"""``--from`` / ``--to`` values: when an incident happened, in the words people use.

- ISO 8601 with a zone (``2026-12-06T21:00+07:00``, ``...Z``): that instant;
- ISO 8601 without one (``2026-12-06 21:00``, ``2026-12-06``): local time of ``tz``;
- relative to now: ``-2h``, ``-90m``, ``-1d``, ``now``;
- a day word and a time: ``yesterday 21:00``, ``today 08:30`` (local time of ``tz``).

Errors are ``ValueError`` with the text that could not be read; the caller words them.
``clock_text``: an instant as the operator reads it beside a window.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from fleetctl.core.footage.coverage import Span

_RELATIVE = re.compile(r"^-\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$")
_DAYWORD = re.compile(r"^(today|yesterday)(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_UNIT_S = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    """The instant ``text`` names, aware. ``now`` is aware; ``tz`` is the site's zone."""
    value = " ".join(text.strip().lower().split())
    if value == "now":
        return now
    m = _RELATIVE.match(value)
    if m:
        return now - timedelta(seconds=float(m.group(1)) * _UNIT_S[m.group(2)])
    m = _DAYWORD.match(value)
    if m:
        day = now.astimezone(tz).date() - timedelta(days=1 if m.group(1) == "yesterday" else 0)
        hour, minute, second = (int(g) if g else 0 for g in m.group(2, 3, 4))
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(text)
        return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
    try:
        dt = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(text) from None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)


def clock_text(when: datetime, tz: tzinfo, window: Span) -> str:
    """An instant in ``tz`` as the operator reads it beside ``window``: the time alone on the
    window's first day, the date too on any other (`fleetctl footage`'s table, the TUI)."""
    local = when.astimezone(tz)
    same_day = local.date() == window.start.astimezone(tz).date()
    return local.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S")
