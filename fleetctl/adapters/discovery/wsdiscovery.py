"""WS-Discovery (ONVIF flavour: 2005/04 drafts, SOAP 1.2 over UDP 3702), our own asyncio client.

The `wsdiscovery` package is thread-based and blocks; this module only builds Probes, parses
ProbeMatches defensively and runs the multicast half. The unicast sweep lives in ``sweep.py`` and
reuses the builders and the parser here.

Contract of the parser: a reply is accepted only if it is a well-formed, DTD-free ProbeMatches
no larger than ``MAX_REPLY_BYTES`` whose RelatesTo is one of *our* MessageIDs. Anything else
(garbage, another prober's answers, a Hello, a 60 KB scope list) is dropped without an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import re
import socket
import struct
import sys
import uuid
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from lxml import etree

from fleetctl.core.text import clean_opt

log = logging.getLogger(__name__)

PORT = 3702
GROUP = "239.255.255.250"
MAX_REPLY_BYTES = 32 * 1024  # real ProbeMatches are 1-4 KB; a bigger datagram is hostile

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NS_DN = "http://www.onvif.org/ver10/network/wsdl"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
ACTION_PROBE = NS_WSD + "/Probe"
ACTION_MATCHES = NS_WSD + "/ProbeMatches"
TO_DISCOVERY = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"

# WS-Discovery matches a Probe's Types with AND semantics: a device answers only if it has *all*
# listed types. ONVIF 1.x cameras advertise only dn:NetworkVideoTransmitter, newer devices and
# NVRs tds:Device (sometimes only that), so we ask twice, once per type, and merge the answers by
# EndpointReference, instead of one Probe listing both that would miss either kind.
PROBE_KINDS: tuple[str, ...] = ("dn:NetworkVideoTransmitter", "tds:Device")
ONVIF_TYPES = frozenset({(NS_DN, "NetworkVideoTransmitter"), (NS_TDS, "Device")})


def new_message_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def message_ids() -> Iterator[str]:
    """Unique MessageIDs, cheaply: one random UUID, then its node field (last 48 bits) counted
    up. A sweep sends thousands of Probes; uuid4() per packet was a third of the send loop."""
    base = uuid.uuid4()
    h = base.hex
    stem = f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"
    node = base.int & 0xFFFF_FFFF_FFFF
    for n in itertools.count():
        yield f"{stem}{(node + n) & 0xFFFF_FFFF_FFFF:012x}"


def probe_template(types: str) -> tuple[bytes, bytes]:
    """(head, tail) such that ``head + message_id + tail == build_probe(message_id, types)``."""
    head, tail = build_probe("\x00", types).split(b"\x00")
    return head, tail


def build_probe(message_id: str, types: str = PROBE_KINDS[0]) -> bytes:
    """A Probe on one line, no XML declaration, no whitespace between tags.

    Some Hikvision firmware answers only such minified packets, and a small packet
    costs nothing on the other devices.
    """
    return (
        f'<s:Envelope xmlns:s="{NS_SOAP}" xmlns:a="{NS_WSA}" xmlns:d="{NS_WSD}" '
        f'xmlns:dn="{NS_DN}" xmlns:tds="{NS_TDS}"><s:Header>'
        f"<a:Action>{ACTION_PROBE}</a:Action><a:MessageID>{message_id}</a:MessageID>"
        f"<a:To>{TO_DISCOVERY}</a:To></s:Header><s:Body><d:Probe><d:Types>{types}</d:Types>"
        f"</d:Probe></s:Body></s:Envelope>"
    ).encode()


# ------------------------------------------------------------------------------------ parsing


@dataclass(frozen=True)
class Scopes:
    """The ONVIF scopes a technician cares about, URL-decoded; None when not advertised."""

    name: str | None = None
    hardware: str | None = None
    location: str | None = None
    mac: str | None = None


@dataclass(frozen=True)
class ProbeMatch:
    """One device's answer. ``address`` is who answered (the UDP source), not what it claims."""

    address: str
    endpoint: str | None
    types: tuple[str, ...]
    scopes: tuple[str, ...]  # raw, as advertised
    xaddrs: tuple[str, ...]  # already rewritten to ``address`` where needed
    metadata_version: int | None
    via: str  # "multicast" | "unicast"

    @property
    def decoded_scopes(self) -> Scopes:
        return decode_scopes(self.scopes)


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_probe_matches(
    data: bytes, source: str, expected: Container[str], via: str = "multicast"
) -> list[ProbeMatch]:
    """ProbeMatch entries of ``data`` if it answers one of the ``expected`` MessageIDs, else []."""
    if len(data) > MAX_REPLY_BYTES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return []
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return []
    if root.tag != f"{{{NS_SOAP}}}Envelope":
        return []
    if _text(root.find(f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}Action")) != ACTION_MATCHES:
        return []
    if _text(root.find(f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}RelatesTo")) not in expected:
        return []  # another prober's answer, a stale one, or forged: not ours
    out = []
    for pm in root.iterfind(f"{{{NS_SOAP}}}Body/{{{NS_WSD}}}ProbeMatches/{{{NS_WSD}}}ProbeMatch"):
        types = tuple(_text(pm.find(f"{{{NS_WSD}}}Types")).split())
        resolved = {_qname(pm, t) for t in types}
        if types and not resolved & ONVIF_TYPES:
            continue  # a printer or a PC answering an empty-Types probe
        version = _text(pm.find(f"{{{NS_WSD}}}MetadataVersion"))
        out.append(
            ProbeMatch(
                address=source,
                endpoint=_text(pm.find(f"{{{NS_WSA}}}EndpointReference/{{{NS_WSA}}}Address"))
                or None,
                types=types,
                scopes=tuple(_text(pm.find(f"{{{NS_WSD}}}Scopes")).split()),
                xaddrs=tuple(
                    rewrite_xaddr(x, source) for x in _text(pm.find(f"{{{NS_WSD}}}XAddrs")).split()
                ),
                metadata_version=int(version) if version.isdigit() else None,
                via=via,
            )
        )
    return out


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _qname(el: etree._Element, qname: str) -> tuple[str | None, str]:
    prefix, _, local = qname.rpartition(":")
    return (el.nsmap.get(prefix or None), local)


def rewrite_xaddr(xaddr: str, source: str) -> str:
    """Point an XAddr at the address that answered.

    ``0.0.0.0`` means "the address I answered from"; any other foreign host is a NAT'd or stale
    address (or a lie): we only ever talk to the address that answered.
    """
    try:
        parts = urlsplit(xaddr)
        host, port = parts.hostname, parts.port
    except ValueError:
        return xaddr
    if parts.scheme not in ("http", "https") or not host or host == source:
        return xaddr
    netloc = f"{source}:{port}" if port else source
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def decode_scopes(scopes: Sequence[str]) -> Scopes:
    """Decode onvif://www.onvif.org/<key>/<value> scopes (values are URL-encoded)."""
    found: dict[str, list[str]] = {}
    for scope in scopes:
        head, sep, rest = scope.partition("://")
        if not sep or head.lower() != "onvif":
            continue
        host, _, path = rest.partition("/")
        key, _, value = path.partition("/")
        if host.lower() == "www.onvif.org" and value:
            found.setdefault(key.lower(), []).append(unquote(value))
    first = {k: v[0] for k, v in found.items()}
    # Location often comes as several scopes (location/country/china, location/city/hangzhou).
    location = ", ".join(found["location"]) if "location" in found else None
    # URL-decoding can make control characters (%1b): the device's words, made plain here.
    return Scopes(
        clean_opt(first.get("name")),
        clean_opt(first.get("hardware")),
        clean_opt(location),
        clean_opt(first.get("mac")),
    )


# ------------------------------------------------------------------------------------ multicast

SIOCGIFFLAGS, SIOCGIFADDR = 0x8913, 0x8915
IFF_UP, IFF_MULTICAST = 0x1, 0x1000


def multicast_interfaces() -> list[tuple[str, str]]:
    """(name, IPv4 address) of every interface that is up and multicast-capable (Linux)."""
    if not sys.platform.startswith("linux"):
        return [("default", "0.0.0.0")]
    import fcntl

    out = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            raw = name.encode()[:15]
            try:
                flags = struct.unpack(
                    "16sH",
                    fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, struct.pack("16sH14s", raw, 0, b""))[:18],
                )[1]
                addr = socket.inet_ntoa(
                    fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", raw))[20:24]
                )
            except OSError:
                continue  # no IPv4 address
            if flags & IFF_UP and flags & IFF_MULTICAST:
                out.append((name, addr))
    return out


def resolve_interface(spec: str) -> str:
    """An interface name (``lo``, ``eth0``) or an IPv4 address -> the address to send from."""
    with contextlib.suppress(OSError):
        socket.inet_aton(spec)
        return spec
    if sys.platform.startswith("linux"):
        import fcntl

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, contextlib.suppress(OSError):
            raw = struct.pack("256s", spec.encode()[:15])
            return socket.inet_ntoa(fcntl.ioctl(s.fileno(), SIOCGIFADDR, raw)[20:24])
    raise ValueError(f"no IPv4 address on interface {spec!r}")


_ENDPOINT = re.compile(rb"<(?:[\w.-]+:)?Address>\s*([^<\s]{1,256})\s*</")


class Collector(asyncio.DatagramProtocol):
    """Receives ProbeMatches for a set of MessageIDs.

    Every device answers every Probe (2 kinds x N rounds), and a thousand devices answering a
    multicast Probe land within a fraction of a second: a repeat from an address and
    EndpointReference already matched is dropped before the XML parse, which is where the time
    goes. Merging across sockets and paths is the caller's job.
    """

    def __init__(self, via: str, on_match: Callable[[ProbeMatch], None] | None = None) -> None:
        self.via = via
        self.expected: set[str] = set()
        self.matches: list[ProbeMatch] = []
        self.ignored = 0
        self.repeats = 0
        self.on_match = on_match
        self._seen: set[tuple[str, bytes]] = set()

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        source = str(addr[0])
        endpoint = _ENDPOINT.search(data)
        key = (source, endpoint.group(1) if endpoint else b"")
        if key in self._seen:
            self.repeats += 1
            return
        found = parse_probe_matches(data, source, self.expected, self.via)
        if not found:
            self.ignored += 1
            return
        self._seen.add(key)
        for match in found:
            self.matches.append(match)
            if self.on_match is not None:
                self.on_match(match)

    def error_received(self, exc: Exception) -> None:
        log.debug("ws-discovery socket error: %s", exc)  # ICMP unreachable on a sweep: expected


# ---------------------------------------------------------------------- the listening window

# A window is counted in ticks of time the process actually ran. On a busy machine (two test
# suites on two cores, a check of 500 cameras beside the sweep) the process can be off the CPU
# for a second or more: measured by the wall clock, the window ends before the loop ever read
# the replies that arrived meanwhile, and discovery reports zero devices. A tick that wakes up
# later than this has seen the machine busy: the lost time is added back to the window.
TICK_S = 0.05
LATE_TICK_S = 0.1
MAX_EXTENSION = 4.0  # the window grows to at most (1 + MAX_EXTENSION) x its length


async def listen(seconds: float, done: asyncio.Event | None = None) -> float:
    """Wait ``seconds`` of running time (or until ``done`` is set); the slip, in seconds.

    The slip is the wall time this process was kept from running while it listened (ticks
    that woke up late); it extended the window, up to ``MAX_EXTENSION`` times its length. A
    caller that found nothing after a slip must say the machine was busy, not "no devices".
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    limit = start + seconds * (1 + MAX_EXTENSION)
    remaining, slip = seconds, 0.0
    while remaining > 0 and not (done is not None and done.is_set()):
        step = min(TICK_S, remaining)
        t0 = loop.time()
        if done is None:
            await asyncio.sleep(step)
        else:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(step):
                    await done.wait()
        late = loop.time() - t0 - step
        if late > LATE_TICK_S:
            slip += late
        remaining -= step
        if loop.time() >= limit:
            break
    return slip


def drain(sock: socket.socket, proto: asyncio.DatagramProtocol, limit: int = 10_000) -> int:
    """Hand the datagrams already queued on ``sock`` to ``proto`` before the socket closes.

    When the window's end and late replies land in the same loop iteration, the timer runs
    first and closing the transport would drop what the kernel already holds for us."""
    n = 0
    with contextlib.suppress(OSError):  # BlockingIOError: empty; EBADF: the transport owns it
        while n < limit:
            data, addr = sock.recvfrom(65_535)
            proto.datagram_received(data, addr)
            n += 1
    return n


def open_socket(
    bind: str, *, multicast_if: str | None = None, rcvbuf: int = 4 << 20
) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    # Thousands of replies can land within a few ms; the default ~200 KB buffer drops them.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if multicast_if is not None:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(multicast_if))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)  # link-local, per the spec
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)  # devices on this host too
    sock.bind((bind, 0))
    return sock


class Heard(list[ProbeMatch]):
    """The matches of a multicast probe, and how far the machine being busy stretched its
    window (``slip_s``: see ``listen``)."""

    slip_s: float = 0.0


async def multicast_probe(
    interfaces: Sequence[str], *, repeats: int = 2, wait: float = 2.0, jitter: float = 0.25
) -> Heard:
    """Probe 239.255.255.250:3702 from each interface address; every match heard within ``wait``
    seconds of running time (``listen``), queued replies read before the sockets close.

    Each round sends one Probe per kind (``PROBE_KINDS``) with fresh MessageIDs; rounds are
    spaced by a random delay up to ``jitter`` seconds because UDP is lossy and devices delay
    their answers to multicast probes at random (APP_MAX_DELAY). Not de-duplicated.
    """
    loop = asyncio.get_running_loop()
    endpoints = []
    socks: list[socket.socket] = []
    heard = Heard()
    try:
        for addr in interfaces:
            try:  # an interface that vanished or lost its address: skip it, probe the others
                sock = open_socket(addr, multicast_if=addr)
            except OSError as err:
                log.warning("WS-Discovery: cannot multicast from %s: %s", addr, err)
                continue
            transport, proto = await loop.create_datagram_endpoint(
                lambda: Collector("multicast"), sock=sock
            )
            endpoints.append((transport, proto))
            socks.append(sock)
        for round_no in range(max(1, repeats)):
            if round_no:
                await asyncio.sleep(random.uniform(0.05, max(0.05, jitter)))
            for transport, proto in endpoints:
                for kind in PROBE_KINDS:
                    mid = new_message_id()
                    proto.expected.add(mid)
                    transport.sendto(build_probe(mid, kind), (GROUP, PORT))
        heard.slip_s = await listen(wait)
        for sock, (_, proto) in zip(socks, endpoints, strict=True):
            drain(sock, proto)
    finally:
        for transport, _ in endpoints:
            transport.close()
    heard.extend(m for _, proto in endpoints for m in proto.matches)
    if heard.slip_s:
        log.info("WS-Discovery: the machine was busy; listened %.1f s longer", heard.slip_s)
    return heard
