"""Hikvision's newer (V3) activation against the simulator's device side
(sim/vendors/hikvision_v3.py, written from the format description, not from our client), over real
HTTP on loopback: the V3 crypto, the device's signal deciding the flow, the device's own words for a
weak password, and the password stored before it is sent and never resent."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetctl.adapters.provision import hikvision, hikvision_v3
from fleetctl.adapters.secrets import load_secret_file
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.secret import Secret
from fleetctl.engine.discover import DiscoverOptions
from fleetctl.engine.onboard.runner import OnboardOptions, Result, Step, onboard
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.fleet import SimFleet
from fleetctl.sim.vendors import hikvision as sim_hikvision

PASSWORD = "Gd7kPq2mXr9tBn4w"


def _inactive(fleet: SimFleet, *, v3: bool) -> SimCamera:
    return next(
        c
        for c in fleet.cameras
        if c.factory is not None and c.factory.kind == "hikvision" and c.factory.activate_v3 is v3
    )


async def test_v3_activation_sets_the_password_on_the_device() -> None:
    async with SimFleet(cameras=6, fresh=6, seed=31, rtsp=False) as fleet:
        cam = _inactive(fleet, v3=True)
        assert cam.factory is not None
        async with hikvision.connect(cam.host, cam.onvif_port, timeout_s=20.0) as isapi:
            state = await isapi.activation()
            assert state == hikvision.Activation(activated=False, v3=True)
            await isapi.activate(Secret(PASSWORD), v3=True)
            assert await isapi.activation() == hikvision.Activation(activated=True, v3=True)
        # The device decrypted exactly what we sealed: its administrator has that password.
        assert cam.factory.activated and cam.factory.admin_password == PASSWORD
        assert cam.factory.activations == 1
        assert cam.counters.requests["/ISAPI/Security/challenge"] == 0  # the older flow unused


async def test_each_device_refuses_the_other_flow_and_its_own_signal_picks_ours() -> None:
    async with SimFleet(cameras=6, fresh=6, seed=32, rtsp=False) as fleet:
        v3, older = _inactive(fleet, v3=True), _inactive(fleet, v3=False)
        assert v3.factory is not None and older.factory is not None
        # The wrong flow, sent on purpose: each device refuses it in its own words.
        async with hikvision.connect(v3.host, v3.onvif_port, timeout_s=20.0) as isapi:
            with pytest.raises(hikvision.ProvisionError) as err:
                await isapi.activate(Secret(PASSWORD), v3=False)
            assert "badParameters" in err.value.reason and not v3.factory.activated
        async with hikvision.connect(older.host, older.onvif_port, timeout_s=20.0) as isapi:
            with pytest.raises(hikvision.ProvisionError) as err:
                await isapi.activate(Secret(PASSWORD), v3=True)
            assert "notSupport" in err.value.reason and not older.factory.activated
        # Our client goes by what each device says in /SDK/activateStatus.
        for cam, offers_v3 in ((v3, True), (older, False)):
            assert cam.factory is not None
            async with hikvision.connect(cam.host, cam.onvif_port, timeout_s=20.0) as isapi:
                state = await isapi.activation()
                assert state is not None and state.v3 is offers_v3
                await isapi.activate(Secret(PASSWORD), v3=state.v3)
            assert cam.factory.activated and cam.factory.admin_password == PASSWORD
        v3_asked = v3.counters.requests["/ISAPI/System/activate/StartActivateV3"]
        assert v3_asked == 1 and older.counters.requests["/ISAPI/Security/challenge"] == 1


async def test_weak_password_refused_by_a_v3_device_in_its_own_words() -> None:
    async with SimFleet(cameras=6, fresh=6, seed=33, rtsp=False) as fleet:
        cam = _inactive(fleet, v3=True)
        assert cam.factory is not None
        async with hikvision.connect(cam.host, cam.onvif_port, timeout_s=20.0) as isapi:
            with pytest.raises(hikvision.ProvisionError) as err:
                await isapi.activate(Secret("abcdefghij"), v3=True)
        device_words = sim_hikvision.password_problem("abcdefghij")
        assert device_words is not None and device_words in err.value.reason
        assert "riskPassword" in err.value.reason and "abcdefghij" not in err.value.reason
        assert cam.factory.activations == 1 and not cam.factory.activated


async def test_onboard_stores_the_v3_password_first_and_never_resends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with SimFleet(cameras=6, fresh=6, seed=34) as fleet:
        cam = _inactive(fleet, v3=True)
        assert cam.factory is not None
        inv, secrets = fleet.write_inventory(tmp_path / "box.yaml")
        inventory = load_inventory(str(inv))
        site = inventory.sites[0]
        received: list[str] = []
        stored_then: list[str | None] = []
        rule = sim_hikvision.password_problem

        def first_refused(password: str, username: str = "admin") -> str | None:
            if username != "admin":  # an ONVIF user's password, checked by the same rule
                return rule(password, username)
            # The device's view as each administrator password arrives: stored already?
            received.append(password)
            entry = next(
                (
                    c
                    for n, c in load_secret_file(str(secrets)).credentials.items()
                    if n.startswith("recovery-")
                ),
                None,
            )
            stored_then.append(entry.password.reveal() if entry and entry.password else None)
            return (
                "password too similar to a previous one" if len(received) == 1 else rule(password)
            )

        monkeypatch.setattr(sim_hikvision, "password_problem", first_refused)
        opts = OnboardOptions(
            site=site.name,
            inventory_file=str(inv),
            secrets_path=str(secrets),
            credentials=site.credentials,
            timeout_s=20.0,  # load-tolerant: RSA-3072 on a shared machine
            stream_window_s=1.0,
            discover=DiscoverOptions(ranges=(cam.host,), wait_s=1.0, tcp_ports=(), timeout_s=5.0),
        )
        report = await onboard(inventory, load_secret_file(str(secrets)), opts)
        (row,) = report.devices
        assert (row.result, row.step) == (Result.FAILED, Step.ACTIVATE)
        assert row.reason is not None and "password too similar to a previous one" in row.reason
        assert row.activations == 1 and cam.factory.activations == 1 and not cam.factory.activated
        assert received and stored_then == received  # stored before it was sent

        again = await onboard(load_inventory(str(inv)), load_secret_file(str(secrets)), opts)
        (row,) = again.devices
        assert row.result is Result.ONBOARDED, row.reason
        # The rerun read the device again and activated it once with a NEW password, stored
        # first; the refused one was never sent again.
        assert cam.factory.activations == 2 and len(received) == 2
        assert received[1] != received[0] and stored_then[1] == received[1]
        assert cam.factory.activated and cam.factory.admin_password == received[1]
        assert cam.counters.requests["/ISAPI/System/activate/StartActivateV3"] == 2


def test_v3_seal_is_aes_cbc_over_the_documented_plaintext() -> None:
    random_key = "00112233445566778899aabbccddeeff"
    iv = bytes(range(16))
    body = json.loads(hikvision_v3.activate_request(random_key, "Pass1234", iv))
    assert body["iv"] == iv.hex()
    raw = bytes.fromhex(base64.b64decode(body["password"]).decode())
    dec = Cipher(algorithms.AES(bytes.fromhex(random_key)), modes.CBC(iv)).decryptor()
    unpad = sym_padding.PKCS7(128).unpadder()
    plain = unpad.update(dec.update(raw) + dec.finalize()) + unpad.finalize()
    assert len(raw) == 32 and plain == b"0011223344556677Pass1234"
    key = hikvision_v3.new_key()
    sent = json.loads(hikvision_v3.challenge_request(key))
    assert len(base64.b64decode(sent["publicKey"])) == 768  # RSA-3072 modulus as hex


async def test_one_rsa_3072_key_serves_every_device_and_is_made_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[object] = []
    real = hikvision_v3.new_key

    def counted() -> object:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(hikvision_v3, "_shared", None)
    monkeypatch.setattr(hikvision_v3, "new_key", counted)
    keys = await asyncio.gather(*(hikvision_v3.shared_key() for _ in range(8)))
    assert len(made) == 1 and all(k is made[0] for k in keys)
    assert made[0].key_size == hikvision_v3.KEY_BITS  # type: ignore[attr-defined]
