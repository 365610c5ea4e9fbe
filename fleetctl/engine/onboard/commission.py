"""Onboarding's steps 3-5 for one device, once the fleet account opens it: ``baseline`` (the
profile's settings written group by group, then read back), ``verify`` (the health check a
technician would run, the clock set once if it is off) and ``inventory`` (the camera's entry
appended, or completed, in the site's inventory file).

Each records what it did in ``Device.actions`` or raises StepFailed with the reason in words;
``steps.take_in`` runs them in order (with ``dry_run``, only ``baseline`` runs, as a description).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fleetctl.adapters.onvif.client import sync_time
from fleetctl.adapters.onvif.config import read_settings, write_group
from fleetctl.adapters.secrets import load_secret_file
from fleetctl.base.i18n import M_, Msg
from fleetctl.core.errors import InventoryError
from fleetctl.core.models import Inventory, ProblemKind, Status
from fleetctl.core.probes import CallFailure
from fleetctl.core.push.plan import CameraPlan, plan_camera
from fleetctl.core.push.profile import Profile
from fleetctl.engine.check.runner import CheckOptions, check_camera
from fleetctl.engine.onboard.device import Device, StepFailed, _did, joined, said
from fleetctl.engine.onboard.model import OnboardOptions, Step
from fleetctl.engine.onboard.writes import write_camera
from fleetctl.engine.workspace import Workspace


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


async def baseline(d: Device, options: OnboardOptions, profile: Profile) -> None:
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


async def verify(d: Device, options: OnboardOptions) -> None:
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


async def inventory(d: Device, options: OnboardOptions) -> None:
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
