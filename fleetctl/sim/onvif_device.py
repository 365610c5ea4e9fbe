"""Device management service (ver10/device/wsdl): identity, services, time, network, users, reboot."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetctl.sim.model import User
from fleetctl.sim.soap import (
    DEVICE,
    MEDIA,
    MEDIA2,
    NS,
    RECORDING,
    SEARCH,
    Ctx,
    SoapFault,
    boolean,
    find,
    op,
    text,
    texts,
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
                int(text(utc, "tt:Date/tt:Year")), int(text(utc, "tt:Date/tt:Month")),
                int(text(utc, "tt:Date/tt:Day")), int(text(utc, "tt:Time/tt:Hour")),
                int(text(utc, "tt:Time/tt:Minute")), int(text(utc, "tt:Time/tt:Second")),
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
        out += [(RECORDING, f"{b}/onvif/recording_service", 2, 40),
                (SEARCH, f"{b}/onvif/search_service", 2, 40)]
    return out


@op(DEVICE, "GetServices")
def get_services(ctx: Ctx, req: Any) -> str:
    items = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{x(addr)}</tds:XAddr>"
        f"<tds:Version><tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version>"
        "</tds:Service>"
        for ns, addr, major, minor in services(ctx)
    )
    return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"


@op(DEVICE, "GetCapabilities")
def get_capabilities(ctx: Ctx, req: Any) -> str:
    b, fl = ctx.base, ctx.flavour
    ext = ""
    if fl.recording:
        ext = (
            f"<tt:Extension><tt:Recording><tt:XAddr>{x(b)}/onvif/recording_service</tt:XAddr>"
            "<tt:ReceiverSource>false</tt:ReceiverSource><tt:MediaProfileSource>true"
            "</tt:MediaProfileSource><tt:DynamicRecordings>false</tt:DynamicRecordings>"
            "<tt:DynamicTracks>false</tt:DynamicTracks><tt:MaxStringLength>64</tt:MaxStringLength>"
            f"</tt:Recording><tt:Search><tt:XAddr>{x(b)}/onvif/search_service</tt:XAddr>"
            "<tt:MetadataSearch>false</tt:MetadataSearch></tt:Search></tt:Extension>"
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
        "onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/Profile/Streaming",
        f"onvif://www.onvif.org/hardware/{_pct(c.model)}",
        f"onvif://www.onvif.org/name/{_pct(c.manufacturer + ' ' + c.model)}",
        f"onvif://www.onvif.org/location/{_pct(c.site)}",
        f"onvif://www.onvif.org/MAC/{c.mac}",
    ]


def _pct(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@op(DEVICE, "GetScopes")
def get_scopes(ctx: Ctx, req: Any) -> str:
    items = "".join(
        f"<tds:Scopes><tt:ScopeDef>{'Configurable' if '/location/' in s else 'Fixed'}"
        f"</tt:ScopeDef><tt:ScopeItem>{x(s)}</tt:ScopeItem></tds:Scopes>"
        for s in scopes(ctx)
    )
    return f"<tds:GetScopesResponse>{items}</tds:GetScopesResponse>"


@op(DEVICE, "GetNetworkInterfaces")
def get_network_interfaces(ctx: Ctx, req: Any) -> str:
    c = ctx.cam
    return (
        '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0">'
        f"<tt:Enabled>true</tt:Enabled><tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{c.mac}"
        "</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info><tt:IPv4><tt:Enabled>true</tt:Enabled>"
        f"<tt:Config><tt:Manual><tt:Address>{c.reported_host}</tt:Address><tt:PrefixLength>8"
        "</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>"
        "</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
    )


@op(DEVICE, "GetHostname")
def get_hostname(ctx: Ctx, req: Any) -> str:
    return (
        "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
        f"<tt:Name>{x(ctx.cam.hostname)}</tt:Name></tds:HostnameInformation>"
        "</tds:GetHostnameResponse>"
    )


_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@op(DEVICE, "SetHostname", write=True)
def set_hostname(ctx: Ctx, req: Any) -> str:
    name = text(req, "tds:Name")
    if not _HOSTNAME.match(name):
        raise SoapFault("ter:InvalidHostname", f"invalid hostname {name!r}")
    ctx.cam.hostname = name
    return "<tds:SetHostnameResponse/>"


def _host_elem(value: str) -> str:
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", value):
        return f"<tt:Type>IPv4</tt:Type><tt:IPv4Address>{x(value)}</tt:IPv4Address>"
    return f"<tt:Type>DNS</tt:Type><tt:DNSname>{x(value)}</tt:DNSname>"


def _hosts(req: Any, path: str) -> list[str]:
    out = []
    for el in req.findall(path, NS):
        value = text(el, "tt:IPv4Address") or text(el, "tt:DNSname") or text(el, "tt:IPv6Address")
        if value:
            out.append(value)
    return out


@op(DEVICE, "GetNTP")
def get_ntp(ctx: Ctx, req: Any) -> str:
    c = ctx.cam
    manual = "".join(f"<tt:NTPManual>{_host_elem(s)}</tt:NTPManual>" for s in c.ntp_servers)
    return (
        f"<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>{x(c.ntp_from_dhcp)}</tt:FromDHCP>"
        f"{manual}</tds:NTPInformation></tds:GetNTPResponse>"
    )


@op(DEVICE, "SetNTP", write=True)
def set_ntp(ctx: Ctx, req: Any) -> str:
    # SetNTP alone does not switch the clock to NTP (FIELD-NOTES): SetSystemDateAndTime does.
    ctx.cam.ntp_from_dhcp = boolean(text(req, "tds:FromDHCP", "false"))
    ctx.cam.ntp_servers = _hosts(req, "tds:NTPManual")
    return "<tds:SetNTPResponse/>"


@op(DEVICE, "GetDNS")
def get_dns(ctx: Ctx, req: Any) -> str:
    c = ctx.cam
    search = "".join(f"<tt:SearchDomain>{x(d)}</tt:SearchDomain>" for d in c.dns_search)
    manual = "".join(f"<tt:DNSManual>{_host_elem(s)}</tt:DNSManual>" for s in c.dns_servers)
    return (
        f"<tds:GetDNSResponse><tds:DNSInformation><tt:FromDHCP>{x(c.dns_from_dhcp)}</tt:FromDHCP>"
        f"{search}{manual}</tds:DNSInformation></tds:GetDNSResponse>"
    )


@op(DEVICE, "SetDNS", write=True)
def set_dns(ctx: Ctx, req: Any) -> str:
    ctx.cam.dns_from_dhcp = boolean(text(req, "tds:FromDHCP", "false"))
    ctx.cam.dns_search = texts(req, "tds:SearchDomain")
    ctx.cam.dns_servers = _hosts(req, "tds:DNSManual")
    return "<tds:SetDNSResponse/>"


@op(DEVICE, "GetUsers")
def get_users(ctx: Ctx, req: Any) -> str:
    items = "".join(
        f"<tds:User><tt:Username>{x(u.username)}</tt:Username><tt:UserLevel>{x(u.level)}"
        "</tt:UserLevel></tds:User>"
        for u in ctx.cam.users.values()
    )
    return f"<tds:GetUsersResponse>{items}</tds:GetUsersResponse>"


_LEVELS = ("Administrator", "Operator", "User")


def _users(req: Any) -> list[User]:
    out = []
    for el in req.findall("tds:User", NS):
        name, level = text(el, "tt:Username"), text(el, "tt:UserLevel", "User")
        if not name or level not in _LEVELS:
            raise SoapFault("ter:InvalidArgVal", "a user needs a Username and a valid UserLevel")
        out.append(User(name, text(el, "tt:Password"), level))
    return out


@op(DEVICE, "CreateUsers", write=True)
def create_users(ctx: Ctx, req: Any) -> str:
    new = _users(req)
    if any(u.username in ctx.cam.users for u in new):
        raise SoapFault("ter:UsernameClash", "username already exists")
    for u in new:
        ctx.cam.users[u.username] = u
    return "<tds:CreateUsersResponse/>"


@op(DEVICE, "SetUser", write=True)
def set_user(ctx: Ctx, req: Any) -> str:
    changes = _users(req)
    # All-or-nothing, as the spec says: validate every entry before touching any.
    if any(u.username not in ctx.cam.users for u in changes):
        raise SoapFault("ter:UsernameMissing", "no such user")
    for u in changes:
        ctx.cam.users[u.username] = u  # a missing Password clears it, as on real firmware
    return "<tds:SetUserResponse/>"


@op(DEVICE, "DeleteUsers", write=True)
def delete_users(ctx: Ctx, req: Any) -> str:
    names = texts(req, "tds:Username")
    if any(n not in ctx.cam.users for n in names):
        raise SoapFault("ter:UsernameMissing", "no such user")
    if ctx.username in names:
        raise SoapFault("ter:FixedUser", "cannot delete the account in use")
    for n in names:
        del ctx.cam.users[n]
    return "<tds:DeleteUsersResponse/>"


@op(DEVICE, "GetSystemUris")
def get_system_uris(ctx: Ctx, req: Any) -> str:
    b = x(ctx.base)
    return (
        f"<tds:GetSystemUrisResponse><tds:SupportInfoUri>{b}/onvif/support</tds:SupportInfoUri>"
        f"<tds:SystemBackupUri>{b}/onvif/backup</tds:SystemBackupUri></tds:GetSystemUrisResponse>"
    )


@op(DEVICE, "SystemReboot", write=True)
def system_reboot(ctx: Ctx, req: Any) -> str:
    # Answer first, then go away: the fleet schedules the outage after this reply is written.
    ctx.reboot()
    return "<tds:SystemRebootResponse><tds:Message>Rebooting in 2 seconds</tds:Message>" \
           "</tds:SystemRebootResponse>"
