"""The `fleetctl check --format json` contract (docs/json.md): keys, types, enums, nulls.

SCHEMA lists every key the contract promises, with its type; extra keys are allowed (the
contract may be extended, never broken). ``conforms`` is applied to a hand-built report with
every optional field empty, to a full one, and (in test_check_fleet.py) to real runs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.check_schema import (
    REPORT,
    SCHEMA,
    check_report_json,
    conforms,
)

from fleetctl.cli.render.check import render_csv, render_json, render_nagios


def test_json_contract() -> None:
    doc = check_report_json(render_json(REPORT))
    assert doc["summary"] == {"total": 3, "ok": 1, "warn": 0, "crit": 2, "unknown": 0}
    assert doc["started"] == "2026-11-28T08:00:00Z"
    by_name = {c["name"]: c for c in doc["cameras"]}
    # What could not be read is null, never invented.
    assert by_name["dt-cho-02"]["device"] is None
    assert by_name["dt-cho-02"]["clock_offset_s"] is None
    assert by_name["dt-cho-02"]["streams"] == [] and by_name["dt-cho-02"]["storage"] == []
    assert by_name["dt-cho-01"]["problems"][0]["since"] == "2026-11-28T08:00:00Z"
    assert by_name["dt-ok"]["site"] == "bến-xe"  # UTF-8 unchanged


@pytest.mark.parametrize(
    "bad",
    [
        {"summary": {"total": 1}},
        {"cameras": [{"status": "down"}]},
        {"cameras": [{"problems": [{"kind": "video", "severity": "crit", "message": "x"}]}]},
        {"duration_s": "4.2"},
    ],
    ids=["summary-counts-missing", "unknown-status", "unknown-problem-kind", "duration-as-text"],
)
def test_schema_rejects_breaks(bad: dict[str, Any]) -> None:
    doc = json.loads(render_json(REPORT))
    for key, value in bad.items():
        if key == "cameras":
            doc["cameras"][0].update(value[0])
        elif isinstance(value, dict):
            doc[key] = value
        else:
            doc[key] = value
    with pytest.raises(AssertionError):
        conforms(doc, SCHEMA)


def test_nagios_and_csv() -> None:
    lines = render_nagios(REPORT).splitlines()
    assert lines[0].startswith(
        "FLEETCTL CRIT - 2 crit, 0 warn, 0 unknown of 3 cameras | total=3 ok=1 warn=0 crit=2"
    )
    assert lines[1].startswith("CRIT dt-cho-01 (dong-tien, 10.20.1.11): no video")
    assert len(lines) == 3
    rows = render_csv(REPORT).splitlines()
    assert rows[0].startswith("name,site,host,status,reason,since")
    assert rows[-1].startswith("dt-ok,bến-xe,10.20.1.13,ok,")
    assert len(rows) == 4
