"""Camera clocks: reading them defensively and signing WS-Security with their offset.

WS-UsernameToken puts our clock in ``wsu:Created``; cameras reject a Created outside their
window (seen from +-5 s to +-300 s). So the probe measures the camera's clock first (a
GetSystemDateAndTime that needs no credentials) and signs every later request with *its* time.
Camera timestamps can be garbage (month 13, hour 25, missing fields): those read as ``None``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from zeep.wsse.username import UsernameToken


def field(obj: Any, *path: str) -> Any:
    """``obj.a.b.c`` for a zeep object, or None where any step is missing (never raises)."""
    for name in path:
        if obj is None:
            return None
        try:
            obj = obj[name] if isinstance(obj, dict) else getattr(obj, name, None)
        except (KeyError, TypeError, AttributeError):
            return None
    return obj


def _int(value: Any) -> int | None:
    try:
        return int(value)
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


class OffsetUsernameToken(UsernameToken):  # type: ignore[misc]  # zeep is untyped
    """WS-UsernameToken (PasswordDigest) whose Created follows the camera's clock.

    ``offset_s`` may change between requests (re-measured after NotAuthorized). Created is
    written in Zulu form (``...Z``): some Hikvision firmware rejects ``+00:00``. A fresh nonce
    is drawn per request by zeep.
    """

    def __init__(self, username: str, password: str, offset_s: float = 0.0) -> None:
        super().__init__(username, password, use_digest=True, zulu_timestamp=True)  # type: ignore[no-untyped-call]
        self.offset_s = offset_s

    def apply(self, envelope: Any, headers: Any) -> Any:
        self.created = utc_now().replace(microsecond=0) + timedelta(seconds=round(self.offset_s))
        try:
            return super().apply(envelope, headers)  # type: ignore[no-untyped-call]
        finally:
            self.created = None

    def __repr__(self) -> str:
        return f"OffsetUsernameToken({self.username!r}, '********', offset_s={self.offset_s})"
