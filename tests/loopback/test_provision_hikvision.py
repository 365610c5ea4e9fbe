"""Factory-fresh Hikvision against the simulator's device side (sim/vendors/hikvision.py, written
from the vendor's description): the activation crypto, the device's own refusal, one attempt per
password, SADP discovery of each state on `lo`."""

from __future__ import annotations

import pytest

from fleetctl.adapters.discovery.sadp import sadp_probe
from fleetctl.adapters.provision import hikvision
from fleetctl.core.secret import Secret
from fleetctl.engine.discover import DeviceState, DeviceStatus, DiscoverOptions, discover
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet


def _inactive(fleet: SimFleet) -> SimCamera:
    return next(c for c in fleet.cameras if c.factory is not None and not c.factory.activated)


async def test_activation_crypto_sets_the_password_on_the_device() -> None:
    async with SimFleet(cameras=1, fresh=1, seed=11, rtsp=False) as fleet:
        cam = _inactive(fleet)
        assert cam.factory is not None
        async with hikvision.connect(cam.host, cam.onvif_port, timeout_s=10.0) as isapi:
            assert await isapi.activated() is False
            await isapi.activate(Secret("Gd7kPq2mXr9tBn4w"))
            assert await isapi.activated() is True
        # The device decrypted exactly what we sealed: its administrator has that password.
        assert cam.factory.activated and cam.factory.admin_password == "Gd7kPq2mXr9tBn4w"
        assert cam.factory.activations == 1 and not cam.factory.onvif_enabled


async def test_weak_password_refused_in_the_devices_words_and_not_resent() -> None:
    async with SimFleet(cameras=1, fresh=1, seed=12, rtsp=False) as fleet:
        cam = _inactive(fleet)
        assert cam.factory is not None
        async with hikvision.connect(cam.host, cam.onvif_port, timeout_s=10.0) as isapi:
            with pytest.raises(hikvision.ProvisionError) as err:
                await isapi.activate(Secret("admin"))
        assert "riskPassword" in err.value.reason and "8-16" in err.value.reason
        assert "admin" not in err.value.reason.split(":")[0]
        assert cam.factory.activations == 1 and not cam.factory.activated


async def test_refused_admin_password_is_sent_once_and_counted_per_address() -> None:
    async with SimFleet(cameras=1, fresh=1, seed=13, rtsp=False) as fleet:
        cam = _inactive(fleet)
        assert cam.factory is not None
        async with hikvision.connect(cam.host, cam.onvif_port, timeout_s=10.0) as isapi:
            await isapi.activate(Secret("Gd7kPq2mXr9tBn4w"))
            isapi.login_as(Secret("Wrong-but-valid1"))
            with pytest.raises(hikvision.Refused):
                await isapi.onvif_enabled()
            policy = await isapi.lock_policy()
        assert policy is not None and policy.max_failures == hikvision_lock_after()
        assert cam.factory.failures == {"127.0.0.1": 1}  # one attempt, nothing retried


def hikvision_lock_after() -> int:
    from fleetctl.sim.vendors.hikvision import LOCK_AFTER

    return LOCK_AFTER


async def test_sadp_and_discover_show_each_state_on_lo() -> None:
    async with SimFleet(cameras=4, fresh=4, seed=14, rtsp=False) as fleet:
        hik = {c.host: c for c in fleet.cameras if c.vendor.value == "hikvision"}
        inactive = {h for h, c in hik.items() if c.factory is not None}
        assert inactive and set(hik) - inactive  # one of each: inactive, old firmware
        heard = {d.address: d for d in await sadp_probe(["127.0.0.1"], wait=1.0)}
        for host, cam in hik.items():
            assert heard[host].activated is (host not in inactive)
            assert heard[host].mac == cam.mac.replace(":", "-")
        ranges = tuple(c.host for c in fleet.cameras)
        report = await discover(None, DiscoverOptions(ranges=ranges, wait_s=1.0, tcp_ports=()))
        found = {d.address: d for d in report.devices if d.address in ranges}
        for host, cam in hik.items():
            dev = found[host]
            want = DeviceState.INACTIVE if host in inactive else DeviceState.READY
            assert (dev.status, dev.state) == (DeviceStatus.NEW, want)
            assert dev.serial == cam.serial and dev.mac == cam.mac
            assert dev.device is not None and dev.device.firmware == cam.firmware
            assert dev.to_json()["state"] == want.value
        # The others are Dahua: DHIP answers for them (tests/loopback/test_provision_dahua.py).
        others = [d for h, d in found.items() if h not in hik]
        assert others and all("sadp" not in d.via and "dhip" in d.via for d in others)


def test_seal_matches_the_documented_construction() -> None:
    key = hikvision.new_key()
    random_key = "00112233445566778899aabbccddeeff"
    sealed = hikvision.seal_password(random_key, "Pass1234")
    from base64 import b64decode

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    raw = bytes.fromhex(b64decode(sealed).decode())
    dec = Cipher(algorithms.AES(bytes.fromhex(random_key)), modes.ECB()).decryptor()
    plain = dec.update(raw) + dec.finalize()
    assert len(raw) == 32 and plain == b"0011223344556677Pass1234" + b"\0" * 8
    assert len(b64decode(hikvision.public_key_field(key))) == 256
