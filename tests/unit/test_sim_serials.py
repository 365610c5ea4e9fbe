"""The simulator's serial numbers follow each vendor's convention: a Hikvision serial starts with
the device's own model (a recorder's too), an Axis serial is its twelve-hex-digit MAC (ACCC8E...),
a Dahua serial is fifteen alphanumerics; the same seed gives the same serials."""

from __future__ import annotations

import re

from fleetctl.sim.camera.model import Vendor
from fleetctl.sim.fleet import SimFleet


def test_serials_agree_with_model_and_vendor_and_seed() -> None:
    fleet = SimFleet(cameras=60, recorders=2, seed=7)
    seen = {c.vendor for c in fleet.cameras}
    assert {Vendor.HIKVISION, Vendor.DAHUA, Vendor.AXIS} <= seen
    for cam in fleet.cameras:
        if cam.vendor is Vendor.HIKVISION:
            assert re.fullmatch(re.escape(cam.model) + r"\d{8}[A-Z]{4}\d{9}", cam.serial), cam
        elif cam.vendor is Vendor.AXIS:
            assert re.fullmatch(r"ACCC8E[0-9A-F]{6}", cam.serial), cam
            assert cam.serial == cam.mac.replace(":", "").upper()
        elif cam.vendor is Vendor.DAHUA:
            assert re.fullmatch(r"[0-9A-Z]{15}", cam.serial), cam
    assert any(c.is_recorder and c.serial.startswith("DS-7608NI-K2") for c in fleet.cameras)
    again = SimFleet(cameras=60, recorders=2, seed=7)
    assert [c.serial for c in again.cameras] == [c.serial for c in fleet.cameras]
