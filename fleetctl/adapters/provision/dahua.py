"""Bringing up a factory-fresh Dahua: initialisation, then its ONVIF service and ONVIF user.

Initialisation (JSON POSTs to ``/OutsideCmd``, no session, no login; the vendor's own set-up
wizard does the same):

1. ``DevInit.getStatus``: ``Init`` 1 waiting, 2 initialised (the two low bits of a bitmap);
2. ``DevInit.setProtocolAgree`` ``{"ProtocolEnable": true}``;
3. ``Security.getEncryptInfo``: the device's RSA key, ``pub`` = ``"N:<hex>,E:<hex>"``;
4. ``DevInit.account`` ``{"salt", "cipher", "content"}``: a random 32-character key, RSA
   (PKCS#1 v1.5) encrypted with the device key, hex (``salt``); the account
   ``{"name": "admin", "pwd": ...}`` AES-256-CBC with that key (IV: sixteen ASCII "0", PKCS#7),
   base64 (``content``); ``cipher`` "AES-256". ONCE: a refusal carries the device's words
   (``error.message``) and the password is never sent again;
5. ``DevInit.access`` (cloud access off, no automatic upgrade check).

Then the CGI, HTTP Digest as ``admin``, one attempt per request (the device locks the client's
address after repeated failures): ``configManager.cgi`` ``VSP_ONVIF.ServiceStart`` (ONVIF is a
service of its own, off out of the box) and ``userManager.cgi`` ``getOnvifUserInfoAll`` /
``addOnvifUser`` (ONVIF users are a list of their own). CGI refusals are ``Error`` and the
reason on the next line.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
from cryptography.hazmat.primitives import padding as sympad
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetctl.adapters.provision.session import MAX_BODY, DeviceSession, ProvisionError, Refused
from fleetctl.core.secret import Secret
from fleetctl.core.text import clean

__all__ = ["ADMIN", "DahuaSetup", "ProvisionError", "Refused", "connect", "password_ok"]

ADMIN = "admin"
OUTSIDE = "/OutsideCmd"
IV = b"0" * 16
_FORBIDDEN = frozenset("'\";:&")


def password_ok(password: str, username: str = ADMIN) -> bool:
    """The vendor's rule: 8-32 printable ASCII characters, two of upper/lower/digit/symbol,
    none of ``' " ; : &``, not the user name."""
    if not 8 <= len(password) <= 32 or not password.isascii() or not password.isprintable():
        return False
    classes = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    return classes >= 2 and not _FORBIDDEN & set(password) and password.lower() != username.lower()


def device_key(pub: str) -> rsa.RSAPublicKey:
    """``"N:<hex>,E:<hex>"`` as Security.getEncryptInfo gives it."""
    try:
        parts = dict(p.split(":", 1) for p in pub.split(","))
        key = rsa.RSAPublicNumbers(int(parts["E"], 16), int(parts["N"], 16)).public_key()
    except (ValueError, KeyError):
        raise ProvisionError("the device's public key could not be read") from None
    if key.key_size < 1024:
        raise ProvisionError("the device's public key is too short")
    return key


def seal(key: rsa.RSAPublicKey, message: dict[str, Any]) -> dict[str, str]:
    """The ``{salt, cipher, content}`` envelope of ``message`` for the device holding ``key``."""
    secret = "".join(secrets.choice("0123456789") for _ in range(32)).encode("ascii")
    pad = sympad.PKCS7(128).padder()
    plain = pad.update(json.dumps(message).encode("utf-8")) + pad.finalize()
    aes = Cipher(algorithms.AES(secret), modes.CBC(IV)).encryptor()
    content = base64.b64encode(aes.update(plain) + aes.finalize()).decode("ascii")
    salt = key.encrypt(secret, padding.PKCS1v15()).hex()
    return {"salt": salt, "cipher": "AES-256", "content": content}


def cgi_reason(data: bytes) -> str | None:
    """The words after ``Error`` in a CGI answer; None when it is not an error."""
    lines = [ln.strip() for ln in data[:MAX_BODY].decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or lines[0].lower() != "error":
        return None
    return clean(" ".join(lines[1:]), 300) or "no reason given"


class _Missing(ProvisionError):
    """The device has no ``/OutsideCmd`` (firmware from before initialisation existed)."""


class DahuaSetup(DeviceSession):
    """Initialisation and CGI calls to one device; the caller owns ``session``. The Digest
    handling (one attempt, a stale nonce answered) is the shared ``DeviceSession``'s."""

    _id = 0

    async def rpc(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """One ``/OutsideCmd`` call; its ``params`` on success, else ProvisionError with the
        device's words."""
        self._id += 1
        call = json.dumps({"method": method, "params": params, "id": self._id})
        status, data, _ = await self._send("POST", OUTSIDE, call, kind="application/json")
        try:
            reply = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            reply = None
        if status == 404:
            raise _Missing(f"{self.where}: no {OUTSIDE}")
        if status != 200 or not isinstance(reply, dict):
            raise ProvisionError(f"{self.where}: {method}: HTTP {status}")
        if reply.get("result") is not True:
            error = reply.get("error")
            words = error.get("message") if isinstance(error, dict) else None
            raise ProvisionError(
                f"{self.where}: {method} refused: {clean(str(words or 'no reason given'), 300)}"
            )
        return reply.get("params")

    async def initialised(self) -> bool | None:
        """Whether the device is initialised; None: no such step (older firmware)."""
        try:
            params = await self.rpc("DevInit.getStatus")
        except _Missing:
            return None
        init = params.get("Init") if isinstance(params, dict) else None
        if not isinstance(init, int) or isinstance(init, bool) or init & 3 not in (1, 2):
            raise ProvisionError(f"{self.where}: unexpected initialisation status")
        return init & 3 == 2

    async def initialise(self, password: Secret) -> None:
        """Steps 2-4 of the module docstring, the account ONCE."""
        await self.rpc("DevInit.setProtocolAgree", {"ProtocolEnable": True})
        info = await self.rpc("Security.getEncryptInfo")
        pub = info.get("pub") if isinstance(info, dict) else None
        if not isinstance(pub, str):
            raise ProvisionError(f"{self.where}: the device gave no public key")
        account = {"name": ADMIN, "pwd": password.reveal(), "CellPhone": "", "Mail": ""}
        await self.rpc("DevInit.account", seal(device_key(pub), account))

    async def access(self) -> None:
        await self.rpc("DevInit.access", {"NetAccess": 0, "UpgradeCheck": 2})

    def _reason(self, data: bytes) -> str | None:
        return cgi_reason(data)

    def _ok(self, method: str, path: str, status: int, data: bytes) -> bytes:
        reason = cgi_reason(data)
        if status != 200 or reason is not None:
            raise ProvisionError(f"{self.where}: {path.split('?')[0]}: {reason or status}")
        return data

    async def onvif_enabled(self) -> bool:
        data = await self.call("GET", "/cgi-bin/configManager.cgi?action=getConfig&name=VSP_ONVIF")
        return b"VSP_ONVIF.ServiceStart=true" in data

    async def enable_onvif(self) -> None:
        path = "/cgi-bin/configManager.cgi?action=setConfig&VSP_ONVIF.ServiceStart=true"
        await self.call("GET", path)

    async def dahua_onvif_users(self) -> set[str]:
        data = await self.call("GET", "/cgi-bin/userManager.cgi?action=getOnvifUserInfoAll")
        text = data[:MAX_BODY].decode("utf-8", "replace")
        return {
            clean(line.split("=", 1)[1].strip(), 64)
            for line in text.splitlines()
            if ".Name=" in line
        }

    async def add_onvif_user(self, username: str, password: Secret) -> None:
        """An ONVIF administrator; the device's words on a refusal."""
        path = (
            "/cgi-bin/userManager.cgi?action=addOnvifUser"
            f"&user.Name={quote(username, safe='')}"
            f"&user.Password={quote(password.reveal(), safe='')}&user.Group=admin"
        )
        await self.call("GET", path)


@contextlib.asynccontextmanager
async def connect(host: str, port: int, *, timeout_s: float) -> AsyncIterator[DahuaSetup]:
    """A ``DahuaSetup`` on its own HTTP session (closed on exit)."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        yield DahuaSetup(session, host, port, timeout_s=timeout_s)
