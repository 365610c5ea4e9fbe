"""Recorded footage from the vendors' own search APIs, for cameras without Profile G search.

    read_vendor_footage(camera, credential, start, end, *, timeout_s, clock_offset_s, pool)
        -> FootageReading                                                       never raises

Which API: ``GET /ISAPI/System/time`` answers on a Hikvision (its zone and clock), else
``GET /cgi-bin/global.cgi?action=getCurrentTime`` on a Dahua (its local clock); neither (404):
``UNSUPPORTED``. Both over the HTTP Digest client of ``vendor_http`` (only the inventory's
``host:port``, replies capped at ``max_bytes``, XML without DTDs), all under ``timeout_s``.

- Hikvision ``POST /ISAPI/ContentMgmt/search`` (CMSearchDescription, track 101 = channel 1 main
  stream), paged with ``searchResultPostion`` (sic: the API's spelling) until
  ``responseStatusStrg`` is not ``MORE``. Times: the request gives device-local digits *with*
  their offset (``...T12:00:00+07:00``), which firmware that honours designators and firmware
  that reads digits as local time both search alike. Replies marked ``Z`` are UTC on most
  firmware and device-local on some: when the zone is not UTC a first small search around the
  newest recorded instant (``newest``, the ONVIF summary's, else the camera's present) tells
  which: the newest file ends there, or one zone later. The zone is ``timeZone``, POSIX-shaped with the sign inverted
  (``CST-7:00:00`` is UTC+7).
- Dahua ``mediaFileFind.cgi``: factory.create -> findFile -> findNextFile (``count``) until
  ``found=0`` -> close -> destroy. The object is always closed and destroyed (in ``finally``,
  each step under its own ``END_S``, after the deadline or a cancel too): a Dahua keeps its find
  objects until it reboots and refuses new ones once a few are held. Times are device-local
  without a zone (``2021-8-27 12:00:00``); the zone is the camera's local clock minus its UTC
  clock (the clock offset the caller measured over ONVIF), rounded to a quarter hour.

Pages (``MAX_PAGES``) and segments (``MAX_SEGMENTS``) are bounded: a camera that never says it
is done, or answers garbage, costs its own result (a failure with the reason), nothing more.
The reading's spans are UTC on the camera's clock; ``clock_offset_s`` is the caller's, or the
one read here when it had none.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from lxml import etree

from fleetctl.adapters.errors import HttpError, StorageApiError
from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.adapters.storage.vendor_http import request_vendor
from fleetctl.core.footage.model import SOURCE_DAHUA, SOURCE_HIKVISION, FootageReading
from fleetctl.core.footage.vendor_time import (
    dahua_stamp,
    dahua_time,
    isapi_stamp,
    isapi_time,
    local_to_utc,
    posix_utc_offset_s,
    round_zone_s,
)
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure

__all__ = ["END_S", "MAX_PAGES", "MAX_SEGMENTS", "PAGE", "read_vendor_footage"]

ISAPI_TIME = "/ISAPI/System/time"
ISAPI_SEARCH = "/ISAPI/ContentMgmt/search"
DAHUA_TIME = "/cgi-bin/global.cgi?action=getCurrentTime"
DAHUA_FIND = "/cgi-bin/mediaFileFind.cgi"
PAGE = 50  # results asked per page (cameras cap it lower)
MAX_PAGES = 100
MAX_SEGMENTS = 5000  # a week of half-hour files is ~340
MAX_BYTES = 1_000_000
END_S = 2.0  # Dahua close and destroy: each its own limit, even after the deadline
PROBE_BACK = timedelta(minutes=10)
_NS = "http://www.hikvision.com/ver20/XMLSchema"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_ITEM = re.compile(r"^items\[(\d{1,5})\]\.(\w+)=(.*)$")


class _Refused(Exception):
    """The camera answered something we cannot use."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


class _Http:
    def __init__(
        self, pool: HttpPool, camera: Camera, credential: Credential | None, max_bytes: int,
        read_timeout_s: float, allow_basic: bool,
    ) -> None:  # fmt: skip
        self.pool, self.camera, self.credential = pool, camera, credential
        self.max_bytes, self.read_timeout_s, self.allow_basic = (
            max_bytes,
            read_timeout_s,
            allow_basic,
        )
        self.where = f"{camera.host}:{camera.port}"

    async def call(self, target: str, body: bytes = b"") -> bytes:
        return await request_vendor(
            self.pool,
            self.camera.host,
            self.camera.port,
            target,
            self.credential,
            https=self.camera.https,
            max_bytes=self.max_bytes,
            read_timeout_s=self.read_timeout_s,
            where=self.where,
            allow_basic=self.allow_basic,
            method="POST" if body else "GET",
            body=body,
            content_type="application/xml; charset=UTF-8" if body else "",
            what="search API",
        )


async def read_vendor_footage(
    camera: Camera,
    credential: Credential | None,
    start: datetime,
    end: datetime,
    *,
    timeout_s: float,
    clock_offset_s: float | None,
    pool: HttpPool | None = None,
    max_bytes: int = MAX_BYTES,
    page: int = PAGE,
    allow_basic: bool = False,
    newest: datetime | None = None,
) -> FootageReading:
    """What ``camera`` recorded in [start, end] (true UTC) by its vendor's search. Never raises.

    ``newest``: the newest recorded instant as ONVIF said it (UTC on the camera's clock), if
    known: where a Hikvision's meaning of ``Z`` is tested."""
    where = f"{camera.host}:{camera.port}"
    source = SOURCE_HIKVISION
    find = _DahuaFind()
    try:
        async with borrowed(pool) as http_pool:
            http = _Http(http_pool, camera, credential, max_bytes, max(0.5, timeout_s), allow_basic)
            try:
                async with asyncio.timeout(timeout_s):
                    try:
                        return await _hikvision(http, start, end, clock_offset_s, page, newest)
                    except StorageApiError as err:
                        if err.failure is not Failure.UNSUPPORTED:
                            raise
                    source = SOURCE_DAHUA
                    try:
                        return await _dahua(http, find, start, end, clock_offset_s, page)
                    except StorageApiError as err:
                        if err.failure is not Failure.UNSUPPORTED or find.obj is not None:
                            raise
                    raise _Refused(
                        Failure.UNSUPPORTED,
                        f"{where}: no vendor search API (Hikvision ISAPI, Dahua CGI)",
                    )
            finally:
                await find.end(http)  # also on the deadline or a cancel: never left open
    except TimeoutError:
        return _failed(
            source,
            Failure.TIMEOUT,
            f"{where}: no complete answer within {timeout_s:g} s",
            clock_offset_s,
            find,
        )
    except _Refused as err:
        return _failed(source, err.failure, str(err), clock_offset_s, find)
    except StorageApiError as err:
        return _failed(source, err.failure, str(err), clock_offset_s, find)
    except HttpError as err:
        failure = (
            err.failure
            if err.failure in (Failure.REFUSED, Failure.UNREACHABLE, Failure.TIMEOUT)
            else Failure.PROTOCOL
        )
        return _failed(source, failure, f"{where}: {err.reason}", clock_offset_s, find)
    except ValueError as err:
        return _failed(
            source,
            Failure.MALFORMED,
            f"{where}: unreadable search reply ({err})",
            clock_offset_s,
            find,
        )


def _failed(
    source: str, failure: Failure, error: str, offset: float | None, find: _DahuaFind
) -> FootageReading:
    return FootageReading(
        source, clock_offset_s=offset, failure=failure, error=error[:300],
        searches_ended=find.ended,
    )  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- Hikvision


def _xml(body: bytes, root: str) -> Any:
    if b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper():
        raise ValueError("a DTD in the reply")
    try:
        doc = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        raise ValueError("not well-formed XML") from err
    name = etree.QName(doc).localname if isinstance(doc.tag, str) else ""
    if name == "ResponseStatus" and root != name:
        said = doc.findtext("{*}statusString") or doc.findtext("{*}subStatusCode") or "?"
        raise _Refused(Failure.PROTOCOL, f"search refused: {said.strip()[:80]}")
    if name != root:
        raise ValueError(f"unexpected root element {name[:40]!r}")
    return doc


def _search_body(sid: str, start: datetime, end: datetime, zone: int, pos: int, n: int) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><CMSearchDescription version="2.0" xmlns="{_NS}">'
        f"<searchID>{sid}</searchID><trackList><trackID>101</trackID></trackList><timeSpanList>"
        f"<timeSpan><startTime>{isapi_stamp(start, zone)}</startTime><endTime>"
        f"{isapi_stamp(end, zone)}</endTime></timeSpan></timeSpanList><maxResults>{n}"
        f"</maxResults><searchResultPostion>{pos}</searchResultPostion><metadataList>"
        "<metadataDescriptor>//recordType.meta.std-cgi.com</metadataDescriptor></metadataList>"
        "</CMSearchDescription>"
    ).encode()


async def _isapi_page(
    http: _Http, sid: str, start: datetime, end: datetime, zone: int, pos: int, n: int
) -> tuple[str, list[tuple[Any, Any]]]:
    doc = _xml(
        await http.call(ISAPI_SEARCH, _search_body(sid, start, end, zone, pos, n)), "CMSearchResult"
    )
    status = (doc.findtext("{*}responseStatusStrg") or "").strip().upper()
    if (doc.findtext("{*}responseStatus") or "true").strip().lower() == "false":
        raise _Refused(Failure.PROTOCOL, f"{http.where}: search failed ({status[:40] or '?'})")
    items = []
    for item in doc.iterfind("{*}matchList/{*}searchMatchItem"):
        t0 = isapi_time(item.findtext("{*}timeSpan/{*}startTime"))
        t1 = isapi_time(item.findtext("{*}timeSpan/{*}endTime"))
        if t0 is None or t1 is None:
            raise ValueError("a match without a readable timeSpan")
        items.append((t0, t1))
    return status, items


async def _hikvision(
    http: _Http,
    start: datetime,
    end: datetime,
    drift: float | None,
    page: int,
    newest: datetime | None,
) -> FootageReading:
    clock = _xml(await http.call(ISAPI_TIME), "Time")
    local = isapi_time(clock.findtext("{*}localTime"))
    zone = posix_utc_offset_s(clock.findtext("{*}timeZone"))
    if zone is None and local is not None:
        zone = local.utc_offset_s
    if zone is None:
        raise ValueError("no readable time zone in /ISAPI/System/time")
    if drift is None and local is not None and local.utc_offset_s is not None:
        drift = (local_to_utc(local.wall, local.utc_offset_s) - _now()).total_seconds()
    shift = timedelta(seconds=drift or 0.0)
    sid = str(uuid.uuid4()).upper()
    local_z = False
    if zone != 0:  # which does "Z" mean here: UTC, or device-local? The newest file tells.
        at = newest if newest is not None else _now() + shift
        _, probe = await _isapi_page(http, sid, at - PROBE_BACK, at + timedelta(days=1), zone, 0, 5)
        ends = [local_to_utc(t1.wall, 0) for _, t1 in probe if t1.zulu]
        if ends:
            ahead = (max(ends) - at).total_seconds()
            local_z = abs(ahead - zone) < abs(ahead)

    def utc(t: Any) -> datetime:
        if t.utc_offset_s is None or (t.zulu and local_z):
            return local_to_utc(t.wall, zone)
        return local_to_utc(t.wall, t.utc_offset_s)

    spans: list[tuple[datetime, datetime]] = []
    pos = 0
    for _ in range(MAX_PAGES):
        status, items = await _isapi_page(http, sid, start + shift, end + shift, zone, pos, page)
        spans += [(utc(a), utc(b)) for a, b in items]
        if len(spans) > MAX_SEGMENTS:
            raise _Refused(
                Failure.OVERSIZED, f"{http.where}: over {MAX_SEGMENTS} recorded segments"
            )
        if status != "MORE":
            return FootageReading(SOURCE_HIKVISION, spans=tuple(spans), clock_offset_s=drift)
        if not items:
            raise _Refused(Failure.PROTOCOL, f"{http.where}: search said MORE with no matches")
        pos += len(items)
    raise _Refused(Failure.PROTOCOL, f"{http.where}: the search did not end in {MAX_PAGES} pages")


# --------------------------------------------------------------------------- Dahua


def _lines(body: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


class _DahuaFind:
    """The find object once created; ``end()`` closes and destroys it whatever happened."""

    def __init__(self) -> None:
        self.obj: int | None = None
        self.ended = 0

    async def end(self, http: _Http) -> None:
        if self.obj is None:
            return
        obj, self.obj = self.obj, None
        for action in ("close", "destroy"):
            try:
                async with asyncio.timeout(END_S):
                    await http.call(f"{DAHUA_FIND}?action={action}&object={obj}")
            except (TimeoutError, HttpError, StorageApiError):
                continue  # nothing more we can do: the next step still goes out
            if action == "destroy":
                self.ended += 1


async def _dahua(
    http: _Http, find: _DahuaFind, start: datetime, end: datetime, drift: float | None, page: int
) -> FootageReading:
    local = dahua_time(_lines(await http.call(DAHUA_TIME)).get("result"))
    if local is None:
        raise ValueError("no readable time in getCurrentTime")
    measured = (local.replace(tzinfo=UTC) - _now()).total_seconds()  # zone + clock offset
    zone = round_zone_s(measured - (drift or 0.0))
    if drift is None:
        drift = round(measured - zone, 3)
    shift = timedelta(seconds=drift)
    created = _lines(await http.call(f"{DAHUA_FIND}?action=factory.create")).get("result", "")
    if not created.isdigit() or len(created) > 12:
        raise ValueError("factory.create gave no object")
    find.obj = int(created)
    target = (
        f"{DAHUA_FIND}?action=findFile&object={find.obj}&condition.Channel=1"
        f"&condition.StartTime={quote(dahua_stamp(start + shift, zone))}"
        f"&condition.EndTime={quote(dahua_stamp(end + shift, zone))}&condition.Types[0]=dav"
    )
    if (await http.call(target)).strip()[:2].upper() != b"OK":
        raise _Refused(Failure.PROTOCOL, f"{http.where}: findFile refused")
    spans: list[tuple[datetime, datetime]] = []
    for _ in range(MAX_PAGES):
        reply = await http.call(f"{DAHUA_FIND}?action=findNextFile&object={find.obj}&count={page}")
        found, items = _found(reply)
        if found == 0:
            return FootageReading(SOURCE_DAHUA, spans=tuple(spans), clock_offset_s=drift)
        spans += [(local_to_utc(a, zone), local_to_utc(b, zone)) for a, b in items]
        if len(spans) > MAX_SEGMENTS:
            raise _Refused(Failure.OVERSIZED, f"{http.where}: over {MAX_SEGMENTS} recorded files")
    raise _Refused(Failure.PROTOCOL, f"{http.where}: the search did not end in {MAX_PAGES} pages")


def _found(body: bytes) -> tuple[int, list[tuple[datetime, datetime]]]:
    """(found=, the items' (start, end) device-local) of one findNextFile reply."""
    found: int | None = None
    items: dict[int, dict[str, str]] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("found="):
            value = line[6:].strip()
            found = int(value) if value.isdigit() and len(value) < 7 else None
            continue
        m = _ITEM.match(line)
        if m is not None and m[2] in ("StartTime", "EndTime"):
            items.setdefault(int(m[1]), {})[m[2]] = m[3]
    if found is None:
        raise ValueError("no found= in findNextFile")
    out = []
    for _, item in sorted(items.items()):
        a, b = dahua_time(item.get("StartTime")), dahua_time(item.get("EndTime"))
        if a is None or b is None:
            raise ValueError("a file without a readable StartTime/EndTime")
        out.append((a, b))
    if len(out) != found:
        raise ValueError(f"found={found} but {len(out)} items")
    return found, out
