"""`fleetctl discover` renderers: what a technician reads and what a script parses."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from ruamel.yaml import YAML

from fleetctl.cli.run.discover import CSV_FIELDS, inventory_yaml, render, summary
from fleetctl.core.models import DeviceInfo
from fleetctl.engine.discover import DeviceScopes, DeviceStatus, DiscoveredDevice, DiscoveryReport

DEVICES = (
    DiscoveredDevice(
        address="10.20.1.57",
        port=80,
        status=DeviceStatus.NEW,
        endpoint="urn:uuid:54455fe8-3e4b-11b5-83a2-4419b6a1c2d3",
        xaddrs=("http://10.20.1.57/onvif/device_service",),
        scopes=DeviceScopes(
            "HIKVISION DS-2CD2143G2-I", "DS-2CD2143G2-I", "Chợ Đông Tiến", "44:19:b6:a1:c2:d3"
        ),
        device=DeviceInfo("HIKVISION", "DS-2CD2143G2-I", "V5.7.3", "DS-2CD2143G2-I20220301AAWRG1"),
        via=("multicast", "unicast"),
        alive=True,
    ),
    DiscoveredDevice(
        address="10.20.1.58",
        port=8899,
        status=DeviceStatus.NEW,
        via=("tcp",),
        alive=True,
    ),
    DiscoveredDevice(
        address="10.20.2.9",
        port=80,
        status=DeviceStatus.MOVED,
        camera="dt-cho-01",
        site="dong-tien",
        previous_address="10.20.1.11",
        via=("unicast",),
    ),
    DiscoveredDevice(
        address="10.20.1.12", port=80, status=DeviceStatus.MISSING, camera="dt-rtsp-02"
    ),
)
REPORT = DiscoveryReport(
    DEVICES,
    datetime(2026, 11, 28, tzinfo=UTC),
    4.2,
    swept=254,
    packets=300,
    interfaces=("10.20.1.2",),
)


def rendered(fmt: str) -> str:
    out = io.StringIO()
    render(REPORT, fmt, out)
    return out.getvalue()


def test_json_is_the_contract_shape() -> None:
    doc = json.loads(rendered("json"))
    assert list(doc) == ["devices", "slip_s"] and doc["slip_s"] == 0.0
    first = doc["devices"][0]
    assert first["scopes"]["location"] == "Chợ Đông Tiến"  # UTF-8 kept, not \\u-escaped only
    assert "Chợ Đông Tiến" in rendered("json")
    assert [d["status"] for d in doc["devices"]] == ["new", "new", "moved", "missing"]
    assert doc["devices"][1]["endpoint"] is None and doc["devices"][1]["serial"] is None


def test_csv_has_one_row_per_device_and_a_stable_header() -> None:
    rows = list(csv.DictReader(io.StringIO(rendered("csv"))))
    assert len(rows) == 4 and tuple(rows[0]) == CSV_FIELDS
    assert rows[0]["via"] == "multicast+unicast" and rows[0]["serial"].startswith("DS-2CD")
    assert rows[2]["previous_address"] == "10.20.1.11"


def test_table_names_the_camera_and_where_it_was() -> None:
    lines = rendered("table").splitlines()
    assert lines[0].split() == [
        "STATUS",
        "STATE",
        "ADDRESS",
        "PORT",
        "CAMERA",
        "DEVICE",
        "SERIAL",
        "FIRMWARE",
        "MAC",
        "VIA",
    ]
    assert len(lines) == 5
    assert "dt-cho-01 (was 10.20.1.11)" in lines[3]
    assert "HIKVISION DS-2CD2143G2-I" in lines[1]


def test_inventory_yaml_lists_new_devices_and_comments_moved_ones() -> None:
    text = inventory_yaml(DEVICES)
    items = YAML(typ="safe").load(text)
    assert [(i["name"], i["host"]) for i in items] == [
        ("hikvision-a1c2d3", "10.20.1.57"),
        ("cam-10-20-1-58", "10.20.1.58"),
    ]
    assert items[1]["port"] == 8899 and "port" not in items[0]
    assert "# moved: dt-cho-01 10.20.1.11 -> 10.20.2.9" in text
    assert "dt-rtsp-02" not in text  # missing cameras are already in the inventory


def test_summary_counts_every_status() -> None:
    assert summary(REPORT) == (
        "discover: 2 new, 0 known, 1 moved, 1 missing (multicast from 10.20.1.2; "
        "254 addresses swept with 300 probes) in 4.2 s"
    )


def test_inventory_yaml_escapes_scope_text_in_comments() -> None:
    """A device's scope text cannot end its comment line and inject YAML (issue 13, item 14)."""
    hostile = DiscoveredDevice(
        address="10.20.1.60",
        port=80,
        status=DeviceStatus.NEW,
        endpoint="urn:uuid:1\u2028injected_endpoint: x",
        scopes=DeviceScopes(location="Chợ\ninjected: 1\r\u2028also: 2\u0085more: 3\u2029x: 4"),
    )
    text = inventory_yaml((hostile,))
    comments = [line for line in text.splitlines() if "location scope" in line]
    assert len(comments) == 1 and comments[0].lstrip().startswith("# location scope:")
    for char in "\r\u2028\u2029\u0085":
        assert char not in text
    items = YAML(typ="safe").load(text)
    assert items == [{"name": "cam-10-20-1-60", "host": "10.20.1.60", "endpoint": hostile.endpoint}]
