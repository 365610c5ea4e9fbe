"""Device management service (ver10/device/wsdl): identity, services, time, reboot.

Network settings and accounts of the same service are in ``onvif_network``.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fleetctl.sim.camera import firmware as simfirmware
from fleetctl.sim.onvif.recording import CAPABILITIES
from fleetctl.sim.onvif.soap import (
    DEVICE,
    MEDIA,
    MEDIA2,
    RECORDING,
    REPLAY,
    SEARCH,
    Ctx,
    SoapFault,
    boolean,
    find,
    op,
    text,
    x,
)

_POSIX_TZ = re.compile(r"^(?:<[^>]+>|[A-Za-z]{3,})([+-]?)(\d{1,2})(?::(\d{2}))?")


def tz_offset_s(tz: str) -> int:
    """UTC offset of a POSIX TZ string ("CST-8" -> +8 h; POSIX signs are inverted). DST ignored."""
    m = _POSIX_TZ.match(tz.strip())
    if not m:
        return 0
    seconds = int(m[2]) * 3600 + int(m[3] or 0) * 60
    return seconds if m[1] == "-" else -seconds


def _datetime(tag: str, when: datetime) -> str:
    return (
        f"<tt:{tag}><tt:Time><tt:Hour>{when.hour}</tt:Hour><tt:Minute>{when.minute}</tt:Minute>"
        f"<tt:Second>{when.second}</tt:Second></tt:Time><tt:Date><tt:Year>{when.year}</tt:Year>"
        f"<tt:Month>{when.month}</tt:Month><tt:Day>{when.day}</tt:Day></tt:Date></tt:{tag}>"
    )


@op(DEVICE, "GetSystemDateAndTime", auth=False)
def get_system_date_and_time(ctx: Ctx, req: Any) -> str:
    cam = ctx.cam
    utc = datetime.fromtimestamp(cam.now(), UTC)
    local = utc + timedelta(seconds=tz_offset_s(cam.timezone))
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        f"<tt:DateTimeType>{x(cam.datetime_type)}</tt:DateTimeType>"
        f"<tt:DaylightSavings>{x(cam.daylight_savings)}</tt:DaylightSavings>"
        f"<tt:TimeZone><tt:TZ>{x(cam.timezone)}</tt:TZ></tt:TimeZone>"
        f"{_datetime('UTCDateTime', utc)}{_datetime('LocalDateTime', local)}"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


@op(DEVICE, "SetSystemDateAndTime", write=True)
def set_system_date_and_time(ctx: Ctx, req: Any) -> str:
    cam = ctx.cam
    kind = text(req, "tds:DateTimeType", cam.datetime_type)
    if kind not in ("Manual", "NTP"):
        raise SoapFault("ter:InvalidArgVal", f"DateTimeType {kind!r}")
    tz = text(req, "tds:TimeZone/tt:TZ")
    if tz:
        if not _POSIX_TZ.match(tz):
            raise SoapFault("ter:InvalidTimeZone", "TZ must be a POSIX time zone")
        cam.timezone = tz
    cam.datetime_type = kind
    cam.daylight_savings = boolean(text(req, "tds:DaylightSavings", "false"))
    utc = find(req, "tds:UTCDateTime")
    if kind == "Manual" and utc is not None:
        try:
            when = datetime(
                int(text(utc, "tt:Date/tt:Year")),
                int(text(utc, "tt:Date/tt:Month")),
                int(text(utc, "tt:Date/tt:Day")),
                int(text(utc, "tt:Time/tt:Hour")),
                int(text(utc, "tt:Time/tt:Minute")),
                int(text(utc, "tt:Time/tt:Second")),
                tzinfo=UTC,
            )
        except ValueError as err:
            raise SoapFault("ter:InvalidDateTime", str(err)) from None
        cam.clock_offset_s = when.timestamp() - time.time()
    elif kind == "NTP" and (cam.ntp_servers or cam.ntp_from_dhcp):
        cam.clock_offset_s = 0.2  # synced: what a working NTP client leaves behind
    return "<tds:SetSystemDateAndTimeResponse/>"


@op(DEVICE, "GetDeviceInformation")
def get_device_information(ctx: Ctx, req: Any) -> str:
    c = ctx.cam
    return (
        f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{x(c.manufacturer)}</tds:Manufacturer>"
        f"<tds:Model>{x(c.model)}</tds:Model><tds:FirmwareVersion>{x(c.firmware)}"
        f"</tds:FirmwareVersion><tds:SerialNumber>{x(c.serial)}</tds:SerialNumber>"
        f"<tds:HardwareId>{x(c.hardware_id)}</tds:HardwareId></tds:GetDeviceInformationResponse>"
    )


def services(ctx: Ctx) -> list[tuple[str, str, int, int]]:
    """(namespace, XAddr, major, minor) of every service this flavour serves."""
    b, fl = ctx.base, ctx.flavour
    out = [(DEVICE, f"{b}/onvif/device_service", 2, 60), (MEDIA, f"{b}/onvif/media_service", 2, 60)]
    if fl.media2:
        out.append((MEDIA2, f"{b}/onvif/media2_service", 2, 60))
    if fl.recording:
        out += [
            (RECORDING, f"{b}/onvif/recording_service", 2, 40),
            (SEARCH, f"{b}/onvif/search_service", 2, 40),
            (REPLAY, f"{b}/onvif/replay_service", 2, 40),
        ]
        if "no_search_service" in ctx.cam.onvif_quirks:
            out = [s for s in out if s[0] != SEARCH]
    return out


@op(DEVICE, "GetServices")
def get_services(ctx: Ctx, req: Any) -> str:
    with_caps = boolean(text(req, "tds:IncludeCapability"))
    items = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{x(addr)}</tds:XAddr>"
        + (
            f"<tds:Capabilities>{CAPABILITIES[ns]}</tds:Capabilities>"
            if with_caps and ns in CAPABILITIES
            else ""
        )
        + f"<tds:Version><tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version>"
        "</tds:Service>"
        for ns, addr, major, minor in services(ctx)
    )
    return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"


@op(DEVICE, "GetCapabilities")
def get_capabilities(ctx: Ctx, req: Any) -> str:
    b, fl = ctx.base, ctx.flavour
    ext = ""
    if fl.recording and "no_search_service" not in ctx.cam.onvif_quirks:
        ext = (
            f"<tt:Extension><tt:Recording><tt:XAddr>{x(b)}/onvif/recording_service</tt:XAddr>"
            "<tt:ReceiverSource>false</tt:ReceiverSource><tt:MediaProfileSource>true"
            "</tt:MediaProfileSource><tt:DynamicRecordings>false</tt:DynamicRecordings>"
            "<tt:DynamicTracks>false</tt:DynamicTracks><tt:MaxStringLength>64</tt:MaxStringLength>"
            f"</tt:Recording><tt:Search><tt:XAddr>{x(b)}/onvif/search_service</tt:XAddr>"
            "<tt:MetadataSearch>false</tt:MetadataSearch></tt:Search>"
            f"<tt:Replay><tt:XAddr>{x(b)}/onvif/replay_service</tt:XAddr></tt:Replay></tt:Extension>"
        )
    return (
        "<tds:GetCapabilitiesResponse><tds:Capabilities>"
        f"<tt:Device><tt:XAddr>{x(b)}/onvif/device_service</tt:XAddr></tt:Device>"
        f"<tt:Media><tt:XAddr>{x(b)}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities>"
        "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
        "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
        f"{ext}</tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


def scopes(ctx: Ctx) -> list[str]:
    c = ctx.cam
    return [
        "onvif://www.onvif.org/type/video_encoder",
        "onvif://www.onvif.org/Profile/Streaming",
        f"onvif://www.onvif.org/hardware/{_pct(c.model)}",
        f"onvif://www.onvif.org/name/{_pct(c.manufacturer + ' ' + c.model)}",
        f"onvif://www.onvif.org/location/{_pct(c.site)}",
        f"onvif://www.onvif.org/MAC/{c.mac}",
    ]


def _pct(value: str) -> str:
    return quote(value, safe="")


@op(DEVICE, "GetScopes")
def get_scopes(ctx: Ctx, req: Any) -> str:
    items = "".join(
        f"<tds:Scopes><tt:ScopeDef>{'Configurable' if '/location/' in s else 'Fixed'}"
        f"</tt:ScopeDef><tt:ScopeItem>{x(s)}</tt:ScopeItem></tds:Scopes>"
        for s in scopes(ctx)
    )
    return f"<tds:GetScopesResponse>{items}</tds:GetScopesResponse>"


@op(DEVICE, "GetSystemUris")
def get_system_uris(ctx: Ctx, req: Any) -> str:
    b = x(ctx.base)
    return (
        f"<tds:GetSystemUrisResponse><tds:SupportInfoUri>{b}/onvif/support</tds:SupportInfoUri>"
        f"<tds:SystemBackupUri>{b}/onvif/backup</tds:SystemBackupUri></tds:GetSystemUrisResponse>"
    )


@op(DEVICE, "StartFirmwareUpgrade", write=True)
def start_firmware_upgrade(ctx: Ctx, req: Any) -> str:
    # The upload goes to the address the camera reports (behind NAT, the client must pin it
    # to the one it knows), no delay, and a minute of expected downtime, as cameras say.
    path = simfirmware.start_upload(ctx.cam)
    return (
        f"<tds:StartFirmwareUpgradeResponse><tds:UploadUri>{x(ctx.base)}{path}</tds:UploadUri>"
        "<tds:UploadDelay>PT0S</tds:UploadDelay><tds:ExpectedDownTime>PT60S</tds:ExpectedDownTime>"
        "</tds:StartFirmwareUpgradeResponse>"
    )


@op(DEVICE, "SystemReboot", write=True)
def system_reboot(ctx: Ctx, req: Any) -> str:
    # Answer first, then go away: the fleet schedules the outage after this reply is written.
    ctx.reboot()
    return (
        "<tds:SystemRebootResponse><tds:Message>Rebooting in 2 seconds</tds:Message>"
        "</tds:SystemRebootResponse>"
    )
