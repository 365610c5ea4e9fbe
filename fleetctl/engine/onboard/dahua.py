"""Onboarding's first step for an uninitialised Dahua (found by DHIP): the vendor's
initialisation, its ONVIF service and ONVIF user, before any login.

Per device, as ``activate`` does for an inactive Hikvision:

1. ask the device whether it is initialised (``DevInit.getStatus``; never what discovery said);
2. uninitialised: generate the administrator password to the vendor's rules (16 letters and
   digits: 8-32 characters, several kinds, none of ``' " ; : &``, never the user name), store
   it as ``recovery-<id>`` in the secrets file FIRST, then agree, read the device key and send
   the account ONCE (``DevInit.account``); a refusal stops the device with the device's own
   words and that password is never sent again; then ``DevInit.access`` (a refusal there is
   reported, not fatal: the vendor's wizard goes on too);
3. as ``admin`` (one Digest attempt per call; a refused password or a locked address stops the
   device): ONVIF service on and read back, the fleet credential as ONVIF administrator;
4. an ONVIF login with the fleet credential proves it before the usual steps go on with it.

Resumable: every part re-reads the device first, so a run killed between initialisation and the
ONVIF switch finishes on the next run (initialised, ``recovery-<id>`` opens it, never sent again).
"""

from __future__ import annotations

from fleetctl.adapters.onvif.client import try_login
from fleetctl.adapters.provision import dahua
from fleetctl.adapters.provision.hikvision import ProvisionError
from fleetctl.adapters.secrets import SecretStore
from fleetctl.base.i18n import M_
from fleetctl.core.models import Credential
from fleetctl.core.secret import Secret
from fleetctl.engine.onboard.device import Device, StepFailed, _did, said
from fleetctl.engine.onboard.model import OnboardOptions, Step, device_id, new_password
from fleetctl.engine.onboard.shared import _fleet, onvif_on, store_admin

DAHUA_PASSWORD_LENGTH = 16


def dahua_password() -> str:
    while True:
        pw = new_password(DAHUA_PASSWORD_LENGTH)
        if dahua.password_ok(pw):
            return pw


async def setup_dahua(d: Device, store: SecretStore, options: OnboardOptions) -> None:
    """Steps 1-4 of the module docstring; raises StepFailed, never anything else for the device."""

    d.step = Step.ACTIVATE
    ident = device_id(d.dev)
    where = f"{d.camera.host}:{d.camera.port}"
    async with dahua.connect(d.camera.host, d.camera.port, timeout_s=options.timeout_s) as dev:
        try:
            initialised = await dev.initialised()
            if initialised is None:
                return  # no initialisation on this firmware: the factory login decides
            admin = store.credentials.get(f"recovery-{ident}")
            if not initialised:
                if options.dry_run:
                    _did(
                        d,
                        M_(
                            "initialise: generate a password, store it as `recovery-%(id)s`, "
                            "initialise once; then ONVIF on, fleet ONVIF user",
                            id=ident,
                        ),
                    )
                    d.provisioned = True
                    return
                admin = await store_admin(d, options, dahua.ADMIN, dahua_password())
                await dev.initialise(admin.password or Secret(""))
                _did(
                    d,
                    M_("initialised; administrator password stored as `%(name)s`", name=admin.name),
                )
                try:
                    await dev.access()
                except ProvisionError as err:
                    _did(d, M_("cloud and upgrade choices not set: %(why)s", why=err.reason))
            elif admin is None:
                raise StepFailed(
                    Step.ACTIVATE,
                    M_(
                        "%(where)s: already initialised by someone else; onboard it with its "
                        "administrator password as `factory-dahua`",
                        where=where,
                    ),
                )
            if options.dry_run:
                _did(d, M_("ONVIF on, fleet ONVIF user"))
                d.provisioned = True
                return
            dev.login_as(admin.password or Secret(""))
            await onvif_on(d, dev)
            fleet = await _fleet(d, store, options)
            await _onvif_user(d, dev, fleet, options)
        except ProvisionError as err:
            raise StepFailed(Step.ACTIVATE, said(err.reason)) from None
    d.login = d.fleet = fleet
    d.provisioned = True


async def _onvif_user(
    d: Device, dev: dahua.DahuaSetup, fleet: Credential, options: OnboardOptions
) -> None:
    """The fleet credential as ONVIF administrator, proven by an ONVIF login with it."""

    where = f"{d.camera.host}:{d.camera.port}"
    password = (fleet.password or Secret("")).reveal()
    if not dahua.password_ok(password, fleet.username):
        raise StepFailed(
            Step.ACTIVATE,
            M_(
                "credential `%(name)s` breaks the device's password rules (8-32 characters, two "
                "kinds, none of ' \" ; : &, not the user name)",
                name=fleet.name,
            ),
        )
    if fleet.username in await dev.dahua_onvif_users():
        # Ours from a previous run, or someone's: one ONVIF login says whether it is ours.
        if await try_login(d.camera, fleet.username, password, timeout_s=options.timeout_s):
            _did(d, M_("ONVIF user %(user)s already set", user=fleet.username))
            return
        raise StepFailed(
            Step.ACTIVATE,
            M_(
                "%(where)s: ONVIF user %(user)s exists with another password",
                where=where,
                user=fleet.username,
            ),
        )
    await dev.add_onvif_user(fleet.username, fleet.password or Secret(""))
    if await try_login(d.camera, fleet.username, password, timeout_s=options.timeout_s) is not True:
        raise StepFailed(
            Step.ACTIVATE,
            M_(
                "%(where)s: the new ONVIF user %(user)s does not log in",
                where=where,
                user=fleet.username,
            ),
        )
    _did(d, M_("ONVIF user %(user)s created and verified", user=fleet.username))
