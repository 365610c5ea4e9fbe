"""Factory-fresh Dahua against the simulator's device side (sim/vendors/dahua.py, written from the
vendor's set-up wizard): DHIP discovery of each state on `lo`, the initialisation crypto, the
device's own refusal, one attempt per password, the ONVIF service and its user list."""

from __future__ import annotations

import json

import pytest

from fleetctl.adapters.discovery import dhip
from fleetctl.adapters.onvif.client import try_login
from fleetctl.adapters.provision import dahua
from fleetctl.core.models import Camera
from fleetctl.core.secret import Secret
from fleetctl.engine.discover import DeviceState, DeviceStatus, DiscoverOptions, discover
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet
from fleetctl.sim.vendors.hikvision import LOCK_AFTER

PASSWORD = "Gd7kPq2mXr9tBn4w"


def _waiting(fleet: SimFleet) -> SimCamera:
    return next(
        c
        for c in fleet.cameras
        if c.factory is not None and c.factory.kind == "dahua" and not c.factory.activated
    )


async def test_dhip_and_discover_show_each_state_on_lo() -> None:
    async with SimFleet(cameras=4, fresh=4, seed=31, rtsp=False) as fleet:
        dh = {c.host: c for c in fleet.cameras if c.vendor.value == "dahua"}
        waiting = {h for h, c in dh.items() if c.factory is not None}
        assert waiting and set(dh) - waiting  # one of each: uninitialised, old firmware
        heard = {d.address: d for d in await dhip.dhip_search(["127.0.0.1"], wait=1.0)}
        assert set(dh) <= set(heard)
        for host, cam in dh.items():
            assert heard[host].initialised is (host not in waiting)
            assert heard[host].mac == cam.mac and heard[host].serial == cam.serial
        ranges = tuple(c.host for c in fleet.cameras)
        report = await discover(None, DiscoverOptions(ranges=ranges, wait_s=1.0, tcp_ports=()))
        found = {d.address: d for d in report.devices if d.address in ranges}
        for host, cam in dh.items():
            dev = found[host]
            want = DeviceState.UNINITIALISED if host in waiting else DeviceState.READY
            assert (dev.status, dev.state) == (DeviceStatus.NEW, want)
            assert "dhip" in dev.via and dev.serial == cam.serial and dev.mac == cam.mac
            assert dev.device is not None and dev.device.model == cam.model
            assert dev.device.firmware and cam.firmware.startswith(dev.device.firmware)
            row = dev.to_json()
            assert row["state"] == want.value and "dhip" in row["via"]
            assert row["manufacturer"] == "Dahua"


def test_init_is_read_leniently() -> None:
    cases = [(1, False), (2, True), (3209, False), (3210, True), (0, False), (True, True)]
    cases += [(False, False), ("false", False), ("3210", True)]
    for value, want in cases:
        assert dhip.read_init(value) is want, value
    assert dhip.read_init(3) is None and dhip.read_init("maybe") is None
    assert dhip.read_init(None) is None and dhip.read_init(-1) is None


def test_hostile_replies_are_ignored_or_bounded() -> None:
    assert dhip.parse_reply(b"\x20\0\0\0DHIP" + b"\0" * 24 + b"not json", "127.0.0.9") is None
    assert dhip.parse_reply(dhip.frame({"method": "x"}), "127.0.0.9") is None
    long = {"method": "client.notifyDevInfo", "params": {"deviceInfo": {"DeviceType": "A" * 999}}}
    dev = dhip.parse_reply(dhip.frame(long), "127.0.0.9")
    assert dev is not None and dev.model is not None and len(dev.model) <= 128
    assert dev.initialised is None and dev.http_port is None


async def test_initialisation_crypto_sets_the_password_on_the_device() -> None:
    async with SimFleet(cameras=2, fresh=2, seed=32, rtsp=False) as fleet:
        cam = _waiting(fleet)
        assert cam.factory is not None
        async with dahua.connect(cam.host, cam.onvif_port, timeout_s=20.0) as dev:
            assert await dev.initialised() is False
            await dev.initialise(Secret(PASSWORD))
            await dev.access()
            assert await dev.initialised() is True
        # The device decrypted exactly what we sealed: its administrator has that password.
        assert cam.factory.activated and cam.factory.admin_password == PASSWORD
        assert cam.factory.protocol_agreed and cam.factory.access_set
        assert cam.factory.activations == 1 and not cam.factory.onvif_enabled


async def test_weak_password_refused_in_the_devices_words_and_not_resent() -> None:
    async with SimFleet(cameras=2, fresh=2, seed=33, rtsp=False) as fleet:
        cam = _waiting(fleet)
        assert cam.factory is not None
        async with dahua.connect(cam.host, cam.onvif_port, timeout_s=20.0) as dev:
            with pytest.raises(dahua.ProvisionError) as err:
                await dev.initialise(Secret("abc:defgh1"))
        assert "DevInit.account refused" in err.value.reason
        assert "cannot contain the characters" in err.value.reason
        assert "abc:defgh1" not in err.value.reason
        assert cam.factory.activations == 1 and not cam.factory.activated


async def test_a_second_account_is_refused_and_the_cgi_waits_for_initialisation() -> None:
    async with SimFleet(cameras=2, fresh=2, seed=34, rtsp=False) as fleet:
        cam = _waiting(fleet)
        assert cam.factory is not None
        async with dahua.connect(cam.host, cam.onvif_port, timeout_s=20.0) as dev:
            dev.login_as(Secret(PASSWORD))
            with pytest.raises(dahua.ProvisionError) as before:
                await dev.onvif_enabled()  # uninitialised: the CGI knows no one, asks no one
            assert "Invalid Authority" in before.value.reason and not cam.factory.failures
            await dev.initialise(Secret(PASSWORD))
            with pytest.raises(dahua.ProvisionError) as again:
                await dev.initialise(Secret("Other-pass-1234"))
        assert "already initialised" in again.value.reason
        assert cam.factory.admin_password == PASSWORD and cam.factory.activations == 2


async def test_onvif_service_and_user_then_a_real_onvif_login() -> None:
    async with SimFleet(cameras=2, fresh=2, seed=35, rtsp=False) as fleet:
        cam = _waiting(fleet)
        camera = Camera(name="d", host=cam.host, site="s", port=cam.onvif_port)
        async with dahua.connect(cam.host, cam.onvif_port, timeout_s=20.0) as dev:
            await dev.initialise(Secret(PASSWORD))
            # ONVIF is off: the service does not answer, whoever asks.
            assert await try_login(camera, "admin", PASSWORD, timeout_s=10.0) is None
            dev.login_as(Secret(PASSWORD))
            assert await dev.onvif_enabled() is False
            await dev.enable_onvif()
            assert await dev.onvif_enabled() is True
            # The administrator is not an ONVIF user: the list is its own.
            assert await try_login(camera, "admin", PASSWORD, timeout_s=10.0) is False
            with pytest.raises(dahua.ProvisionError) as weak:
                await dev.add_onvif_user("Fleetops1", Secret("fleetops1"))
            assert "same as the user name" in weak.value.reason
            await dev.add_onvif_user("fleetops", Secret("Fl33t/ops@x%2F"))
            assert await dev.dahua_onvif_users() == {"fleetops"}
        assert await try_login(camera, "fleetops", "Fl33t/ops@x%2F", timeout_s=10.0) is True


async def test_refused_admin_password_is_sent_once_and_the_address_locks() -> None:
    async with SimFleet(cameras=2, fresh=2, seed=36, rtsp=False) as fleet:
        cam = _waiting(fleet)
        assert cam.factory is not None
        async with dahua.connect(cam.host, cam.onvif_port, timeout_s=20.0) as dev:
            await dev.initialise(Secret(PASSWORD))
            dev.login_as(Secret("Wrong-but-valid1"))
            with pytest.raises(dahua.Refused):
                await dev.onvif_enabled()
            assert cam.factory.failures == {"127.0.0.1": 1}  # one attempt, nothing retried
            cam.factory.failures["127.0.0.1"] = LOCK_AFTER - 1
            dev.login_as(Secret("Wrong-but-valid1"))
            with pytest.raises(dahua.Refused):
                await dev.onvif_enabled()
            dev.login_as(Secret(PASSWORD))  # locked: the right password is refused too
            with pytest.raises(dahua.ProvisionError) as locked:
                await dev.onvif_enabled()
        assert "locked" in locked.value.reason.lower()


def test_envelope_matches_the_documented_construction() -> None:
    from base64 import b64decode

    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    n = key.public_key().public_numbers().n
    public = dahua.device_key(f"N:{n:X},E:010001")
    envelope = dahua.seal(public, {"name": "admin", "pwd": "x"})
    assert envelope["cipher"] == "AES-256" and len(envelope["salt"]) == 512
    secret = key.decrypt(bytes.fromhex(envelope["salt"]), padding.PKCS1v15())
    assert len(secret) == 32 and secret.isdigit()
    dec = Cipher(algorithms.AES(secret), modes.CBC(b"0" * 16)).decryptor()
    plain = dec.update(b64decode(envelope["content"])) + dec.finalize()
    assert json.loads(plain[: -plain[-1]]) == {"name": "admin", "pwd": "x"}
    assert dahua.password_ok("Gd7kPq2mXr9tBn4w") and not dahua.password_ok("Ab1;defgh")
