"""What the vendor set-up steps share (engine/onboard/activate.py for Hikvision and Axis,
engine/onboard/dahua.py for Dahua): the administrator password stored before the one request
that sends it, the ONVIF service switched on and read back, the fleet credential."""

from __future__ import annotations

from typing import Protocol

from fleetctl.adapters.provision import hikvision
from fleetctl.adapters.secrets import SecretStore
from fleetctl.base.i18n import M_
from fleetctl.core.models import Credential
from fleetctl.engine.onboard.device import (
    Device,
    StepFailed,
    _did,
    _fleet_credential,
    _store,
)
from fleetctl.engine.onboard.model import OnboardOptions, Step, device_id, new_password

HIKVISION_PASSWORD_LENGTH = 16  # the vendor's maximum


def hikvision_password() -> str:
    while True:
        pw = new_password(HIKVISION_PASSWORD_LENGTH)
        if hikvision.password_ok(pw):
            return pw


async def store_admin(
    d: Device, options: OnboardOptions, username: str, password: str
) -> Credential:
    """The device's new administrator password, stored as ``recovery-<id>`` BEFORE the one
    request that sends it (counted in ``d.activations``)."""
    admin = await _store(
        options.secrets_path, f"recovery-{device_id(d.dev)}", username, password, Step.ACTIVATE
    )
    d.activations += 1
    return admin


class OnvifSwitch(Protocol):
    """A device whose ONVIF service has an on/off switch (Hikvision's integration setting,
    Dahua's ONVIF service)."""

    where: str

    async def onvif_enabled(self) -> bool: ...

    async def enable_onvif(self) -> None: ...


async def onvif_on(d: Device, device: OnvifSwitch) -> None:
    """The device's ONVIF service switched on and read back."""
    if await device.onvif_enabled():
        return
    await device.enable_onvif()
    if not await device.onvif_enabled():
        raise StepFailed(Step.ACTIVATE, M_("%(where)s: ONVIF stays off", where=device.where))
    _did(d, M_("ONVIF service enabled"))


async def _fleet(d: Device, store: SecretStore, options: OnboardOptions) -> Credential:
    """The fleet credential (stored first when generated), to the strictest vendor rule."""

    fleet = _fleet_credential(d, store, options)
    if fleet is None:
        site = store.credentials.get(options.credentials or "")
        fleet = await _store(
            options.secrets_path,
            f"onboard-{device_id(d.dev)}",
            site.username if site else options.username,
            hikvision_password(),
            Step.ACTIVATE,
        )
        _did(d, M_("stored a generated password as `%(name)s`", name=fleet.name))
    return fleet
