"""Profile G search (ver10/search): recordings, recording history events, paged sessions.

What a client of real devices meets, and must cope with:

- FindRecordings / FindEvents open a session and answer a SearchToken; results come page by
  page from GetRecordingSearchResults / GetEventSearchResults (at most ``PAGE_CAP`` a page,
  whatever MaxResults asks), SearchState ``Searching`` until the last page, then ``Completed``;
- a session not used for its KeepAliveTime (default and at most ``KEEP_ALIVE_S``) is dropped
  (InvalidToken afterwards); EndSearch ends it at once; a camera holds at most
  ``MAX_SESSIONS`` (ResourceProblem beyond): a client that never ends its sessions locks
  itself out for the keep-alive time;
- the FindRecordings scope has no time window; FindEvents has one (StartPoint, EndPoint; an
  EndPoint before the StartPoint searches backwards, latest first) and, with IncludeStartState,
  a first event at StartPoint that says whether data was present then;
- recording history events: topic ``tns1:RecordingHistory/Track/State``, IsDataPresent true
  at the start of each recorded interval, false at its end; in time order.

Times are the camera's clock (``sim/camera/history.py``). ``onvif_quirks`` "search_hang": the camera
opens sessions and never answers for their results (sim/onvif/app.py hangs the reply).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetctl.sim.camera.history import history_of
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.onvif.soap import REPLAY, SEARCH, Ctx, SoapFault, op, x

RECORDING_TOKEN, TRACK_TOKEN = "Recording_1", "VIDEO001"
PAGE_CAP = 8
KEEP_ALIVE_S = 10.0
MAX_SESSIONS = 4
TOPIC = "tns1:RecordingHistory/Track/State"
_TOKENS = itertools.count(1)
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@dataclass
class Session:
    kind: str  # "recordings" | "events"
    results: list[str]  # each result's XML
    keep_alive_s: float
    used: float  # time.monotonic() of the last use
    pos: int = 0


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _child(el: Any, name: str) -> Any:
    """The first child with local name ``name`` (any namespace: clients differ)."""
    for child in el.iterchildren():
        if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == name:
            return child
    return None


def _value(el: Any, name: str, default: str = "") -> str:
    found = _child(el, name)
    return (found.text or "").strip() if found is not None else default


def _time(value: str) -> float | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise SoapFault("ter:InvalidArgVal", f"not a dateTime: {value[:40]}") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _duration(value: str) -> float:
    m = _DURATION.match(value.strip()) if value else None
    if m is None:
        return KEEP_ALIVE_S
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return min(KEEP_ALIVE_S, d * 86400 + h * 3600 + mi * 60 + s) or KEEP_ALIVE_S


def _expire(cam: SimCamera) -> None:
    now = time.monotonic()
    for token, s in list(cam.searches.items()):
        if now - s.used > s.keep_alive_s:
            del cam.searches[token]


def _open(cam: SimCamera, kind: str, results: list[str], keep_alive: str) -> str:
    _expire(cam)
    if len(cam.searches) >= MAX_SESSIONS:
        raise SoapFault("ter:ResourceProblem", "too many search sessions", sender=False)
    token = f"Search_{next(_TOKENS)}"
    cam.searches[token] = Session(kind, results, _duration(keep_alive), time.monotonic())
    cam.counters.searches_opened += 1
    return token


def _session(cam: SimCamera, req: Any, kind: str | None = None) -> tuple[str, Session]:
    _expire(cam)
    token = _value(req, "SearchToken")
    found = cam.searches.get(token)
    if found is None or (kind is not None and found.kind != kind):
        raise SoapFault("ter:InvalidArgVal", "no such search session", inner="ter:InvalidToken")
    found.used = time.monotonic()
    return token, found


def _page(cam: SimCamera, req: Any, kind: str, response: str) -> str:
    _, s = _session(cam, req, kind)
    try:
        want = int(_value(req, "MaxResults", str(PAGE_CAP)))
    except ValueError:
        want = PAGE_CAP
    n = max(1, min(want, PAGE_CAP))
    page = s.results[s.pos : s.pos + n]
    s.pos += len(page)
    state = "Completed" if s.pos >= len(s.results) else "Searching"
    return (
        f"<tse:{response}><tse:ResultList><tt:SearchState>{state}</tt:SearchState>"
        f"{''.join(page)}</tse:ResultList></tse:{response}>"
    )


def recording_information(cam: SimCamera) -> str:
    """The tt:RecordingInformation children of the camera's one recording."""
    now = cam.now()
    spans = history_of(cam).intervals(now)
    track = f"<tt:TrackToken>{TRACK_TOKEN}</tt:TrackToken><tt:TrackType>Video</tt:TrackType>"
    track += "<tt:Description>video</tt:Description>"
    earliest, status = "", "Stopped"
    if spans:
        first, last = iso(spans[0][0]), iso(spans[-1][1])
        track += f"<tt:DataFrom>{first}</tt:DataFrom><tt:DataTo>{last}</tt:DataTo>"
        earliest = (
            f"<tt:EarliestRecording>{first}</tt:EarliestRecording>"
            f"<tt:LatestRecording>{last}</tt:LatestRecording>"
        )
        status = "Recording" if now - spans[-1][1] < 60 else "Stopped"
    return (
        f"<tt:RecordingToken>{RECORDING_TOKEN}</tt:RecordingToken><tt:Source>"
        f"<tt:SourceId>Profile_1</tt:SourceId><tt:Name>{x(cam.name)}</tt:Name>"
        f"<tt:Location>{x(cam.site)}</tt:Location><tt:Description/><tt:Address/></tt:Source>"
        f"{earliest}<tt:Content>continuous</tt:Content><tt:Track>{track}</tt:Track>"
        f"<tt:RecordingStatus>{status}</tt:RecordingStatus>"
    )


@op(SEARCH, "FindRecordings")
def find_recordings(ctx: Ctx, req: Any) -> str:
    # No time window in this scope (ONVIF leaves it out): every recording the camera holds.
    results = (
        []
        if not ctx.cam.storage
        else [
            f"<tt:RecordingInformation>{recording_information(ctx.cam)}</tt:RecordingInformation>"
        ]
    )
    token = _open(ctx.cam, "recordings", results, _value(req, "KeepAliveTime"))
    return f"<tse:FindRecordingsResponse><tse:SearchToken>{token}</tse:SearchToken></tse:FindRecordingsResponse>"


@op(SEARCH, "GetRecordingSearchResults")
def get_recording_search_results(ctx: Ctx, req: Any) -> str:
    return _page(ctx.cam, req, "recordings", "GetRecordingSearchResultsResponse")


@op(SEARCH, "GetRecordingInformation")
def get_recording_information(ctx: Ctx, req: Any) -> str:
    if _value(req, "RecordingToken") != RECORDING_TOKEN or not ctx.cam.storage:
        raise SoapFault("ter:InvalidArgVal", "no such recording", inner="ter:NoRecording")
    return (
        "<tse:GetRecordingInformationResponse><tse:RecordingInformation>"
        f"{recording_information(ctx.cam)}</tse:RecordingInformation>"
        "</tse:GetRecordingInformationResponse>"
    )


def _event(at: float, present: bool, start_state: bool) -> str:
    return (
        f"<tt:Result><tt:RecordingToken>{RECORDING_TOKEN}</tt:RecordingToken>"
        f"<tt:TrackToken>{TRACK_TOKEN}</tt:TrackToken><tt:Time>{iso(at)}</tt:Time><tt:Event>"
        '<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
        f'{TOPIC}</wsnt:Topic><wsnt:Message><tt:Message UtcTime="{iso(at)}"><tt:Source>'
        f'<tt:SimpleItem Name="RecordingToken" Value="{RECORDING_TOKEN}"/>'
        f'<tt:SimpleItem Name="Track" Value="{TRACK_TOKEN}"/></tt:Source><tt:Data>'
        f'<tt:SimpleItem Name="IsDataPresent" Value="{x(present)}"/></tt:Data></tt:Message>'
        f"</wsnt:Message></tt:Event><tt:StartStateEvent>{x(start_state)}</tt:StartStateEvent>"
        "</tt:Result>"
    )


def history_events(cam: SimCamera, start: float, end: float, start_state: bool) -> list[str]:
    """Recording history events from ``start`` to ``end`` on the camera's clock, in the order
    of the search: an EndPoint before the StartPoint searches backwards in time (ONVIF's
    FindEvents), latest first. The start state, when asked for, is at ``start`` either way."""
    now = cam.now()
    spans = history_of(cam).intervals(now)
    forward = start <= end
    edges = [(a, True) for a, _ in spans]
    edges += [(b, False) for _, b in spans if b < now - 1]  # the open interval has not ended
    inside = [e for e in edges if (start < e[0] <= end if forward else end <= e[0] < start)]
    inside.sort(reverse=not forward)
    out: list[str] = []
    if start_state:
        present = any(a <= start < b for a, b in spans)
        out.append(_event(start, present, True))
    return out + [_event(t, data, False) for t, data in inside]


@op(SEARCH, "FindEvents")
def find_events(ctx: Ctx, req: Any) -> str:
    start = _time(_value(req, "StartPoint"))
    if start is None:
        raise SoapFault("ter:InvalidArgVal", "StartPoint is required")
    end = _time(_value(req, "EndPoint")) or ctx.cam.now()
    wanted = _child(req, "SearchFilter")
    topic = " ".join(wanted.itertext()) if wanted is not None else ""
    results: list[str] = []
    # Only recording history is kept by this camera's event database.
    if not topic.strip() or "RecordingHistory/Track/State" in topic:
        include = _value(req, "IncludeStartState").lower() in ("true", "1")
        results = history_events(ctx.cam, start, end, include)
    token = _open(ctx.cam, "events", results, _value(req, "KeepAliveTime"))
    return f"<tse:FindEventsResponse><tse:SearchToken>{token}</tse:SearchToken></tse:FindEventsResponse>"


@op(SEARCH, "GetEventSearchResults")
def get_event_search_results(ctx: Ctx, req: Any) -> str:
    return _page(ctx.cam, req, "events", "GetEventSearchResultsResponse")


@op(SEARCH, "GetSearchState")
def get_search_state(ctx: Ctx, req: Any) -> str:
    _, s = _session(ctx.cam, req)
    state = "Completed" if s.pos >= len(s.results) else "Searching"
    return (
        f"<tse:GetSearchStateResponse><tse:State>{state}</tse:State></tse:GetSearchStateResponse>"
    )


@op(SEARCH, "EndSearch")
def end_search(ctx: Ctx, req: Any) -> str:
    token, _ = _session(ctx.cam, req)
    del ctx.cam.searches[token]
    ctx.cam.counters.searches_ended += 1
    return (
        f"<tse:EndSearchResponse><tse:Endpoint>{iso(ctx.cam.now())}</tse:Endpoint>"
        "</tse:EndSearchResponse>"
    )


REPLAY_PATH = "/onvif-replay/"  # + recording token: served by sim/rtsp/replay.py


@op(REPLAY, "GetReplayUri")
def get_replay_uri(ctx: Ctx, req: Any) -> str:
    if _value(req, "RecordingToken") != RECORDING_TOKEN or not ctx.cam.storage:
        raise SoapFault("ter:InvalidArgVal", "no such recording", inner="ter:NoRecording")
    uri = f"rtsp://{ctx.cam.reported_host}:{ctx.cam.rtsp_port}{REPLAY_PATH}{RECORDING_TOKEN}"
    return f"<trp:GetReplayUriResponse><trp:Uri>{x(uri)}</trp:Uri></trp:GetReplayUriResponse>"
