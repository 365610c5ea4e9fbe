"""`fleetctl footage export` against the simulator: ONVIF replay over our RTSP client, MP4 by PyAV.

The clip is decoded by FFmpeg (PyAV): its duration and first timestamp must be what was asked;
the sidecar's SHA-256 must be the file's; a camera with no footage fails and leaves nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from fleetctl.core.footage.coverage import Span
from fleetctl.engine.footage_export import ExportOptions, export_clip
from fleetctl.engine.workspace import Workspace, load_workspace
from fleetctl.sim.fleet import SimFleet

DEAD_CARD = 1


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    async with SimFleet(
        cameras=3,
        seed=7,
        discovery=False,
        assign={DEAD_CARD: {"storage_failed"}, 2: {"clock_skew"}},
    ) as f:
        yield f


def workspace(fleet: SimFleet, tmp_path: Path) -> Workspace:
    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    return load_workspace(str(inventory))


def recorded_window(fleet: SimFleet, index: int, seconds: float) -> Span:
    """A stretch of true time the camera recorded (no gap in it), ``seconds`` long."""
    cam = fleet.cameras[index]
    assert cam.history is not None
    now = datetime.now(UTC)
    start = now - timedelta(minutes=30)
    for g0, g1, _ in cam.history.gaps:  # step past any gap that would cut it
        t0, t1 = g0 - cam.clock_offset_s, g1 - cam.clock_offset_s
        if t0 < (start + timedelta(seconds=seconds)).timestamp() and t1 > start.timestamp():
            start = datetime.fromtimestamp(t1 + 60, UTC)
    return Span(
        start.replace(microsecond=0), start.replace(microsecond=0) + timedelta(seconds=seconds)
    )


@pytest.mark.parametrize("index", [0, 2])  # 2: the camera's clock is a minute or two off
async def test_exported_clip_decodes_with_the_asked_duration_and_start(
    fleet: SimFleet, tmp_path: Path, index: int
) -> None:
    ws = workspace(fleet, tmp_path)
    camera = ws.inventory.cameras[index]
    win = recorded_window(fleet, index, 12)
    out = tmp_path / "clip.mp4"
    seen: list[int] = []
    result = await export_clip(
        ws, camera, win, out, ExportOptions(), lambda frames, _s: seen.append(frames)
    )
    assert result.ok, result.error
    assert seen and seen[-1] == result.frames  # progress was reported
    with av.open(str(out)) as clip:
        video = clip.streams.video[0]
        frames = list(clip.decode(video))
        assert clip.duration is not None
        assert abs(clip.duration / 1e6 - 12) < 0.5
    assert frames[0].pts == 0 and len(frames) == result.frames
    assert abs(float(frames[-1].pts * video.time_base) - 12) < 0.5
    assert result.first_frame is not None
    assert abs((result.first_frame - win.start).total_seconds()) < 1.0  # true time, offset out
    sidecar = json.loads(Path(f"{out}.json").read_text())
    assert sidecar["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert sidecar["camera"]["name"] == camera.name and sidecar["source"] == "onvif-replay"
    assert sidecar["window"]["from"].startswith(win.start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert sidecar["clock_offset_s"] == pytest.approx(fleet.cameras[index].clock_offset_s, abs=1.5)
    assert sorted(p.name for p in tmp_path.iterdir() if "clip" in p.name) == [
        "clip.mp4",
        "clip.mp4.json",
    ]


async def test_no_footage_fails_clearly_and_leaves_nothing(fleet: SimFleet, tmp_path: Path) -> None:
    ws = workspace(fleet, tmp_path)
    cam = fleet.cameras[DEAD_CARD]
    assert cam.history is not None and cam.history.stopped_at is not None
    died = datetime.fromtimestamp(cam.history.stopped_at - cam.clock_offset_s, UTC)
    win = Span(died + timedelta(hours=1), died + timedelta(hours=1, seconds=30))
    out = tmp_path / "clip.mp4"
    result = await export_clip(ws, ws.inventory.cameras[DEAD_CARD], win, out, ExportOptions())
    assert not result.ok and result.error and "nothing recorded" in result.error
    assert not [p for p in tmp_path.iterdir() if "clip" in p.name]


async def test_cli_export_json(fleet: SimFleet, tmp_path: Path) -> None:
    from support.cli import fleetctl

    inventory, _ = fleet.write_inventory(tmp_path / "sim.yaml")
    win = recorded_window(fleet, 0, 5)
    code, out, err = await fleetctl(
        "footage", "export", fleet.cameras[0].name, "-i", str(inventory),
        "--from", win.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--to", win.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "-o", str(tmp_path / "c.mp4"), "-f", "json",
        home=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["result"] == "saved" and doc["frames"] > 100
    assert doc["sha256"] == hashlib.sha256((tmp_path / "c.mp4").read_bytes()).hexdigest()
