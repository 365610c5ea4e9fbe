"""The inventory schema: which keys exist where, and what each value must look like.

Every checker reports into an ``IssueSink`` and returns the cleaned value, or ``INVALID``; none
raises, so one pass over a file finds every problem (a typo, a bad address, a wrong type) with
its line. Used by ``core.inventory.load`` (the loader) and, through it, by the writer.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final
from urllib.parse import urlsplit

from fleetctl.base.i18n import N_, _
from fleetctl.base.logsafe import query_secrets
from fleetctl.core.errors import InventoryIssue
from fleetctl.core.models import FirmwarePolicy, Policy
from fleetctl.core.secret import Secret
from fleetctl.core.text import clean


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()

# A name goes into selections (`name:GLOB`, comma = OR), file names and metric labels: keep it to
# word characters (Vietnamese letters included), dots and hyphens.
_NAME_RE = re.compile(r"[^\W_][\w.-]*")
_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# Discover sweeps every address of a range, one probe each: a /16 is already 65,536 probes.
RANGE_WARN_SIZE: Final = 65_536


@dataclass
class IssueSink:
    """Collects the problems of one file; ``line`` is 1-based (ruamel's are 0-based)."""

    file: str
    issues: list[InventoryIssue] = field(default_factory=list)

    def error(self, line: int | None, key: str, message: str) -> None:
        self.issues.append(InventoryIssue(self.file, line, key, message))

    def warn(self, line: int | None, key: str, message: str) -> None:
        self.issues.append(InventoryIssue(self.file, line, key, message, severity="warning"))


Checker = Callable[[IssueSink, Any, str, "int | None"], Any]


def key_line(node: Any, key: Any) -> int | None:
    """1-based line of ``key`` in a ruamel mapping (or of item ``key`` in a sequence)."""
    lc = getattr(node, "lc", None)
    try:
        if lc is None:
            return None
        pos = lc.item(key) if isinstance(key, int) else lc.key(key)
        return int(pos[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return node_line(node)


def node_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return int(lc.line) + 1 if lc is not None and lc.line is not None else None


def type_name(value: Any) -> str:
    if value is None:
        return _("nothing (null)")
    return {bool: _("a boolean"), int: _("a number"), float: _("a number"), str: _("a string")}.get(
        type(value),
        _("a list")
        if isinstance(value, list)
        else _("a mapping")
        if isinstance(value, dict)
        else type(value).__name__,
    )


MAX_SHOWN = 60  # characters of a value quoted back in a message


def shown(value: Any) -> str:
    """A value quoted back in a message, bounded: a scalar's repr cut to ``MAX_SHOWN``
    characters; a list or mapping only by its kind. A YAML alias bomb (nine lists of nine
    lists of ... of one anchor) is a few lines of text and billions of items once repr'd:
    never format a non-scalar's value into a message."""
    if value is None or isinstance(value, bool | int | float):
        text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "a number"
    elif isinstance(value, str):
        text = repr(value[: MAX_SHOWN + 1])
    else:
        return type_name(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


# Size limits (a file from a careless export or a hostile hand): every value is a name, an
# address, a URL or a short text; every list a handful of tags or ranges. Far above real use.
MAX_FILE_BYTES = 64 * 1024 * 1024  # ~400,000 cameras in one file
MAX_VALUE_CHARS = 4096
MAX_LIST_ITEMS = 1024


def check_str(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, str) or not v.strip():
        sink.error(
            line, key, _("must be a non-empty string, not %(type)s") % {"type": type_name(v)}
        )
        return INVALID
    if len(v) > MAX_VALUE_CHARS:
        sink.error(line, key, too_long(len(v)))
        return INVALID
    return v


def file_too_big() -> str:
    return _("the file is larger than %(mib)d MiB: split it into several files in a folder") % {
        "mib": MAX_FILE_BYTES // (1024 * 1024)
    }


def too_long(size: int) -> str:
    return _("is %(size)d characters long: the limit is %(limit)d") % {
        "size": size,
        "limit": MAX_VALUE_CHARS,
    }


def too_many(sink: IssueSink, v: list[Any], key: str, line: int | None) -> bool:
    """Report (and say True) when a list is longer than ``MAX_LIST_ITEMS``."""
    if len(v) <= MAX_LIST_ITEMS:
        return False
    sink.error(
        line,
        key,
        _("has %(count)d items: the limit is %(limit)d")
        % {"count": len(v), "limit": MAX_LIST_ITEMS},
    )
    return True


def check_text(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    """A non-empty string shown to people (a location): control characters and escape
    sequences removed, length bounded (core.text), whoever wrote the file."""
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    return clean(v)


def check_zone(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    """An IANA time zone name (``Asia/Ho_Chi_Minh``) this machine's zone database knows: the
    zone that footage times written without one are read in. A POSIX TZ (``<+07>-7``) is what
    cameras take (push profiles), not this."""
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(v.strip())
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        pass
    else:
        return v.strip()
    sink.error(
        line,
        key,
        _("%(value)s is not a time zone name like Asia/Ho_Chi_Minh (IANA)") % {"value": shown(v)},
    )
    return INVALID


def check_name(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    if not _NAME_RE.fullmatch(v):
        sink.error(
            line,
            key,
            _("bad name %(value)s: use letters, digits, '.', '_' and '-' only")
            % {"value": shown(v)},
        )
        return INVALID
    return v


def host_problem(v: str) -> str | None:
    """Why ``v`` is not an IP address or DNS name, or None if it is one."""
    try:
        ipaddress.ip_address(v)
        return None
    except ValueError:
        pass
    if "://" in v:
        return _("%(value)s is a URL: give the bare address (and `port:` / `https:`)") % {
            "value": shown(v)
        }
    if re.fullmatch(r"[\d.]+:\d+", v):
        return _("%(value)s carries a port: put it in `port:`") % {"value": shown(v)}
    if re.fullmatch(r"[\d.]+", v):
        return _("%(value)s is not a valid IPv4 address") % {"value": shown(v)}
    if ":" in v:
        return _("%(value)s is not a valid IPv6 address") % {"value": shown(v)}
    name = v[:-1] if v.endswith(".") else v
    if len(name) > 253 or not all(_LABEL_RE.fullmatch(label) for label in name.split(".")):
        return _("%(value)s is not a valid IP address or DNS name") % {"value": shown(v)}
    return None


def check_host(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    problem = host_problem(v)
    if problem:
        sink.error(line, key, problem)
        return INVALID
    return v


def check_port(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    # bool is an int in Python: `port: yes` must not become port 1.
    if isinstance(v, bool) or not isinstance(v, int):
        sink.error(line, key, _("must be a port number, not %(type)s") % {"type": type_name(v)})
        return INVALID
    if not 1 <= v <= 65535:
        sink.error(line, key, _("port %(value)s is out of range 1-65535") % {"value": shown(v)})
        return INVALID
    return v


def check_bool(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, bool):
        sink.error(line, key, _("must be true or false, not %(type)s") % {"type": type_name(v)})
        return INVALID
    return v


def check_tags(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, list):
        sink.error(
            line, key, _("must be a list like [market, hik], not %(type)s") % {"type": type_name(v)}
        )
        return INVALID
    if too_many(sink, v, key, line):
        return INVALID
    tags: list[str] = []
    for i, tag in enumerate(v):
        if check_name(sink, tag, f"{key}[{i}]", key_line(v, i)) is not INVALID:
            tags.append(tag)
    return tuple(tags)


def check_password(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    # An unquoted 123456 is a YAML integer, and 0123 would silently lose its zero: refuse.
    if not isinstance(v, str):
        sink.error(
            line,
            key,
            _("must be a quoted string, not %(type)s (YAML re-reads unquoted digits)")
            % {"type": type_name(v)},
        )
        return INVALID
    sink.warn(
        line, key, _("inline password: move it to the secrets file and use `credentials: NAME`")
    )
    return Secret(v)


def check_rtsp_url(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    try:
        parts = urlsplit(v)
        host, password = parts.hostname, parts.password
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        sink.error(line, key, _("is not a valid URL"))
        return INVALID
    if parts.scheme not in ("rtsp", "rtsps") or not host:
        sink.error(line, key, _("must be an rtsp:// or rtsps:// URL with a host"))
        return INVALID
    if password is not None:
        # The URL is printed in reports: a password in it would leak. (Never echo the value.)
        sink.error(
            line, key, _("must not carry a password: use `credentials:` (or username/password)")
        )
        return INVALID
    secret_keys = query_secrets(v)
    if secret_keys:
        # ``?password=`` travels in every DESCRIBE and lands in reports: same rule as userinfo.
        names = ", ".join(f"`{k[:20]}=`" for k in secret_keys)
        sink.error(
            line,
            key,
            _("must not carry a password in its query (%(keys)s): use `credentials:` instead")
            % {"keys": names},
        )
        return INVALID
    return v


def check_ranges(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, list):
        sink.error(
            line,
            key,
            _("must be a list of CIDRs, a-b ranges or globs, not %(type)s")
            % {"type": type_name(v)},
        )
        return INVALID
    if too_many(sink, v, key, line):
        return INVALID
    out: list[str] = []
    for i, item in enumerate(v):
        item_key, item_line = f"{key}[{i}]", key_line(v, i)
        if not isinstance(item, str):
            sink.error(
                item_line, item_key, _("must be a string, not %(type)s") % {"type": type_name(item)}
            )
            continue
        size, problem = range_size(item)
        if problem:
            sink.error(item_line, item_key, problem)
            continue
        if size > RANGE_WARN_SIZE:
            sink.warn(
                item_line,
                item_key,
                _("%(range)s covers %(size)s addresses: discover will probe each")
                % {"range": item, "size": f"{size:,}"},
            )
        out.append(item)
    return tuple(out)


def range_size(text: str) -> tuple[int, str | None]:
    """(number of addresses, problem) for a netaddr CIDR, ``a-b`` range, glob or single IP."""
    import netaddr  # lazily: `fleetctl --help` must not pay for it

    text = text.strip()
    try:
        if "/" in text:
            return netaddr.IPNetwork(text).size, None
        if netaddr.valid_glob(text):
            return netaddr.IPGlob(text).size, None
        if text.count("-") == 1:
            start, end = (p.strip() for p in text.split("-"))
            return netaddr.IPRange(start, end).size, None
        netaddr.IPAddress(text)
        return 1, None
    except (netaddr.AddrFormatError, ValueError, TypeError) as err:
        reason = (
            _("the start is after the end")
            if "greater than upper" in str(err)
            else _("not a CIDR, a-b range, glob or IP")
        )
        return 0, _("bad range %(value)s: %(reason)s") % {"value": shown(text), "reason": reason}


def check_mapping(
    sink: IssueSink,
    node: Any,
    key: str,
    line: int | None,
    schema: Mapping[str, Checker],
    refused: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Check each key of a mapping against ``schema``; unknown keys get a did-you-mean."""
    if not isinstance(node, dict):
        sink.error(line, key, _("must be a mapping, not %(type)s") % {"type": type_name(node)})
        return None
    out: dict[str, Any] = {}
    for k, v in node.items():
        sub, kline = f"{key}.{k}" if key else str(k), key_line(node, k)
        if refused and k in refused:
            sink.error(kline, sub, _(refused[k]) % {"key": k})
        elif k not in schema:
            close = difflib.get_close_matches(str(k), list(schema), n=1, cutoff=0.5)
            message = (
                _("unknown key (did you mean `%(key)s`?)") % {"key": close[0]}
                if close
                else _("unknown key (known: %(keys)s)") % {"keys": ", ".join(sorted(schema))}
            )
            sink.error(kline, sub, message)
        else:
            value = schema[k](sink, v, sub, kline)
            if value is not INVALID:
                out[k] = value
    return out


def _number(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
        sink.error(line, key, _("must be a number >= 0, not %(value)s") % {"value": shown(v)})
        return INVALID
    return float(v)


def _count(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        sink.error(line, key, _("must be a whole number >= 1, not %(value)s") % {"value": shown(v)})
        return INVALID
    return v


# Policy fields come from core.models.Policy itself, so a new threshold needs no schema edit.
_BY_TYPE: dict[str, Checker] = {
    "float": _number,
    "bool": check_bool,
    "int": _count,
    "int | None": _count,  # unset: the command's own default decides
}
POLICY_FIELDS: dict[str, Checker] = {f.name: _BY_TYPE[str(f.type)] for f in fields(Policy)}


def check_policy(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    out = check_mapping(sink, v, key, line, POLICY_FIELDS)
    return INVALID if out is None else out


def _firmware_minimum(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, dict):
        sink.error(line, key, _("must map a model (or pattern) to a firmware version"))
        return INVALID
    out: list[tuple[str, str]] = []
    for model, version in v.items():
        where = f"{key}.{model}"
        if (
            not isinstance(model, str)
            or check_str(sink, version, where, key_line(v, model)) is INVALID
        ):
            continue
        out.append((model, version))
    return tuple(out)


def _firmware_approved(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if not isinstance(v, list):
        sink.error(line, key, _("must be a list of firmware versions"))
        return INVALID
    return tuple(
        s
        for i, s in enumerate(v)
        if check_str(sink, s, f"{key}[{i}]", key_line(v, i)) is not INVALID
    )


FIRMWARE_FIELDS: dict[str, Checker] = {"minimum": _firmware_minimum, "approved": _firmware_approved}


def check_firmware(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    """``firmware: {minimum: {MODEL: VERSION}, approved: [VERSION]}`` -> FirmwarePolicy."""
    out = check_mapping(sink, v, key, line, FIRMWARE_FIELDS)
    if out is None:
        return INVALID
    return FirmwarePolicy(out.get("minimum", ()), out.get("approved", ()))


SSH_FIELDS: dict[str, Checker] = {
    "port": check_port,
    "credentials": check_str,
    "username": check_str,
    "password": check_password,
    "key_file": check_str,
}


def check_ssh(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    if v is True:  # `ssh: true`: port 22, the camera's credentials
        return {}
    out = check_mapping(sink, v, key, line, SSH_FIELDS)
    return INVALID if out is None else out


_MAC_RE = re.compile(r"(?i)[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}")


def check_mac(sink: IssueSink, v: Any, key: str, line: int | None) -> Any:
    """A MAC in any usual spelling, normalized to ``aa:bb:cc:dd:ee:ff`` (discover compares)."""
    if check_str(sink, v, key, line) is INVALID:
        return INVALID
    if not _MAC_RE.fullmatch(v.strip()):
        sink.error(
            line,
            key,
            _("%(value)s is not a MAC address like 44:19:b6:0a:1b:2c") % {"value": shown(v)},
        )
        return INVALID
    digits = re.sub(r"[^0-9a-f]", "", v.lower())
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


CAMERA_FIELDS: dict[str, Checker] = {
    "name": check_name,
    "host": check_host,
    "port": check_port,
    "https": check_bool,
    "credentials": check_str,
    "username": check_str,
    "password": check_password,
    "tags": check_tags,
    "location": check_text,
    "onvif": check_bool,
    "rtsp_url": check_rtsp_url,
    "ssh": check_ssh,
    "policy": check_policy,
    # Identity recorded at onboarding: how `discover` knows a camera that moved address.
    "endpoint": check_text,
    "serial": check_text,
    "mac": check_mac,
}
_IDENTITY = ("name", "host", "endpoint", "serial", "mac")
DEFAULT_FIELDS: dict[str, Checker] = {k: v for k, v in CAMERA_FIELDS.items() if k not in _IDENTITY}
DEFAULT_REFUSED = {
    "name": N_("a camera name cannot be a default: names are unique"),
    "host": N_("a host cannot be a default: each camera has its own address"),
    **{k: N_("`%(key)s` identifies one device: it cannot be a default") for k in _IDENTITY[2:]},
}
