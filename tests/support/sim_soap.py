"""A deliberately plain SOAP 1.2 client for simulator tests: raw bytes over aiohttp, own WSSE.

Independent of the simulator's code (it re-derives PasswordDigest from the spec) so a bug on the
server side cannot cancel out a bug here. Hostile replies are read under a byte cap and deadline.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from lxml import etree

ENV = "http://www.w3.org/2003/05/soap-envelope"
NSMAP = {
    "env": ENV,
    "tt": "http://www.onvif.org/ver10/schema",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "trc": "http://www.onvif.org/ver10/recording/wsdl",
    "tse": "http://www.onvif.org/ver10/search/wsdl",
    "ter": "http://www.onvif.org/ver10/error",
}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def wsse(user: str, password: str, offset_s: float = 0.0, zulu: bool = True) -> str:
    nonce = os.urandom(16)
    when = datetime.now(UTC) + timedelta(seconds=offset_s)
    created = when.strftime("%Y-%m-%dT%H:%M:%S.000Z") if zulu else when.isoformat()
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest())
    return (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
        'wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-'
        f'200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken><wsse:Username>{user}'
        '</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-'
        f'200401-username-token-profile-1.0#PasswordDigest">{digest.decode()}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


def envelope(body: str, header: str = "") -> bytes:
    decls = " ".join(f'xmlns:{p}="{u}"' for p, u in NSMAP.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope {decls}><env:Header>{header}'
        f"</env:Header><env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def xml(self) -> etree._Element:
        return etree.fromstring(self.body, SAFE)

    def find(self, path: str) -> str | None:
        el = self.xml().find(f".//{path}", NSMAP)
        return None if el is None else (el.text or "")

    def fault_subcode(self) -> str | None:
        """The Subcode's QName local part (e.g. "NotAuthorized"), whatever the prefix."""
        value = self.find("env:Fault/env:Code/env:Subcode/env:Value")
        return None if value is None else value.split(":")[-1]


async def call(
    host: str,
    port: int,
    body: str,
    *,
    user: str | None = None,
    password: str = "",
    offset_s: float = 0.0,
    path: str = "/onvif/device_service",
    session: aiohttp.ClientSession | None = None,
    cap: int = 1 << 20,
    timeout: float = 5.0,
) -> Reply:
    """POST one SOAP request; read at most ``cap`` bytes within ``timeout`` seconds."""
    header = wsse(user, password, offset_s) if user is not None else ""
    own = session is None
    s = session or aiohttp.ClientSession()
    try:
        async with asyncio.timeout(timeout):
            async with s.post(
                f"http://{host}:{port}{path}",
                data=envelope(body, header),
                headers={"Content-Type": "application/soap+xml; charset=utf-8"},
            ) as r:
                data = b""
                while len(data) < cap:
                    chunk = await r.content.read(cap - len(data))
                    if not chunk:
                        break
                    data += chunk
                return Reply(r.status, data, dict(r.headers))
    finally:
        if own:
            await s.close()
