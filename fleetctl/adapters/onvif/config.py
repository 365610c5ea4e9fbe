"""ONVIF configuration reads and writes for `fleetctl push` (and onboarding).

    read_settings(camera, credential, *, timeout_s, pool) -> DeviceSettings | CallFailure (why not)
    write_group(camera, credential, group, values, *, timeout_s, pool) -> CallFailure | None

``pool`` (optional) is the caller's connection pool; without one each call opens its own.

Camera facts that shape this: SetNTP does not switch the clock to NTP, so the
time mode is its own SetSystemDateAndTime; TZ must be POSIX; SetVideoEncoderConfiguration is
read-modify-write of the whole configuration, and many models silently ignore fields, so the
caller reads back after writing (``read_settings`` again) rather than trusting the 200.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.adapters.onvif.client import DEFAULT_MAX_BYTES, _read_timeout, load_wsdls
from fleetctl.adapters.onvif.clock import field, utc_now
from fleetctl.adapters.onvif.parse import (
    integer,
    items,
    number,
    parse_capabilities,
    parse_ntp,
    parse_services,
    text,
)
from fleetctl.adapters.onvif.session import NAMESPACES, Conversation, OnvifCallError, pin_xaddr
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import CallFailure, Failure
from fleetctl.core.push.plan import DeviceSettings, EncoderState

STREAMS = ("main", "sub")  # media profiles in camera order: first = main, second = sub


async def _open(
    camera: Camera, credential: Credential, timeout_s: float, pool: HttpPool
) -> Conversation:
    """Clock (for the WS-Security offset), then the service addresses, pinned to the inventory host."""
    await load_wsdls()
    conv = Conversation(
        camera,
        credential,
        max_bytes=DEFAULT_MAX_BYTES,
        read_timeout_s=_read_timeout(timeout_s),
        pool=pool,
    )
    await conv.measure_clock()
    try:
        services = parse_services(
            await conv.authed("devicemgmt", "GetServices", IncludeCapability=False)
        )
    except OnvifCallError as err:
        if err.failure in (Failure.TIMEOUT, Failure.REFUSED, Failure.UNREACHABLE, Failure.AUTH):
            raise
        services = {}
    if not services:
        services = parse_capabilities(
            await conv.authed("devicemgmt", "GetCapabilities", Category="All")
        )
    for name, ns in NAMESPACES.items():
        if ns in services and name != "devicemgmt":
            conv.xaddrs[name] = pin_xaddr(services[ns], conv.base)
    return conv


def _hosts(values: Any) -> tuple[str, ...]:
    out = []
    for h in items(values):
        kind = text(field(h, "Type"))
        out.append(
            text(field(h, "DNSname"))
            if kind == "DNS"
            else text(field(h, "IPv4Address")) or text(field(h, "IPv6Address"))
        )
    return tuple(x for x in out if x)


def _range(opts: Any, *path: str) -> tuple[float, float] | None:
    lo, hi = number(field(opts, *path, "Min")), number(field(opts, *path, "Max"))
    return (lo, hi) if lo is not None and hi is not None else None


async def _encoder(conv: Conversation, profile: Any) -> EncoderState | None:
    vec = field(profile, "VideoEncoderConfiguration")
    token = text(field(vec, "token"))
    if vec is None or token is None:
        return None
    try:
        opts = await conv.authed(
            "media", "GetVideoEncoderConfigurationOptions", ConfigurationToken=token
        )
    except OnvifCallError as err:
        if err.failure is Failure.TIMEOUT:
            raise
        opts = None  # options unknown: the plan cannot validate, the read-back still will
    h264 = field(opts, "H264")
    res = tuple(
        f"{integer(field(r, 'Width'))}x{integer(field(r, 'Height'))}"
        for r in items(field(h264, "ResolutionsAvailable"))
    )
    br = _range(opts, "Extension", "H264", "BitrateRange")
    codecs = tuple(
        c
        for c, key in (("H264", "H264"), ("H265", "H265"), ("JPEG", "JPEG"))
        if field(opts, key) is not None
    )
    fps_rng, gop_rng = _range(h264, "FrameRateRange"), _range(h264, "GovLengthRange")
    width, height = (
        integer(field(vec, "Resolution", "Width")),
        integer(field(vec, "Resolution", "Height")),
    )
    bitrate, gop = (
        integer(field(vec, "RateControl", "BitrateLimit")),
        integer(field(vec, "H264", "GovLength")),
    )
    encoding = text(field(vec, "Encoding"))
    return EncoderState(
        token=token,
        codec=encoding.upper() if encoding else None,
        resolution=f"{width}x{height}" if width and height else None,
        fps=number(field(vec, "RateControl", "FrameRateLimit")),
        bitrate_kbps=bitrate,
        gop=gop,
        resolutions=res,
        fps_range=fps_rng,
        bitrate_range=(int(br[0]), int(br[1])) if br else None,
        gop_range=(int(gop_rng[0]), int(gop_rng[1])) if gop_rng else None,
        codecs=codecs,
    )


async def _read(conv: Conversation) -> DeviceSettings:
    clock, hostname, ntp, dns = await asyncio.gather(
        conv.authed("devicemgmt", "GetSystemDateAndTime"),
        conv.authed("devicemgmt", "GetHostname"),
        conv.authed("devicemgmt", "GetNTP"),
        conv.authed("devicemgmt", "GetDNS"),
    )
    profiles = items(await conv.authed("media", "GetProfiles")) if "media" in conv.xaddrs else []
    encoders = await asyncio.gather(*(_encoder(conv, p) for p in profiles[: len(STREAMS)]))
    mode = text(field(clock, "DateTimeType"))
    return DeviceSettings(
        hostname=text(field(hostname, "Name")),
        ntp_servers=parse_ntp(ntp) if not field(ntp, "FromDHCP") else (),
        ntp_from_dhcp=bool(field(ntp, "FromDHCP")),
        timezone=text(field(clock, "TimeZone", "TZ")),
        time_mode=mode.lower() if mode else None,
        dns_servers=_hosts(field(dns, "DNSManual")),
        dns_search=tuple(s for s in (text(x) for x in items(field(dns, "SearchDomain"))) if s),
        encoders={s: e for s, e in zip(STREAMS, encoders, strict=False) if e is not None},
    )


async def read_settings(
    camera: Camera, credential: Credential, *, timeout_s: float, pool: HttpPool | None = None
) -> DeviceSettings | CallFailure:
    """What the camera has now, or why it could not be read (in words, never a secret)."""
    try:
        async with borrowed(pool) as http, asyncio.timeout(timeout_s):
            return await _read(await _open(camera, credential, timeout_s, http))
    except TimeoutError:
        return CallFailure(
            Failure.TIMEOUT, f"{camera.host}:{camera.port}: no answer within {timeout_s:g} s"
        )
    except OnvifCallError as err:
        return CallFailure(err.failure, str(err))


def _network_host(value: str) -> dict[str, Any]:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return {"Type": "DNS", "DNSname": value}
    return (
        {"Type": "IPv6", "IPv6Address": value}
        if ip.version == 6
        else {"Type": "IPv4", "IPv4Address": value}
    )


async def _write(conv: Conversation, group: str, values: dict[str, Any]) -> None:
    if group == "hostname":
        await conv.authed("devicemgmt", "SetHostname", Name=values["hostname"])
    elif group == "ntp":
        from_dhcp = bool(values.get("ntp.from_dhcp", False))
        manual = [] if from_dhcp else [_network_host(h) for h in values.get("ntp.servers", [])]
        await conv.authed("devicemgmt", "SetNTP", FromDHCP=from_dhcp, NTPManual=manual)
    elif group == "dns":
        current = await conv.authed(
            "devicemgmt", "GetDNS"
        )  # read-modify-write: keep what we don't set
        search = values.get("dns.search", [text(x) for x in items(field(current, "SearchDomain"))])
        servers = values.get("dns.servers", list(_hosts(field(current, "DNSManual"))))
        await conv.authed(
            "devicemgmt",
            "SetDNS",
            FromDHCP=False,
            SearchDomain=search,
            DNSManual=[_network_host(s) for s in servers],
        )
    elif group == "time":
        clock = await conv.authed("devicemgmt", "GetSystemDateAndTime")
        mode = values.get("time.mode") or (text(field(clock, "DateTimeType")) or "Manual").lower()
        tz = values.get("time.timezone") or text(field(clock, "TimeZone", "TZ"))
        params: dict[str, Any] = {
            "DateTimeType": "NTP" if mode == "ntp" else "Manual",
            "DaylightSavings": bool(field(clock, "DaylightSavings")),
        }
        if tz:
            params["TimeZone"] = {"TZ": tz}
        if mode == "manual":  # manual: set from this host's clock, read at the last moment
            now = utc_now()
            params["UTCDateTime"] = {
                "Date": {"Year": now.year, "Month": now.month, "Day": now.day},
                "Time": {"Hour": now.hour, "Minute": now.minute, "Second": now.second},
            }
        await conv.authed("devicemgmt", "SetSystemDateAndTime", **params)
    elif group.startswith("video."):
        await _write_encoder(conv, group.split(".")[1], values)
    else:
        raise ValueError(f"unknown setting group {group!r}")


async def _write_encoder(conv: Conversation, stream: str, values: dict[str, Any]) -> None:
    profiles = items(await conv.authed("media", "GetProfiles"))
    index = STREAMS.index(stream)
    if index >= len(profiles):
        raise OnvifCallError(Failure.UNSUPPORTED, f"{conv.where}: no {stream} stream")
    token = text(field(profiles[index], "VideoEncoderConfiguration", "token"))
    cfg = await conv.authed("media", "GetVideoEncoderConfiguration", ConfigurationToken=token)
    prefix = f"video.{stream}."
    if prefix + "codec" in values:
        cfg.Encoding = values[prefix + "codec"]
    if prefix + "resolution" in values:
        w, h = (int(x) for x in str(values[prefix + "resolution"]).split("x"))
        cfg.Resolution.Width, cfg.Resolution.Height = w, h
    if prefix + "fps" in values:
        cfg.RateControl.FrameRateLimit = round(float(values[prefix + "fps"]))
    if prefix + "bitrate_kbps" in values:
        cfg.RateControl.BitrateLimit = int(values[prefix + "bitrate_kbps"])
    if prefix + "gop" in values and cfg.H264 is not None:
        cfg.H264.GovLength = int(values[prefix + "gop"])
    await conv.authed(
        "media", "SetVideoEncoderConfiguration", Configuration=cfg, ForcePersistence=True
    )


async def write_group(
    camera: Camera,
    credential: Credential,
    group: str,
    values: dict[str, Any],
    *,
    timeout_s: float,
    pool: HttpPool | None = None,
) -> CallFailure | None:
    """One Set call for a group of settings (e.g. all of ``ntp.*``); None on success, else why."""
    try:
        async with borrowed(pool) as http, asyncio.timeout(timeout_s):
            await _write(await _open(camera, credential, timeout_s, http), group, values)
    except TimeoutError:
        return CallFailure(
            Failure.TIMEOUT,
            f"{camera.host}:{camera.port}: {group}: no answer within {timeout_s:g} s",
        )
    except OnvifCallError as err:
        return CallFailure(err.failure, str(err))
    return None
