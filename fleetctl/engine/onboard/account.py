"""Onboarding's step 2 for one device: the fleet account stored, set and verified, then the
factory account retired (its new random password stored first as ``recovery-<id>``).

Raises StepFailed with the reason in words; with ``dry_run`` it says what it would do and sends
no write. ``steps.take_in`` runs it after the login.
"""

from __future__ import annotations

from fleetctl.adapters.onvif import users as onvif_users
from fleetctl.adapters.secrets import SecretStore
from fleetctl.base.i18n import M_
from fleetctl.engine.onboard.device import (
    Device,
    StepFailed,
    _attempt,
    _did,
    _fleet_credential,
    _store,
    said,
)
from fleetctl.engine.onboard.model import OnboardOptions, Step, device_id, new_password


async def account(d: Device, store: SecretStore, options: OnboardOptions) -> None:
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
