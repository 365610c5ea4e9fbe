"""Bringing up a factory-fresh Hikvision over ISAPI: activation, ONVIF, its user, RTSP auth.

Activation (the vendor's documented flow, no password on the device yet):

1. ``GET /SDK/activateStatus`` (no auth) says whether it is activated.
2. We make an RSA-1024 key (e = 65537) and ``POST /ISAPI/Security/challenge`` with the modulus
   as 256 hex characters, base64-encoded. The device answers ``<key>``: base64 of the hex of our
   key's encryption (PKCS#1 v1.5) of a 32-hex-character random string, which read as hex is a
   16-byte AES key.
3. ``PUT /ISAPI/System/activate`` with the password sealed: the random string's first 16
   characters + the password, AES-128-ECB with zero padding, then hex, then base64.
   Success is ResponseStatus statusCode 1; otherwise the device's own words are the reason.

A device whose step 1 answer carries ``<supportVersion>`` 3 or more gets the newer flow instead
(``hikvision_v3``: RSA-3072, AES-CBC); only the device's own signal decides, and a password is
sent by one flow once, never retried by the other.

After activation every call is HTTP Digest as ``admin``, ONE attempt per request: a refused
password raises ``Refused`` and is never sent again (the device locks the client's address
after a handful of failures, the technician's browser included). ``cryptography`` does the
RSA and AES (a dependency of asyncssh already; declared in pyproject for this).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

import aiohttp
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from yarl import URL

from fleetctl.adapters.http.digest import Authorizer, choose, parse_challenges
from fleetctl.adapters.provision import hikvision_v3
from fleetctl.core.secret import Secret
from fleetctl.core.text import clean

ADMIN = "admin"
MAX_BODY = 64 * 1024
_TAG = re.compile(r"<(\w+)(?:\s[^>]*)?>([^<]*)</\1>")
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


class ProvisionError(Exception):
    """The device did not answer as expected (no answer, a refusal): ``reason`` in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Refused(ProvisionError):
    """The device refused the administrator password: it must not be sent again."""


def fields(body: bytes) -> dict[str, str]:
    """Leaf elements of a small XML reply (first occurrence wins), text cleaned and bounded."""
    out: dict[str, str] = {}
    for name, value in _TAG.findall(body[:MAX_BODY].decode("utf-8", "replace")):
        out.setdefault(name, clean(value.strip(), 1024))
    return out


def status_reason(body: bytes) -> str | None:
    """None for a ResponseStatus with statusCode 1; else the device's own words."""
    f = fields(body)
    if f.get("statusCode") == "1":
        return None
    words = [f.get("statusString"), f.get("subStatusCode"), f.get("description")]
    return ": ".join(w for w in words if w and w.lower() != "ok") or "no reason given"


def any_reason(body: bytes) -> str | None:
    """``status_reason`` for a ResponseStatus in JSON (``?format=json`` calls) or in XML."""
    if body.lstrip().startswith(b"{"):
        return hikvision_v3.json_reason(body)
    return status_reason(body)


def password_ok(password: str, username: str = ADMIN) -> bool:
    """The vendor's rule: 8-16 ASCII characters, two of four classes, not the user name (or it
    reversed)."""
    if not 8 <= len(password) <= 16 or not password.isascii():
        return False
    classes = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    return classes >= 2 and password.lower() not in (username.lower(), username.lower()[::-1])


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def public_key_field(key: rsa.RSAPrivateKey) -> str:
    modulus = format(key.public_key().public_numbers().n, "0256x")
    return base64.b64encode(modulus.encode("ascii")).decode("ascii")


def open_challenge(key: rsa.RSAPrivateKey, challenge: str) -> str:
    """The device's random string (32 hex characters) from its ``<key>`` answer."""
    try:
        sealed = bytes.fromhex(base64.b64decode(challenge, validate=True).decode("ascii"))
        random_key = key.decrypt(sealed, padding.PKCS1v15()).decode("ascii")
        bytes.fromhex(random_key)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ProvisionError("the device's challenge could not be read") from None
    if len(random_key) != 32:
        raise ProvisionError("the device's challenge is not a 128-bit key")
    return random_key


def seal_password(random_key: str, password: str) -> str:
    plain = (random_key[:16] + password).encode("utf-8")
    plain += b"\0" * (-len(plain) % 16)  # zero padding, as the device expects
    aes = Cipher(algorithms.AES(bytes.fromhex(random_key)), modes.ECB()).encryptor()
    sealed = aes.update(plain) + aes.finalize()
    return base64.b64encode(sealed.hex().encode("ascii")).decode("ascii")


@dataclass(frozen=True)
class Activation:
    """What ``/SDK/activateStatus`` says: activated, and whether the V3 flow is offered."""

    activated: bool
    v3: bool = False


@dataclass(frozen=True)
class LockPolicy:
    enabled: bool
    max_failures: int | None
    minutes: int | None


class HikvisionSetup:
    """ISAPI provisioning calls to one device; the caller owns ``session``."""

    def __init__(
        self, session: aiohttp.ClientSession, host: str, port: int, *, timeout_s: float
    ) -> None:
        self.session = session
        self.base = f"http://{host}:{port}"
        self.where = f"{host}:{port}"
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._auth: Authorizer | None = None
        self._admin: Secret | None = None

    async def _send(
        self,
        method: str,
        path: str,
        body: str | None = None,
        auth: str | None = None,
        kind: str = "application/xml",
    ) -> tuple[int, bytes, list[str]]:
        headers = {"Content-Type": kind} if body is not None else {}
        if auth:
            headers["Authorization"] = auth
        try:
            async with self.session.request(
                method,
                URL(self.base + path, encoded=True),  # sent as written: Digest signs this uri
                data=body.encode("utf-8") if body is not None else None,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            ) as resp:
                data = await resp.content.read(MAX_BODY)
                return resp.status, data, resp.headers.getall("WWW-Authenticate", [])
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise ProvisionError(
                f"{self.where}: no answer to {method} {path} ({type(err).__name__})"
            ) from None

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
        request = f"{_XML_HEAD}<PublicKey><key>{public_key_field(key)}</key></PublicKey>"
        status, body, _ = await self._send("POST", "/ISAPI/Security/challenge", request)
        challenge = fields(body).get("key")
        if status != 200 or not challenge:
            raise ProvisionError(
                f"{self.where}: challenge refused: {status_reason(body) or status}"
            )
        sealed = seal_password(open_challenge(key, challenge), password.reveal())
        request = f"{_XML_HEAD}<ActivateInfo><password>{sealed}</password></ActivateInfo>"
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

    def login_as(self, password: Secret) -> None:
        self._admin, self._auth = password, None

    async def call(self, method: str, path: str, body: str | None = None) -> bytes:
        """One Digest-authenticated call as admin; the password is sent once, never retried."""
        if self._admin is None:
            raise ProvisionError("no administrator password")
        if self._auth is None:
            status, data, challenges = await self._send(method, path, body)
            if status != 401:
                return self._ok(method, path, status, data)
            chosen = choose(parse_challenges(challenges))
            if chosen is None:  # a lock or an uninitialised device says why, if anything
                reason = self._reason(data) if data.strip() else None
                raise ProvisionError(
                    f"{self.where}: {path.split('?')[0]} "
                    + (f"refused: {reason}" if reason else "offers no Digest authentication")
                )
            self._auth = Authorizer(chosen, ADMIN, self._admin)
        status, data, challenges = await self._send(
            method, path, body, self._auth.header(method, path)
        )
        fresh = choose(parse_challenges(challenges)) if status == 401 else None
        if fresh is not None and fresh.params.get("stale", "").lower() == "true":
            # An expired nonce, not a wrong password (no failure counted): answer the new one.
            self._auth = Authorizer(fresh, ADMIN, self._admin)
            status, data, _ = await self._send(method, path, body, self._auth.header(method, path))
        if status == 401:
            reason = self._reason(data) if data.strip() else None
            raise Refused(
                f"{self.where}: the administrator password was refused"
                + (f" ({reason})" if reason else "")
            )
        return self._ok(method, path, status, data)

    def _reason(self, data: bytes) -> str | None:
        """The device's words in a refusal's body (ISAPI: a ResponseStatus)."""
        return status_reason(data)

    def _ok(self, method: str, path: str, status: int, data: bytes) -> bytes:
        if status != 200:
            reason = self._reason(data) if data.strip() else None
            raise ProvisionError(f"{self.where}: {method} {path}: {reason or f'HTTP {status}'}")
        if method in ("PUT", "POST") and b"ResponseStatus" in data:
            reason = status_reason(data)
            if reason is not None:
                raise ProvisionError(f"{self.where}: {method} {path}: {reason}")
        return data

    async def onvif_enabled(self) -> bool:
        return _onvif_flag(await self.call("GET", "/ISAPI/System/Network/Integrate"))

    async def enable_onvif(self) -> None:
        """Echo the device's own Integrate document with ONVIF switched on (firmware wants it)."""
        current = (await self.call("GET", "/ISAPI/System/Network/Integrate")).decode("utf-8")
        body, n = re.subn(
            r"(<ONVIF>.*?<enable>)\s*\w+\s*(</enable>)", r"\1true\2", current, count=1, flags=re.S
        )
        if not n:
            body = f"{_XML_HEAD}<Integrate><ONVIF><enable>true</enable></ONVIF></Integrate>"
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
            f"{_XML_HEAD}<User><userName>{escape(username)}</userName>"
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
            f"{_XML_HEAD}<RTSPCertificate><certificateType>{kind}</certificateType>"
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
