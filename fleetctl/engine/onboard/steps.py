"""Onboarding's steps for one device: login, account, baseline, verify, inventory.

``login`` (step 1, below, after the vendor set-up where the device needs one) and ``take_in``
(steps 2-5 in order: ``account`` in ``account.py``, ``baseline``, ``verify`` and ``inventory`` in
``commission.py``) are what ``runner`` calls.

Each step either completes (recording what it did in ``Device.actions``) or raises StepFailed
with the reason in words; ``engine/onboard/runner.py`` turns that into the device's outcome. With
``dry_run`` the steps after login describe what they would do and send no write.
"""

from __future__ import annotations

from fleetctl.adapters.factory import first_factory_login, vendor_of
from fleetctl.adapters.onvif.config import read_settings
from fleetctl.adapters.secrets import SecretStore
from fleetctl.base.i18n import M_
from fleetctl.core.models import Credential
from fleetctl.core.probes import CallFailure
from fleetctl.core.push.profile import Profile
from fleetctl.core.secret import Secret
from fleetctl.engine.discover import DiscoveredDevice
from fleetctl.engine.onboard.account import account
from fleetctl.engine.onboard.activate import setup, wants_setup
from fleetctl.engine.onboard.commission import baseline, inventory, verify
from fleetctl.engine.onboard.device import (
    Device,
    StepFailed,
    _attempt,
    _did,
    _fleet_credential,
)
from fleetctl.engine.onboard.model import OnboardOptions, Step, device_id
from fleetctl.engine.onboard.refusals import forget_device, refused_at, remember_refusal


def _factory_candidates(d: Device, store: SecretStore, options: OnboardOptions) -> list[Credential]:
    if options.factory_credentials:
        return [store.get(n) for n in options.factory_credentials]
    manufacturer = _maker(d.dev)
    configured = store.credentials.get(f"factory-{vendor_of(manufacturer)}")
    if configured is not None:
        return [configured]
    builtin = first_factory_login(manufacturer)
    return [
        Credential(f"built-in {builtin.vendor} default", builtin.username, Secret(builtin.password))
    ]


def _where(d: Device) -> str:
    return f"{d.camera.host}:{d.camera.port}"


def _maker(dev: DiscoveredDevice) -> str | None:
    """Who made it: GetDeviceInformation when it answered without auth (many refuse), else the
    WS-Discovery name and hardware scopes ("HIKVISION DS-2CD2143G2-I")."""
    parts = (dev.device.manufacturer if dev.device else None, dev.scopes.name, dev.scopes.hardware)
    return " ".join(p for p in parts if p) or None


async def login(d: Device, store: SecretStore, options: OnboardOptions) -> None:
    """Step 1: one attempt per configured factory credential, then, only where a previous run
    retired the factory password, the fleet credential (a wrong guess counts towards lockout)."""
    kind = wants_setup(d.dev.state, d.dev.via, device_id(d.dev), store)
    if kind is not None:
        await setup(d, store, options, kind)
        d.step = Step.LOGIN
        if d.provisioned:
            if d.login is None:  # --dry-run: nothing was sent, nothing to read
                return
            await _read_settings(d, options)
            return
    tried: list[str] = []
    held: list[str] = []  # refused by this device in an earlier run: not sent again
    candidates = _factory_candidates(d, store, options)
    ident = device_id(d.dev)
    for cred in candidates:
        when = refused_at(options.refusals_path, ident, cred)
        if when is not None:
            held.append(f"{cred.username} ({cred.name}, {when})")
            continue
        opened = await _attempt(d, cred, options)
        if opened is None:
            raise StepFailed(
                Step.LOGIN,
                M_("%(where)s: no ONVIF answer", where=_where(d)),
            )
        if not opened and not options.dry_run:
            remember_refusal(options.refusals_path, ident, cred)
        if opened:
            forget_device(options.refusals_path, ident)
            d.login = d.factory = cred
            _did(
                d,
                M_(
                    "logged in with the factory account %(user)s (%(name)s)",
                    user=cred.username,
                    name=cred.name,
                ),
            )
            break
        tried.append(f"{cred.username} ({cred.name})")
    else:
        fleet = _fleet_credential(d, store, options)
        # Ours to try when a `recovery-<id>` entry says we retired the factory password, or
        # when the fleet account *is* the factory account (its password was changed in place).
        ours = fleet is not None and (
            f"recovery-{device_id(d.dev)}" in store.credentials
            or fleet.username in {c.username for c in candidates}
        )
        if fleet is not None and ours and await _attempt(d, fleet, options):
            d.login = d.fleet = fleet
            _did(
                d,
                M_("factory login refused; fleet account %(user)s opens it", user=fleet.username),
            )
        else:
            vendor = vendor_of(_maker(d.dev))
            if held and not tried:
                raise StepFailed(
                    Step.LOGIN,
                    M_(
                        "factory login not sent: this device refused %(held)s before, and each "
                        "refusal counts towards locking this address out; store the device's "
                        "password as `factory-%(vendor)s` in the secrets file, or reset the camera",
                        held=", ".join(held),
                        vendor=vendor,
                    ),
                )
            raise StepFailed(
                Step.LOGIN,
                M_(
                    "factory login rejected (%(tried)s): store the device's password "
                    "as `factory-%(vendor)s` in the secrets file, or reset the camera",
                    tried=", ".join(tried),
                    vendor=vendor,
                ),
            )
    await _read_settings(d, options)


async def _read_settings(d: Device, options: OnboardOptions) -> None:
    assert d.login is not None
    settings = await read_settings(d.camera, d.login, timeout_s=options.timeout_s)
    if isinstance(settings, CallFailure):
        raise StepFailed(
            Step.LOGIN,
            M_("logged in, but settings unreadable: %(error)s", error=settings.message),
        )
    d.settings = settings


async def take_in(d: Device, store: SecretStore, options: OnboardOptions, profile: Profile) -> None:
    """Steps 2-5 for a device that opened; ``options.dry_run`` describes them, sends no write."""
    d.step = Step.ACCOUNT
    await account(d, store, options)
    d.step = Step.BASELINE
    await baseline(d, options, profile)
    if options.dry_run:
        _did(d, M_("verify: clock in sync, stream plays"))
        _did(
            d,
            M_(
                "add %(name)s to %(file)s (site %(site)s)",
                name=d.name or "",
                file=options.inventory_file,
                site=options.site,
            ),
        )
        return
    d.step = Step.VERIFY
    await verify(d, options)
    d.step = Step.INVENTORY
    await inventory(d, options)
