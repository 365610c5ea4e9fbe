"""Camera clocks, read defensively, and ``field``: the reader of zeep objects and SOAP elements.

WS-UsernameToken puts our clock in ``wsu:Created``; cameras reject a Created outside their
window (seen from +-5 s to +-300 s). So the probe measures the camera's clock first (a
GetSystemDateAndTime that needs no credentials) and signs every later request with *its* time
(``onvif_soap.UsernameToken``).
Camera timestamps can be garbage (month 13, hour 25, missing fields): those read as ``None``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import etree


def field(obj: Any, *path: str) -> Any:
    """``obj.a.b.c``, or None where any step is missing (never raises).

    ``obj`` is a zeep object or a SOAP reply element (lxml): for an element a step is its first
    child of that local name (any namespace: vendors disagree), else its attribute of that name
    (``token``). Leaves stay elements: ``scalar`` reads their text.
    """
    for name in path:
        if obj is None:
            return None
        if isinstance(obj, etree._Element):
            child = obj.find(f"{{*}}{name}")
            obj = child if child is not None else obj.get(name)
            continue
        try:
            obj = obj[name] if isinstance(obj, dict) else getattr(obj, name, None)
        except (KeyError, TypeError, AttributeError):
            return None
    return obj


def scalar(value: Any) -> Any:
    """A leaf's value: an element's text, anything else as it is."""
    return value.text if isinstance(value, etree._Element) else value


def _int(value: Any) -> int | None:
    try:
        return int(scalar(value))
    except (TypeError, ValueError):
        return None


def camera_utc(reply: Any) -> datetime | None:
    """The camera's UTC time from a GetSystemDateAndTime reply, or None if not a real date."""
    utc = field(reply, "UTCDateTime")
    parts = [
        _int(field(utc, "Date", "Year")),
        _int(field(utc, "Date", "Month")),
        _int(field(utc, "Date", "Day")),
        _int(field(utc, "Time", "Hour")),
        _int(field(utc, "Time", "Minute")),
        _int(field(utc, "Time", "Second")),
    ]
    if any(p is None for p in parts):
        return None
    year, month, day, hour, minute, second = (p for p in parts if p is not None)
    # Cameras that lost their clock on reboot count from 1970 or 2000; still a real reading.
    if not 1970 <= year <= 2200:
        return None
    try:
        # A leap second (60) is legal in xs:time; datetime refuses it.
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except ValueError:
        return None


def measure_offset(reply: Any, sent: datetime, received: datetime) -> float | None:
    """Camera clock minus ours, in seconds, against the midpoint of the round trip."""
    cam = camera_utc(reply)
    if cam is None:
        return None
    midpoint = sent + (received - sent) / 2
    return round((cam - midpoint).total_seconds(), 3)


def utc_now() -> datetime:
    return datetime.now(UTC)
