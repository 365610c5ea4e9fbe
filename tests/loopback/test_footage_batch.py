"""`fleetctl footage export -s EXPR -o DIR` against the simulator, as a user runs it.

Several cameras at once (``--jobs``), each clip decoded by FFmpeg (PyAV) with the asked duration
and first timestamp; a rerun keeps what is complete (sidecars untouched) and redoes a clip whose
bytes changed; a camera with no footage or offline fails with its reason and leaves nothing; a
run killed with SIGKILL mid-export leaves only ``.part`` files, and the next run completes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import av
import pytest
from support.cli import fleetctl

from fleetctl.core.footage.coverage import Span
from fleetctl.sim.fleet import SimFleet

DEAD_CARD, SKEWED, OFFLINE = 1, 2, 4
GOOD = (0, SKEWED, 3)


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    async with SimFleet(
        cameras=5,
        seed=7,
        discovery=False,
        assign={DEAD_CARD: {"storage_failed"}, SKEWED: {"clock_skew"}, OFFLINE: {"offline"}},
    ) as f:
        yield f


def common_window(fleet: SimFleet, indices: Sequence[int], seconds: float) -> Span:
    """A stretch of true time every camera of ``indices`` recorded without a gap."""
    start = (datetime.now(UTC) - timedelta(minutes=40)).replace(microsecond=0)
    moved = True
    while moved:
        moved = False
        for i in indices:
            cam = fleet.cameras[i]
            assert cam.history is not None
            for g0, g1, _ in cam.history.gaps:
                t0, t1 = g0 - cam.clock_offset_s, g1 - cam.clock_offset_s
                if t0 < (start + timedelta(seconds=seconds)).timestamp() and t1 > start.timestamp():
                    start = datetime.fromtimestamp(int(t1) + 60, UTC)
                    moved = True
    end = start + timedelta(seconds=seconds)
    assert end < datetime.now(UTC) - timedelta(minutes=1)
    return Span(start, end)


def select(fleet: SimFleet, indices: Sequence[int]) -> str:
    return "name:" + ",".join(fleet.cameras[i].name for i in indices)


def t(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


async def export(
    fleet: SimFleet, tmp_path: Path, indices: Sequence[int], win: Span, *extra: str
) -> tuple[int, dict[str, dict[str, object]], str]:
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    code, out, err = await fleetctl(
        "--lang", "en", "footage", "export", "-s", select(fleet, indices), "-i", str(inventory),
        "--from", t(win.start), "--to", t(win.end), "-o", str(tmp_path / "clips"),
        "-f", "json", "-t", "3", *extra,
        home=tmp_path,
    )  # fmt: skip
    doc = json.loads(out)
    return code, {c["name"]: c for c in doc["cameras"]}, err


async def test_three_cameras_two_at_a_time_then_a_rerun_keeps_them(
    fleet: SimFleet, tmp_path: Path
) -> None:
    win = common_window(fleet, GOOD, 8)
    code, cams, err = await export(fleet, tmp_path, GOOD, win, "--jobs", "2")
    assert code == 0, err
    assert {c["result"] for c in cams.values()} == {"saved"} and len(cams) == 3
    for i in GOOD:
        c = cams[fleet.cameras[i].name]
        clip = Path(str(c["path"]))
        assert clip.parent == tmp_path / "clips" and clip.name.startswith(fleet.cameras[i].name)
        with av.open(str(clip)) as f:
            frames = list(f.decode(f.streams.video[0]))
            assert f.duration is not None and abs(f.duration / 1e6 - 8) < 0.5
        assert frames[0].pts == 0 and len(frames) == c["frames"]
        first = datetime.fromisoformat(str(c["first_frame"]).replace("Z", "+00:00"))
        assert abs((first - win.start).total_seconds()) < 1.5  # true time, the skew taken out
        side = json.loads(Path(f"{clip}.json").read_text())
        assert side["sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest() == c["sha256"]
    assert not [p for p in (tmp_path / "clips").iterdir() if p.name.endswith(".part")]
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "clips").iterdir()}

    code, again, err = await export(fleet, tmp_path, GOOD, win)
    assert code == 0, err
    assert {c["result"] for c in again.values()} == {"skipped"}
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "clips").iterdir()} == mtimes
    assert "already exported" in err

    victim = Path(str(cams[fleet.cameras[SKEWED].name]["path"]))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed: the sidecar's SHA-256 no longer matches
    victim.write_bytes(bytes(data))
    code, third, err = await export(fleet, tmp_path, GOOD, win)
    assert code == 0, err
    redone = third[fleet.cameras[SKEWED].name]
    assert redone["result"] == "saved" and redone["redone"] is True
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == redone["sha256"]
    assert [third[fleet.cameras[i].name]["result"] for i in (0, 3)] == ["skipped", "skipped"]


async def test_no_footage_and_offline_fail_with_their_reason_and_leave_nothing(
    fleet: SimFleet, tmp_path: Path
) -> None:
    dead = fleet.cameras[DEAD_CARD]
    assert dead.history is not None and dead.history.stopped_at is not None
    win = common_window(fleet, [0], 5)
    assert win.start.timestamp() > dead.history.stopped_at - dead.clock_offset_s + 60
    code, cams, err = await export(fleet, tmp_path, [0, DEAD_CARD, OFFLINE], win)
    assert code == 1, err
    assert cams[fleet.cameras[0].name]["result"] == "saved"
    for i, why in ((DEAD_CARD, "no footage"), (OFFLINE, "offline")):
        c = cams[fleet.cameras[i].name]
        assert c["result"] == "failed" and c["reason"] == why, c
        assert c["path"] is None and c["error"]
        assert not [p for p in (tmp_path / "clips").iterdir() if fleet.cameras[i].name in p.name]
        assert f"{fleet.cameras[i].name}: failed:" in err


async def test_failures_said_in_vietnamese_json_keeps_the_english(
    fleet: SimFleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--lang vi`: the batch table's why and a single export's error speak Vietnamese (the
    address as it is); the JSON `error` and `reason` under vi are the English, byte for byte."""
    monkeypatch.setenv("COLUMNS", "250")  # one line per camera: the why is not wrapped
    dead, offline = fleet.cameras[DEAD_CARD], fleet.cameras[OFFLINE]
    win = common_window(fleet, [0], 5)
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    args = (
        "footage", "export", "-s", select(fleet, [DEAD_CARD, OFFLINE]), "-i", str(inventory),
        "--from", t(win.start), "--to", t(win.end), "-o", str(tmp_path / "clips"), "-t", "3",
    )  # fmt: skip
    code, out, err = await fleetctl("--lang", "vi", *args, home=tmp_path)
    assert code == 1, err
    rows = {c.name: next(ln for ln in out.splitlines() if c.name in ln) for c in (dead, offline)}
    assert "không có bản ghi từ" in rows[dead.name], out
    assert "nothing recorded" not in rows[dead.name], out
    assert rows[offline.name].rstrip().endswith(": bị từ chối kết nối"), (
        out
    )  # was "connection refused"
    assert f"{offline.name}: thất bại: GetSystemDateAndTime: " in err, err
    assert "bị từ chối kết nối" in err and "connection refused" not in err, err
    docs = {}
    for lang in ("vi", "en"):
        code, out, err = await fleetctl("--lang", lang, *args, "-f", "json", home=tmp_path)
        docs[lang] = {c["name"]: (c["reason"], c["error"]) for c in json.loads(out)["cameras"]}
    assert docs["vi"][offline.name] == docs["en"][offline.name], docs
    # The dead card's window on its clock moves with the offset measured each run: the form.
    reason, error = docs["vi"][dead.name]
    english = r"\S+: nothing recorded between [\d: -]+ and [\d:]+ \(camera clock\)"
    assert reason == "no footage" and re.fullmatch(english, str(error)), docs

    code, out, err = await fleetctl(
        "--lang", "vi", "footage", "export", offline.name, "-i", str(inventory),
        "--from", t(win.start), "--to", t(win.end), "-o", str(tmp_path / "one.mp4"), "-t", "3",
        home=tmp_path,
    )  # fmt: skip
    assert code != 0 and f"{offline.name}: xuất video thất bại: " in err, err
    assert err.rstrip().endswith(": bị từ chối kết nối"), err


async def test_killed_mid_export_leaves_only_part_files_and_a_rerun_completes(
    fleet: SimFleet, tmp_path: Path
) -> None:
    indices = (0, 3)
    win = common_window(fleet, indices, 180)
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    out = tmp_path / "clips"
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_CONFIG_HOME=str(tmp_path / "c"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleetctl", "--lang", "en", "footage", "export",
        "-s", select(fleet, indices), "-i", str(inventory), "--from", t(win.start),
        "--to", t(win.end), "-o", str(out), "--jobs", "2",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    seen = []
    async with asyncio.timeout(120):
        while b"s received" not in (line := await proc.stderr.readline()):
            assert line, b"".join(seen).decode()  # it ended before any footage arrived
            seen.append(line)
    # The simulator runs on this event loop: nothing more is sent until we yield, so the export
    # is mid-window when the signal lands.
    proc.send_signal(signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL
    left = sorted(p.name for p in out.iterdir())
    assert left and all(name.endswith(".part") for name in left), left

    code, cams, err = await export(fleet, tmp_path, indices, win)
    assert code == 0, err
    assert {c["result"] for c in cams.values()} == {"saved"}
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".json", ".mp4", ".mp4"]
    for c in cams.values():
        with av.open(str(c["path"])) as f:
            assert f.duration is not None and abs(f.duration / 1e6 - 180) < 0.5


HCM = "Asia/Ho_Chi_Minh"


def local(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")  # no zone written


async def test_times_without_a_zone_are_the_sites_local_time(
    fleet: SimFleet, tmp_path: Path
) -> None:
    win = common_window(fleet, [0], 5)
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    assert f"tz: {HCM}" in inventory.read_text("utf-8")  # the simulated sites are Vietnamese
    name = fleet.cameras[0].name
    common = ("-i", str(inventory), "--from", local(win.start, HCM), "--to", local(win.end, HCM))
    code, out, err = await fleetctl(
        "--lang", "en", "footage", "export", "-s", name, *common, "-o", str(tmp_path / "c"),
        home=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert f"({HCM}, the site's zone)" in out
    assert (
        tmp_path / "c" / f"{name}_{win.start:%Y%m%dT%H%M%SZ}-{win.end:%Y%m%dT%H%M%SZ}.mp4"
    ).exists()

    code, out, err = await fleetctl(
        "footage", "-s", name, *common, "--tz", "UTC", "-f", "json", home=tmp_path
    )  # --tz wins: the same words are now seven hours later, in UTC
    doc = json.loads(out)
    assert doc["window"] == {
        "from": t(win.start + timedelta(hours=7)), "to": t(win.end + timedelta(hours=7)),
        "zone": "UTC",
    }  # fmt: skip
    assert doc["cameras"][0]["window"]["zone"] == "UTC"


async def test_sites_in_two_zones_each_read_the_time_in_their_own(tmp_path: Path) -> None:
    async with SimFleet(cameras=2, sites=2, seed=3, discovery=False, ssh=False) as two:
        a, b = two.cameras
        assert a.site != b.site
        inventory, _ = two.write_inventory(tmp_path / "sim.yaml")
        text = inventory.read_text("utf-8")
        inventory.write_text(text.replace(f"tz: {HCM}", "tz: Europe/Berlin", 1), "utf-8")
        args = ("footage", "-i", str(inventory), "-s", f"name:{a.name},{b.name}",
                "--from", "2026-12-06 21:00", "--to", "2026-12-06 21:30", "-t", "3")  # fmt: skip
        code, out, err = await fleetctl(*args, "-f", "json", home=tmp_path)
        _, table, _ = await fleetctl("--lang", "en", *args, home=tmp_path)
    assert code in (0, 1, 3), err
    assert f"each site's zone: Europe/Berlin, {HCM}" in table
    assert f"{a.site} (Europe/Berlin)" in table and f"{b.site} ({HCM})" in table
    doc = json.loads(out)
    assert doc["window"]["zone"] is None  # several zones: each camera says its own
    got = {c["name"]: c["window"] for c in doc["cameras"]}
    assert got[a.name] == {"from": "2026-12-06T20:00:00Z", "to": "2026-12-06T20:30:00Z",
                           "zone": "Europe/Berlin"}  # fmt: skip
    assert got[b.name] == {"from": "2026-12-06T14:00:00Z", "to": "2026-12-06T14:30:00Z",
                           "zone": HCM}  # fmt: skip
    assert doc["window"] == {"from": "2026-12-06T14:00:00Z", "to": "2026-12-06T20:30:00Z",
                             "zone": None}  # fmt: skip


async def test_the_clip_gets_its_name_only_after_its_sidecar_is_written(
    fleet: SimFleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order that makes a kill at any instant safe: .part, sidecar, then the clip's name."""
    import fleetctl.engine.footage_export as fe
    from fleetctl.engine.footage_batch import clip_name
    from fleetctl.engine.workspace import load_workspace

    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    ws = load_workspace(str(inventory))
    win = common_window(fleet, [0], 4)
    out = tmp_path / clip_name(ws.inventory.cameras[0].name, win)
    seen: list[list[str]] = []
    real = fe.atomic_write

    def watching(path: str, data: bytes, *, mode: int | None = None) -> None:
        seen.append(sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(out.name)))
        real(path, data, mode=mode)

    monkeypatch.setattr(fe, "atomic_write", watching)
    result = await fe.export_clip(ws, ws.inventory.cameras[0], win, out, fe.ExportOptions())
    assert result.ok, result.error
    assert seen == [[f"{out.name}.part"]]  # when the sidecar is written: only the .part
    assert out.exists() and Path(f"{out}.json").exists() and not Path(f"{out}.part").exists()


async def test_the_vietnamese_table_says_the_export_failed_not_broken(
    fleet: SimFleet, tmp_path: Path
) -> None:
    """`--lang vi`: a failed export reads "thất bại" as the summary says (not "hỏng", the word
    for a failed card), and seconds take the Vietnamese decimal comma; CSV keeps `failed`."""
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    win = common_window(fleet, [0], 4)
    args = (
        "footage", "export", "-s", select(fleet, [0, DEAD_CARD]), "-i", str(inventory),
        "--from", t(win.start), "--to", t(win.end), "-o", str(tmp_path / "clips"), "-t", "3",
    )  # fmt: skip
    code, out, err = await fleetctl("--lang", "vi", *args, home=tmp_path)
    assert code == 1, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("dt-")}
    dead = rows[fleet.cameras[DEAD_CARD].name]
    assert "thất bại" in dead and "hỏng" not in dead, out
    assert "4,0" in rows[fleet.cameras[0].name], out
    code, out, err = await fleetctl("--lang", "vi", *args, "-f", "csv", home=tmp_path)
    assert code == 1, err
    assert ",failed," in out and ",skipped," in out, out
