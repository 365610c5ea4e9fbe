"""`fleetctl footage` through the vendors' search APIs, against the simulator: real sockets.

Cameras without Profile G search (sim/vendors/search.py: index % 20 in 11, 12, 14, 15) answer
for their gaps through Hikvision ISAPI content search or Dahua media file finding; camera 14
writes device-local times marked Z. Each camera's history (sim/camera/history.py) says where the
gaps really are.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetctl.adapters.storage.vendor_search import read_vendor_footage
from fleetctl.core.footage.coverage import Coverage, Span
from fleetctl.core.models import Camera
from fleetctl.engine.footage import FootageOptions, footage_fleet
from fleetctl.engine.workspace import Workspace, load_workspace
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet
from fleetctl.sim.http import Request, Response, serve
from fleetctl.sim.vendors import search as simsearch

HIK, DAHUA, HIK_LOCAL_Z, DAHUA_2 = 11, 12, 14, 15
HIK_HANG, DAHUA_HANG, GENERIC = 16, 19, 8  # the first two given quirks below


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    async with SimFleet(cameras=20, seed=7, rtsp=False, discovery=False, ssh=False) as f:
        # 16 Hikvision: no event search, its ISAPI search never answers (the summary stands);
        # 19 Dahua: no ONVIF search service at all, its findNextFile never answers.
        f.cameras[HIK_HANG].onvif_quirks |= {"no_event_search", "vendor_search_hang"}
        f.cameras[DAHUA_HANG].onvif_quirks |= {"no_search_service", "vendor_search_hang"}
        yield f


def workspace(fleet: SimFleet, tmp_path: Path) -> Workspace:
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    return load_workspace(str(inventory))


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def the_cut(cam: SimCamera) -> tuple[datetime, datetime]:
    assert cam.history is not None
    g = next(g for g in cam.history.gaps if g[2] == "power")
    return utc(g[0] - cam.clock_offset_s), utc(g[1] - cam.clock_offset_s)


def close(a: datetime, b: datetime, within_s: float = 3.0) -> bool:
    return abs((a - b).total_seconds()) <= within_s


def test_the_fleet_has_cameras_without_profile_g_search() -> None:
    from fleetctl.sim.camera.model import Vendor

    assert simsearch.quirks_for(11, Vendor.HIKVISION) == {"no_event_search"}
    assert simsearch.quirks_for(14, Vendor.HIKVISION) == {"no_event_search", "isapi_local_z"}
    assert simsearch.quirks_for(12, Vendor.DAHUA) == {"no_event_search"}
    assert simsearch.quirks_for(0, Vendor.HIKVISION) == set()
    assert simsearch.quirks_for(17, Vendor.GENERIC) == set()


async def test_vendor_sources_find_the_power_cut(fleet: SimFleet, tmp_path: Path) -> None:
    ws = workspace(fleet, tmp_path)
    chosen = [
        fleet.cameras[i]
        for i in (HIK, DAHUA, HIK_LOCAL_Z, DAHUA_2, 0, HIK_HANG, DAHUA_HANG, GENERIC)
    ]
    names = {c.name for c in chosen}
    cams = [c for c in ws.inventory.cameras if c.name in names]
    cut0, cut1 = the_cut(fleet.cameras[HIK])
    win = Span(cut0 - timedelta(minutes=45), cut1 + timedelta(minutes=45))
    started = time.monotonic()
    lines = {f.name: f for f in await footage_fleet(ws, cams, win, FootageOptions(timeout_s=3))}
    took = time.monotonic() - started

    want = {
        HIK: "hikvision-isapi",
        DAHUA: "dahua-cgi",
        HIK_LOCAL_Z: "hikvision-isapi",
        DAHUA_2: "dahua-cgi",
        0: "onvif-events",
    }
    for index, source in want.items():
        cam = fleet.cameras[index]
        line = lines[cam.name]
        c0, c1 = the_cut(cam)  # the same site's cut (a fleet of 20 is one site)
        assert line.coverage is Coverage.PARTIAL, (index, line)
        assert line.source == source and line.gaps_known and line.reason is None, line
        assert any(close(g.start, c0) and close(g.end, c1) for g in line.gaps), (index, line.gaps)
        assert line.covered_s is not None and line.covered_s > 3000
        assert line.earliest is not None and line.latest is not None  # the summary's range

    # The Hikvision whose search never answers: its summary, gaps unknown, and why.
    hung = lines[fleet.cameras[HIK_HANG].name]
    assert hung.source == "onvif-summary" and not hung.gaps_known, hung
    assert (
        hung.reason
        and hung.reason.startswith("gaps unknown")
        and "no complete answer" in hung.reason
    )
    # No ONVIF search at all and a vendor search that never answers: unknown, in bounded time.
    dead = lines[fleet.cameras[DAHUA_HANG].name]
    assert dead.coverage is Coverage.UNKNOWN and (dead.reason or "").startswith("timeout"), dead
    # What is left of --timeout, said as a person would: "within 2.9 s", not "within 2.93023 s".
    for said in (hung.reason, dead.reason):
        assert re.search(r"within \d+(\.\d)? s", said or ""), said
    assert took < 3 + 2 * 2 + 10  # its deadline, close's and destroy's own limits, a busy host
    generic = lines[fleet.cameras[GENERIC].name]  # no Profile G, no vendor API: as before
    assert generic.coverage is Coverage.UNKNOWN
    assert (generic.reason or "").startswith("no search support"), generic

    # Every Dahua find object was closed and destroyed, the hung one's included.
    for cam in fleet.cameras:
        assert not cam.vendor_finds, cam.name
        assert cam.counters.finds_opened == cam.counters.finds_closed, cam.name
        assert cam.counters.finds_opened == cam.counters.finds_destroyed, cam.name
    assert fleet.cameras[DAHUA].counters.finds_destroyed == 1
    assert fleet.cameras[DAHUA_HANG].counters.finds_destroyed == 1


def inv_camera(fleet: SimFleet, tmp_path: Path, index: int) -> tuple[Workspace, Camera]:
    ws = workspace(fleet, tmp_path)
    cam = next(c for c in ws.inventory.cameras if c.name == fleet.cameras[index].name)
    return ws, cam


def recorded(cam: SimCamera, a: float, b: float) -> list[tuple[float, float]]:
    """The sim's recorded intervals clipped to [a, b] (camera clock)."""
    assert cam.history is not None
    out = []
    for s, e in cam.history.intervals(cam.now()):
        s, e = max(s, a), min(e, b)
        if e > s:
            out.append((s, e))
    return out


@pytest.mark.parametrize("index", [HIK, HIK_LOCAL_Z, DAHUA])
async def test_paging_and_times_match_the_history(
    fleet: SimFleet, tmp_path: Path, index: int
) -> None:
    """Two days of half-hour files (~96) in pages of 7: many pages, every file, right times."""
    ws, cam = inv_camera(fleet, tmp_path, index)
    sim = fleet.cameras[index]
    now = datetime.now(UTC)
    start, end = now - timedelta(days=2), now - timedelta(hours=1)
    reading = await read_vendor_footage(
        cam,
        ws.credential_for(cam),
        start,
        end,
        timeout_s=20,
        clock_offset_s=sim.clock_offset_s,
        page=7,
    )
    assert reading.failure is None, reading.error
    assert reading.spans is not None and len(reading.spans) > 3 * 7
    path = simsearch.ISAPI_SEARCH if index != DAHUA else simsearch.DAHUA_FIND
    assert sim.counters.requests[path] >= len(reading.spans) // 7
    # Joined and clipped (files come whole), they are the history's intervals (camera clock).
    shift = sim.clock_offset_s
    lo, hi = start.timestamp() + shift, end.timestamp() + shift
    joined: list[list[float]] = []
    files = sorted((s.timestamp(), e.timestamp()) for s, e in reading.spans)
    assert files[0][0] <= lo + 1 and files[-1][1] >= hi - 1
    for a, b in ((max(a, lo), min(b, hi)) for a, b in files):
        if joined and a <= joined[-1][1] + 0.5:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    want = recorded(sim, lo, hi)
    assert len(joined) == len(want), (joined, want)
    for (a, b), (c, d) in zip(joined, want, strict=True):
        assert abs(a - c) < 1.5 and abs(b - d) < 1.5, (joined, want)


async def test_the_local_time_quirk_is_real(fleet: SimFleet) -> None:
    """Camera 14's raw reply is 7 hours ahead of the truth, marked Z; camera 11's is not."""
    quirky, plain = fleet.cameras[HIK_LOCAL_Z], fleet.cameras[HIK]
    at = quirky.now() - 3600
    assert simsearch._hik_write(at, quirky) == utc(at + 7 * 3600).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert simsearch._hik_write(at, plain) == utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = simsearch._isapi_time(quirky).body.decode()
    assert "<timeZone>CST-7:00:00</timeZone>" in body and "+07:00</localTime>" in body


async def _hostile(body: bytes, *, length: int = 0) -> Response:
    if length:

        async def stream() -> AsyncIterator[bytes]:
            for _ in range(length // 65536):
                yield b"A" * 65536

        return Response(200, content_type="application/xml", stream=stream, length=length)
    return Response(200, body, content_type="application/xml")


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("garbage", "vendor: "),
        ("huge", "vendor: "),
        ("silent", "timeout: "),
        ("more-forever", "vendor: "),
        ("refused", "vendor: "),
    ],
)
async def test_hostile_vendor_replies_cost_that_camera(reply: str, why: str) -> None:
    """Garbage, a 50 MB reply, silence, MORE forever: unknown with the reason, bounded."""
    from fleetctl.core.footage.model import FootageReading
    from fleetctl.engine.footage import judge

    time_xml = (
        b'<Time xmlns="http://www.hikvision.com/ver20/XMLSchema"><localTime>2026-12-07T12:00:00'
        b"+07:00</localTime><timeZone>CST-7:00:00</timeZone></Time>"
    )
    more = (
        b'<CMSearchResult xmlns="http://www.hikvision.com/ver20/XMLSchema"><responseStatus>true'
        b"</responseStatus><responseStatusStrg>MORE</responseStatusStrg><numOfMatches>1"
        b"</numOfMatches><matchList><searchMatchItem><timeSpan><startTime>2026-12-07T01:00:00Z"
        b"</startTime><endTime>2026-12-07T01:30:00Z</endTime></timeSpan></searchMatchItem>"
        b"</matchList></CMSearchResult>"
    )

    def handler(req: Request) -> Response | AsyncIterator[Response]:
        if req.path == "/ISAPI/System/time":
            return Response(200, time_xml, content_type="application/xml")
        if reply == "garbage":
            return Response(200, b"\x00<CMSearchResult><<<", content_type="application/xml")
        if reply == "huge":
            return _hostile(b"", length=50 * 1024 * 1024)  # type: ignore[return-value]
        if reply == "refused":  # the camera's words (200: some firmware): line breaks, 5 kB
            return Response(
                200,
                b'<ResponseStatus xmlns="http://www.hikvision.com/ver20/XMLSchema"><statusCode>4'
                b"</statusCode><statusString>Invalid\r\n\tOperation"
                + b"!"
                * 5000
                + b"</statusString>"
                b"</ResponseStatus>",
                content_type="application/xml",
            )
        if reply == "silent":
            return _never()  # type: ignore[return-value]
        return Response(200, more, content_type="application/xml")

    listener = await serve(handler, "127.0.0.1", 0)  # type: ignore[arg-type]
    try:
        port = listener.server.sockets[0].getsockname()[1]
        cam = Camera(name="hostile", host="127.0.0.1", site="s", port=port)
        now = datetime.now(UTC)
        limit = 2.0 if reply == "silent" else 30.0  # the others fail on their own, not by time
        started = time.monotonic()
        reading = await read_vendor_footage(
            cam, None, now - timedelta(hours=2), now, timeout_s=limit, clock_offset_s=0.0
        )
        assert time.monotonic() - started < limit + 5
    finally:
        await listener.close()
    assert isinstance(reading, FootageReading) and reading.failure is not None
    line = judge(cam, reading, Span(now - timedelta(hours=2), now))
    assert line.coverage is Coverage.UNKNOWN and (line.reason or "").startswith(why), line.reason
    assert all(c.isprintable() for c in line.reason or ""), line.reason
    if reply == "refused":
        assert "search refused: InvalidOperation!!!" in (line.reason or ""), line.reason
        assert len(line.reason or "") < 200


async def _never() -> Response:
    import asyncio

    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_local_time_quirk_on_a_camera_that_stopped_recording(tmp_path: Path) -> None:
    """Nothing recorded now: the ONVIF summary's newest instant tells what its Z means."""
    async with SimFleet(
        cameras=15, seed=3, rtsp=False, discovery=False, ssh=False,
        assign={HIK_LOCAL_Z: {"recording_stopped"}},
    ) as fleet:  # fmt: skip
        sim = fleet.cameras[HIK_LOCAL_Z]
        assert {"no_event_search", "isapi_local_z"} <= sim.onvif_quirks
        assert sim.history is not None and sim.history.stopped_at is not None
        died = utc(sim.history.stopped_at - sim.clock_offset_s)
        ws, cam = inv_camera(fleet, tmp_path, HIK_LOCAL_Z)
        across = Span(died - timedelta(minutes=30), died + timedelta(minutes=30))
        (line,) = await footage_fleet(ws, [cam], across, FootageOptions(timeout_s=5))
        assert line.source == "hikvision-isapi" and line.coverage is Coverage.PARTIAL, line
        assert close(line.gaps[-1].start, died) and line.gaps[-1].end == across.end, line.gaps
        assert line.latest is not None and close(line.latest, died)
