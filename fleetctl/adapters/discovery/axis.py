"""What an Axis says it is before anyone logs in: the Basic Device Information API.

``POST /axis-cgi/basicdeviceinfo.cgi`` with ``{"apiVersion":"1.0","method":
"getAllUnrestrictedProperties"}`` needs no credentials, in every state (factory-fresh too, when
ONVIF's GetDeviceInformation refuses), and answers ``data.propertyList``: ``Brand``,
``ProdNbr`` (the model), ``SerialNumber``, ``Version`` (the firmware), ``HardwareID``, ...

The reply is hostile input: bounded size, JSON only, each field cleaned and bounded.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from fleetctl.adapters.http.body import read_capped
from fleetctl.core.models import DeviceInfo
from fleetctl.core.text import clean_opt

PATH = "/axis-cgi/basicdeviceinfo.cgi"
MAX_BODY = 16 * 1024
FIELD_LIMIT = 128
# DeviceInfo field <- the property that says it
FIELDS = {
    "manufacturer": "Brand",
    "model": "ProdNbr",
    "firmware": "Version",
    "serial": "SerialNumber",
    "hardware_id": "HardwareID",
}


async def device_info(session: Any, host: str, port: int, timeout_s: float) -> DeviceInfo | None:
    """The device's model, serial and firmware in its own (cleaned) words; None: no such API
    (AXIS OS before 8.40, not an Axis) or no answer. Never raises."""
    body = {"apiVersion": "1.0", "method": "getAllUnrestrictedProperties"}
    try:
        async with session.post(
            f"http://{host}:{port}{PATH}",
            json=body,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            if resp.status != 200:
                return None
            data = json.loads(await read_capped(resp.content, MAX_BODY))
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
        return None
    return parse(data)


def parse(data: object) -> DeviceInfo | None:
    """``data.propertyList`` of a reply as a DeviceInfo; None when it has none of the fields."""
    inner = data.get("data") if isinstance(data, dict) else None
    props = inner.get("propertyList") if isinstance(inner, dict) else None
    if not isinstance(props, dict):
        return None
    found = {
        name: clean_opt(value, FIELD_LIMIT) or None
        for name, key in FIELDS.items()
        if isinstance(value := props.get(key), str)
    }
    if not any(found.values()):
        return None
    return DeviceInfo(**found)
