"""Finding devices that multicast cannot reach: a paced unicast WS-Discovery sweep of address
ranges from ONE socket, a TCP sweep of camera ports for hosts that ignore WS-Discovery, and the
unauthenticated ONVIF calls that confirm a device and say what it is.

Multicast has TTL 1: it never crosses a router or a VLAN boundary. A unicast Probe
to each address of a range does. One socket for the whole sweep keeps it to one file descriptor
and one receive queue however large the range; pacing (``rate`` packets/s) keeps us from
flooding a slow WAN link or a firewall's connection table.

No credentials are ever sent here: GetSystemDateAndTime is pre-auth by specification and we
try GetDeviceInformation without auth, accepting that many cameras refuse it (then ``None``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from lxml import etree

from fleetctl.adapters.discovery.wsdiscovery import (
    PORT,
    PROBE_KINDS,
    Collector,
    ProbeMatch,
    drain,
    listen,
    message_ids,
    open_socket,
    probe_template,
)
from fleetctl.adapters.http.body import read_capped
from fleetctl.core.errors import UsageError
from fleetctl.core.models import DeviceInfo


@contextlib.asynccontextmanager
async def http_session(timeout_s: float, concurrency: int) -> AsyncIterator[aiohttp.ClientSession]:
    """The HTTP session of a sweep's pre-auth calls: one total timeout per call, no keep-alive
    (each device is asked once), at most ``concurrency`` sockets."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        yield session


MAX_SWEEP_ADDRESSES = 65_536  # a /16: beyond that a typo ("10.0.0.0/8") is likelier than intent
CAMERA_PORTS = (80, 8080, 8899)  # ONVIF HTTP on most cameras; 8899: many OEM/white-label boards
MAX_SOAP_BYTES = 256 * 1024


def expand_ranges(specs: Iterable[str]) -> list[str]:
    """Unique IPv4 addresses, in order, of CIDRs (host addresses only), ``a-b`` ranges (also
    ``10.0.0.10-80``), globs (``10.0.1.*``) and single addresses. Raises UsageError."""
    import netaddr

    out: dict[str, None] = {}
    for spec in specs:
        spec = spec.strip()
        try:
            if "/" in spec:
                net = netaddr.IPNetwork(spec, version=4)
                if net.size > MAX_SWEEP_ADDRESSES + 2:
                    raise UsageError(
                        f"range {spec!r}: more than {MAX_SWEEP_ADDRESSES} addresses to sweep; "
                        "split it into smaller ranges"
                    )
                # .0 and .255 of a /24 are not devices, and sending to a broadcast fails (EACCES)
                hosts: Iterable[netaddr.IPAddress] = net.iter_hosts() if net.prefixlen < 31 else net
            elif "*" in spec or (
                "-" in spec and spec.count(".") == 3 and "." not in spec.split("-")[1]
            ):
                if "*" not in spec:  # 10.0.0.10-80: shorthand for the last octet
                    first, last = spec.split("-", 1)
                    hosts = netaddr.IPRange(first, f"{first.rsplit('.', 1)[0]}.{last}")
                else:
                    hosts = netaddr.IPGlob(spec)
            elif "-" in spec:
                first, last = (part.strip() for part in spec.split("-", 1))
                hosts = netaddr.IPRange(first, last)
            else:
                hosts = [netaddr.IPAddress(spec, version=4)]
            if len(out) + _size(hosts) > MAX_SWEEP_ADDRESSES:
                raise UsageError(
                    f"range {spec!r}: more than {MAX_SWEEP_ADDRESSES} addresses to sweep; "
                    "split it into smaller ranges"
                )
            size = len(out)
            for addr in hosts:
                if addr.version != 4:
                    raise ValueError("IPv6 is not supported by the sweep")
                out[str(addr)] = None
            if len(out) == size and not hosts:
                raise ValueError("empty range")
        except (netaddr.AddrFormatError, ValueError, TypeError) as err:
            raise UsageError(f"bad address range {spec!r}: {err}") from err
    return list(out)


def _size(hosts: Iterable[object]) -> int:
    # IPRange and IPGlob know their size without iterating; a host generator was checked before.
    size = getattr(hosts, "size", None)
    return size if isinstance(size, int) else len(hosts) if isinstance(hosts, list) else 0


# ------------------------------------------------------------------------------ unicast sweep


@dataclass(frozen=True)
class SweepResult:
    matches: tuple[ProbeMatch, ...]  # not de-duplicated
    addresses: int
    packets: int  # Probes sent
    duration_s: float
    send_s: float = 0.0  # time spent sending (all rounds): packets / send_s is the achieved rate
    slip_s: float = 0.0  # wall time the busy machine kept us from listening (window extended)


async def unicast_sweep(
    addresses: Sequence[str],
    *,
    rate: float = 1000.0,
    repeats: int = 2,
    wait: float = 1.0,
    bind: str = "0.0.0.0",
    port: int = PORT,
) -> SweepResult:
    """Send a Probe to ``address:port`` for every address, ``rate`` packets/s, from one socket.

    Round 1 probes every address for dn:NetworkVideoTransmitter; each later round re-probes only
    the silent ones, alternating the type (tds:Device next), which both retries lost packets and
    catches devices that advertise only one of the two types. After the last round we wait up
    to ``wait`` seconds for late replies (less if every address answered).
    """
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    answered: set[str] = set()
    done = asyncio.Event()
    targets = set(addresses)

    def on_match(match: ProbeMatch) -> None:
        answered.add(match.address)
        if targets <= answered:
            done.set()

    sock = open_socket(bind)
    transport, proto = await loop.create_datagram_endpoint(
        lambda: Collector("unicast", on_match), sock=sock
    )
    packets, send_s, slip_s = 0, 0.0, 0.0
    try:
        for round_no in range(max(1, repeats)):
            pending = [a for a in addresses if a not in answered]
            if not pending:
                break
            kind = PROBE_KINDS[round_no % len(PROBE_KINDS)]
            t_send = time.monotonic()
            packets += await _paced_send(transport, proto, pending, kind, rate, port)
            send_s += time.monotonic() - t_send
            gap = wait if round_no == repeats - 1 else min(wait, 0.5)
            # Counted in running time: a busy machine stretches the window, never empties it.
            slip_s += await listen(gap, done)
            drain(sock, proto)  # replies queued while we were off the CPU: read, not dropped
    finally:
        transport.close()
    return SweepResult(
        tuple(proto.matches),
        len(addresses),
        packets,
        time.monotonic() - started,
        send_s,
        round(slip_s, 3),
    )


async def _paced_send(
    transport: asyncio.DatagramTransport,
    proto: Collector,
    addresses: Sequence[str],
    kind: str,
    rate: float,
    port: int,
) -> int:
    # Sleep granularity is ~1 ms at best: send the packets that are due, then sleep a tick,
    # instead of one sleep per packet (which would cap the rate near 1,000/s).
    loop = asyncio.get_running_loop()
    head, tail = probe_template(kind)
    ids = message_ids()
    start, sent, tick = loop.time(), 0, 0.005
    while sent < len(addresses):
        due = min(len(addresses), int((loop.time() - start) * rate) + 1)
        while sent < due:
            mid = next(ids)
            proto.expected.add(mid)
            transport.sendto(head + mid.encode() + tail, (addresses[sent], port))
            sent += 1
        if sent < len(addresses):
            await asyncio.sleep(max(tick, (sent - (loop.time() - start) * rate) / rate))
    return sent


# ------------------------------------------------------------------ pre-auth ONVIF and TCP sweep

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
NS_TT = "http://www.onvif.org/ver10/schema"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Preauth:
    """What a device says without credentials. ``alive``: it answered GetSystemDateAndTime."""

    alive: bool
    clock_offset_s: float | None = None
    device: DeviceInfo | None = None  # None: GetDeviceInformation refused without auth


def _envelope(operation: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{NS_SOAP}" xmlns:tds="{NS_TDS}"><s:Body>'
        f"<tds:{operation}/></s:Body></s:Envelope>"
    ).encode()


async def _call(session: aiohttp.ClientSession, url: str, operation: str) -> etree._Element | None:
    """The SOAP Body's first child of a 200 reply, or None (refused, fault, garbage, too big)."""
    headers = {
        "Content-Type": f'application/soap+xml; charset=utf-8; action="{NS_TDS}/{operation}"'
    }
    try:
        async with session.post(url, data=_envelope(operation), headers=headers) as resp:
            body = await read_capped(resp.content, MAX_SOAP_BYTES + 1)
            status = resp.status
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
        return None
    # A 401 HTML page, an oversized body or a DTD: not an answer (classify HTTP before SOAP).
    if status != 200 or len(body) > MAX_SOAP_BYTES or b"<!DOCTYPE" in body:
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    reply = root.find(f"{{{NS_SOAP}}}Body/{{{NS_TDS}}}{operation}Response")
    return reply


def _clock_offset(reply: etree._Element) -> float | None:
    utc = reply.find(f"{{{NS_TDS}}}SystemDateAndTime/{{{NS_TT}}}UTCDateTime")
    if utc is None:
        return None

    def num(path: str) -> int:
        return int((utc.findtext(path.replace("tt:", f"{{{NS_TT}}}")) or "").strip())

    try:  # cameras send month 13 and friends: not an answer, not a crash
        cam = datetime(
            num("tt:Date/tt:Year"),
            num("tt:Date/tt:Month"),
            num("tt:Date/tt:Day"),
            num("tt:Time/tt:Hour"),
            num("tt:Time/tt:Minute"),
            num("tt:Time/tt:Second"),
            tzinfo=UTC,
        )
    except (TypeError, ValueError, OverflowError):
        return None
    return round((cam - datetime.now(UTC)).total_seconds(), 1)


async def preauth(session: aiohttp.ClientSession, xaddr: str, timeout: float) -> Preauth:
    """GetSystemDateAndTime, then GetDeviceInformation, both without credentials, under
    ``timeout`` seconds overall. Never raises for the device's behaviour. A device that
    answered the clock but not the second call in time is alive, without device info."""
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            reply = await _call(session, xaddr, "GetSystemDateAndTime")
    except TimeoutError:
        reply = None
    if reply is None:
        return Preauth(alive=False)
    offset = _clock_offset(reply)
    try:
        async with asyncio.timeout_at(deadline):
            info = await _call(session, xaddr, "GetDeviceInformation")
    except TimeoutError:
        info = None
    if info is None:
        return Preauth(alive=True, clock_offset_s=offset)

    def field(name: str) -> str | None:
        return (info.findtext(f"{{{NS_TDS}}}{name}") or "").strip()[:200] or None

    device = DeviceInfo(
        manufacturer=field("Manufacturer"),
        model=field("Model"),
        firmware=field("FirmwareVersion"),
        serial=field("SerialNumber"),
        hardware_id=field("HardwareId"),
    )
    return Preauth(alive=True, clock_offset_s=offset, device=device)


# Connects to empty addresses of a routed range are silently dropped and cost a full connect
# timeout each: many in flight and a short timeout keep a /20 x 3 ports near 25 s worst case.
# A connect costs one fd; 512 stays well inside the common 1,024 soft limit.
TCP_CONNECTS = 512
CONNECT_TIMEOUT_S = 1.0


async def tcp_sweep(
    session: aiohttp.ClientSession,
    addresses: Sequence[str],
    ports: Sequence[int] = CAMERA_PORTS,
    *,
    concurrency: int = 128,
    timeout: float = 3.0,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> list[tuple[str, int, Preauth]]:
    """(address, port, preauth) of every address:port that accepts TCP *and* answers an
    unauthenticated GetSystemDateAndTime at /onvif/device_service (so a web server is not a
    camera). First confirmed port per address wins. At most ``TCP_CONNECTS`` connects and
    ``concurrency`` ONVIF conversations (each under ``timeout``) in flight."""
    connects = asyncio.Semaphore(TCP_CONNECTS)
    talks = asyncio.Semaphore(concurrency)

    async def one(addr: str) -> tuple[str, int, Preauth] | None:
        for port in ports:
            async with connects:
                try:
                    async with asyncio.timeout(min(timeout, connect_timeout)):
                        _, writer = await asyncio.open_connection(addr, port)
                    writer.close()
                    await writer.wait_closed()
                except (OSError, TimeoutError):
                    continue
            async with talks:
                url = f"http://{addr}:{port}/onvif/device_service"
                result = await preauth(session, url, timeout)
            if result.alive:
                return addr, port, result
        return None

    found = await asyncio.gather(*(one(a) for a in addresses))
    return [f for f in found if f is not None]
