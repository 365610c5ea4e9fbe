"""Onboarding's steps for one device: login, account, baseline, verify, inventory.

Each step either completes (recording what it did in ``Device.actions``) or raises StepFailed
with the reason in words; ``engine/onboard/runner.py`` turns that into the device's outcome. With
``dry_run`` the steps after login describe what they would do and send no write.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from fleetctl.adapters.factory import first_factory_login, vendor_of
from fleetctl.adapters.onvif import users as onvif_users
from fleetctl.adapters.onvif.client import sync_time, try_login
from fleetctl.adapters.onvif.config import read_settings, write_group
from fleetctl.adapters.secrets import SecretStore, load_secret_file
from fleetctl.base.i18n import M_, Msg
from fleetctl.core.errors import InventoryError
from fleetctl.core.models import Credential, Inventory, ProblemKind, Status
from fleetctl.core.probes import CallFailure
from fleetctl.core.push.plan import CameraPlan, plan_camera
from fleetctl.core.push.profile import Profile
from fleetctl.core.secret import Secret
from fleetctl.engine.check.runner import CheckOptions, check_camera
from fleetctl.engine.discover import DiscoveredDevice
from fleetctl.engine.onboard.activate import setup, wants_setup
from fleetctl.engine.onboard.device import (
    Device,
    StepFailed,
    _did,
    _fleet_credential,
    _store,
    joined,
    said,
)
from fleetctl.engine.onboard.model import OnboardOptions, Step, device_id, new_password
from fleetctl.engine.onboard.writes import write_camera
from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)


def _values(plan: CameraPlan, group: str) -> dict[str, Any]:
    return {c.setting: c.new for c in plan.changes if c.group == group}


def _change_text(plan: CameraPlan) -> list[Msg]:
    return [
        M_(
            "set %(setting)s: %(old)s -> %(new)s",
            setting=c.setting,
            old=repr(c.old),
            new=repr(c.new),
        )
        for c in plan.changes
    ] + [M_("not supported: %(setting)s", setting=u) for u in plan.unsupported]


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


async def _attempt(d: Device, cred: Credential, options: OnboardOptions) -> bool | None:
    password = cred.password.reveal() if cred.password is not None else ""
    return await try_login(d.camera, cred.username, password, timeout_s=options.timeout_s)


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
    tried = []
    candidates = _factory_candidates(d, store, options)
    for cred in candidates:
        opened = await _attempt(d, cred, options)
        if opened is None:
            raise StepFailed(
                Step.LOGIN,
                M_("%(where)s: no ONVIF answer", where=_where(d)),
            )
        if opened:
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
    await _account(d, store, options)
    d.step = Step.BASELINE
    await _baseline(d, options, profile)
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
    await _verify(d, options)
    d.step = Step.INVENTORY
    await _inventory(d, options)


async def _account(d: Device, store: SecretStore, options: OnboardOptions) -> None:
    """Step 2: fleet account stored, set, verified; then the factory account retired."""
    factory = d.factory
    if factory is None:
        return  # the fleet account opened it: a previous run got past this step
    fleet = _fleet_credential(d, store, options)
    ident = device_id(d.dev)
    where = f"{d.camera.host}:{d.camera.port}"
    if options.dry_run:
        what = (
            M_("generate a password, store it as `onboard-%(id)s`", id=ident)
            if fleet is None
            else M_("use credential `%(name)s`", name=fleet.name)
        )
        _did(
            d,
            M_(
                "%(what)s; create the fleet account; retire factory %(user)s "
                "(new random password stored as `recovery-%(id)s`)",
                what=what,
                user=factory.username,
                id=ident,
            ),
        )
        d.fleet = fleet
        return
    if fleet is None:
        site = store.credentials.get(options.credentials or "")
        username = site.username if site else options.username
        fleet = await _store(
            options.secrets_path, f"onboard-{ident}", username, new_password(), Step.ACCOUNT
        )
        _did(d, M_("stored a generated password as `%(name)s`", name=fleet.name))
    password = fleet.password.reveal() if fleet.password is not None else ""
    same = fleet.username == factory.username
    if same:
        # Changing the session's own password: the last call of that conversation.
        err = await onvif_users.set_password(
            d.camera, factory, fleet.username, password, timeout_s=options.timeout_s
        )
    else:
        err = await onvif_users.ensure_user(
            d.camera, factory, fleet.username, password, timeout_s=options.timeout_s
        )
    if err is not None:
        raise StepFailed(Step.ACCOUNT, said(err.message))
    if await _attempt(d, fleet, options) is not True:
        raise StepFailed(
            Step.ACCOUNT,
            M_(
                "%(where)s: the new account %(user)s does not log in"
                " (factory account left as it was)",
                where=where,
                user=fleet.username,
            ),
        )
    d.fleet = d.login = fleet
    _did(d, M_("fleet account %(user)s set and verified", user=fleet.username))
    if same:
        _did(d, M_("factory password of %(user)s replaced", user=factory.username))
        return
    recovery = await _store(
        options.secrets_path, f"recovery-{ident}", factory.username, new_password(), Step.ACCOUNT
    )
    err = await onvif_users.set_password(
        d.camera,
        fleet,
        factory.username,
        recovery.password.reveal() if recovery.password else "",
        timeout_s=options.timeout_s,
    )
    if err is not None:
        raise StepFailed(
            Step.ACCOUNT, M_("factory account not retired: %(error)s", error=err.message)
        )
    _did(
        d,
        M_(
            "factory account %(user)s retired (password in `%(name)s`)",
            user=factory.username,
            name=recovery.name,
        ),
    )


async def _baseline(d: Device, options: OnboardOptions, profile: Profile) -> None:
    """Step 3: write what the profile changes, group by group, then read it all back."""
    assert d.name is not None
    if d.settings is None:  # --dry-run on a device the set-up step has not opened yet
        _did(d, M_("baseline: the profile's settings, once the device is set up"))
        return
    plan = plan_camera(profile, d.settings, camera=d.name, site=options.site, n=d.n)
    if options.dry_run:
        d.actions.extend(_change_text(plan) or [M_("baseline: nothing to change")])
        return
    fleet = d.fleet
    assert fleet is not None
    for group in plan.groups:
        err = await write_group(
            d.camera, fleet, group, _values(plan, group), timeout_s=options.timeout_s
        )
        if err is not None:
            raise StepFailed(Step.BASELINE, said(err.message))
    if not plan.changes:
        return
    after = await read_settings(d.camera, fleet, timeout_s=options.timeout_s)
    if isinstance(after, CallFailure):
        raise StepFailed(Step.BASELINE, M_("read-back failed: %(error)s", error=after.message))
    left = plan_camera(profile, after, camera=d.name, site=options.site, n=d.n).changes
    if left:
        kept = [
            M_(
                "%(setting)s is %(old)s, not %(new)s",
                setting=c.setting,
                old=repr(c.old),
                new=repr(c.new),
            )
            for c in left
        ]
        raise StepFailed(
            Step.BASELINE, M_("the camera did not keep: %(settings)s", settings=joined(kept, ", "))
        )
    d.settings = after
    _did(d, M_("baseline applied and read back (%(groups)s)", groups=", ".join(plan.groups)))


async def _verify(d: Device, options: OnboardOptions) -> None:
    """Step 4: the health check a technician would run, on the camera as it will be listed."""
    assert d.fleet is not None
    camera = replace(d.camera, credentials=d.fleet.name)
    store = await asyncio.to_thread(load_secret_file, options.secrets_path)
    if d.fleet.name not in store.credentials:  # the site credential came from elsewhere
        store = replace(store, credentials={**store.credentials, d.fleet.name: d.fleet})
    workspace = Workspace(Inventory((camera,), (), ()), store)
    check = CheckOptions(
        timeout_s=options.timeout_s,
        stream_window_s=options.stream_window_s,
        probes=frozenset({"reach", "onvif", "stream"}),
    )
    for attempt in range(2):
        report = await check_camera(camera, workspace, check)
        clock = [p for p in report.problems if p.kind is ProblemKind.CLOCK]
        if clock and attempt == 0:
            # A fresh camera's clock is whatever its RTC kept (or the firmware epoch).
            err = await sync_time(camera, d.fleet, timeout_s=options.timeout_s)
            if err is None:
                _did(d, M_("clock set from this host"))
                continue
        bad = [p for p in report.problems if p.severity in (Status.CRIT, Status.UNKNOWN)]
        if report.status in (Status.CRIT, Status.UNKNOWN) or clock:
            why = [p.msg or said(p.message) for p in (bad or clock or list(report.problems))]
            raise StepFailed(
                Step.VERIFY,
                joined(why, "; ")
                if why
                else M_("check status %(status)s", status=report.status.value),
            )
        _did(
            d,
            M_("verified: %(status)s", status=report.status.value)
            if report.clock_offset_s is None
            else M_(
                "verified: %(status)s (clock offset %(offset)s s)",
                status=report.status.value,
                offset=format(report.clock_offset_s, "+.1f"),
            ),
        )
        return


async def _inventory(d: Device, options: OnboardOptions) -> None:
    """Step 5: append (or complete) the camera's entry; identity keys the schema accepts."""
    from fleetctl.core.inventory.schema import CAMERA_FIELDS

    assert d.name is not None and d.fleet is not None
    fields: dict[str, Any] = {"name": d.name, "host": d.camera.host}
    if d.camera.port != options.port:
        fields["port"] = d.camera.port
    if d.fleet.name != options.credentials:
        fields["credentials"] = d.fleet.name
    for key, value in (("endpoint", d.dev.endpoint), ("serial", d.dev.serial), ("mac", d.dev.mac)):
        if value and key in CAMERA_FIELDS:
            fields[key] = value
    try:
        changed = await write_camera(options.inventory_file, options.site, fields)
    except (InventoryError, OSError, ValueError) as err:  # the file stays as it was
        raise StepFailed(Step.INVENTORY, said(f"{options.inventory_file}: {err}")) from None
    _did(
        d,
        (M_("added to %(file)s", file=options.inventory_file))
        if changed
        else M_("already in %(file)s", file=options.inventory_file),
    )
