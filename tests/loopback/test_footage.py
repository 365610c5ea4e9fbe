"""`fleetctl footage` against the simulator: real sockets, Profile G search, real clocks.

Each camera's history (sim/camera/history.py) says where its gaps are; the engine must find them on
true time, through the camera's own clock, with every search session ended.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetctl.core.footage.coverage import Coverage, Span
from fleetctl.engine.footage import FootageOptions, footage_fleet
from fleetctl.engine.workspace import Workspace, load_workspace
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet

HANG = 3  # never answers for search results
OFFLINE = 6


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[SimFleet]:
    # 0 Hikvision, 1 Dahua (card died), 2 Hikvision (clock a minute or two off), 3 Dahua (search
    # hangs), 6 offline, 8 generic ONVIF (no Profile G).
    async with SimFleet(
        cameras=9,
        seed=7,
        rtsp=False,
        discovery=False,
        assign={1: {"storage_failed"}, 2: {"clock_skew"}, OFFLINE: {"offline"}},
    ) as f:
        f.cameras[HANG].onvif_quirks.add("search_hang")
        yield f


def workspace(fleet: SimFleet, tmp_path: Path) -> Workspace:
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    return load_workspace(str(inventory))


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def the_cut(fleet: SimFleet, cam: SimCamera) -> tuple[datetime, datetime]:
    """The site's power cut in true time (from the camera's own history, offset taken out)."""
    assert cam.history is not None
    g = next(g for g in cam.history.gaps if g[2] == "power")
    return utc(g[0] - cam.clock_offset_s), utc(g[1] - cam.clock_offset_s)


def close(a: datetime, b: datetime, within_s: float = 2.0) -> bool:
    return abs((a - b).total_seconds()) <= within_s


async def test_power_cut_partial_dead_card_none_hang_unknown(
    fleet: SimFleet, tmp_path: Path
) -> None:
    ws = workspace(fleet, tmp_path)
    cut0, cut1 = the_cut(fleet, fleet.cameras[0])
    win = Span(cut0 - timedelta(minutes=30), cut1 + timedelta(minutes=30))
    started = time.monotonic()
    lines = {
        f.name: f
        for f in await footage_fleet(ws, ws.inventory.cameras, win, FootageOptions(timeout_s=3))
    }
    took = time.monotonic() - started
    by = {c.name: c for c in fleet.cameras}

    first = lines[fleet.cameras[0].name]
    assert first.coverage is Coverage.PARTIAL, first
    assert first.source == "onvif-events" and first.gaps_known
    assert any(close(g.start, cut0) and close(g.end, cut1) for g in first.gaps), first.gaps
    assert first.earliest is not None and first.latest is not None

    # The skewed clock: its footage is stamped minutes off, the gap still lands on true time.
    skewed = lines[fleet.cameras[2].name]
    assert abs(fleet.cameras[2].clock_offset_s) >= 60
    assert skewed.clock_offset_s is not None
    assert abs(skewed.clock_offset_s - fleet.cameras[2].clock_offset_s) < 2
    assert any(close(g.start, cut0, 3) and close(g.end, cut1, 3) for g in skewed.gaps)

    hung = lines[fleet.cameras[HANG].name]
    assert hung.coverage is Coverage.UNKNOWN and hung.reason and hung.reason.startswith("timeout")
    assert took < 3 + 2 + 10  # its deadline, EndSearch's own limit, and room for a busy host

    offline = lines[fleet.cameras[OFFLINE].name]
    assert offline.coverage is Coverage.UNKNOWN and (offline.reason or "").startswith("offline")
    generic = lines[fleet.cameras[8].name]
    assert generic.coverage is Coverage.UNKNOWN
    assert (generic.reason or "").startswith("no search support")

    # Every search session opened was ended, the hung one included.
    for cam in by.values():
        assert cam.counters.searches_opened == cam.counters.searches_ended, cam.name
        assert not cam.searches, cam.name
    assert fleet.cameras[HANG].counters.searches_ended == 1
    assert fleet.cameras[HANG].counters.requests["EndSearch"] == 1


async def test_dead_card_has_nothing_after_its_day(fleet: SimFleet, tmp_path: Path) -> None:
    ws = workspace(fleet, tmp_path)
    cam = fleet.cameras[1]
    assert cam.history is not None and cam.history.stopped_at is not None
    died = utc(cam.history.stopped_at - cam.clock_offset_s)
    after = Span(died + timedelta(hours=1), died + timedelta(hours=2))
    across = Span(died - timedelta(minutes=30), died + timedelta(minutes=30))
    chosen = [c for c in ws.inventory.cameras if c.name == cam.name]
    (line,) = await footage_fleet(ws, chosen, after, FootageOptions(timeout_s=5))
    assert line.coverage is Coverage.NONE and line.covered_s == 0
    assert line.latest is not None and close(line.latest, died)
    (line,) = await footage_fleet(ws, chosen, across, FootageOptions(timeout_s=5))
    assert line.coverage is Coverage.PARTIAL
    assert close(line.gaps[-1].start, died) and line.gaps[-1].end == across.end
    assert cam.counters.searches_opened == cam.counters.searches_ended == 2


async def test_cli_json_and_table(fleet: SimFleet, tmp_path: Path) -> None:
    import json

    from support.cli import fleetctl

    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    cut0, cut1 = the_cut(fleet, fleet.cameras[0])
    name = fleet.cameras[0].name
    code, out, err = await fleetctl(
        "footage",
        "-i",
        str(inventory),
        "-s",
        name,
        "--from",
        (cut0 - timedelta(minutes=10)).isoformat(),
        "--to",
        (cut1 + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "-f",
        "json",
        home=tmp_path,
    )
    assert code == 1, err  # partial
    doc = json.loads(out)
    assert doc["window"]["zone"]
    (line,) = doc["cameras"]
    assert line["name"] == name and line["coverage"] == "partial"
    assert set(line) >= {"site", "covered_s", "gaps", "earliest", "latest", "source", "reason"}
    assert line["gaps"] and all(g["from"].endswith("Z") for g in line["gaps"])
    code, out, err = await fleetctl(
        "footage",
        "-i",
        str(inventory),
        "-s",
        name,
        "--from",
        "-2h",
        "--tz",
        "Asia/Ho_Chi_Minh",
        home=tmp_path,
    )
    assert "Asia/Ho_Chi_Minh" in out and name in out, err


async def test_cli_table_speaks_vietnamese_csv_keeps_keywords(
    fleet: SimFleet, tmp_path: Path
) -> None:
    """`--lang vi`: the table says coverage, minutes and days kept in Vietnamese (the summary
    line always did); CSV keeps the English keywords and plain numbers, whatever the language."""
    from support.cli import fleetctl

    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    cut0, cut1 = the_cut(fleet, fleet.cameras[0])
    window = (
        "--from",
        (cut0 - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--to",
        (cut1 + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    cam = fleet.cameras[0].name
    code, out, err = await fleetctl(
        "--lang", "vi", "footage", "-i", str(inventory), "-s", cam, *window, home=tmp_path
    )
    assert code == 1, err
    row = next(line for line in out.splitlines() if line.startswith(cam))
    assert "một phần" in row and "partial" not in row, row
    assert " phút" in row and " min" not in row, row
    assert "7,0" in row, row  # days kept, the Vietnamese decimal comma
    code, out, err = await fleetctl(
        "--lang",
        "vi",
        "footage",
        "-i",
        str(inventory),
        "-s",
        cam,
        *window,
        "-f",
        "csv",
        home=tmp_path,
    )
    assert code == 1, err
    import csv

    (line,) = csv.DictReader(out.splitlines())
    assert line["coverage"] == "partial" and float(line["kept"]) == 7.0, out


async def test_cli_reasons_speak_vietnamese_json_keeps_the_english(
    fleet: SimFleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--lang vi`: why an offline camera and one without search support are unknown is said in
    Vietnamese in the table (the address, the camera's part, as it is); `-f json` under vi gives
    the English reason, byte for byte the same as under en."""
    import json

    from support.cli import fleetctl

    monkeypatch.setenv("COLUMNS", "250")  # one line per camera: the reason is not wrapped
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    offline, generic = fleet.cameras[OFFLINE], fleet.cameras[8]
    sel = f"name:{offline.name},name:{generic.name}"
    args = ("footage", "-i", str(inventory), "-s", sel, "--from", "-1h", "--timeout", "3")
    code, out, err = await fleetctl("--lang", "vi", *args, home=tmp_path)
    assert code == 3, err  # unknown
    rows = {n: next(ln for ln in out.splitlines() if n in ln) for n in (offline.name, generic.name)}
    assert "mất kết nối: " in rows[offline.name] and "offline" not in rows[offline.name], out
    assert "bị từ chối kết nối" in rows[offline.name], out  # was "connection refused"
    assert "connection refused" not in rows[offline.name], out
    said = rows[generic.name]
    assert "không tìm được bản ghi: " in said and "không có dịch vụ tìm kiếm ONVIF" in said, out
    assert "no search support" not in said and "no ONVIF search service" not in said, out
    assert f"{generic.host}:" in said, out  # the address, as it is

    reasons = {}
    for lang in ("vi", "en"):
        code, out, err = await fleetctl("--lang", lang, *args, "-f", "json", home=tmp_path)
        reasons[lang] = {c["name"]: c["reason"] for c in json.loads(out)["cameras"]}
    assert reasons["vi"] == reasons["en"], reasons
    assert reasons["vi"][offline.name].startswith("offline: "), reasons
    english = reasons["vi"][generic.name]
    assert english.startswith(f"no search support: {generic.host}:"), english
    assert english.endswith(": no ONVIF search service"), english
