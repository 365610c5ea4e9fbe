"""A factory-fresh Axis against the simulator's device side (sim/vendors/axis.py): `discover` says
needs-setup then ready; the first administrator is made once, without auth, only while the
device needs setup; a refusal comes in the device's words."""

from __future__ import annotations

import pytest

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
