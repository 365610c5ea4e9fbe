"""Push planning (pure): what a profile would change on one camera, given what it has now.

The plan is what the admin reviews; the apply step must change exactly what it shows. Values are
plain JSON-able data (lists, strings, numbers) so the journal can store them and a restore can
write them back. A value the camera cannot take (outside its own advertised options) is not a
change: it is listed as unsupported, with what the camera does offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleetctl.core.push.profile import Profile

# Settings are written in groups, one ONVIF Set call each, in this order: network identity
# first, the clock before anything that logs, video last (it restarts the encoder).
GROUPS = ("hostname", "dns", "ntp", "time", "video.main", "video.sub")


@dataclass(frozen=True)
class EncoderState:
    token: str
    codec: str | None
    resolution: str | None  # "1920x1080"
    fps: float | None
    bitrate_kbps: int | None
    gop: int | None
    resolutions: tuple[str, ...] = ()  # what the camera offers; empty = unknown
    fps_range: tuple[float, float] | None = None
    bitrate_range: tuple[int, int] | None = None
    gop_range: tuple[int, int] | None = None
    codecs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeviceSettings:
    """What a camera has now. ``None`` = could not be read (then it is never 'unchanged')."""

    hostname: str | None = None
    ntp_servers: tuple[str, ...] | None = None
    ntp_from_dhcp: bool | None = None
    timezone: str | None = None
    time_mode: str | None = None  # ntp | manual
    dns_servers: tuple[str, ...] | None = None
    dns_search: tuple[str, ...] | None = None
    encoders: dict[str, EncoderState] = field(default_factory=dict)  # "main", "sub"

    def value(self, setting: str) -> Any:
        """The current value of a setting name used in plans, as plain data."""
        if setting.startswith("video."):
            _, stream, attr = setting.split(".")
            enc = self.encoders.get(stream)
            return None if enc is None else getattr(enc, attr)
        v = {
            "hostname": self.hostname,
            "ntp.servers": self.ntp_servers,
            "ntp.from_dhcp": self.ntp_from_dhcp,
            "time.timezone": self.timezone,
            "time.mode": self.time_mode,
            "dns.servers": self.dns_servers,
            "dns.search": self.dns_search,
        }[setting]
        return list(v) if isinstance(v, tuple) else v


@dataclass(frozen=True)
class Change:
    setting: str  # e.g. "ntp.servers", "video.main.fps"
    old: Any
    new: Any

    @property
    def group(self) -> str:
        return group_of(self.setting)


@dataclass(frozen=True)
class CameraPlan:
    camera: str
    changes: tuple[Change, ...] = ()
    unchanged: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()  # "video.main.resolution: 2688x1520 not offered (...)"
    error: str | None = None  # could not read the camera: nothing planned

    @property
    def groups(self) -> tuple[str, ...]:
        present = {c.group for c in self.changes}
        return tuple(g for g in GROUPS if g in present)


def group_of(setting: str) -> str:
    return (
        ".".join(setting.split(".")[:2]) if setting.startswith("video.") else setting.split(".")[0]
    )


def desired_values(profile: Profile, *, site: str, n: int, name: str) -> dict[str, Any]:
    """The profile rendered for one camera, as setting -> plain value."""
    want: dict[str, Any] = {}
    if profile.hostname is not None:
        want["hostname"] = profile.render_hostname(site=site, n=n, name=name)
    if profile.dns_servers is not None:
        want["dns.servers"] = list(profile.dns_servers)
    if profile.dns_search is not None:
        want["dns.search"] = list(profile.dns_search)
    if profile.ntp_from_dhcp:
        want["ntp.from_dhcp"] = True
    elif profile.ntp_servers is not None:
        want["ntp.from_dhcp"] = False
        want["ntp.servers"] = list(profile.ntp_servers)
    if profile.timezone is not None:
        want["time.timezone"] = profile.timezone
    if profile.time_mode is not None:
        want["time.mode"] = profile.time_mode
    for stream, target in profile.video.items():
        if target.codec is not None:
            want[f"video.{stream}.codec"] = target.codec
        if target.width is not None:
            want[f"video.{stream}.resolution"] = f"{target.width}x{target.height}"
        if target.fps is not None:
            want[f"video.{stream}.fps"] = target.fps
        if target.bitrate_kbps is not None:
            want[f"video.{stream}.bitrate_kbps"] = target.bitrate_kbps
        if target.gop is not None:
            want[f"video.{stream}.gop"] = target.gop
    return want


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float | int) and isinstance(new, float | int) and not isinstance(old, bool):
        return abs(float(old) - float(new)) < 1e-6
    if isinstance(old, str) and isinstance(new, str) and old.lower() == new.lower():
        return True  # hostnames and codecs are case-insensitive on cameras
    return bool(old == new)


def _unsupported(setting: str, new: Any, current: DeviceSettings) -> str | None:
    """Why this camera cannot take ``new`` for ``setting`` (from its own options), or None."""
    if not setting.startswith("video."):
        return None
    _, stream, attr = setting.split(".")
    enc = current.encoders.get(stream)
    if enc is None:
        return f"{setting}: the camera has no {stream} stream"
    if attr == "resolution" and enc.resolutions and new not in enc.resolutions:
        return f"{setting}: {new} not offered (camera offers {', '.join(enc.resolutions)})"
    if attr == "codec" and enc.codecs and new not in enc.codecs:
        return f"{setting}: {new} not offered (camera offers {', '.join(enc.codecs)})"
    rng = {"fps": enc.fps_range, "bitrate_kbps": enc.bitrate_range, "gop": enc.gop_range}.get(attr)
    if rng is not None and not rng[0] <= new <= rng[1]:
        return f"{setting}: {new:g} outside the camera's range {rng[0]:g}-{rng[1]:g}"
    return None


def plan_camera(
    profile: Profile, current: DeviceSettings, *, camera: str, site: str, n: int
) -> CameraPlan:
    changes: list[Change] = []
    unchanged: list[str] = []
    unsupported: list[str] = []
    for setting, new in desired_values(profile, site=site, n=n, name=camera).items():
        old = current.value(setting)
        if old is not None and _same(old, new):
            unchanged.append(setting)
            continue
        why = _unsupported(setting, new, current)
        if why is not None:
            unsupported.append(why)
            continue
        changes.append(Change(setting, old, new))
    order = {g: i for i, g in enumerate(GROUPS)}
    changes.sort(key=lambda c: order[c.group])
    return CameraPlan(camera, tuple(changes), tuple(unchanged), tuple(unsupported))
