"""The JSON contract of `fleetctl check --format json`, as a checker, and sample reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fleetctl.core.models import (
    CameraReport,
    CheckStep,
    DeviceInfo,
    FleetReport,
    Problem,
    ProblemKind,
    Status,
    StorageResult,
    StreamResult,
)

STATUS = {"ok", "warn", "crit", "unknown"}
KINDS = {"offline", "auth", "onvif", "clock", "stream", "storage", "security", "config"}
NUM = (int, float)
OPT_STR = (str, type(None))
OPT_NUM = (int, float, type(None))

SCHEMA: dict[str, Any] = {
    "version": str,
    "started": str,
    "duration_s": NUM,
    "summary": {"total": int, "ok": int, "warn": int, "crit": int, "unknown": int},
    "cameras": [
        {
            "name": str,
            "site": str,
            "host": str,
            "status": STATUS,
            "problems": [{"kind": KINDS, "severity": STATUS, "message": str}],
            "device": (
                {"manufacturer": OPT_STR, "model": OPT_STR, "firmware": OPT_STR, "serial": OPT_STR},
                None,
            ),
            "clock_offset_s": OPT_NUM,
            "streams": [
                {
                    "profile": OPT_STR,
                    "uri": OPT_STR,
                    "status": STATUS,
                    "codec": OPT_STR,
                    "width": (int, type(None)),
                    "height": (int, type(None)),
                    "fps": OPT_NUM,
                    "bitrate_kbps": OPT_NUM,
                }
            ],
            "storage": [
                {
                    "name": str,
                    "state": OPT_STR,
                    "total_mb": OPT_NUM,
                    "used_mb": OPT_NUM,
                    "status": STATUS,
                }
            ],
            "checks": [{"name": str, "status": STATUS, "duration_ms": OPT_NUM, "detail": str}],
        }
    ],
}


def conforms(value: Any, schema: Any, where: str = "$") -> None:
    """Raise AssertionError naming the first place ``value`` breaks ``schema``."""
    if (
        isinstance(schema, tuple)
        and len(schema) == 2
        and isinstance(schema[0], dict)
        and schema[1] is None
    ):
        if value is not None:
            conforms(value, schema[0], where)
        return
    if isinstance(schema, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        for key, sub in schema.items():
            assert key in value, f"{where}: missing key {key!r}"
            conforms(value[key], sub, f"{where}.{key}")
    elif isinstance(schema, list):
        assert isinstance(value, list), f"{where}: expected an array"
        for i, item in enumerate(value):
            conforms(item, schema[0], f"{where}[{i}]")
    elif isinstance(schema, set):
        assert value in schema, f"{where}: {value!r} not one of {sorted(schema)}"
    else:
        assert isinstance(value, schema), f"{where}: {value!r} is not {schema}"
        assert not (schema is NUM and isinstance(value, bool)), f"{where}: a bool is not a number"


def check_report_json(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    conforms(doc, SCHEMA)
    assert doc["summary"]["total"] == len(doc["cameras"])
    assert sum(doc["summary"][s] for s in STATUS) == doc["summary"]["total"]
    datetime.fromisoformat(doc["started"].replace("Z", "+00:00"))
    for cam in doc["cameras"]:
        for p in cam["problems"]:
            if "since" in p:
                datetime.fromisoformat(p["since"].replace("Z", "+00:00"))
        for s in cam["streams"]:
            assert s["uri"] is None or "@" not in s["uri"], "stream URIs never carry credentials"
    return doc


T = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
EMPTY = CameraReport(
    "dt-cho-02",
    "dong-tien",
    "10.20.1.12",
    Status.CRIT,
    problems=(
        Problem(ProblemKind.OFFLINE, Status.CRIT, "offline: connection refused on port 80 (ONVIF)"),
    ),
    checks=(CheckStep("reach", Status.CRIT, 0.3, "refused"),),
)
FULL = CameraReport(
    "dt-cho-01",
    "dong-tien",
    "10.20.1.11",
    Status.CRIT,
    problems=(
        Problem(ProblemKind.STREAM, Status.CRIT, "no video: 0 RTP packets in 2.0 s", since=T),
    ),
    device=DeviceInfo("HIKVISION", "DS-2CD2143G2-I", "V5.7.3", "DS-123"),
    clock_offset_s=1.8,
    streams=(
        StreamResult(
            "Profile_1",
            "rtsp://10.20.1.11:554/Streaming/Channels/101",
            Status.CRIT,
            "H264",
            2688,
            1520,
            0.0,
            0.0,
        ),
    ),
    storage=(StorageResult("SD1", "ok", 122000, 121500, Status.OK),),
    checks=(CheckStep("onvif", Status.OK, 41.0, "GetDeviceInformation 12 ms"),),
    checked_at=T,
)
OK = CameraReport("dt-ok", "bến-xe", "10.20.1.13", Status.OK, device=DeviceInfo(), checked_at=T)
REPORT = FleetReport("0.1.0", T, 4.2, (OK, EMPTY, FULL))
