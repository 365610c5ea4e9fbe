"""The simulator's DHIP responder: factory-fresh Dahua cameras answer the vendor's discovery.

Dahua's search tool finds devices with DHIP over UDP 37810, multicast to 239.255.255.251 (and
broadcast). Every packet is a 32-byte little-endian header (``0x20``, ``"DHIP"``, session, id,
the JSON length, 0, the JSON length again, 0) and then JSON. The search is
``{"method":"DHDiscover.search","params":{"mac":"","uni":1}}``; each device answers with the same
header and ``{"mac": ..., "method": "client.notifyDevInfo", "params": {"deviceInfo": {...}}}``
(NUL-terminated, as devices send it): its IPv4 settings, model (``DeviceType``), serial,
firmware (``Version``), HTTP port, MAC and ``Init``, a bitmap whose two low bits are 1 while the
device waits for initialisation and 2 after it (values seen on initialised devices: 3210, 3222).

Sockets as in sim/discovery/sadp.py (one per camera on ``cam.host:37810``, one joined to the group
on loopback); offline cameras are silent. Fresh Dahua cameras answer, initialised or not.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any

from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.discovery.sadp import start_responder
from fleetctl.sim.discovery.wsdiscovery import DiscoveryService

PORT = 37810
GROUP = "239.255.255.251"
MAGIC = b"DHIP"
_HEAD = struct.Struct("<I4sIIIIII")
INIT_WAITING = 1  # Init & 3 while uninitialised
INIT_DONE = 3210  # as initialised devices report it (Init & 3 == 2)


def frame(message: dict[str, Any], request_id: int = 0) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode() + b"\0"
    return _HEAD.pack(0x20, MAGIC, 0, request_id, len(body), 0, len(body), 0) + body


def parse_search(data: bytes) -> str | None:
    """The search's request id (as text), or None for anything that is not a DHDiscover.search."""
    if len(data) > 4096 or len(data) < _HEAD.size or data[4:8] != MAGIC:
        return None
    try:
        message = json.loads(data[_HEAD.size :].rstrip(b"\0\r\n").decode())
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(message, dict) or message.get("method") != "DHDiscover.search":
        return None
    return str(_HEAD.unpack_from(data)[3])


def dev_info(cam: SimCamera, request_id: str) -> bytes:
    initialised = cam.factory is None or cam.factory.activated
    info = {
        "DeviceClass": "IPC",
        "DeviceType": cam.model,
        "HttpPort": cam.onvif_port,
        "Port": 37777,
        "IPv4Address": {
            "DefaultGateway": "0.0.0.0",
            "DhcpEnable": False,
            "IPAddress": cam.host,
            "SubnetMask": "255.255.255.0",
        },
        "MachineName": cam.serial,
        "SerialNo": cam.serial,
        "Vendor": "Dahua",
        "Version": cam.firmware.split(",")[0],
        "Mac": cam.mac,
        "Init": INIT_DONE if initialised else INIT_WAITING,
        "Find": "B",
    }
    message = {"mac": cam.mac, "method": "client.notifyDevInfo", "params": {"deviceInfo": info}}
    return frame(message, int(request_id) if request_id.isdigit() else 0)


def answers_dhip(cam: SimCamera) -> bool:
    return cam.fresh and cam.vendor.value == "dahua" and not cam.is_recorder


async def start_dhip(cameras: Sequence[SimCamera], max_delay: float = 0.1) -> DiscoveryService:
    """Answer DHIP searches for the fresh Dahua cameras among ``cameras``."""
    return await start_responder(
        [c for c in cameras if answers_dhip(c)],
        port=PORT,
        group=GROUP,
        parse=parse_search,
        reply=dev_info,
        label="DHDiscover.search",
        max_delay=max_delay,
    )
