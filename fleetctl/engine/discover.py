"""`discover`: find ONVIF devices and tell new from known, moved and missing.

Three ways in, merged by identity: WS-Discovery multicast on the chosen interfaces (local link
only), a paced unicast sweep of ranges (crosses routers and VLANs), and a TCP sweep of camera
ports for hosts that ignore WS-Discovery. Each device is then asked, without credentials, for
its clock (liveness) and its device information (many refuse: then None); an Axis is also
asked whether it needs setup (``systemready``) and what it is (``basicdeviceinfo``), which a
factory-fresh one answers when ONVIF refuses.

Identity is the WS-Discovery EndpointReference, else the serial number, else the MAC: never the
IP, which DHCP and re-cabling change. ``classify`` is pure and table-testable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from fleetctl.adapters.discovery import axis, dhip, sadp, sweep, wsdiscovery
from fleetctl.adapters.provision import axis as provision_axis
from fleetctl.core.models import Camera, DeviceInfo, Inventory


class DeviceState(StrEnum):
    """Where a device is in its vendor's first-time set-up (vendor discovery says so)."""

    INACTIVE = "inactive"  # Hikvision: no password until activated
    UNINITIALISED = "uninitialised"  # Dahua: no account until initialised
    NEEDS_SETUP = "needs-setup"  # Axis: no account until the first administrator is made
    READY = "ready"  # past that step: accounts exist


class DeviceStatus(StrEnum):
    NEW = "new"  # not in the inventory
    KNOWN = "known"  # matches an inventory camera at its recorded address
    MOVED = "moved"  # a known identity at a new address
    MISSING = "missing"  # in the inventory, within the swept ranges, did not answer


@dataclass(frozen=True)
class DeviceScopes:
    name: str | None = None
    hardware: str | None = None
    location: str | None = None
    mac: str | None = None


@dataclass(frozen=True)
class DiscoveredDevice:
    """One row of the discover report (docs/json.md: ``fleetctl discover --format json``)."""

    address: str
    port: int | None
    status: DeviceStatus
    endpoint: str | None = None
    xaddrs: tuple[str, ...] = ()
    scopes: DeviceScopes = DeviceScopes()
    device: DeviceInfo | None = None  # from unauthenticated GetDeviceInformation
    camera: str | None = None  # the inventory camera it is (known, moved, missing)
    site: str | None = None
    previous_address: str | None = None  # moved: the address the inventory records
    via: tuple[str, ...] = ()  # multicast | unicast | tcp | sadp | dhip
    alive: bool | None = None  # answered an unauthenticated GetSystemDateAndTime
    clock_offset_s: float | None = None
    state: DeviceState | None = None  # None: no vendor discovery answered for it

    @property
    def serial(self) -> str | None:
        return self.device.serial if self.device else None

    @property
    def mac(self) -> str | None:
        return normalize_mac(self.scopes.mac)

    def to_json(self) -> dict[str, Any]:
        dev = self.device or DeviceInfo()
        return {
            "address": self.address,
            "port": self.port,
            "status": self.status.value,
            "endpoint": self.endpoint,
            "xaddrs": list(self.xaddrs),
            "scopes": {
                "name": self.scopes.name,
                "hardware": self.scopes.hardware,
                "location": self.scopes.location,
                "mac": self.scopes.mac,
            },
            "manufacturer": dev.manufacturer,
            "model": dev.model,
            "firmware": dev.firmware,
            "serial": dev.serial,
            "camera": self.camera,
            "site": self.site,
            "previous_address": self.previous_address,
            "via": list(self.via),
            "alive": self.alive,
            "clock_offset_s": self.clock_offset_s,
            "state": self.state.value if self.state is not None else None,
        }


@dataclass(frozen=True)
class DiscoverOptions:
    ranges: tuple[str, ...] = ()  # netaddr syntax; empty: no unicast sweep
    # names or addresses; None: every multicast-capable one (lo only when every range is 127/8)
    interfaces: tuple[str, ...] | None = None
    multicast: bool = True
    rate: float = 1000.0  # unicast Probes per second
    repeats: int = 2  # Probe rounds (UDP is lossy)
    wait_s: float = 2.0  # how long to listen for late replies
    tcp_ports: tuple[int, ...] = sweep.CAMERA_PORTS  # (): no TCP sweep
    enrich: bool = True  # pre-auth ONVIF calls per device
    vendor: bool = True  # vendors' own discovery (Hikvision SADP, Dahua DHIP) beside WS-Discovery
    timeout_s: float = 3.0  # per device, for the pre-auth calls and each TCP connect
    concurrency: int = 128
    bind: str = "0.0.0.0"  # source address of the unicast sweep


@dataclass(frozen=True)
class DiscoveryReport:
    devices: tuple[DiscoveredDevice, ...]
    started: datetime
    duration_s: float
    swept: int = 0  # addresses in the unicast sweep
    packets: int = 0  # unicast Probes sent
    interfaces: tuple[str, ...] = ()  # multicast source addresses used
    # Wall time the busy machine kept discovery from listening; the windows were stretched by
    # it (up to a limit). Non-zero: results may be incomplete, and the user is told so.
    slip_s: float = 0.0

    @property
    def busy(self) -> bool:
        return self.slip_s > 0

    def to_json(self) -> dict[str, Any]:
        return {"devices": [d.to_json() for d in self.devices], "slip_s": self.slip_s}


def normalize_mac(mac: str | None) -> str | None:
    if not mac:
        return None
    hexdigits = "".join(c for c in mac.lower() if c in "0123456789abcdef")
    return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2)) if len(hexdigits) == 12 else None


def _port_of(xaddrs: Sequence[str]) -> int | None:
    for x in xaddrs:
        try:
            parts = urlsplit(x)
            return parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            continue
    return None


def merge_matches(matches: Iterable[wsdiscovery.ProbeMatch]) -> list[DiscoveredDevice]:
    """One device per (EndpointReference, answering address), in order of first answer.

    The same device answering a multicast and a unicast Probe is one device. Two addresses
    claiming one EndpointReference are two devices: cloned firmware images share a UUID in the
    field (and two simulators started with one seed do on a test machine). Merged by the
    EndpointReference alone, whichever answered first took the other's place: a device in the
    swept range vanished behind a clone on the multicast link, and onboarding found nothing.
    ``classify`` decides which of them is the inventory camera.
    """
    merged: dict[str, DiscoveredDevice] = {}
    for m in matches:
        key = f"{m.endpoint}@{m.address}" if m.endpoint else f"addr:{m.address}"
        prior = merged.get(key)
        if prior is not None:
            via = prior.via if m.via in prior.via else (*prior.via, m.via)
            xaddrs = prior.xaddrs + tuple(x for x in m.xaddrs if x not in prior.xaddrs)
            merged[key] = replace(prior, via=via, xaddrs=xaddrs)
            continue
        s = m.decoded_scopes
        merged[key] = DiscoveredDevice(
            address=m.address,
            port=_port_of(m.xaddrs),
            status=DeviceStatus.NEW,
            endpoint=m.endpoint,
            xaddrs=m.xaddrs,
            scopes=DeviceScopes(s.name, s.hardware, s.location, s.mac),
            via=(m.via,),
        )
    return list(merged.values())


def _vendor_view(heard: sadp.SadpDevice | dhip.DhipDevice) -> tuple[str, str, DeviceState | None]:
    """(via, manufacturer, state) of a vendor discovery answer."""
    if isinstance(heard, dhip.DhipDevice):
        ready, via, maker, waiting = heard.initialised, "dhip", "Dahua", DeviceState.UNINITIALISED
    else:
        ready, via, maker, waiting = heard.activated, "sadp", "HIKVISION", DeviceState.INACTIVE
    return via, maker, None if ready is None else (DeviceState.READY if ready else waiting)


def merge_vendor(
    found: Sequence[DiscoveredDevice], heard: Iterable[sadp.SadpDevice | dhip.DhipDevice]
) -> list[DiscoveredDevice]:
    """Add what vendor discovery said (state, model, serial, MAC, firmware) to the device at
    the answering address, or add the device: an inactive (Hikvision) or uninitialised (Dahua)
    one has no ONVIF to answer with."""
    out = list(found)
    at = {d.address: i for i, d in enumerate(out)}
    for h in heard:
        via, maker, state = _vendor_view(h)
        prior = out[at[h.address]] if h.address in at else None
        info = prior.device if prior is not None and prior.device else DeviceInfo()
        device = replace(
            info,
            manufacturer=info.manufacturer or maker,
            model=h.model or info.model,
            firmware=h.firmware or info.firmware,
            serial=h.serial or info.serial,
        )
        if prior is not None:
            out[at[h.address]] = replace(
                prior,
                device=device,
                state=state,
                scopes=replace(prior.scopes, mac=prior.scopes.mac or h.mac),
                via=(*prior.via, via),
            )
            continue
        at[h.address] = len(out)
        out.append(
            DiscoveredDevice(
                address=h.address,
                port=h.http_port or 80,
                status=DeviceStatus.NEW,
                scopes=DeviceScopes(name=f"{maker} {h.model}" if h.model else None, mac=h.mac),
                device=device,
                via=(via,),
                alive=True,
                state=state,
            )
        )
    return out


def classify(
    found: Sequence[DiscoveredDevice], cameras: Sequence[Camera], swept: Iterable[str] = ()
) -> list[DiscoveredDevice]:
    """Mark each found device new / known / moved and append the missing inventory cameras.

    Identity first (endpoint, serial, MAC): same identity at the recorded host is known, else
    moved. Without an identity match, the camera recorded at the device's address is it, unless
    that camera records an identity the device contradicts (a replaced camera: new). Cameras
    within ``swept`` (addresses) that nothing accounts for are missing.
    """
    by_endpoint = {c.endpoint: c for c in cameras if c.endpoint}
    by_serial = {c.serial: c for c in cameras if c.serial}
    by_mac = {normalize_mac(c.mac): c for c in cameras if normalize_mac(c.mac)}
    by_host = {c.host: c for c in cameras}
    claimed: set[str] = set()
    out = []
    for dev in found:
        cam = (
            (dev.endpoint and by_endpoint.get(dev.endpoint))
            or (dev.serial and by_serial.get(dev.serial))
            or (dev.mac and by_mac.get(dev.mac))
            or None
        )
        if cam is None:
            at_host = by_host.get(dev.address)
            if at_host is not None and not _contradicts(at_host, dev):
                cam = at_host
        if cam is None or cam.name in claimed:
            out.append(replace(dev, status=DeviceStatus.NEW))
            continue
        claimed.add(cam.name)
        moved = cam.host != dev.address
        out.append(
            replace(
                dev,
                status=DeviceStatus.MOVED if moved else DeviceStatus.KNOWN,
                camera=cam.name,
                site=cam.site,
                previous_address=cam.host if moved else None,
            )
        )
    in_range = set(swept)
    for cam in cameras:
        if cam.name not in claimed and cam.onvif and cam.host in in_range:
            out.append(
                DiscoveredDevice(
                    address=cam.host,
                    port=cam.port,
                    status=DeviceStatus.MISSING,
                    endpoint=cam.endpoint,
                    scopes=DeviceScopes(mac=cam.mac),
                    device=DeviceInfo(serial=cam.serial) if cam.serial else None,
                    camera=cam.name,
                    site=cam.site,
                )
            )
    return out


def _contradicts(cam: Camera, dev: DiscoveredDevice) -> bool:
    return bool(
        (cam.endpoint and dev.endpoint and cam.endpoint != dev.endpoint)
        or (cam.serial and dev.serial and cam.serial != dev.serial)
        or (normalize_mac(cam.mac) and dev.mac and normalize_mac(cam.mac) != dev.mac)
    )


async def discover(inventory: Inventory | None, options: DiscoverOptions) -> DiscoveryReport:
    """Run every enabled path, enrich, classify. Per-device failures are values, never raised;
    raises UsageError only for bad ranges or interfaces (before any packet is sent)."""
    from fleetctl.core.errors import UsageError

    started, t0 = datetime.now(UTC), time.monotonic()
    addresses = sweep.expand_ranges(options.ranges)
    try:
        if options.interfaces is not None:
            sources = [wsdiscovery.resolve_interface(i) for i in options.interfaces]
        elif addresses and all(a.startswith("127.") for a in addresses):
            # Sweeping loopback ranges is a simulator session: multicast where the simulator
            # listens (lo has no MULTICAST flag, so it is not among the default interfaces),
            # and not out of the real interfaces to find nothing the user asked about.
            sources = ["127.0.0.1"]
        else:
            sources = [addr for _, addr in wsdiscovery.multicast_interfaces()]
    except ValueError as err:
        raise UsageError(str(err)) from err
    sources = sources if options.multicast else []

    # Multicast listens while the sweep sends: both run at once, from separate sockets.
    heard = (
        asyncio.create_task(
            wsdiscovery.multicast_probe(sources, repeats=options.repeats, wait=options.wait_s)
        )
        if sources
        else None
    )
    vendor_heard = (
        asyncio.gather(
            sadp.sadp_probe(sources, repeats=options.repeats, wait=options.wait_s),
            dhip.dhip_search(sources, repeats=options.repeats, wait=options.wait_s),
        )
        if sources and options.vendor
        else None
    )
    try:
        result = await sweep.unicast_sweep(
            addresses,
            rate=options.rate,
            repeats=options.repeats,
            wait=options.wait_s,
            bind=options.bind,
        )
    except BaseException:
        for task in (heard, vendor_heard):
            if task is not None:
                task.cancel()
        raise
    matches = await heard if heard is not None else wsdiscovery.Heard()
    found = merge_matches([*matches, *result.matches])
    if vendor_heard is not None:
        hikvision, dahua = await vendor_heard
        found = merge_vendor(found, [*hikvision, *dahua])
    slip_s = round(max(matches.slip_s, result.slip_s), 3)  # the two windows ran side by side

    async with sweep.http_session(options.timeout_s, options.concurrency) as session:
        if options.tcp_ports:
            answered = {d.address for d in found}
            silent = [a for a in addresses if a not in answered]
            for addr, port, pre in await sweep.tcp_sweep(
                session,
                silent,
                options.tcp_ports,
                concurrency=options.concurrency,
                timeout=options.timeout_s,
            ):
                xaddr = f"http://{addr}:{port}/onvif/device_service"
                found.append(
                    DiscoveredDevice(
                        address=addr,
                        port=port,
                        status=DeviceStatus.NEW,
                        xaddrs=(xaddr,),
                        device=pre.device,
                        via=("tcp",),
                        alive=True,
                        clock_offset_s=pre.clock_offset_s,
                    )
                )
        if options.enrich:
            found = list(await asyncio.gather(*(_enrich(session, d, options) for d in found)))

    cameras = inventory.cameras if inventory is not None else ()
    devices = sorted(classify(found, cameras, addresses), key=_order)
    return DiscoveryReport(
        devices=tuple(devices),
        started=started,
        duration_s=round(time.monotonic() - t0, 3),
        swept=len(addresses),
        packets=result.packets,
        interfaces=tuple(sources),
        slip_s=slip_s,
    )


# What a technician acts on first: new devices, then moved, missing, known; by address within.
_STATUS_ORDER = {
    DeviceStatus.NEW: 0,
    DeviceStatus.MOVED: 1,
    DeviceStatus.MISSING: 2,
    DeviceStatus.KNOWN: 3,
}


def _order(dev: DiscoveredDevice) -> tuple[int, tuple[int, ...], str]:
    try:
        ip = tuple(int(p) for p in dev.address.split("."))
    except ValueError:
        ip = ()
    return _STATUS_ORDER[dev.status], ip, dev.address


async def _enrich(
    session: Any, dev: DiscoveredDevice, options: DiscoverOptions
) -> DiscoveredDevice:
    if dev.alive is not None:
        return dev  # the TCP sweep asked already
    # Only the address that answered, never the host an XAddr names (rewritten upstream): we
    # must not be steered to a third party by a forged ProbeMatch.
    xaddr = next((x for x in dev.xaddrs if urlsplit(x).hostname == dev.address), None)
    if xaddr is None:
        return replace(dev, alive=False)
    pre = await sweep.preauth(session, xaddr, options.timeout_s)
    device = pre.device
    if dev.device is not None:  # vendor discovery said it first: its words stay, gaps filled
        device = _fill(dev.device, pre.device)
    dev = replace(dev, alive=pre.alive, device=device, clock_offset_s=pre.clock_offset_s)
    if options.vendor and dev.state is None and _is_axis(dev):
        port = dev.port or 80
        needs, said = await asyncio.gather(
            provision_axis.needs_setup(session, dev.address, port, options.timeout_s),
            axis.device_info(session, dev.address, port, options.timeout_s),
        )
        if needs is not None:
            dev = replace(dev, state=DeviceState.NEEDS_SETUP if needs else DeviceState.READY)
        if said is not None:  # the vendor's own words first, as SADP's and DHIP's
            dev = replace(dev, device=_fill(said, dev.device))
    return dev


def _fill(first: DeviceInfo, then: DeviceInfo | None) -> DeviceInfo:
    """``first``, its gaps filled from ``then``."""
    if then is None:
        return first
    return replace(
        first,
        **{
            k: getattr(then, k)
            for k in ("manufacturer", "model", "firmware", "serial", "hardware_id")
            if getattr(first, k) is None
        },
    )


def _is_axis(dev: DiscoveredDevice) -> bool:
    words = (dev.device.manufacturer if dev.device else None, dev.scopes.name)
    return any(w and w.lower().startswith("axis") for w in words)
