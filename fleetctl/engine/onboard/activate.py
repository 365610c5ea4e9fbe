"""Onboarding's first step for factory-fresh devices: the vendor's own set-up, before any login.

Hikvision (found by SADP): a device that is not activated has no password at all, and after
activation its ONVIF service is off and its ONVIF users are a list of their own. Per device:

1. read ``/SDK/activateStatus`` from the device (never trust what discovery said earlier);
2. inactive: generate the administrator password to the vendor's rules (16 letters and digits:
   8-16 characters, several kinds, never the user name), store it as ``recovery-<id>`` in the
   secrets file FIRST, then activate ONCE with the device's challenge, by the flow the device
   says it offers (``<supportVersion>`` 3: the V3 flow; else the documented one, never both).
   A refusal stops the device with the device's reason; the password is never sent again;
3. read the lockout policy where the device offers it (it is reported, never probed);
4. as ``admin`` (one Digest attempt per call; a refused password stops the device): ONVIF on,
   the fleet credential as ONVIF administrator, RTSP authentication Digest, each read back;
5. an ONVIF login with the fleet credential proves it before the usual steps go on with it.

Resumable: every part re-reads the device first, so a run killed between activation and the
ONVIF switch finishes on the next run (the device is activated, ``recovery-<id>`` opens it).
Devices without this step (old firmware, which still has a factory password) go on as before.
An uninitialised Dahua (found by DHIP) goes through its own initialisation: engine/onboard/dahua.py.
"""

from __future__ import annotations

from fleetctl.adapters.onvif import users as onvif_users
from fleetctl.adapters.onvif.client import try_login
from fleetctl.adapters.provision import axis as provision_axis
from fleetctl.adapters.provision import hikvision
from fleetctl.adapters.secrets import SecretStore
from fleetctl.base.i18n import M_
from fleetctl.core.models import Credential
from fleetctl.core.secret import Secret
from fleetctl.engine.discover import DeviceState
from fleetctl.engine.onboard.dahua import setup_dahua
from fleetctl.engine.onboard.device import (
    Device,
    StepFailed,
    _did,
    said,
)
from fleetctl.engine.onboard.model import OnboardOptions, Step, device_id, new_password
from fleetctl.engine.onboard.shared import _fleet, hikvision_password, onvif_on, store_admin


def _where(host: str, port: int) -> str:
    return f"{host}:{port}"


def wants_setup(
    dev_state: DeviceState | None, via: tuple[str, ...], ident: str, store: SecretStore
) -> str | None:
    """Which vendor set-up this device goes through, if any: an inactive Hikvision, an
    uninitialised Dahua or an Axis that needs setup, or one a previous run set up (its
    ``recovery-<id>`` entry exists)."""
    ours = f"recovery-{ident}" in store.credentials
    if "sadp" in via and (dev_state is DeviceState.INACTIVE or ours):
        return "hikvision"
    if "dhip" in via and (dev_state is DeviceState.UNINITIALISED or ours):
        return "dahua"
    if dev_state is DeviceState.NEEDS_SETUP or (dev_state is DeviceState.READY and ours):
        return "axis"
    return None


async def setup(d: Device, store: SecretStore, options: OnboardOptions, kind: str) -> None:
    if kind == "axis":
        await setup_axis(d, store, options)
    elif kind == "dahua":
        await setup_dahua(d, store, options)
    else:
        await setup_hikvision(d, store, options)


async def setup_axis(d: Device, store: SecretStore, options: OnboardOptions) -> None:
    """An Axis with no account: the administrator (stored as ``recovery-<id>`` first, created
    once while the device needs setup), then the fleet credential as its ONVIF account."""

    d.step = Step.ACTIVATE
    ident = device_id(d.dev)
    host, port = d.camera.host, d.camera.port
    where = f"{host}:{port}"
    needs = await provision_axis.probe(host, port, timeout_s=options.timeout_s)
    admin = store.credentials.get(f"recovery-{ident}")
    if needs is None:
        raise StepFailed(Step.ACTIVATE, M_("%(where)s: no answer to systemready", where=where))
    if needs:
        if options.dry_run:
            _did(
                d,
                M_(
                    "create the administrator root (password stored as `recovery-%(id)s`), "
                    "then the fleet ONVIF account",
                    id=ident,
                ),
            )
            d.provisioned = True
            return
        admin = await store_admin(d, options, provision_axis.ADMIN, new_password())
        try:
            await provision_axis.create_admin(
                host, port, admin.password or Secret(""), timeout_s=options.timeout_s
            )
        except hikvision.ProvisionError as err:
            raise StepFailed(Step.ACTIVATE, said(err.reason)) from None
        _did(d, M_("administrator root created; password stored as `%(name)s`", name=admin.name))
    elif admin is None:
        return  # set up by someone else: the factory login decides
    if options.dry_run:
        _did(d, M_("the fleet ONVIF account"))
        d.provisioned = True
        return
    fleet = await _fleet(d, store, options)
    password = (fleet.password or Secret("")).reveal()
    if await try_login(d.camera, fleet.username, password, timeout_s=options.timeout_s):
        _did(d, M_("ONVIF user %(user)s already set", user=fleet.username))
    else:
        failure = await onvif_users.ensure_user(
            d.camera, admin, fleet.username, password, timeout_s=options.timeout_s
        )
        if failure is not None:
            raise StepFailed(Step.ACTIVATE, said(str(failure)))
        if (
            await try_login(d.camera, fleet.username, password, timeout_s=options.timeout_s)
            is not True
        ):
            raise StepFailed(
                Step.ACTIVATE,
                M_(
                    "%(where)s: the new ONVIF user %(user)s does not log in",
                    where=where,
                    user=fleet.username,
                ),
            )
        _did(d, M_("ONVIF user %(user)s created and verified", user=fleet.username))
    d.login = d.fleet = fleet
    d.provisioned = True


async def setup_hikvision(d: Device, store: SecretStore, options: OnboardOptions) -> None:
    """Steps 1-5 of the module docstring; raises StepFailed, never anything else for the device."""

    d.step = Step.ACTIVATE
    ident = device_id(d.dev)
    host, port = d.camera.host, d.camera.port
    where = _where(host, port)
    async with hikvision.connect(host, port, timeout_s=options.timeout_s) as isapi:
        try:
            state = await isapi.activation()
            if state is None:
                return  # no activation on this firmware: the factory login decides
            admin = store.credentials.get(f"recovery-{ident}")
            if not state.activated:
                if options.dry_run:
                    _did(
                        d,
                        M_(
                            "activate by the V3 flow the device offers: generate a password, "
                            "store it as `recovery-%(id)s`, activate once; then ONVIF on, fleet "
                            "ONVIF user, RTSP Digest",
                            id=ident,
                        )
                        if state.v3
                        else M_(
                            "activate: generate a password, store it as `recovery-%(id)s`, "
                            "activate once; then ONVIF on, fleet ONVIF user, RTSP Digest",
                            id=ident,
                        ),
                    )
                    d.provisioned = True
                    return
                admin = await store_admin(d, options, hikvision.ADMIN, hikvision_password())
                await isapi.activate(admin.password or Secret(""), v3=state.v3)
                _did(
                    d,
                    M_(
                        "activated (V3 flow); administrator password stored as `%(name)s`",
                        name=admin.name,
                    )
                    if state.v3
                    else M_(
                        "activated; administrator password stored as `%(name)s`", name=admin.name
                    ),
                )
            elif admin is None:
                raise StepFailed(
                    Step.ACTIVATE,
                    M_(
                        "%(where)s: already activated by someone else; onboard it with its "
                        "administrator password as `factory-hikvision`",
                        where=where,
                    ),
                )
            policy = await isapi.lock_policy()
            if policy is not None and policy.enabled:
                _did(
                    d,
                    M_(
                        "the device locks an address after %(n)s failed logins for %(m)s min",
                        n=policy.max_failures or "?",
                        m=policy.minutes or "?",
                    ),
                )
            if options.dry_run:
                _did(d, M_("ONVIF on, fleet ONVIF user, RTSP Digest"))
                d.provisioned = True
                return
            isapi.login_as(admin.password or Secret(""))
            await onvif_on(d, isapi)
            fleet = await _fleet(d, store, options)
            await _onvif_user(d, isapi, fleet, options)
            if await isapi.rtsp_auth() != "digest":
                await isapi.set_rtsp_auth("digest")
                if await isapi.rtsp_auth() != "digest":
                    raise StepFailed(
                        Step.ACTIVATE,
                        M_(
                            "%(where)s: RTSP authentication stays %(kind)s",
                            where=where,
                            kind="basic",
                        ),
                    )
                _did(d, M_("RTSP authentication set to Digest"))
        except hikvision.ProvisionError as err:
            raise StepFailed(Step.ACTIVATE, said(err.reason)) from None
    d.login = d.fleet = fleet
    d.provisioned = True


async def _onvif_user(
    d: Device, isapi: hikvision.HikvisionSetup, fleet: Credential, options: OnboardOptions
) -> None:
    """The fleet credential as ONVIF administrator, proven by an ONVIF login with it."""

    password = fleet.password or Secret("")
    if not hikvision.password_ok(password.reveal(), fleet.username):
        raise StepFailed(
            Step.ACTIVATE,
            M_(
                "credential `%(name)s` breaks the device's password rules (8-16 characters, two "
                "kinds, not the user name)",
                name=fleet.name,
            ),
        )
    users = await isapi.onvif_users()
    # Ours from a previous run, or someone's: one ONVIF login says whether it is ours.
    if fleet.username in users and await try_login(
        d.camera, fleet.username, password.reveal(), timeout_s=options.timeout_s
    ):
        _did(d, M_("ONVIF user %(user)s already set", user=fleet.username))
        return
    await isapi.set_onvif_user(fleet.username, password, users.get(fleet.username))
    opened = await try_login(
        d.camera, fleet.username, password.reveal(), timeout_s=options.timeout_s
    )
    if opened is not True:
        raise StepFailed(
            Step.ACTIVATE,
            M_(
                "%(where)s: the new ONVIF user %(user)s does not log in",
                where=_where(d.camera.host, d.camera.port),
                user=fleet.username,
            ),
        )
    _did(d, M_("ONVIF user %(user)s created and verified", user=fleet.username))
