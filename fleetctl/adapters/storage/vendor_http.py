"""Disk and SD-card health from the vendors' own HTTP APIs (ONVIF has no call for it).

- Hikvision ``GET /ISAPI/ContentMgmt/Storage``: XML ``storage/hddList/hdd`` with ``status``,
  ``capacity`` and ``freeSpace`` (MiB), in the ``hikvision.com/ver20/XMLSchema`` namespace or the
  older ``std-cgi.com/ver20/XMLSchema`` (firmware V5.5 and before): elements are matched by
  local name so either works.
- Dahua ``GET /cgi-bin/storageDevice.cgi?action=getDeviceAllInfo``: ``key=value`` lines such as
  ``list.info[0].State=Success`` and ``list.info[0].Detail[0].TotalBytes=1.2e11``.

Contract: ``read_vendor_storage`` never raises for the camera's failure; it returns a
``StorageReadout`` whose ``failure`` says why (404: the camera has no such API -> UNSUPPORTED).
Only ``host:port`` (the inventory's address) is contacted: redirects are not followed, so the
credentials never travel anywhere else. Bodies are capped at ``max_bytes`` before parsing; XML
with a DTD is refused. ``timeout_s`` is a hard deadline on the whole exchange. ``pool`` is the
caller's connection pool (the check run's: the storage page usually shares the ONVIF port, so
the socket the ONVIF conversation just used is reused); without one the call opens its own.

``request_vendor`` is the exchange itself (any method, one Digest challenge answered, the body
capped), shared with the vendor recording search (``vendor_search``).
"""

from __future__ import annotations

import asyncio
import re

from lxml import etree

from fleetctl.adapters.errors import HttpError, StorageApiError
from fleetctl.adapters.http.client import Response
from fleetctl.adapters.http.digest import Authorizer, choose, only_basic, parse_challenges
from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure, StorageProbe, StorageReadout
from fleetctl.core.secret import Secret

ISAPI_TARGET = "/ISAPI/ContentMgmt/Storage"
DAHUA_TARGET = "/cgi-bin/storageDevice.cgi?action=getDeviceAllInfo"
USER_AGENT = "fleetctl"
MIB = 1024 * 1024
FULL_RATIO = 0.99  # a recording card at 99% is "full": cameras fill it, then overwrite or stop

# Hikvision hdd/status values -> our states. Unknown values pass through lower-cased.
_HIK_STATES = {
    "ok": "ok",
    "idle": "ok",
    "normal": "ok",
    "sleeping": "ok",
    "unformatted": "unformatted",
    "uninitialized": "unformatted",
    "unrecordhostformatted": "unformatted",
    "error": "failed",
    "smartfailed": "failed",
    "abnormal": "failed",
    "offline": "failed",
    "mismatch": "failed",
    "exception": "failed",
    "notexist": "missing",
    "notexists": "missing",
}
_DAHUA_STATES = {
    "success": "ok",
    "error": "failed",
    "notformatted": "unformatted",
    "nodisk": "missing",
}
_DAHUA_LINE = re.compile(r"^list\.info\[(\d+)\]\.(?:Detail\[(\d+)\]\.)?(\w+)=(.*)$")


async def read_vendor_storage(
    host: str,
    port: int,
    vendor: str,
    credential: Credential | None,
    *,
    timeout_s: float,
    max_bytes: int,
    https: bool = False,
    pool: HttpPool | None = None,
    allow_basic: bool = False,
) -> StorageReadout:
    """Storage media as the camera's vendor API reports them (vendor: hikvision | dahua).

    A page that offers only Basic authentication gets no password unless ``allow_basic``
    (policy ``allow_basic_auth``): the readout then says ``basic_only``."""
    vendor = vendor.lower()
    if vendor not in ("hikvision", "dahua"):
        return StorageReadout(
            ok=False, failure=Failure.UNSUPPORTED, error=f"no storage API known for {vendor}"
        )
    target = ISAPI_TARGET if vendor == "hikvision" else DAHUA_TARGET
    where = f"{host}:{port}"
    try:
        async with borrowed(pool) as http, asyncio.timeout(timeout_s):
            body = await request_vendor(
                http,
                host,
                port,
                target,
                credential,
                https=https,
                max_bytes=max_bytes,
                read_timeout_s=timeout_s,
                where=where,
                allow_basic=allow_basic,
            )
        media = parse_isapi_storage(body) if vendor == "hikvision" else parse_dahua_storage(body)
    except StorageApiError as fail:
        return StorageReadout(
            ok=False, failure=fail.failure, error=str(fail), basic_only=fail.basic_only
        )
    except TimeoutError:
        return _silent(where, timeout_s)
    except HttpError as err:
        if err.failure is Failure.TIMEOUT:
            return _silent(where, timeout_s)
        if err.failure in (Failure.REFUSED, Failure.UNREACHABLE):
            return StorageReadout(
                ok=False, failure=err.failure, error=f"{where}: cannot connect to the storage API"
            )
        return StorageReadout(
            ok=False, failure=Failure.PROTOCOL, error=f"{where}: storage API: {err.reason}"
        )
    except ValueError as err:
        return StorageReadout(
            ok=False, failure=Failure.MALFORMED, error=f"{where}: unreadable storage reply ({err})"
        )
    return StorageReadout(ok=True, media=tuple(media))


def _silent(where: str, timeout_s: float) -> StorageReadout:
    return StorageReadout(
        ok=False, failure=Failure.TIMEOUT, error=f"{where}: storage API silent for {timeout_s:g} s"
    )


async def request_vendor(
    pool: HttpPool,
    host: str,
    port: int,
    target: str,
    credential: Credential | None,
    *,
    https: bool,
    max_bytes: int,
    read_timeout_s: float,
    where: str,
    allow_basic: bool = False,
    method: str = "GET",
    body: bytes = b"",
    content_type: str = "",
    what: str = "storage API",
) -> bytes:
    """``method`` ``target`` (GET unless told) answering one Digest (or Basic) challenge; the
    body, capped. ``what`` names the API in errors.

    Raises ``StorageApiError`` for an HTTP answer we refuse, ``HttpError`` below HTTP."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if content_type:
        headers["Content-Type"] = content_type
    # The fleet's pooled connections (TLS unverified: cameras' certificates are self-signed, the
    # inventory pins the address instead). Redirects are never followed: the pool only ever
    # speaks to host:port.
    scheme = "https" if https else "http"
    auth: Authorizer | None = None
    for _ in range(3):  # plain, answered challenge, one retry on a stale nonce
        if auth is not None:
            headers["Authorization"] = auth.header(method, target)  # uri= is the exact target
        resp = await pool.request(
            method,
            scheme,
            host,
            port,
            target,
            headers,
            body,
            max_bytes=max_bytes,
            read_timeout_s=read_timeout_s,
        )
        if resp.status != 401:
            return _body(resp, max_bytes, where, what)
        challenges = parse_challenges(resp.headers.getall("WWW-Authenticate"))
        chosen = choose(challenges, allow_basic=allow_basic)
        if chosen is None and credential is not None and only_basic(challenges):
            refused = StorageApiError(
                Failure.AUTH,
                f"{where}: the {_PAGE.get(what, what)} offers only Basic authentication (the "
                "password in "
                "clear): not sent (policy allow_basic_auth allows it)",
            )
            refused.basic_only = True
            raise refused
        stale = chosen is not None and chosen.params.get("stale", "").lower() == "true"
        if credential is None or chosen is None or (auth is not None and not stale):
            break
        auth = Authorizer(chosen, credential.username, credential.password or Secret(""))
    raise StorageApiError(Failure.AUTH, f"{where}: the {what} rejected the credentials")


_PAGE = {"storage API": "storage page"}  # the words checks have always printed


def _body(resp: Response, max_bytes: int, where: str, what: str = "storage API") -> bytes:
    if resp.status == 404:
        raise StorageApiError(Failure.UNSUPPORTED, f"{where}: no {what} at this address (404)")
    if resp.status in (403, 423):
        raise StorageApiError(Failure.AUTH, f"{where}: {what} forbidden ({resp.status})")
    if resp.status != 200:
        raise StorageApiError(Failure.PROTOCOL, f"{where}: {what} answered {resp.status}")
    if resp.oversized:
        if resp.declared is not None and resp.declared > max_bytes:
            raise StorageApiError(
                Failure.OVERSIZED, f"{where}: {what} reply of {resp.declared} bytes refused"
            )
        raise StorageApiError(Failure.OVERSIZED, f"{where}: {what} reply over {max_bytes} bytes")
    return resp.body


# --------------------------------------------------------------------------- parsers (pure)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _state(
    raw: str | None, table: dict[str, str], total: float | None, used: float | None
) -> str | None:
    if raw is None:
        return None
    state = table.get(raw.strip().lower(), raw.strip().lower())
    if state == "ok" and total and used is not None and used >= total * FULL_RATIO:
        return "full"
    return state


def parse_isapi_storage(body: bytes) -> list[StorageProbe]:
    """Media of a Hikvision ``/ISAPI/ContentMgmt/Storage`` reply. Raises ValueError if unreadable."""
    if b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper():
        raise ValueError("a DTD in a storage reply")  # never expanded, never accepted
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        raise ValueError("not well-formed XML") from err
    if _local(root.tag) != "storage":
        raise ValueError(f"unexpected root element {_local(root.tag)!r}")
    out: list[StorageProbe] = []
    for hdd in (el for el in root.iter() if _local(el.tag) == "hdd"):
        fields = {_local(c.tag): (c.text or "").strip() for c in hdd.iter()}
        total, free = _number(fields.get("capacity")), _number(fields.get("freeSpace"))
        used = total - free if total is not None and free is not None else None
        overwrite = fields.get("overwrite", "").lower()
        out.append(
            StorageProbe(
                name=fields.get("hddName") or f"HDD{fields.get('id', len(out) + 1)}",
                source="isapi",
                state=_state(fields.get("status"), _HIK_STATES, total, used),
                total_mb=total,
                used_mb=used,
                overwrite={"true": True, "false": False}.get(overwrite),
            )
        )
    return out


def parse_dahua_storage(body: bytes) -> list[StorageProbe]:
    """Media of a Dahua ``getDeviceAllInfo`` reply. Raises ValueError if unreadable."""
    text = body.decode("utf-8", "replace")
    disks: dict[int, dict[str, str]] = {}
    parts: dict[tuple[int, int], dict[str, str]] = {}
    for line in text.splitlines():
        m = _DAHUA_LINE.match(line.strip())
        if m is None:
            continue
        disk, detail, key, value = int(m[1]), m[2], m[3], m[4].strip()
        disks.setdefault(disk, {})
        if detail is None:
            disks[disk][key] = value
        else:
            parts.setdefault((disk, int(detail)), {})[key] = value
    if not disks and text.strip() and not text.lstrip().startswith("list."):
        raise ValueError("not a getDeviceAllInfo reply")
    out: list[StorageProbe] = []
    for disk in sorted(disks):
        details = [v for (d, _), v in sorted(parts.items()) if d == disk]
        totals = [_number(p.get("TotalBytes")) for p in details]
        useds = [_number(p.get("UsedBytes")) for p in details]
        total = (
            sum(t for t in totals if t is not None) / MIB
            if any(t is not None for t in totals)
            else None
        )
        used = (
            sum(u for u in useds if u is not None) / MIB
            if any(u is not None for u in useds)
            else None
        )
        raw = disks[disk].get("State")
        if any(p.get("IsError", "").lower() == "true" for p in details):
            raw = "Error"
        out.append(
            StorageProbe(
                name=disks[disk].get("Name") or f"disk{disk}",
                source="dahua",
                state=_state(raw, _DAHUA_STATES, total, used),
                total_mb=None if total is None else round(total, 1),
                used_mb=None if used is None else round(used, 1),
            )
        )
    return out


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None
