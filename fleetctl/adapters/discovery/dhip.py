"""Dahua DHIP discovery: how factory-fresh (uninitialised) Dahua devices are found.

An uninitialised Dahua has no account and no ONVIF service: WS-Discovery cannot see it. DHIP
can: UDP to 239.255.255.251:37810 (TTL 1, local link only), a 32-byte little-endian header
(``0x20``, ``"DHIP"``, session, id, JSON length, 0, JSON length, 0) then
``{"method":"DHDiscover.search","params":{"mac":"","uni":1}}``. Each device answers with the same
header and ``client.notifyDevInfo``: ``params.deviceInfo`` names its model (``DeviceType``),
serial, firmware (``Version``), HTTP port, MAC and ``Init``.

``Init`` is read leniently, as firmware writes it differently: a bitmap whose two low bits are
1 (waiting for initialisation) or 2 (initialised), as ``DevInit.getStatus`` reports it; a
boolean or "true"/"false" (initialised or not); 0 (not initialised). Anything else: unknown.
Onboarding never acts on this alone: it asks the device again (adapters/provision/dahua.py).

Replies are hostile input: bounded size, JSON only, fields cleaned and bounded. The answering
address is the device's address, never the IPAddress it claims.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fleetctl.adapters.discovery.sadp import lenient_bool, multicast_search
from fleetctl.core.text import clean_opt

PORT = 37810
GROUP = "239.255.255.251"
MAX_REPLY = 16384
MAGIC = b"DHIP"
_HEAD = struct.Struct("<I4sIIIIII")
SEARCH = {"method": "DHDiscover.search", "params": {"mac": "", "uni": 1}}


@dataclass(frozen=True)
class DhipDevice:
    """What a Dahua said about itself (``initialised`` None: it did not say)."""

    address: str  # where the reply came from
    initialised: bool | None
    model: str | None = None
    serial: str | None = None
    mac: str | None = None
    firmware: str | None = None
    http_port: int | None = None


def frame(message: dict[str, Any], request_id: int = 0) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return _HEAD.pack(0x20, MAGIC, 0, request_id, len(body), 0, len(body), 0) + body


def read_init(value: Any) -> bool | None:
    """``Init`` as firmware writes it: True initialised, False waiting, None unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {0: False, 1: False, 2: True}.get(value & 3) if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        return read_init(int(text)) if text.isdigit() else lenient_bool(text)
    return None


def parse_reply(data: bytes, address: str) -> DhipDevice | None:
    """A ``client.notifyDevInfo`` from ``address``, or None for anything else."""
    if len(data) > MAX_REPLY or len(data) < _HEAD.size or data[4:8] != MAGIC:
        return None
    try:
        message = json.loads(data[_HEAD.size :].rstrip(b"\0\r\n \t").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(message, dict) or message.get("method") != "client.notifyDevInfo":
        return None
    params = message.get("params")
    info = params.get("deviceInfo") if isinstance(params, dict) else None
    if not isinstance(info, dict):
        return None

    def text(name: str) -> str | None:
        value = info.get(name)
        return clean_opt(str(value), 128) or None if isinstance(value, str | int) else None

    port = info.get("HttpPort")
    mac = text("Mac") or (clean_opt(str(message.get("mac")), 32) if message.get("mac") else None)
    return DhipDevice(
        address=address,
        initialised=read_init(info.get("Init")),
        model=text("DeviceType"),
        serial=text("SerialNo"),
        mac=mac or None,
        firmware=text("Version"),
        http_port=port if isinstance(port, int) and 0 < port < 65536 else None,
    )


async def dhip_search(
    interfaces: Sequence[str], *, repeats: int = 2, wait: float = 2.0
) -> list[DhipDevice]:
    """Search from each interface address; one entry per answering address, in answer order."""
    return await multicast_search(
        interfaces,
        (GROUP, PORT),
        lambda: frame(SEARCH),
        parse_reply,
        repeats=repeats,
        wait=wait,
        label="DHIP",
    )
