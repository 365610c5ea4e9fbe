"""Device management service, continued: network settings (hostname, NTP, DNS) and accounts.

SetNTP does not switch the clock to NTP (SetSystemDateAndTime does, as on real cameras); SetUser
is all-or-nothing and a missing Password clears it (what real firmware does).
"""

from __future__ import annotations

import re
from typing import Any

from fleetctl.sim.camera.model import User
from fleetctl.sim.onvif.soap import DEVICE, NS, Ctx, SoapFault, boolean, op, text, texts, x


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
    # SetNTP alone does not switch the clock to NTP (as on real cameras): SetSystemDateAndTime does.
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
