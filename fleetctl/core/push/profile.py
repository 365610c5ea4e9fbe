"""Push profiles: the desired settings an admin applies to many cameras (docs/profiles.md).

Loaded strictly, like inventories: unknown keys, wrong types and impossible values are all
reported at once with file, line and key, before anything is sent to a camera. Every key is
optional; a profile sets only what it names.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

from fleetctl.base.i18n import _
from fleetctl.core.errors import InventoryIssue, ProfileError
from fleetctl.core.inventory.schema import (
    INVALID,
    MAX_FILE_BYTES,
    IssueSink,
    check_bool,
    check_host,
    check_mapping,
    check_str,
    key_line,
    shown,
    type_name,
)

TIME_MODES = ("ntp", "manual")
REBOOT_MODES = ("never", "if-needed", "always")
CODECS = ("H264", "H265", "JPEG")
STREAMS = ("main", "sub")  # main = the first media profile, sub = the second
HOSTNAME_FIELDS = {"site", "n", "name"}
# POSIX TZ: std offset [dst [offset][,rule]]; "<+07>-7" or "ICT-7" or "CST6CDT,M3.2.0,M11.1.0".
_POSIX_TZ = re.compile(
    r"^(<[+-]?[A-Za-z0-9+-]{1,10}>|[A-Za-z]{3,})[+-]?\d{1,2}(:\d{2}){0,2}"
    r"((<[+-]?[A-Za-z0-9+-]{1,10}>|[A-Za-z]{3,})([+-]?\d{1,2}(:\d{2}){0,2})?"
    r"(,[^,\s]+,[^,\s]+)?)?$"
)
_RESOLUTION = re.compile(r"^(\d{2,5})x(\d{2,5})$")


@dataclass(frozen=True)
class VideoTarget:
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    bitrate_kbps: int | None = None
    gop: int | None = None


@dataclass(frozen=True)
class Profile:
    source: str
    ntp_servers: tuple[str, ...] | None = None
    ntp_from_dhcp: bool | None = None
    timezone: str | None = None
    time_mode: str | None = None
    dns_servers: tuple[str, ...] | None = None
    dns_search: tuple[str, ...] | None = None
    hostname: str | None = None  # a pattern: {site}, {n} (position in its site, from 1), {name}
    video: dict[str, VideoTarget] = field(default_factory=dict)
    rotate: tuple[str, ...] = ()  # credential names whose passwords rotate
    reboot: str = "if-needed"

    def render_hostname(self, *, site: str, n: int, name: str) -> str | None:
        return None if self.hostname is None else self.hostname.format(site=site, n=n, name=name)


def _choice(options: tuple[str, ...]) -> Any:
    def check(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
        if v not in options:
            sink.error(
                line,
                key,
                _("must be one of %(options)s, not %(value)s")
                % {"options": ", ".join(options), "value": shown(v)},
            )
            return INVALID
        return v

    return check


def _hosts(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, list) or not v:
        sink.error(
            line,
            key,
            _("must be a non-empty list of addresses or names, not %(type)s")
            % {"type": type_name(v)},
        )
        return INVALID
    out = [check_host(sink, h, f"{key}[{i}]", key_line(v, i)) for i, h in enumerate(v)]
    return INVALID if INVALID in out else tuple(out)


def _names(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, list):
        sink.error(line, key, _("must be a list, not %(type)s") % {"type": type_name(v)})
        return INVALID
    out = [check_str(sink, s, f"{key}[{i}]", key_line(v, i)) for i, s in enumerate(v)]
    return INVALID if INVALID in out else tuple(out)


def _timezone(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    if "/" in v:  # Olson names are what people type; ONVIF's SetSystemDateAndTime wants POSIX
        sink.error(
            line,
            key,
            _('%(value)s is an Olson name: cameras need a POSIX TZ such as "<+07>-7"')
            % {"value": shown(v)},
        )
        return INVALID
    if not _POSIX_TZ.match(v):
        sink.error(
            line,
            key,
            _('%(value)s is not a POSIX TZ string (e.g. "<+07>-7", "CST-8")') % {"value": shown(v)},
        )
        return INVALID
    return v


def _hostname(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(v) if f is not None}
        sample = v.format(site="site", n=1, name="cam")
    except (ValueError, KeyError, IndexError) as err:
        sink.error(
            line,
            key,
            _("bad pattern %(value)s: %(error)s; use {site}, {n} or {name}")
            % {"value": shown(v), "error": err},
        )
        return INVALID
    if used - HOSTNAME_FIELDS:
        sink.error(
            line,
            key,
            _("unknown field %(field)s: use {site}, {n} or {name}")
            % {"field": repr(sorted(used - HOSTNAME_FIELDS)[0])},
        )
        return INVALID
    if not re.fullmatch(r"[A-Za-z0-9-]{1,63}", sample):
        sink.error(
            line,
            key,
            _("%(value)s does not make a valid hostname (letters, digits, '-')")
            % {"value": shown(v)},
        )
        return INVALID
    return v


def _positive(kind: type, *, low: float, high: float) -> Any:
    def check(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or (kind is int and not isinstance(v, int))
        ):
            message = (
                _("must be a whole number, not %(type)s")
                if kind is int
                else _("must be a number, not %(type)s")
            )
            sink.error(line, key, message % {"type": type_name(v)})
            return INVALID
        if not low <= v <= high:
            sink.error(
                line,
                key,
                _("%(value)s is impossible: must be between %(low)s and %(high)s")
                % {"value": shown(v), "low": f"{low:g}", "high": f"{high:g}"},
            )
            return INVALID
        return kind(v)

    return check


def _resolution(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    m = _RESOLUTION.match(str(v)) if isinstance(v, str) else None
    if not m:
        sink.error(line, key, _("must look like 1920x1080, not %(value)s") % {"value": shown(v)})
        return INVALID
    return int(m.group(1)), int(m.group(2))


_VIDEO_FIELDS = {
    "codec": _choice(CODECS),
    "resolution": _resolution,
    "fps": _positive(float, low=1, high=60),
    "bitrate_kbps": _positive(int, low=32, high=32768),
    "gop": _positive(int, low=1, high=1000),
}


def _video_stream(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    out = check_mapping(sink, v, key, line, _VIDEO_FIELDS)
    if out is None:
        return INVALID
    w, h = out.pop("resolution", (None, None))
    return VideoTarget(width=w, height=h, **out)


_SCHEMA = {
    "ntp": lambda s, v, k, ln: check_mapping(
        s, v, k, ln, {"servers": _hosts, "from_dhcp": check_bool}
    ),
    "time": lambda s, v, k, ln: check_mapping(
        s, v, k, ln, {"timezone": _timezone, "mode": _choice(TIME_MODES)}
    ),
    "dns": lambda s, v, k, ln: check_mapping(s, v, k, ln, {"servers": _hosts, "search": _names}),
    "hostname": _hostname,
    "video": lambda s, v, k, ln: check_mapping(s, v, k, ln, dict.fromkeys(STREAMS, _video_stream)),
    "users": lambda s, v, k, ln: check_mapping(s, v, k, ln, {"rotate": _names}),
    "reboot": _choice(REBOOT_MODES),
}


def load_profile(path: str) -> Profile:
    """Read and validate a profile; InventoryError lists every problem with file:line:key."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ProfileError([InventoryIssue(path, None, "", _("the profile is too large"))])
        doc = YAML(typ="rt").load(raw.decode("utf-8"))
    except MarkedYAMLError as err:
        mark = err.problem_mark
        raise ProfileError(
            [
                InventoryIssue(
                    path,
                    mark.line + 1 if mark else None,
                    "",
                    _("YAML syntax error: %(problem)s") % {"problem": err.problem},
                )
            ]
        ) from None
    sink = IssueSink(path)
    if doc is None:
        doc = {}
    top = check_mapping(sink, doc, "", 1, _SCHEMA)
    if top is not None:
        ntp = top.get("ntp") or {}
        if "servers" in ntp and ntp.get("from_dhcp"):
            sink.error(key_line(doc, "ntp"), "ntp", _("give servers or from_dhcp: true, not both"))
    if sink.issues:
        raise ProfileError(sink.issues)
    assert top is not None
    ntp, tm, dns = top.get("ntp") or {}, top.get("time") or {}, top.get("dns") or {}
    return Profile(
        source=path,
        ntp_servers=ntp.get("servers"),
        ntp_from_dhcp=ntp.get("from_dhcp"),
        timezone=tm.get("timezone"),
        time_mode=tm.get("mode"),
        dns_servers=dns.get("servers"),
        dns_search=dns.get("search"),
        hostname=top.get("hostname"),
        video=dict(top.get("video") or {}),
        rotate=tuple((top.get("users") or {}).get("rotate", ())),
        reboot=top.get("reboot", "if-needed"),
    )
