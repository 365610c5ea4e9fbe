"""Vendor recording search: Hikvision ISAPI content search and Dahua media file finding.

Both answer from the same recording history as the ONVIF search (``sim/camera/history.py``), cut
into recording files of ``SEGMENT_S`` (a file per half hour, a new one after each gap), and sit
behind HTTP Digest (the caller, ``sim/onvif/app.py``, authenticates).

Hikvision:
- ``GET /ISAPI/System/time``: ``localTime`` with its offset, ``timeZone`` written the vendor's
  way, POSIX-shaped with the sign inverted (``CST-7:00:00`` is UTC+7).
- ``POST /ISAPI/ContentMgmt/search`` with a CMSearchDescription (``searchID``,
  ``trackList/trackID`` 101 = channel 1 main stream, ``timeSpanList/timeSpan`` start and end,
  ``maxResults``, ``searchResultPostion`` — misspelt in the real API, kept): a CMSearchResult,
  ``responseStatusStrg`` ``MORE`` while matches remain after this page, ``OK`` on the last,
  ``NO MATCHES`` when none; at most ``ISAPI_PAGE_CAP`` matches a reply whatever maxResults asks;
  each ``searchMatchItem`` a recorded file overlapping the span (whole, not clipped), with its
  ``timeSpan`` and ``mediaSegmentDescriptor/playbackURI``. Request times honour their
  designator (``Z``, ``+07:00``; none: local); replies are UTC with ``Z``.
- Quirk ``isapi_local_z`` (firmware seen in the field): request times are read as device-local
  whatever their designator, and reply times are device-local digits marked ``Z``.

Dahua (``/cgi-bin/mediaFileFind.cgi``, ``key=value`` lines, device-local times such as
``2021-8-27 12:00:00``, months and days unpadded): ``action=factory.create`` -> ``result=ID``;
``action=findFile&object=ID&condition.Channel=1&condition.StartTime=..&condition.EndTime=..
&condition.Types[0]=dav`` -> ``OK``; ``action=findNextFile&object=ID&count=N`` -> ``found=K``
and ``items[i].StartTime`` ... (``found=0`` when done; at most ``DAHUA_PAGE_CAP``);
``action=close`` then ``action=destroy``. A device holds ``MAX_FINDS`` find objects and never
expires one (real firmware keeps them until reboot): a client that does not destroy its
objects locks the search out. ``cam.vendor_finds`` is the open objects (tests assert on it).
``GET /cgi-bin/global.cgi?action=getCurrentTime``: ``result=`` the device's local time.

Quirk ``vendor_search_hang``: the search request (ISAPI search, Dahua findNextFile) is read
and never answered.

Which cameras lack Profile G search (``NO_EVENT_SEARCH_SLOTS``): 4 cameras in every 20 of a
fleet (2 Hikvision, 2 Dahua, by index) answer FindEvents and FindRecordings with
ActionNotSupported (cheap firmware keeps only the recording summary), so their gaps come from
the vendor search; ``ISAPI_LOCAL_Z_SLOTS`` (2 Hikvision in every 20) have the local-time quirk.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from fleetctl.sim.camera.history import history_of
from fleetctl.sim.camera.model import SimCamera, Vendor
from fleetctl.sim.http import Request, Response
from fleetctl.sim.onvif.device import tz_offset_s

ISAPI_SEARCH = "/ISAPI/ContentMgmt/search"
ISAPI_TIME = "/ISAPI/System/time"
DAHUA_FIND = "/cgi-bin/mediaFileFind.cgi"
DAHUA_TIME = "/cgi-bin/global.cgi"
PATHS = {
    "isapi": frozenset({ISAPI_SEARCH, ISAPI_TIME}),
    "dahua": frozenset({DAHUA_FIND, DAHUA_TIME}),
}
SEGMENT_S = 1800.0
ISAPI_PAGE_CAP = 40
DAHUA_PAGE_CAP = 100
MAX_FINDS = 4
NO_EVENT_SEARCH_SLOTS = frozenset({11, 12, 14, 15})  # index % 20: H, D, H, D (fleet.VENDOR_CYCLE)
ISAPI_LOCAL_Z_SLOTS = frozenset({9, 14})  # index % 20: Hikvision
_XML = "application/xml; charset=UTF-8"
_TEXT = "text/plain;charset=utf-8"
_NS = "http://www.hikvision.com/ver20/XMLSchema"
_TAG = re.compile(r"<(?:\w+:)?(\w+)(?:\s[^>]*)?>([^<]*)</(?:\w+:)?\1>")
_ISO = re.compile(
    r"^(\d{4})-?(\d{1,2})-?(\d{1,2})[T ](\d{1,2}):?(\d{1,2}):?(\d{1,2})(Z|[+-]\d{2}:?\d{2})?$"
)
_DAHUA = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$")
_IDS = itertools.count(1001)


def quirks_for(index: int, vendor: Vendor) -> set[str]:
    """The search quirks a fleet camera at ``index`` has (deterministic, see the docstring)."""
    out: set[str] = set()
    if vendor in (Vendor.HIKVISION, Vendor.DAHUA) and index % 20 in NO_EVENT_SEARCH_SLOTS:
        out.add("no_event_search")
    if vendor is Vendor.HIKVISION and index % 20 in ISAPI_LOCAL_Z_SLOTS:
        out.add("isapi_local_z")
    return out


def handles(api: str, path: str) -> bool:
    return path in PATHS.get(api, ())


@dataclass
class Find:
    """One Dahua find object: its matches once findFile ran (None: closed or not yet)."""

    results: list[tuple[float, float]] | None = None
    pos: int = 0


def segments(cam: SimCamera, start: float, end: float) -> list[tuple[float, float]]:
    """Recorded files overlapping [start, end] (camera clock, epoch seconds), in time order."""
    out: list[tuple[float, float]] = []
    for a, b in history_of(cam).intervals(cam.now()):
        if b <= start or a >= end:
            continue
        k = max(0, int((start - a) // SEGMENT_S))
        while a + k * SEGMENT_S < min(b, end):
            out.append((a + k * SEGMENT_S, min(b, a + (k + 1) * SEGMENT_S)))
            k += 1
    return out


def _zone(cam: SimCamera) -> int:
    return tz_offset_s(cam.timezone)


def _wall(ts: float, cam: SimCamera) -> datetime:
    return datetime.fromtimestamp(ts + _zone(cam), UTC).replace(tzinfo=None)


def _from_wall(parts: tuple[str, ...], offset_s: float) -> float | None:
    try:
        y, mo, d, h, mi, s = (int(p) for p in parts)
        wall = datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except ValueError:
        return None
    return wall.timestamp() - offset_s


def route(cam: SimCamera, api: str, req: Request) -> Response | Awaitable[Response] | None:
    """The search API's answer for ``req`` (already authenticated), or None if not ours."""
    if not handles(api, req.path):
        return None
    hang = "vendor_search_hang" in cam.onvif_quirks
    if req.path == ISAPI_TIME:
        return _isapi_time(cam)
    if req.path == ISAPI_SEARCH:
        if req.method != "POST":
            return Response(405, b"", content_type=_TEXT, headers=(("Allow", "POST"),))
        return _never() if hang else _isapi_search(cam, req)
    if req.path == DAHUA_TIME:
        if req.query.get("action") != "getCurrentTime":
            return _error("Bad Request!")
        return _ok(f"result={_dahua(cam.now(), cam)}")
    if hang and req.query.get("action") == "findNextFile":
        return _never()
    return _dahua_find(cam, req)


async def _never() -> Response:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- Hikvision


def _hik_zone(offset_s: int) -> str:
    sign = "-" if offset_s >= 0 else "+"  # POSIX: the sign inverted
    hours, rest = divmod(abs(offset_s), 3600)
    return f"CST{sign}{hours}:{rest // 60:02d}:00"


def _isapi_time(cam: SimCamera) -> Response:
    zone = _zone(cam)
    hours, rest = divmod(abs(zone), 3600)
    local = f"{_wall(cam.now(), cam):%Y-%m-%dT%H:%M:%S}{'+' if zone >= 0 else '-'}{hours:02d}:{rest // 60:02d}"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Time version="2.0" xmlns="{_NS}">'
        f"<timeMode>{'NTP' if cam.datetime_type == 'NTP' else 'manual'}</timeMode>"
        f"<localTime>{local}</localTime><timeZone>{_hik_zone(zone)}</timeZone></Time>"
    )
    return Response(200, body.encode(), content_type=_XML)


def _hik_status(code: int, text: str, sub: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ResponseStatus version="2.0" xmlns="{_NS}">'
        f"<requestURL>{ISAPI_SEARCH}</requestURL><statusCode>{code}</statusCode>"
        f"<statusString>{text}</statusString><subStatusCode>{sub}</subStatusCode>"
        "</ResponseStatus>"
    )
    return Response(400, body.encode(), content_type=_XML)


def _hik_read(value: str, cam: SimCamera) -> float | None:
    m = _ISO.match(value.strip())
    if m is None:
        return None
    designator = m[7]
    if "isapi_local_z" in cam.onvif_quirks or designator is None:
        return _from_wall(m.groups()[:6], _zone(cam))  # device-local digits
    if designator == "Z":
        return _from_wall(m.groups()[:6], 0)
    digits = designator[1:].replace(":", "")
    offset = int(digits[:2]) * 3600 + int(digits[2:]) * 60
    return _from_wall(m.groups()[:6], offset if designator[0] == "+" else -offset)


def _hik_write(ts: float, cam: SimCamera, compact: bool = False) -> str:
    shown = _wall(ts, cam) if "isapi_local_z" in cam.onvif_quirks else _wall(ts - _zone(cam), cam)
    return f"{shown:%Y%m%dT%H%M%S}Z" if compact else f"{shown:%Y-%m-%dT%H:%M:%S}Z"


def _isapi_search(cam: SimCamera, req: Request) -> Response:
    fields: dict[str, str] = {}
    for name, value in _TAG.findall(req.body.decode("utf-8", "replace")):
        fields.setdefault(name, value.strip())
    start, end = (
        _hik_read(fields.get("startTime", ""), cam),
        _hik_read(fields.get("endTime", ""), cam),
    )
    try:
        want, pos = int(fields.get("maxResults", "40")), int(fields.get("searchResultPostion", "0"))
    except ValueError:
        return _hik_status(4, "Invalid Operation", "badParameters")
    if start is None or end is None or "searchID" not in fields or want < 1 or pos < 0:
        return _hik_status(4, "Invalid Operation", "badXmlContent")
    found = segments(cam, start, end) if fields.get("trackID", "101") == "101" else []
    page = found[pos : pos + min(want, ISAPI_PAGE_CAP)]
    status = "NO MATCHES" if not page else "MORE" if pos + len(page) < len(found) else "OK"
    items = "".join(_match(cam, a, b) for a, b in page)
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CMSearchResult version="2.0" xmlns="{_NS}">'
        f"<searchID>{escape(fields['searchID'][:64])}</searchID>"
        f"<responseStatus>true</responseStatus><responseStatusStrg>{status}"
        f"</responseStatusStrg><numOfMatches>{len(page)}</numOfMatches>"
        f'<matchList size="{len(page)}">{items}</matchList></CMSearchResult>'
    )
    return Response(200, body.encode(), content_type=_XML)


def _match(cam: SimCamera, a: float, b: float) -> str:
    uri = (
        f"rtsp://{cam.reported_host}:{cam.rtsp_port}/Streaming/tracks/101/"
        f"?starttime={_hik_write(a, cam, True)}&endtime={_hik_write(b, cam, True)}"
        f"&name=ch01_{int(a):011d}&size={int((b - a) * 512_000)}"
    )
    return (
        "<searchMatchItem><sourceID>{00000000-0000-0000-0000-000000000001}</sourceID>"
        f"<trackID>101</trackID><timeSpan><startTime>{_hik_write(a, cam)}</startTime>"
        f"<endTime>{_hik_write(b, cam)}</endTime></timeSpan><mediaSegmentDescriptor>"
        f"<contentType>video</contentType><codecType>H.264-BP</codecType>"
        f"<playbackURI>{escape(uri)}</playbackURI></mediaSegmentDescriptor></searchMatchItem>"
    )


# --------------------------------------------------------------------------- Dahua


def _dahua(ts: float, cam: SimCamera) -> str:
    d = _wall(ts, cam)
    return f"{d.year}-{d.month}-{d.day} {d:%H:%M:%S}"  # as the firmware writes it: unpadded


def _ok(text: str) -> Response:
    return Response(200, f"{text}\r\n".encode(), content_type=_TEXT)


def _error(why: str) -> Response:
    return Response(400, f"Error\r\n{why}\r\n".encode(), content_type=_TEXT)


def _dahua_find(cam: SimCamera, req: Request) -> Response:
    q = req.query
    action = q.get("action", "")
    if action == "factory.create":
        if len(cam.vendor_finds) >= MAX_FINDS:
            return Response(500, b"Error\r\nNo free find object\r\n", content_type=_TEXT)
        obj = next(_IDS)
        cam.vendor_finds[obj] = Find()
        cam.counters.finds_opened += 1
        return _ok(f"result={obj}")
    try:
        obj = int(q.get("object", ""))
    except ValueError:
        return _error("Invalid object!")
    find = cam.vendor_finds.get(obj)
    if find is None:
        return _error("Invalid object!")
    if action == "findFile":
        m0, m1 = (
            _DAHUA.match(q.get("condition.StartTime", "")),
            _DAHUA.match(q.get("condition.EndTime", "")),
        )
        start = _from_wall(m0.groups(), _zone(cam)) if m0 else None
        end = _from_wall(m1.groups(), _zone(cam)) if m1 else None
        if start is None or end is None or q.get("condition.Channel") != "1":
            return _error("Bad Request!")
        find.results, find.pos = segments(cam, start, end), 0
        return _ok("OK")
    if action == "findNextFile":
        if find.results is None:
            return _error("Bad Request!")
        try:
            count = max(1, min(int(q.get("count", "100")), DAHUA_PAGE_CAP))
        except ValueError:
            return _error("Bad Request!")
        page = find.results[find.pos : find.pos + count]
        find.pos += len(page)
        lines = [f"found={len(page)}"]
        for i, (a, b) in enumerate(page):
            day, t0, t1 = _wall(a, cam), _wall(a, cam), _wall(b, cam)
            lines += [
                f"items[{i}].Channel=0",
                f"items[{i}].Cluster=0",
                f"items[{i}].Disk=0",
                f"items[{i}].Duration={int(b - a)}",
                f"items[{i}].EndTime={_dahua(b, cam)}",
                f"items[{i}].FilePath=/mnt/sd/{day:%Y-%m-%d}/001/dav/{t0:%H}/"
                f"{t0:%H.%M.%S}-{t1:%H.%M.%S}[R][0@0][0].dav",
                f"items[{i}].Length={int((b - a) * 512_000)}",
                f"items[{i}].StartTime={_dahua(a, cam)}",
                f"items[{i}].Type=dav",
                f"items[{i}].VideoStream=Main",
            ]
        return _ok("\r\n".join(lines))
    if action == "close":
        find.results = None
        cam.counters.finds_closed += 1
        return _ok("OK")
    if action == "destroy":
        del cam.vendor_finds[obj]
        cam.counters.finds_destroyed += 1
        return _ok("OK")
    return _error("Bad Request!")
