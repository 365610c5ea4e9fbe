"""Configuration backups, pure: a readable document of what a camera has, its fingerprint,
the difference between two, and the push profile that puts one back.

    document(camera, device, settings, users, taken) -> dict      what `backup` writes (JSON)
    fingerprint(doc) -> str         SHA-256 of the settings alone (not of when they were read)
    changes(old, new) -> [Change]   setting by setting, in document order
    restore_profile(doc) -> dict    a push profile (docs/profiles.md) with the backup's values

The document's keys follow the push profile's (``ntp``, ``time``, ``dns``, ``hostname``,
``video.main``/``video.sub``), so a backup is read with the same words as a push, and restoring
it *is* a push: planned, diffed, verified, rolled back camera by camera. Accounts are listed
(names and levels) for the record; passwords are never read, so they are never restored.
A value the camera would not give is ``null``: never invented.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetctl.core.models import Camera, DeviceInfo
from fleetctl.core.push.plan import DeviceSettings, EncoderState

FORMAT = 1
# Keys that say when and of what, not what the camera has: they never make a backup "changed".
_ABOUT = ("fleetctl_backup", "camera", "site", "host", "taken")


def _encoder(e: EncoderState) -> dict[str, Any]:
    return {
        "codec": e.codec,
        "resolution": e.resolution,
        "fps": e.fps,
        "bitrate_kbps": e.bitrate_kbps,
        "gop": e.gop,
    }


def document(
    camera: Camera,
    device: DeviceInfo | None,
    settings: DeviceSettings,
    users: Sequence[tuple[str, str | None]] | None,
    taken: datetime,
) -> dict[str, Any]:
    d = device or DeviceInfo()
    return {
        "fleetctl_backup": FORMAT,
        "camera": camera.name,
        "site": camera.site,
        "host": camera.host,
        "taken": taken.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "device": {
            "manufacturer": d.manufacturer,
            "model": d.model,
            "firmware": d.firmware,
            "serial": d.serial,
        },
        "hostname": settings.hostname,
        "time": {"mode": settings.time_mode, "timezone": settings.timezone},
        "ntp": {
            "from_dhcp": settings.ntp_from_dhcp,
            "servers": None if settings.ntp_servers is None else list(settings.ntp_servers),
        },
        "dns": {
            "servers": None if settings.dns_servers is None else list(settings.dns_servers),
            "search": None if settings.dns_search is None else list(settings.dns_search),
        },
        "video": {stream: _encoder(e) for stream, e in sorted(settings.encoders.items())},
        "users": None
        if users is None
        else [{"username": u, "level": level} for u, level in sorted(users)],
    }


def encode(doc: Mapping[str, Any]) -> bytes:
    """The file's bytes: UTF-8 JSON, keys in document order, one trailing newline."""
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def fingerprint(doc: Mapping[str, Any]) -> str:
    """SHA-256 of the settings (canonical JSON, sorted keys), leaving out when they were read."""
    body = {k: v for k, v in doc.items() if k not in _ABOUT}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


@dataclass(frozen=True)
class Change:
    setting: str  # "ntp.servers", "video.main.fps", "users"
    old: Any
    new: Any


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            yield from _flat(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, value


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """What differs between two backups of a camera, setting by setting (lists compared whole)."""
    a = dict(_flat({k: v for k, v in old.items() if k not in _ABOUT}))
    b = dict(_flat({k: v for k, v in new.items() if k not in _ABOUT}))
    keys = list(dict.fromkeys([*a, *b]))
    return [Change(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def restore_profile(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A push profile that sets what the backup recorded; values the backup lacks are left out
    (a profile sets only what it names)."""
    profile: dict[str, Any] = {}
    ntp = doc.get("ntp") or {}
    if ntp.get("from_dhcp"):
        profile["ntp"] = {"from_dhcp": True}
    elif ntp.get("servers"):
        profile["ntp"] = {"servers": list(ntp["servers"])}
    time = {k: v for k, v in (doc.get("time") or {}).items() if v is not None}
    if time:
        profile["time"] = time
    dns = {k: list(v) for k, v in (doc.get("dns") or {}).items() if v}
    if dns:
        profile["dns"] = dns
    if doc.get("hostname"):
        profile["hostname"] = doc["hostname"]
    video: dict[str, Any] = {}
    for stream, enc in (doc.get("video") or {}).items():
        values = {k: v for k, v in enc.items() if v is not None}
        if isinstance(values.get("fps"), float) and values["fps"].is_integer():
            values["fps"] = int(values["fps"])
        if values:
            video[stream] = values
    if video:
        profile["video"] = video
    return profile
