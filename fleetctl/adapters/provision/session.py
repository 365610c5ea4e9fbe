"""One device's provisioning session over HTTP: the errors, the small-XML reader, and the
administrator's Digest call sent ONCE.

After a device has its password, every set-up call is HTTP Digest as ``admin``, one attempt per
request: a refused password raises ``Refused`` and is never sent again (devices lock the client's
address after a handful of failures, the technician's browser included). An expired nonce
(``stale=true``) is answered with the new one, which is not a second guess. ``hikvision`` (ISAPI)
builds on this session, and ``dahua`` on that; refusals are read in the device's own words
(ISAPI: a ResponseStatus).
"""

from __future__ import annotations

import re

import aiohttp
from yarl import URL

from fleetctl.adapters.http.body import read_capped
from fleetctl.adapters.http.digest import Authorizer, choose, parse_challenges
from fleetctl.core.secret import Secret
from fleetctl.core.text import clean

ADMIN = "admin"
MAX_BODY = 64 * 1024
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
_TAG = re.compile(r"<(\w+)(?:\s[^>]*)?>([^<]*)</\1>")


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


class DeviceSession:
    """HTTP calls to one device; the caller owns ``session``."""

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
                data = await read_capped(resp.content, MAX_BODY)
                return resp.status, data, resp.headers.getall("WWW-Authenticate", [])
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise ProvisionError(
                f"{self.where}: no answer to {method} {path} ({type(err).__name__})"
            ) from None

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
