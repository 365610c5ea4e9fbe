"""A factory-fresh Axis against the simulator's device side (sim/vendors/axis.py): `discover` says
needs-setup then ready; the first administrator is made once, without auth, only while the
device needs setup; a refusal comes in the device's words."""

from __future__ import annotations

import aiohttp
import pytest

from fleetctl.adapters.discovery import axis as basic
from fleetctl.adapters.provision import axis
from fleetctl.adapters.provision.hikvision import ProvisionError
from fleetctl.core.secret import Secret
from fleetctl.engine.discover import DeviceState, DiscoverOptions, discover
from fleetctl.sim.fleet import SimFleet


async def test_first_administrator_once_and_discover_states() -> None:
    async with SimFleet(cameras=5, fresh=5, seed=31, rtsp=False) as fleet:
        cam = next(c for c in fleet.cameras if c.factory and c.factory.kind == "axis")
        assert cam.factory is not None and not cam.users
        ranges = (cam.host,)
        opts = DiscoverOptions(ranges=ranges, multicast=False, wait_s=1.0, tcp_ports=())
        (dev,) = [d for d in (await discover(None, opts)).devices if d.address == cam.host]
        assert dev.state is DeviceState.NEEDS_SETUP and dev.to_json()["state"] == "needs-setup"
        said = (cam.model, cam.serial, cam.firmware)  # basicdeviceinfo.cgi, without credentials
        assert dev.device is not None and dev.device.manufacturer == "AXIS"
        assert (dev.device.model, dev.device.serial, dev.device.firmware) == said

        with pytest.raises(ProvisionError) as err:  # the device's own words
            await axis.create_admin(cam.host, cam.onvif_port, Secret(""), timeout_s=10.0)
        assert "1-64" in err.value.reason and cam.factory.admin_password is None

        await axis.create_admin(cam.host, cam.onvif_port, Secret("Ax1sRootPass"), timeout_s=10.0)
        assert cam.factory.admin_password == "Ax1sRootPass"
        with pytest.raises(ProvisionError):  # no longer without auth
            await axis.create_admin(cam.host, cam.onvif_port, Secret("Other1234"), timeout_s=10.0)
        assert cam.factory.admin_password == "Ax1sRootPass" and cam.factory.activations == 1
        (dev,) = [d for d in (await discover(None, opts)).devices if d.address == cam.host]
        assert dev.state is DeviceState.READY
        assert dev.device is not None and dev.device.serial == cam.serial  # still, once set up


async def test_basic_device_info_hostile_and_refused() -> None:
    """Control characters and over-long fields cleaned and bounded; another method, a GET or a
    non-Axis device: no device information, never an exception."""
    async with SimFleet(cameras=5, fresh=5, seed=31, rtsp=False) as fleet:
        cam = next(c for c in fleet.cameras if c.factory and c.factory.kind == "axis")
        other = next(c for c in fleet.cameras if c.vendor.value != "axis")
        cam.model = "M3106\x1b]0;pwned\x07-L" + "x" * 5000
        async with aiohttp.ClientSession() as session:
            info = await basic.device_info(session, cam.host, cam.onvif_port, 10.0)
            assert info is not None and info.model is not None
            assert info.model.startswith("M3106-Lxxx") and len(info.model) <= basic.FIELD_LIMIT
            assert info.serial == cam.serial and "\x1b" not in info.model
            assert await basic.device_info(session, other.host, other.onvif_port, 10.0) is None
            url = f"http://{cam.host}:{cam.onvif_port}{basic.PATH}"
            async with session.post(url, json={"apiVersion": "1.0", "method": "nope"}) as resp:
                assert "error" in await resp.json() and basic.parse(await resp.json()) is None
            async with session.get(url) as resp:
                assert resp.status == 405
