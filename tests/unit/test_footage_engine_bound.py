"""One bound on cameras asked at once for the whole footage run, however many windows (zones)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleetctl.core.footage.coverage import Span
from fleetctl.core.models import Camera
from fleetctl.engine import footage
from fleetctl.engine.footage import FootageOptions, footage_windows

START = datetime(2026, 12, 6, 14, tzinfo=UTC)


@pytest.mark.parametrize("zones", [1, 3])
async def test_cameras_in_several_zones_share_one_bound(
    monkeypatch: pytest.MonkeyPatch, zones: int
) -> None:
    # The camera conversation is replaced (what is under test is the scheduling around it):
    # each call yields to the loop a few times, so every camera let in at once is seen at once.
    busy = peak = 0

    async def one(cam: Camera, *_: Any) -> Any:
        nonlocal busy, peak
        busy += 1
        peak = max(peak, busy)
        for _ in range(3):
            await asyncio.sleep(0)  # a turn of the loop, not a wait for time
        busy -= 1
        return footage._unknown(cam, "test")

    monkeypatch.setattr(footage, "_one", one)
    cams = [Camera(name=f"c{i}", host=f"127.9.0.{i + 1}", site=f"s{i % zones}") for i in range(6)]
    windows = {
        c.name: Span(
            START + timedelta(hours=i % zones), START + timedelta(hours=i % zones, minutes=30)
        )
        for i, c in enumerate(cams)
    }
    lines = await asyncio.wait_for(
        footage_windows(None, cams, windows, FootageOptions(concurrency=2)),  # type: ignore[arg-type]
        timeout=30,
    )
    assert [line.name for line in lines] == [c.name for c in cams]
    assert peak == 2
