"""The inventory's `firmware:` policy: parsed with file, line and key; the most specific model
pattern wins; approved builds are accepted; an unreadable firmware is never "below"."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetctl.core.errors import InventoryError
from fleetctl.core.firmware.compliance import Device, below_minimum, summarise
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.models import FirmwarePolicy
from fleetctl.engine.firmware import shipped_rules

POLICY = FirmwarePolicy(
    minimum=(("DS-2CD2*", "V5.7.0"), ("DS-2CD2143G2-I", "V5.7.3")),
    approved=("V5.6.0 build 200101",),
)


@pytest.mark.parametrize(
    ("model", "firmware", "want"),
    [
        ("DS-2CD2143G2-I", "V5.7.1 build 210101", "V5.7.3"),  # the exact model's rule wins
        ("DS-2CD2043G2-IU", "V5.7.1 build 210101", None),  # the family's rule: 5.7.1 >= 5.7.0
        ("DS-2CD2043G2-IU", "V5.5.800 build 210628", "V5.7.0"),
        ("DS-2CD2043G2-IU", "V5.6.0 build 200101", None),  # approved
        ("DS-2CD2043G2-IU", "unknown", None),  # cannot be read: no finding
        ("IPC-HDW2431T-AS", "2.800.0000000.16.R", None),  # no rule for this model
    ],
    ids=["exact-model", "family-ok", "family-below", "approved", "unreadable", "no-rule"],
)
def test_below_minimum(model: str, firmware: str, want: str | None) -> None:
    assert below_minimum(POLICY, model, firmware) == want


def test_inventory_firmware_policy_merges_fleet_and_site(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        'firmware:\n  minimum: {"DS-2CD2*": "V5.7.0"}\n  approved: ["V5.6.0 build 200101"]\n'
        "sites:\n  a:\n    firmware:\n      minimum: {DS-2CD2143G2-I: V5.7.3}\n"
        "    cameras: [{name: c1, host: 127.0.0.5}]\n"
        "  b:\n    cameras: [{name: c2, host: 127.0.0.6}]\n",
        encoding="utf-8",
    )
    sites = {s.name: s.firmware for s in load_inventory(str(inv)).sites}
    assert sites["a"] == FirmwarePolicy(
        (("DS-2CD2*", "V5.7.0"), ("DS-2CD2143G2-I", "V5.7.3")), ("V5.6.0 build 200101",)
    )
    assert sites["b"] == FirmwarePolicy((("DS-2CD2*", "V5.7.0"),), ("V5.6.0 build 200101",))


def test_a_broken_policy_names_file_line_and_key(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "sites:\n  a:\n    firmware:\n      minimum: V5.7.0\n      aproved: []\n"
        "    cameras: [{name: c1, host: 127.0.0.5}]\n",
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as err:
        load_inventory(str(inv))
    text = str(err.value)
    assert f"{inv}:4: sites.a.firmware.minimum:" in text
    assert f"{inv}:5: sites.a.firmware.aproved:" in text and "approved" in text


def test_summary_groups_by_model_and_firmware() -> None:
    devices = [
        Device("c1", "a", "HIKVISION", "DS-2CD2143G2-I", "V5.7.3 build 220112"),
        Device("c2", "a", "HIKVISION", "DS-2CD2143G2-I", "V5.5.0 build 200612"),
        Device("c3", "a", "HIKVISION", "DS-2CD2143G2-I", "V5.5.0 build 200612"),
        Device("c4", "a", None, None, None),
    ]
    models = summarise(devices, shipped_rules(), {"a": POLICY})
    by_fw = {m.firmware: m for m in models}
    assert by_fw["V5.5.0 build 200612"].cameras == ("c2", "c3")
    assert [r.id for r in by_fw["V5.5.0 build 200612"].advisories] == ["HSRC-202109-01"]
    assert by_fw["V5.5.0 build 200612"].below == "V5.7.3"
    assert (
        by_fw["V5.7.3 build 220112"].below is None and not by_fw["V5.7.3 build 220112"].advisories
    )
    assert models[0].firmware == "V5.7.3 build 220112"  # newest first within a model
    assert by_fw[None].count == 1 and by_fw[None].model is None
