"""merge_vendor: what Hikvision's SADP and Dahua's DHIP said, merged into discover's rows."""

from __future__ import annotations

import pytest

from fleetctl.adapters.discovery.dhip import DhipDevice
from fleetctl.adapters.discovery.sadp import SadpDevice
from fleetctl.engine.discover import (
    DeviceScopes,
    DeviceState,
    DeviceStatus,
    DiscoveredDevice,
    merge_vendor,
)

ONVIF = DiscoveredDevice(
    "10.0.0.5", 80, DeviceStatus.NEW, scopes=DeviceScopes(mac="3c:ef:8c:00:00:05"), via=("unicast",)
)


@pytest.mark.parametrize(
    ("heard", "via", "maker", "state"),
    [
        (
            DhipDevice("10.0.0.9", False, "IPC-X", "S1", "3c:ef:8c:00:00:09"),
            "dhip",
            "Dahua",
            DeviceState.UNINITIALISED,
        ),
        (DhipDevice("10.0.0.9", True, "IPC-X", "S1"), "dhip", "Dahua", DeviceState.READY),
        (DhipDevice("10.0.0.9", None, "IPC-X", "S1"), "dhip", "Dahua", None),
        (SadpDevice("10.0.0.9", False, "DS-2", "S2"), "sadp", "HIKVISION", DeviceState.INACTIVE),
        (SadpDevice("10.0.0.9", True, "DS-2", "S2"), "sadp", "HIKVISION", DeviceState.READY),
    ],
)
def test_a_device_only_vendor_discovery_saw_is_added(
    heard: DhipDevice | SadpDevice, via: str, maker: str, state: DeviceState | None
) -> None:
    (_, added) = merge_vendor([ONVIF], [heard])
    assert (added.address, added.via, added.state) == ("10.0.0.9", (via,), state)
    assert added.device is not None and added.device.manufacturer == maker
    assert added.scopes.name == f"{maker} {heard.model}" and added.port == 80
    assert added.serial == heard.serial


def test_vendor_words_join_the_onvif_row_at_the_same_address() -> None:
    heard = DhipDevice("10.0.0.5", False, "IPC-X", "S1", "3c:ef:8c:ff:ff:ff", "2.820", 8080)
    (row,) = merge_vendor([ONVIF], [heard])
    assert row.via == ("unicast", "dhip") and row.state is DeviceState.UNINITIALISED
    assert row.scopes.mac == "3c:ef:8c:00:00:05"  # what ONVIF said first stays
    assert row.device is not None and (row.device.model, row.device.firmware) == ("IPC-X", "2.820")
    assert row.port == 80
