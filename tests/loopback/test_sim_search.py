"""The simulator's Profile G search: recording history with its gaps, paged sessions, limits.

Spoken to with the plain test client (support.sim_soap), not fleetctl's own: a bug in one side
cannot cancel out the same bug in the other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from support.sim_soap import NSMAP, Reply, call

from fleetctl.sim.camera.history import DAY, KEEP_S
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet
from fleetctl.sim.onvif.search import MAX_SESSIONS, PAGE_CAP, iso

TSE = 'xmlns:tse="http://www.onvif.org/ver10/search/wsdl"'


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    async with SimFleet(
        cameras=4, seed=5, rtsp=False, discovery=False, assign={1: {"storage_failed"}}
    ) as f:
        yield f


async def soap(fleet: SimFleet, cam: SimCamera, body: str) -> Reply:
    user, password = fleet.credentials
    reply = await call(
        cam.host, cam.onvif_port, body, user=user, password=password, offset_s=cam.clock_offset_s
    )
    assert reply.status == 200, reply.body[:300]
    return reply


async def find_events(fleet: SimFleet, cam: SimCamera, start: float, end: float) -> str:
    reply = await soap(
        fleet,
        cam,
        f"<tse:FindEvents {TSE}><tse:StartPoint>{iso(start)}</tse:StartPoint>"
        f"<tse:EndPoint>{iso(end)}</tse:EndPoint><tse:Scope/><tse:SearchFilter>"
        "<tt:TopicExpression>tns1:RecordingHistory/Track/State</tt:TopicExpression>"
        "</tse:SearchFilter><tse:IncludeStartState>true</tse:IncludeStartState>"
        "<tse:KeepAliveTime>PT10S</tse:KeepAliveTime></tse:FindEvents>",
    )
    token = reply.find("tse:SearchToken")
    assert token
    return token


async def all_events(fleet: SimFleet, cam: SimCamera, token: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for _ in range(50):
        reply = await soap(
            fleet,
            cam,
            f"<tse:GetEventSearchResults {TSE}><tse:SearchToken>{token}</tse:SearchToken>"
            "<tse:MinResults>1</tse:MinResults><tse:MaxResults>100</tse:MaxResults>"
            "<tse:WaitTime>PT1S</tse:WaitTime></tse:GetEventSearchResults>",
        )
        xml = reply.xml()
        results = xml.findall(".//tt:Result", NSMAP)
        assert len(results) <= PAGE_CAP
        for r in results:
            item = r.find(".//tt:Data/tt:SimpleItem", NSMAP)
            assert item is not None and item.get("Name") == "IsDataPresent"
            out.append((r.findtext("tt:Time", namespaces=NSMAP) or "", item.get("Value", "")))
        if xml.findtext(".//tt:SearchState", namespaces=NSMAP) == "Completed":
            return out
    raise AssertionError("the search never completed")


async def end(fleet: SimFleet, cam: SimCamera, token: str) -> None:
    await soap(
        fleet,
        cam,
        f"<tse:EndSearch {TSE}><tse:SearchToken>{token}</tse:SearchToken></tse:EndSearch>",
    )


async def test_history_events_show_the_power_cut_and_sessions_end(fleet: SimFleet) -> None:
    cam = fleet.cameras[0]
    assert cam.history is not None
    cut = next(g for g in cam.history.gaps if g[2] == "power")
    token = await find_events(fleet, cam, cut[0] - 3600, cut[1] + 3600)
    events = await all_events(fleet, cam, token)
    await end(fleet, cam, token)
    assert events[0] == (iso(cut[0] - 3600), "true")  # the start state: recording then
    assert (iso(cut[0]), "false") in events and (iso(cut[1]), "true") in events
    assert cam.counters.searches_opened == cam.counters.searches_ended == 1
    assert not cam.searches


async def test_long_history_is_paged(fleet: SimFleet) -> None:
    cam = fleet.cameras[2]
    assert cam.history is not None
    now = cam.now()
    # Many short gaps: more events than one page holds.
    cam.history.gaps += [
        (now - 3600 + k * 100, now - 3600 + k * 100 + 30, "reboot") for k in range(10)
    ]
    token = await find_events(fleet, cam, now - 3700, now)
    events = await all_events(fleet, cam, token)
    await end(fleet, cam, token)
    assert len(events) > PAGE_CAP
    assert [e[1] for e in events[1:21]] == ["false", "true"] * 10


async def test_dead_card_summary_stops_on_its_day(fleet: SimFleet) -> None:
    cam = fleet.cameras[1]
    assert cam.history is not None and cam.history.stopped_at is not None
    reply = await soap(fleet, cam, f"<tse:GetRecordingSummary {TSE}/>")
    assert reply.find("tt:DataUntil") == iso(cam.history.stopped_at)
    token = await find_events(fleet, cam, cam.history.stopped_at + 60, cam.now())
    events = await all_events(fleet, cam, token)
    await end(fleet, cam, token)
    assert events == [(iso(cam.history.stopped_at + 60), "false")]


async def test_retention_and_session_limit(fleet: SimFleet) -> None:
    cam = fleet.cameras[3]
    assert cam.history is not None
    cam.history.keep_s = 2 * DAY
    reply = await soap(fleet, cam, f"<tse:GetRecordingSummary {TSE}/>")
    start, until = reply.find("tt:DataFrom"), reply.find("tt:DataUntil")
    assert start and until
    kept = datetime.fromisoformat(until) - datetime.fromisoformat(start)
    assert timedelta(days=1.9) < kept <= timedelta(days=2) < timedelta(seconds=KEEP_S)
    tokens = [await find_events(fleet, cam, cam.now() - 60, cam.now()) for _ in range(MAX_SESSIONS)]
    user, password = fleet.credentials
    refused = await call(
        cam.host,
        cam.onvif_port,
        f"<tse:FindEvents {TSE}><tse:StartPoint>{iso(cam.now())}</tse:StartPoint>"
        "<tse:Scope/></tse:FindEvents>",
        user=user,
        password=password,
        offset_s=cam.clock_offset_s,
    )
    assert refused.fault_subcode() == "ResourceProblem"
    for t in tokens:
        await end(fleet, cam, t)
    assert not cam.searches
