"""new / known / moved / missing, and de-duplication: pure, table-driven."""

from __future__ import annotations

import pytest

from fleetctl.adapters.discovery.wsdiscovery import ProbeMatch
from fleetctl.core.models import Camera, DeviceInfo
from fleetctl.engine.discover import (
    DeviceScopes,
    DeviceStatus,
    DiscoveredDevice,
    classify,
    merge_matches,
    normalize_mac,
)

EP_A = "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"
EP_B = "urn:uuid:bbbbbbbb-0000-4000-8000-000000000002"


def dev(
    address: str, endpoint: str | None = None, serial: str | None = None, mac: str | None = None
) -> DiscoveredDevice:
    return DiscoveredDevice(
        address=address,
        port=80,
        status=DeviceStatus.NEW,
        endpoint=endpoint,
        scopes=DeviceScopes(mac=mac),
        device=DeviceInfo(serial=serial) if serial else None,
    )


def cam(name: str, host: str, **identity: str) -> Camera:
    return Camera(name=name, host=host, site="dong-tien", **identity)  # type: ignore[arg-type]


SWEPT = [f"10.20.1.{i}" for i in range(1, 255)]

CASES = [
    # (found, inventory, expected [(address, status, camera)])
    ([dev("10.20.1.57", EP_A)], [], [("10.20.1.57", "new", None)]),
    ([dev("10.20.1.11", EP_A)], [cam("dt-01", "10.20.1.11")], [("10.20.1.11", "known", "dt-01")]),
    (
        [dev("10.20.1.11", EP_A)],
        [cam("dt-01", "10.20.1.11", endpoint=EP_A)],
        [("10.20.1.11", "known", "dt-01")],
    ),
    # same EndpointReference at a new address: moved, not new + missing
    (
        [dev("10.20.1.99", EP_A)],
        [cam("dt-01", "10.20.1.11", endpoint=EP_A)],
        [("10.20.1.99", "moved", "dt-01")],
    ),
    # no endpoint recorded: the serial tells, then the MAC (any spelling)
    (
        [dev("10.20.1.99", EP_A, serial="DS-123")],
        [cam("dt-01", "10.20.1.11", serial="DS-123")],
        [("10.20.1.99", "moved", "dt-01")],
    ),
    (
        [dev("10.20.1.99", mac="44:19:B6:A1:C2:D3")],
        [cam("dt-01", "10.20.1.11", mac="4419b6a1c2d3")],
        [("10.20.1.99", "moved", "dt-01")],
    ),
    # a different device at a known camera's address (camera replaced): new, and the old one missing
    (
        [dev("10.20.1.11", EP_B)],
        [cam("dt-01", "10.20.1.11", endpoint=EP_A)],
        [("10.20.1.11", "new", None), ("10.20.1.11", "missing", "dt-01")],
    ),
    # two cameras swapped addresses: both known-by-identity, both moved
    (
        [dev("10.20.1.12", EP_A), dev("10.20.1.11", EP_B)],
        [cam("dt-01", "10.20.1.11", endpoint=EP_A), cam("dt-02", "10.20.1.12", endpoint=EP_B)],
        [("10.20.1.12", "moved", "dt-01"), ("10.20.1.11", "moved", "dt-02")],
    ),
    # silent camera inside the swept ranges: missing; outside them (or RTSP-only): not judged
    (
        [],
        [
            cam("dt-01", "10.20.1.11"),
            cam("far", "10.99.0.1"),
            Camera(name="rtsp-only", host="10.20.1.13", site="dong-tien", onvif=False),
        ],
        [("10.20.1.11", "missing", "dt-01")],
    ),
    # one inventory camera cannot be claimed twice
    (
        [dev("10.20.1.11"), dev("10.20.1.40", serial="S1")],
        [cam("dt-01", "10.20.1.11", serial="S1")],
        [("10.20.1.11", "known", "dt-01"), ("10.20.1.40", "new", None)],
    ),
]


CASE_IDS = [
    "new",
    "known-by-address",
    "known-by-endpoint",
    "moved-by-endpoint",
    "moved-by-serial",
    "moved-by-mac",
    "replaced-camera",
    "swapped-addresses",
    "silent-in-range",
    "claimed-once",
]


@pytest.mark.parametrize(("found", "inventory", "expected"), CASES, ids=CASE_IDS)
def test_classify(
    found: list[DiscoveredDevice],
    inventory: list[Camera],
    expected: list[tuple[str, str, str | None]],
) -> None:
    out = classify(found, inventory, SWEPT)
    assert [(d.address, d.status.value, d.camera) for d in out] == expected


def test_moved_device_names_its_previous_address_and_site() -> None:
    [d] = classify([dev("10.20.1.99", EP_A)], [cam("dt-01", "10.20.1.11", endpoint=EP_A)], SWEPT)
    assert d.previous_address == "10.20.1.11" and d.site == "dong-tien"
    assert d.to_json()["camera"] == "dt-01"


def test_merge_deduplicates_by_endpoint_and_keeps_every_path() -> None:
    def pm(address: str, endpoint: str | None, via: str, port: int = 80) -> ProbeMatch:
        return ProbeMatch(
            address,
            endpoint,
            ("dn:NetworkVideoTransmitter",),
            ("onvif://www.onvif.org/MAC/44:19:b6:a1:c2:d3",),
            (f"http://{address}:{port}/onvif/device_service",),
            1,
            via,
        )

    merged = merge_matches(
        [
            pm("10.20.1.5", EP_A, "multicast"),
            pm("10.20.1.5", EP_A, "multicast"),
            pm("10.20.1.5", EP_A, "unicast"),
            pm("10.20.1.6", EP_B, "unicast", 8080),
            pm("10.20.1.7", None, "unicast"),
            pm("10.20.1.7", None, "unicast"),
        ]
    )
    assert [(d.address, d.via, d.port) for d in merged] == [
        ("10.20.1.5", ("multicast", "unicast"), 80),
        ("10.20.1.6", ("unicast",), 8080),
        ("10.20.1.7", ("unicast",), 80),
    ]
    assert merged[0].mac == "44:19:b6:a1:c2:d3"


def test_json_shape_is_the_contract() -> None:
    j = dev("10.20.1.57", EP_A, serial="X").to_json()
    assert list(j)[:11] == [
        "address",
        "port",
        "status",
        "endpoint",
        "xaddrs",
        "scopes",
        "manufacturer",
        "model",
        "firmware",
        "serial",
        "camera",
    ]
    assert set(j["scopes"]) == {"name", "hardware", "location", "mac"}
    assert j["manufacturer"] is None and j["serial"] == "X"


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("44:19:B6:A1:C2:D3", "44:19:b6:a1:c2:d3"),
        ("4419-b6a1-c2d3", "44:19:b6:a1:c2:d3"),
        ("4419b6a1c2", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_mac(raw: str | None, norm: str | None) -> None:
    assert normalize_mac(raw) == norm
