"""Shared by the TUI tests: a small two-site fleet with prepared results (scripted, no network)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetctl.core.models import (
    Camera,
    CameraReport,
    DeviceInfo,
    FirmwarePolicy,
    Problem,
    ProblemKind,
    Status,
    StreamResult,
)
from fleetctl.tui.app import FleetApp
from fleetctl.tui.firmware import FirmwareContext
from fleetctl.tui.source import ScriptedSource


def fleet() -> tuple[list[Camera], list[CameraReport]]:
    """Two sites: đông-tiến with a crit and a warn camera, ha-trung all ok but one unknown."""
    since = datetime.now(UTC) - timedelta(hours=2, minutes=5)
    spec = [
        (
            "dt-cho-01",
            "dong-tien",
            Status.CRIT,
            (ProblemKind.STREAM, "no video: 0 RTP packets in 1.0 s"),
        ),
        ("dt-truong-02", "dong-tien", Status.WARN, (ProblemKind.CLOCK, "clock 45 s ahead")),
        ("dt-ubnd-03", "dong-tien", Status.OK, None),
        ("dt-cau-04", "dong-tien", Status.OK, None),
        ("ht-cho-01", "ha-trung", Status.OK, None),
        ("ht-den-02", "ha-trung", Status.UNKNOWN, (ProblemKind.ONVIF, "ONVIF reply is not XML")),
        ("ht-ga-03", "ha-trung", Status.OK, None),
    ]
    cams, reps = [], []
    for i, (name, site, status, problem) in enumerate(spec):
        host = f"127.253.0.{i + 1}"  # never contacted: scripted results
        cams.append(
            Camera(name=name, host=host, site=site, tags=("market",) if "cho" in name else ())
        )
        problems = (Problem(problem[0], status, problem[1], since),) if problem else ()
        reps.append(
            CameraReport(
                name,
                site,
                host,
                status,
                problems,
                device=DeviceInfo("HIKVISION", "DS-2CD2143G2-I", "V5.7.3", f"SN{i}"),
                clock_offset_s=45.0 if status is Status.WARN else 0.4,
                streams=(
                    StreamResult(
                        "Profile_1",
                        f"rtsp://{host}:554/Streaming/Channels/101",
                        status,
                        "H264",
                        1920,
                        1080,
                        0.0 if status is Status.CRIT else 25.0,
                        0.0 if status is Status.CRIT else 4096.0,
                    ),
                ),
            )
        )
    return cams, reps


def make_app(
    *, read_only: bool = False, hold: tuple[str, ...] = (), site_names: dict[str, str] | None = None
) -> tuple[FleetApp, ScriptedSource]:
    cams, reps = fleet()
    source = ScriptedSource(reps, hold=hold)
    return FleetApp(cams, source, read_only=read_only, interval=0, site_names=site_names), source


VULNERABLE = "V5.5.800 build 210520"  # HSRC-202109-01: built before 2021-06-28
FIXED = "V5.7.3 build 220112"
HIK = "DS-2CD2143G2-I"


def firmware_fleet(
    tmp: Path | None = None, *, hostile: str | None = None
) -> tuple[FleetApp, ScriptedSource]:
    """dt-* on the vulnerable build, ht-* on the fixed one; ht-ga-03 never checked (its
    identity only in the history); dong-tien's policy wants at least V5.7.0."""
    cams, reps = fleet()
    out: list[CameraReport] = []
    for r in reps:
        firmware = VULNERABLE if r.site == "dong-tien" else FIXED
        if hostile and r.name == "dt-cau-04":
            out.append(replace(r, device=DeviceInfo("HIKVISION", hostile, firmware)))
        elif r.name != "ht-ga-03":
            out.append(replace(r, device=DeviceInfo("HIKVISION", HIK, firmware)))
    ctx = FirmwareContext(
        policies={"dong-tien": FirmwarePolicy((("DS-2CD2*", "V5.7.0"),))},
        devices={"ht-ga-03": DeviceInfo("HIKVISION", HIK, FIXED)},
        backup_dir=tmp,
    )
    source = ScriptedSource(out)
    return FleetApp(cams, source, interval=0, firmware=ctx), source
