"""Bringing up a factory-fresh Hikvision over ISAPI: activation, ONVIF, its user, RTSP auth.

Activation: ``activation()`` reads the device's state and the flow it offers, ``activate()`` sends
the password by that flow, once: the vendor's documented one (``hikvision_activation``: RSA-1024,
AES-ECB) or, when the step 1 answer carries ``<supportVersion>`` 3 or more, the newer one
(``hikvision_v3``: RSA-3072, AES-CBC). Only the device's own signal decides, and a password is
sent by one flow once, never retried by the other.

Afterwards every call is HTTP Digest as ``admin``, ONE attempt per request (``session``: a
refused password raises ``Refused`` and is never sent again): the lockout policy, the ONVIF
switch (``/ISAPI/System/Network/Integrate``), the ONVIF users (a list of their own) and RTSP
authentication.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

import aiohttp

from fleetctl.adapters.provision import hikvision_v3
from fleetctl.adapters.provision.hikvision_activation import (
    Activation,
    new_key,
    open_challenge,
    password_ok,
    public_key_field,
    seal_password,
)
from fleetctl.adapters.provision.session import (
    ADMIN,
    MAX_BODY,
    XML_HEAD,
    DeviceSession,
    ProvisionError,
    Refused,
    fields,
    status_reason,
)
from fleetctl.core.secret import Secret

__all__ = [
    "ADMIN",
    "MAX_BODY",
    "Activation",
    "HikvisionSetup",
    "LockPolicy",
    "ProvisionError",
    "Refused",
    "any_reason",
    "connect",
    "fields",
    "new_key",
    "open_challenge",
    "password_ok",
    "public_key_field",
    "seal_password",
    "status_reason",
]


def any_reason(body: bytes) -> str | None:
    """``status_reason`` for a ResponseStatus in JSON (``?format=json`` calls) or in XML."""
    if body.lstrip().startswith(b"{"):
        return hikvision_v3.json_reason(body)
    return status_reason(body)


@dataclass(frozen=True)
class LockPolicy:
    enabled: bool
    max_failures: int | None
    minutes: int | None


class HikvisionSetup(DeviceSession):
    """ISAPI provisioning calls to one device; the caller owns ``session``."""

    async def activated(self) -> bool | None:
        """Whether the device is activated; None: it has no activation step (old firmware)."""
        state = await self.activation()
        return None if state is None else state.activated

    async def activation(self) -> Activation | None:
        """The device's activation state and flow; None: no activation step (old firmware)."""
        status, body, _ = await self._send("GET", "/SDK/activateStatus")
        if status == 404:
            return None
        f = fields(body)
        value = f.get("Activated", "").lower()
        if status != 200 or value not in ("true", "false"):
            raise ProvisionError(f"{self.where}: unexpected activation status (HTTP {status})")
        version = f.get("supportVersion", "")
        v3 = version.isdigit() and int(version) >= hikvision_v3.MIN_VERSION
        return Activation(value == "true", v3)

    async def activate(self, password: Secret, *, v3: bool = False) -> None:
        """One activation, by the flow the device offers (``v3``: it said so in
        ``activation()``). Raises ProvisionError with the device's words; never retried."""
        if v3:
            await self._activate_v3(password)
            return
        key = new_key()
        request = f"{XML_HEAD}<PublicKey><key>{public_key_field(key)}</key></PublicKey>"
        status, body, _ = await self._send("POST", "/ISAPI/Security/challenge", request)
        challenge = fields(body).get("key")
        if status != 200 or not challenge:
            raise ProvisionError(
                f"{self.where}: challenge refused: {status_reason(body) or status}"
            )
        sealed = seal_password(open_challenge(key, challenge), password.reveal())
        request = f"{XML_HEAD}<ActivateInfo><password>{sealed}</password></ActivateInfo>"
        status, body, _ = await self._send("PUT", "/ISAPI/System/activate", request)
        reason = status_reason(body)
        if status != 200 or reason is not None:
            raise ProvisionError(f"{self.where}: activation refused: {reason or status}")

    async def _activate_v3(self, password: Secret) -> None:
        key = await hikvision_v3.shared_key()
        request = hikvision_v3.challenge_request(key)
        json_kind = "application/json"
        status, body, _ = await self._send("POST", hikvision_v3.CHALLENGE, request, kind=json_kind)
        if status != 200:
            reason = any_reason(body)
            raise ProvisionError(f"{self.where}: challenge refused: {reason or status}")
        try:
            random_key = hikvision_v3.open_challenge(key, body)
        except hikvision_v3.ChallengeError as err:
            raise ProvisionError(f"{self.where}: {err}") from None
        request = hikvision_v3.activate_request(random_key, password.reveal())
        status, body, _ = await self._send("POST", hikvision_v3.ACTIVATE, request, kind=json_kind)
        reason = any_reason(body)
        if status != 200 or reason is not None:
            raise ProvisionError(f"{self.where}: activation refused: {reason or status}")

    async def lock_policy(self) -> LockPolicy | None:
        """What the device says about locking out failed logins (newer firmware), else None."""
        status, body, _ = await self._send("GET", "/ISAPI/Security/illegalLoginLock")
        if status != 200:
            return None
        f = fields(body)

        def num(name: str) -> int | None:
            value = f.get(name, "")
            return int(value) if value.isdigit() else None

        return LockPolicy(
            f.get("enabled", "").lower() == "true", num("maxIllegalLoginTimes"), num("lockTime")
        )

    async def onvif_enabled(self) -> bool:
        return _onvif_flag(await self.call("GET", "/ISAPI/System/Network/Integrate"))

    async def enable_onvif(self) -> None:
        """Echo the device's own Integrate document with ONVIF switched on (firmware wants it)."""
        current = (await self.call("GET", "/ISAPI/System/Network/Integrate")).decode("utf-8")
        body, n = re.subn(
            r"(<ONVIF>.*?<enable>)\s*\w+\s*(</enable>)", r"\1true\2", current, count=1, flags=re.S
        )
        if not n:
            body = f"{XML_HEAD}<Integrate><ONVIF><enable>true</enable></ONVIF></Integrate>"
        await self.call("PUT", "/ISAPI/System/Network/Integrate", body)

    async def onvif_users(self) -> dict[str, str]:
        """ONVIF user name -> id."""
        data = (await self.call("GET", "/ISAPI/Security/ONVIF/users")).decode("utf-8", "replace")
        out = {}
        for block in re.findall(r"<User>(.*?)</User>", data, re.S):
            f = fields(block.encode())
            if f.get("userName") and f.get("id"):
                out[f["userName"]] = f["id"]
        return out

    async def set_onvif_user(self, username: str, password: Secret, user_id: str | None) -> None:
        """Create (``user_id`` None) or update an ONVIF administrator."""
        body = (
            f"{XML_HEAD}<User><userName>{escape(username)}</userName>"
            f"<password>{escape(password.reveal())}</password>"
            "<userType>administrator</userType></User>"
        )
        if user_id is None:
            await self.call("POST", "/ISAPI/Security/ONVIF/users", body)
        else:
            await self.call("PUT", f"/ISAPI/Security/ONVIF/users/{user_id}", body)

    async def rtsp_auth(self) -> str:
        data = await self.call("GET", "/ISAPI/Security/RTSPCertificate")
        return fields(data).get("certificateType", "")

    async def set_rtsp_auth(self, kind: str) -> None:
        body = (
            f"{XML_HEAD}<RTSPCertificate><certificateType>{kind}</certificateType>"
            "</RTSPCertificate>"
        )
        await self.call("PUT", "/ISAPI/Security/RTSPCertificate", body)


@contextlib.asynccontextmanager
async def connect(host: str, port: int, *, timeout_s: float) -> AsyncIterator[HikvisionSetup]:
    """A ``HikvisionSetup`` on its own HTTP session (closed on exit)."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        yield HikvisionSetup(session, host, port, timeout_s=timeout_s)


def _onvif_flag(data: bytes) -> bool:
    m = re.search(rb"<ONVIF>.*?<enable>\s*(\w+)\s*</enable>", data[:MAX_BODY], re.S)
    return m is not None and m.group(1).lower() == b"true"
