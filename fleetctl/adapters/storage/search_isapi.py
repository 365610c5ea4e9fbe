"""Hikvision ISAPI content search: ``POST /ISAPI/ContentMgmt/search``, paged with
``searchResultPostion`` (the API's spelling) until ``responseStatusStrg`` is not ``MORE``; the
zone and clock from ``GET /ISAPI/System/time``. The contract and the time rules:
``vendor_search``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from fleetctl.adapters.storage.search_common import (
    MAX_PAGES,
    MAX_SEGMENTS,
    SearchHttp,
    SearchRefused,
    utc_now,
)
from fleetctl.core.footage.model import SOURCE_HIKVISION, FootageReading
from fleetctl.core.footage.vendor_time import (
    IsapiTime,
    isapi_stamp,
    isapi_time,
    local_to_utc,
    posix_utc_offset_s,
)
from fleetctl.core.probes import Failure

ISAPI_TIME = "/ISAPI/System/time"
ISAPI_SEARCH = "/ISAPI/ContentMgmt/search"
PROBE_BACK = timedelta(minutes=10)
_NS = "http://www.hikvision.com/ver20/XMLSchema"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


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
        raise SearchRefused(Failure.PROTOCOL, f"search refused: {_printable(said)}")
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
    http: SearchHttp, sid: str, start: datetime, end: datetime, zone: int, pos: int, n: int
) -> tuple[str, list[tuple[IsapiTime, IsapiTime]]]:
    doc = _xml(
        await http.call(ISAPI_SEARCH, _search_body(sid, start, end, zone, pos, n)), "CMSearchResult"
    )
    status = (doc.findtext("{*}responseStatusStrg") or "").strip().upper()
    if (doc.findtext("{*}responseStatus") or "true").strip().lower() == "false":
        raise SearchRefused(
            Failure.PROTOCOL, f"{http.where}: search failed ({_printable(status) or '?'})"
        )
    items = []
    for item in doc.iterfind("{*}matchList/{*}searchMatchItem"):
        t0 = isapi_time(item.findtext("{*}timeSpan/{*}startTime"))
        t1 = isapi_time(item.findtext("{*}timeSpan/{*}endTime"))
        if t0 is None or t1 is None:
            raise ValueError("a match without a readable timeSpan")
        items.append((t0, t1))
    return status, items


async def search_hikvision(
    http: SearchHttp,
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
        drift = (local_to_utc(local.wall, local.utc_offset_s) - utc_now()).total_seconds()
    shift = timedelta(seconds=drift or 0.0)
    sid = str(uuid.uuid4()).upper()  # one search, paged: the same searchID on every page
    local_z = False
    if zone != 0:  # which does "Z" mean here: UTC, or device-local? The newest file tells.
        at = newest if newest is not None else utc_now() + shift
        probe_id = str(uuid.uuid4()).upper()  # a search of its own
        _, probe = await _isapi_page(
            http, probe_id, at - PROBE_BACK, at + timedelta(days=1), zone, 0, 5
        )
        ends = [local_to_utc(t1.wall, 0) for _, t1 in probe if t1.zulu]
        if ends:
            ahead = (max(ends) - at).total_seconds()
            local_z = abs(ahead - zone) < abs(ahead)

    def utc(t: IsapiTime) -> datetime:
        if t.utc_offset_s is None or (t.zulu and local_z):
            return local_to_utc(t.wall, zone)
        return local_to_utc(t.wall, t.utc_offset_s)

    spans: list[tuple[datetime, datetime]] = []
    pos = 0
    for _ in range(MAX_PAGES):
        status, items = await _isapi_page(http, sid, start + shift, end + shift, zone, pos, page)
        spans += [(utc(a), utc(b)) for a, b in items]
        if len(spans) > MAX_SEGMENTS:
            raise SearchRefused(
                Failure.OVERSIZED, f"{http.where}: over {MAX_SEGMENTS} recorded segments"
            )
        if status != "MORE":
            return FootageReading(SOURCE_HIKVISION, spans=tuple(spans), clock_offset_s=drift)
        if not items:
            raise SearchRefused(Failure.PROTOCOL, f"{http.where}: search said MORE with no matches")
        pos += len(items)
    raise SearchRefused(
        Failure.PROTOCOL, f"{http.where}: the search did not end in {MAX_PAGES} pages"
    )


def _printable(said: str, limit: int = 80) -> str:
    """The camera's words, bounded and without control characters."""
    return "".join(c for c in said[: limit * 2] if c.isprintable()).strip()[:limit]
