"""Profile G search for `fleetctl footage`: recording summary and recording-history events.

    read_footage(camera, credential, start, end, *, timeout_s, pool) -> FootageReading   never raises

One conversation per camera, under ``timeout_s`` in all: the clock (pre-auth, for the offset),
GetServices (the search service's address; none: ``UNSUPPORTED``), GetRecordingSummary (the
range), then FindEvents on ``tns1:RecordingHistory/Track/State`` for the window moved onto the
camera's clock, with IncludeStartState, read page by page (GetEventSearchResults: MinResults,
MaxResults, WaitTime) until SearchState is Completed.

A search session is always ended (EndSearch), whatever happened: a reply, a fault, the
deadline, a cancel. Cameras hold a handful of sessions each and keep an abandoned one up to its
keep-alive: a client that leaves them open locks itself (and the recorder's own software) out.
EndSearch gets its own short limit (``END_SEARCH_S``) after the deadline.

A camera that does not offer FindEvents (ActionNotSupported) still answers with its summary:
range known, gaps not (source ``onvif-summary``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from fleetctl.adapters.http.pool import HttpPool
from fleetctl.adapters.onvif.client import DEFAULT_MAX_BYTES, xs_datetime
from fleetctl.adapters.onvif.clock import field
from fleetctl.adapters.onvif.parse import parse_capabilities, parse_services, text
from fleetctl.adapters.onvif.session import (
    Conversation,
    OnvifCallError,
    pin_stream_uri,
    pin_xaddr,
)
from fleetctl.adapters.onvif.soap import NAMESPACES, SERVICE_NS, Request, request
from fleetctl.base.i18n import M_, Msg
from fleetctl.core.footage.model import (
    SOURCE_EVENTS,
    SOURCE_NONE,
    SOURCE_SUMMARY,
    FootageReading,
)
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure

__all__ = ["END_SEARCH_S", "MAX_PAGES", "read_footage", "replay_uri"]

SEARCH_NS = NAMESPACES["search"]
TOPIC = "tns1:RecordingHistory/Track/State"
END_SEARCH_S = 2.0  # EndSearch's own limit, even after the caller's deadline
MAX_PAGES = 200  # a camera that never says Completed is not read forever
PAGE = 100  # MaxResults asked per page (cameras cap it lower)
KEEP_ALIVE = "PT10S"  # the longest keep-alive ONVIF guarantees a session
_SUMMARY = request("search", "GetRecordingSummary")
_SERVICES = request("devicemgmt", "GetServices", IncludeCapability="false")
_CAPABILITIES = request("devicemgmt", "GetCapabilities", Category="All")
_EPOCH_YEAR = 1971  # a summary of 1970-01-01 means "nothing recorded"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_events_request(start: datetime, end: datetime) -> Request:
    return Request(
        SEARCH_NS,
        "FindEvents",
        f"<m:StartPoint>{_iso(start)}</m:StartPoint><m:EndPoint>{_iso(end)}</m:EndPoint>"
        "<m:Scope/><m:SearchFilter><tt:TopicExpression "
        'Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet" '
        f'xmlns:tns1="http://www.onvif.org/ver10/topics">{TOPIC}</tt:TopicExpression>'
        "</m:SearchFilter><m:IncludeStartState>true</m:IncludeStartState>"
        f"<m:KeepAliveTime>{KEEP_ALIVE}</m:KeepAliveTime>",
    )


def results_request(token: str) -> Request:
    return request(
        "search",
        "GetEventSearchResults",
        SearchToken=token,
        MinResults="1",
        MaxResults=str(PAGE),
        WaitTime="PT1S",
    )


def parse_events(reply: Any) -> tuple[list[tuple[datetime, bool]], bool]:
    """(recording-history events, completed) of one GetEventSearchResults page."""
    found = reply.find("{*}ResultList")
    if found is None:
        return [], True
    out: list[tuple[datetime, bool]] = []
    for result in found.iterfind("{*}Result"):
        topic = " ".join(t.text or "" for t in result.iterfind(".//{*}Topic"))
        if topic and "RecordingHistory/Track/State" not in topic:
            continue
        when = xs_datetime(text(result.find("{*}Time")))
        for item in result.iterfind(".//{*}Data/{*}SimpleItem"):
            if item.get("Name") == "IsDataPresent" and when is not None:
                out.append((when, item.get("Value", "").strip().lower() in ("true", "1")))
    state = text(found.find("{*}SearchState"))
    return out, state in ("Completed", "")


async def _services(conv: Conversation) -> None:
    try:
        services = parse_services((await conv.authed_soap(_SERVICES)).findall("{*}Service"))
    except OnvifCallError as err:
        if err.failure not in (Failure.PROTOCOL, Failure.UNSUPPORTED):
            raise
        services = {}
    if not services:  # older firmware: GetServices left out
        services = parse_capabilities(
            (await conv.authed_soap(_CAPABILITIES)).find("{*}Capabilities")
        )
    for name, ns in (*NAMESPACES.items(), ("replay", SERVICE_NS["replay"])):
        if ns in services and name != "devicemgmt":
            conv.xaddrs[name] = pin_xaddr(services[ns], conv.base)


def _silent(where: str, answered: bool, pending: str | None, timeout_s: float) -> Msg:
    """Why a search ran out of time, in words (its English is the reading's ``error``)."""
    s = f"{timeout_s:g}"
    if pending is None:
        if answered:
            return M_("%(where)s: no complete answer within %(s)s s", where=where, s=s)
        return M_("%(where)s: no answer within %(s)s s", where=where, s=s)
    if answered:
        return M_(
            "%(where)s: no complete answer to %(call)s within %(s)s s",
            where=where, call=pending, s=s,
        )  # fmt: skip
    return M_("%(where)s: no answer to %(call)s within %(s)s s", where=where, call=pending, s=s)


class _Search:
    """One FindEvents session: its token once opened, ended in ``end()`` whatever happened."""

    def __init__(self, conv: Conversation) -> None:
        self.conv = conv
        self.token: str | None = None
        self.ended = 0

    async def events(self, start: datetime, end: datetime) -> list[tuple[datetime, bool]]:
        reply = await self.conv.soap(find_events_request(start, end), "search")
        self.token = text(reply.find("{*}SearchToken")) or None
        if self.token is None:
            raise OnvifCallError(Failure.PROTOCOL, f"{self.conv.where}: FindEvents: no SearchToken")
        out: list[tuple[datetime, bool]] = []
        for _ in range(MAX_PAGES):
            page, done = parse_events(await self.conv.soap(results_request(self.token), "search"))
            out += page
            if done:
                return out
        raise OnvifCallError(
            Failure.PROTOCOL, f"{self.conv.where}: the search did not complete in {MAX_PAGES} pages"
        )

    async def end(self) -> None:
        if self.token is None:
            return
        token, self.token = self.token, None
        try:
            async with asyncio.timeout(END_SEARCH_S):
                await self.conv.soap(request("search", "EndSearch", SearchToken=token), "search")
            self.ended += 1
        except (TimeoutError, OnvifCallError):
            pass  # the camera drops it at its keep-alive; nothing more we can do


async def read_footage(
    camera: Camera,
    credential: Credential | None,
    start: datetime,
    end: datetime,
    *,
    timeout_s: float,
    pool: HttpPool | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> FootageReading:
    """What ``camera`` recorded around [start, end] (true UTC), on its own clock. Never raises."""
    conv = Conversation(
        camera, credential, max_bytes=max_bytes, read_timeout_s=max(0.5, timeout_s), pool=pool
    )
    search = _Search(conv)
    values: dict[str, Any] = {}
    try:
        try:
            async with asyncio.timeout(timeout_s):
                await _read(conv, search, start, end, values)
        finally:
            await search.end()  # also when cancelled: the session must not be left open
    except TimeoutError:
        what = f" to {conv.pending[0]}" if conv.pending else ""
        said = "no complete answer" if conv.answered else "no answer"
        pending = conv.pending[0] if conv.pending else None
        return _failed(
            conv, search, Failure.TIMEOUT, f"{conv.where}: {said}{what} within {timeout_s:g} s",
            _silent(conv.where, conv.answered, pending, timeout_s),
        )  # fmt: skip
    except OnvifCallError as err:
        return _failed(conv, search, err.failure, str(err), err.msg)
    finally:
        await conv.aclose()
    return FootageReading(clock_offset_s=conv.offset_s, searches_ended=search.ended, **values)


def _failed(
    conv: Conversation, search: _Search, failure: Failure, error: str, msg: Msg | None = None
) -> FootageReading:
    return FootageReading(
        SOURCE_NONE,
        clock_offset_s=conv.offset_s,
        failure=failure,
        error=error,
        error_msg=msg,
        searches_ended=search.ended,
    )


async def _read(
    conv: Conversation, search: _Search, start: datetime, end: datetime, values: dict[str, Any]
) -> None:
    try:
        await conv.measure_clock()
    except OnvifCallError as err:
        if err.failure not in (Failure.PROTOCOL, Failure.UNSUPPORTED):
            raise  # silent, refused, hostile: the camera cannot be asked
    await _services(conv)
    if "search" not in conv.xaddrs:
        none = OnvifCallError(Failure.UNSUPPORTED, f"{conv.where}: no ONVIF search service")
        none.msg = M_("%(where)s: no ONVIF search service", where=conv.where)
        raise none
    summary = field(await conv.soap(_SUMMARY, "search"), "Summary")
    earliest = xs_datetime(text(field(summary, "DataFrom")))
    latest = xs_datetime(text(field(summary, "DataUntil")))
    if latest is None or latest.year < _EPOCH_YEAR:
        earliest = latest = None  # nothing recorded (the summary of an empty card)
    values.update(source=SOURCE_SUMMARY, earliest=earliest, latest=latest)
    # The window on the camera's clock: its footage is stamped with it.
    shift = timedelta(seconds=conv.offset_s or 0.0)
    try:
        events = await search.events(start + shift, end + shift)
    except OnvifCallError as err:
        if err.failure is not Failure.PROTOCOL or "ActionNotSupported" not in str(err):
            raise
        return  # no event search: the summary's range alone
    values.update(source=SOURCE_EVENTS, events=tuple(events))


_RECORDINGS = request("recording", "GetRecordings")


async def replay_uri(
    camera: Camera,
    credential: Credential | None,
    *,
    timeout_s: float,
    pool: HttpPool | None = None,
) -> tuple[str, float | None]:
    """(the replay URI of the camera's first recording, pinned to the inventory host and
    without userinfo; the clock offset measured first). Raises ``OnvifCallError``; a camera
    without a replay service is UNSUPPORTED."""
    conv = Conversation(
        camera, credential, max_bytes=DEFAULT_MAX_BYTES, read_timeout_s=max(0.5, timeout_s),
        pool=pool,
    )  # fmt: skip
    try:
        async with asyncio.timeout(timeout_s):
            try:
                await conv.measure_clock()
            except OnvifCallError as err:
                if err.failure not in (Failure.PROTOCOL, Failure.UNSUPPORTED):
                    raise
            await _services(conv)
            if "replay" not in conv.xaddrs or "recording" not in conv.xaddrs:
                none = OnvifCallError(Failure.UNSUPPORTED, f"{conv.where}: no ONVIF replay service")
                none.msg = M_("%(where)s: no ONVIF replay service", where=conv.where)
                raise none
            items = (await conv.soap(_RECORDINGS, "recording")).findall("{*}RecordingItem")
            token = text(items[0].find("{*}RecordingToken")) if items else ""
            if not token:
                none = OnvifCallError(Failure.UNSUPPORTED, f"{conv.where}: no recording to replay")
                none.msg = M_("%(where)s: no recording to replay", where=conv.where)
                raise none
            req = Request(
                SERVICE_NS["replay"],
                "GetReplayUri",
                "<m:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>"
                "RTSP</tt:Protocol></tt:Transport></m:StreamSetup>"
                f"<m:RecordingToken>{escape(token)}</m:RecordingToken>",
            )
            uri = text((await conv.soap(req, "replay")).find("{*}Uri"))
    except TimeoutError:
        seconds = f"{timeout_s:g}"
        silent = OnvifCallError(
            Failure.TIMEOUT, f"{conv.where}: no replay address within {seconds} s"
        )
        silent.msg = M_("%(where)s: no replay address within %(s)s s", where=conv.where, s=seconds)
        raise silent from None
    finally:
        await conv.aclose()
    if not uri:
        raise OnvifCallError(Failure.PROTOCOL, f"{conv.where}: GetReplayUri gave no URI")
    return pin_stream_uri(uri, camera.host), conv.offset_s
