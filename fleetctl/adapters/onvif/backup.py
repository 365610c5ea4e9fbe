"""Everything fleetctl can read of one camera's configuration, in one ONVIF conversation.

    read_configuration(camera, credential, *, timeout_s, pool=None) -> Configuration | str

Identity (GetDeviceInformation), network, time and encoders (the same reads as push:
``config._read``), the accounts (GetUsers: names and levels; cameras never return passwords).
The result or why not, in words (never a secret). Vendors' own backup files (ONVIF
GetSystemBackup, ISAPI configurationData) are encrypted, device-bound blobs: not read here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.adapters.onvif.config import _open, _read
from fleetctl.adapters.onvif.parse import parse_device_info
from fleetctl.adapters.onvif.session import OnvifCallError
from fleetctl.adapters.onvif.users import OnvifUser, _users
from fleetctl.core.models import Camera, Credential, DeviceInfo
from fleetctl.core.probes import Failure
from fleetctl.core.push.plan import DeviceSettings


@dataclass(frozen=True)
class Configuration:
    device: DeviceInfo
    settings: DeviceSettings
    users: tuple[OnvifUser, ...] | None  # None: the camera would not say


async def read_configuration(
    camera: Camera, credential: Credential, *, timeout_s: float, pool: HttpPool | None = None
) -> Configuration | str:
    try:
        async with borrowed(pool) as http, asyncio.timeout(timeout_s):
            conv = await _open(camera, credential, timeout_s, http)
            info = parse_device_info(await conv.authed("devicemgmt", "GetDeviceInformation"))
            settings = await _read(conv)
            try:
                users: tuple[OnvifUser, ...] | None = _users(
                    await conv.authed("devicemgmt", "GetUsers")
                )
            except OnvifCallError as err:
                if err.failure in (Failure.TIMEOUT, Failure.REFUSED, Failure.UNREACHABLE):
                    raise
                users = None  # an operator account may not list users: the rest still counts
            return Configuration(info, settings, users)
    except TimeoutError:
        return f"{camera.host}:{camera.port}: no answer within {timeout_s:g} s"
    except OnvifCallError as err:
        return str(err)
