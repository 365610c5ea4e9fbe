"""Firmware upgrade over ONVIF: StartFirmwareUpgrade, then the image POSTed to the address given.

    device_info(camera, credential, *, timeout_s, pool=None) -> DeviceInfo | str
    start_upgrade(camera, credential, *, timeout_s, pool=None) -> UploadTicket | str
    upload_image(camera, credential, ticket, image, *, timeout_s, pool=None) -> str | None

The ONVIF flow (device service, since 2.1): StartFirmwareUpgrade answers an upload URI, a delay
to wait before uploading and the expected downtime; the client POSTs the image there (the spec
spells the type ``application/octetstream``); the device then flashes and reboots, and the
caller proves the new version by reading GetDeviceInformation once it answers again. The upload
address is re-rooted on the inventory's host and port, like every service address: behind NAT a
camera reports its LAN address, and the credentials and the image go only where the inventory
says. A 401 is answered once with Digest (never Basic: the fleet password in clear).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fleetctl.adapters.errors import HttpError
from fleetctl.adapters.http.digest import Authorizer, choose, parse_challenges
from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.adapters.onvif.clock import field
from fleetctl.adapters.onvif.config import _open
from fleetctl.adapters.onvif.parse import parse_device_info, text
from fleetctl.adapters.onvif.session import OnvifCallError, pin_xaddr
from fleetctl.core.models import Camera, Credential, DeviceInfo
from fleetctl.core.secret import Secret
from fleetctl.core.text import clean

UPLOAD_TYPE = "application/octetstream"  # sic: the ONVIF core specification's spelling
MAX_REPLY_BYTES = 64 * 1024
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


@dataclass(frozen=True)
class UploadTicket:
    target: str  # path (and query) on the inventory's host:port
    delay_s: float
    downtime_s: float | None


def _seconds(value: Any) -> float | None:
    """An xs:duration as zeep gives it (timedelta, or the text ``PT1M30S``) in seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    m = _DURATION.fullmatch(text(value) or "")
    if not m or not any(m.groups()):
        return None
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


async def device_info(
    camera: Camera, credential: Credential, *, timeout_s: float, pool: HttpPool | None = None
) -> DeviceInfo | str:
    try:
        async with borrowed(pool) as http, asyncio.timeout(timeout_s):
            conv = await _open(camera, credential, timeout_s, http)
            return parse_device_info(await conv.authed("devicemgmt", "GetDeviceInformation"))
    except TimeoutError:
        return f"{camera.host}:{camera.port}: no answer within {timeout_s:g} s"
    except OnvifCallError as err:
        return str(err)


async def start_upgrade(
    camera: Camera, credential: Credential, *, timeout_s: float, pool: HttpPool | None = None
) -> UploadTicket | str:
    try:
        async with borrowed(pool) as http, asyncio.timeout(timeout_s):
            conv = await _open(camera, credential, timeout_s, http)
            reply = await conv.authed("devicemgmt", "StartFirmwareUpgrade")
            uri = text(field(reply, "UploadUri"))
            if not uri:
                return f"{camera.host}:{camera.port}: StartFirmwareUpgrade gave no upload address"
            pinned = urlsplit(pin_xaddr(uri, conv.base))
            target = (pinned.path or "/") + (f"?{pinned.query}" if pinned.query else "")
            return UploadTicket(
                target,
                _seconds(field(reply, "UploadDelay")) or 0.0,
                _seconds(field(reply, "ExpectedDownTime")),
            )
    except TimeoutError:
        return f"{camera.host}:{camera.port}: no answer within {timeout_s:g} s"
    except OnvifCallError as err:
        return str(err)


async def upload_image(
    camera: Camera,
    credential: Credential,
    ticket: UploadTicket,
    image: bytes,
    *,
    timeout_s: float,
    pool: HttpPool | None = None,
) -> str | None:
    """POST the image; None when the camera took it, else why not (its own words, bounded)."""
    scheme = "https" if camera.https else "http"
    headers = {"User-Agent": "fleetctl", "Content-Type": UPLOAD_TYPE}
    where = f"{camera.host}:{camera.port}"
    auth: Authorizer | None = None
    try:
        async with borrowed(pool) as http, asyncio.timeout(timeout_s):
            if ticket.delay_s > 0:
                await asyncio.sleep(min(ticket.delay_s, timeout_s / 2))
            for _ in range(2):  # plain, then one answered Digest challenge
                if auth is not None:
                    headers["Authorization"] = auth.header("POST", ticket.target)
                resp = await http.request(
                    "POST",
                    scheme,
                    camera.host,
                    camera.port,
                    ticket.target,
                    headers,
                    image,
                    max_bytes=MAX_REPLY_BYTES,
                    read_timeout_s=timeout_s,
                )
                if resp.status == 401 and auth is None:
                    chosen = choose(parse_challenges(resp.headers.getall("WWW-Authenticate")))
                    if chosen is None:
                        return f"{where}: the upload asks for Basic authentication: not sent"
                    auth = Authorizer(
                        chosen, credential.username, credential.password or Secret("")
                    )
                    continue
                if 200 <= resp.status < 300:
                    return None
                said = clean(resp.body[:400].decode("utf-8", "replace"), 200)
                return f"{where}: the camera refused the image (HTTP {resp.status}): {said}"
            return f"{where}: the upload was refused: wrong credentials"
    except TimeoutError:
        return f"{where}: the upload did not finish within {timeout_s:g} s"
    except HttpError as err:
        return str(err)
