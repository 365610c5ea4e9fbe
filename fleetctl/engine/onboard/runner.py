"""`onboard`: take new devices into the fleet, one named step at a time, resumable.

    onboard(inventory, secrets, options) -> OnboardReport        never raises for a device

Per new device (``discover``: status new), steps in order; a device that fails stops at the
step, with the reason, and a rerun resumes it because every step's state is read back from the
device, the secrets file and the inventory file (no state file to lose or contradict):

1. ``login``: ONE attempt per configured factory credential (``--factory-credentials`` names,
   else the secrets entry ``factory-<vendor>``, else the vendor's built-in default), never a
   list to guess from; then the fleet credential, only if a previous run retired the factory
   password (its `recovery-<id>` entry exists): a device nobody took over costs one attempt.
2. ``account``: the fleet password is in the secrets file FIRST (atomic, 0600), then the account
   is created (CreateUsers, or SetUser if it exists), then verified by logging in with it, and
   only then the factory account is retired. Retiring = SetUser with a new random password,
   stored as ``recovery-<id>`` before it is sent: Hikvision and Dahua refuse to delete their
   built-in admin, and a camera whose every password is lost needs a site visit to reset.
3. ``baseline``: the profile's settings (hostname ``{site}-{n:03}`` by default) written group by
   group, then read back: a camera that silently ignored a value fails here.
4. ``verify``: a health check of the new camera (ONVIF, clock, stream): ok or warn passes; a
   clock off by more than the warn threshold is set from this host once, then checked again.
5. ``inventory``: the camera appended to the site's inventory file (atomic, comments kept),
   with its identity (endpoint, serial, MAC) so `discover` knows it after a move.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fleetctl.adapters.discovery.sweep import expand_ranges
from fleetctl.adapters.secrets import SecretStore
from fleetctl.base.i18n import M_
from fleetctl.core.models import Camera, Inventory
from fleetctl.core.push.profile import Profile
from fleetctl.engine.discover import DeviceStatus, discover
from fleetctl.engine.onboard.device import Device, StepFailed
from fleetctl.engine.onboard.model import (
    DEFAULT_HOSTNAME,
    DeviceOutcome,
    OnboardOptions,
    OnboardReport,
    Result,
    Step,
    assign_names,
    device_id,
    new_password,
)
from fleetctl.engine.onboard.steps import login, take_in

log = logging.getLogger(__name__)

__all__ = [
    "DeviceOutcome",
    "OnboardOptions",
    "OnboardReport",
    "Result",
    "Step",
    "assign_names",
    "device_id",
    "new_password",
    "onboard",
]


async def onboard(
    inventory: Inventory | None, store: SecretStore, options: OnboardOptions
) -> OnboardReport:
    """Find new devices and take each in; every outcome is a value in the report.

    Raises only for the run's configuration (SecretsError: the site credential is missing;
    UsageError: bad ranges), before anything is sent to a device.
    """
    started, t0 = datetime.now(UTC), time.monotonic()
    for name in (*options.factory_credentials, options.credentials):
        if name and (name != options.credentials or not options.unique_passwords):
            store.get(name)  # SecretsError now, not once per device
    # Multicast also answers from devices outside the ranges (a neighbour's VLAN, another
    # site): only addresses the technician named, or the site's ranges, are ever taken over.
    wanted = set(expand_ranges(options.discover.ranges))
    found = await discover(inventory, options.discover)
    outcomes: list[DeviceOutcome] = []
    fresh: list[Device] = []
    for dev in found.devices:
        if dev.address not in wanted:
            continue
        if dev.status is DeviceStatus.NEW:
            cam = Camera(name=dev.address, host=dev.address, site=options.site, port=dev.port or 80)
            fresh.append(Device(dev, cam))
        elif dev.status is not DeviceStatus.MISSING:
            why = (
                M_("already in inventory as %(name)s", name=dev.camera)
                if dev.camera
                else M_("already in inventory")
            )
            if dev.status is DeviceStatus.MOVED:
                why = M_(
                    "known camera %(name)s at a new address: update its host",
                    name=dev.camera or "",
                )
            outcomes.append(
                DeviceOutcome.of(
                    dev.address,
                    dev.port,
                    Result.SKIPPED,
                    Step.FIND,
                    why,
                    name=dev.camera,
                    device=dev,
                )
            )
    limit = asyncio.Semaphore(max(1, options.concurrency))
    profile = options.profile or Profile(source="built-in")
    if profile.hostname is None:  # onboarding always names the device as it names the camera
        profile = replace(profile, hostname=DEFAULT_HOSTNAME)
    logged = await asyncio.gather(*(_guard(limit, d, login(d, store, options)) for d in fresh))
    ready = [d for d, failure in zip(fresh, logged, strict=True) if failure is None]
    taken = {c.name for c in inventory.cameras} if inventory else set()
    hostnames = [d.settings.hostname if d.settings else None for d in ready]
    for d, (name, n) in zip(
        ready, assign_names(hostnames, taken, options.site, profile), strict=True
    ):
        d.name, d.n = name, n
        d.camera = replace(d.camera, name=name)
    rest = await asyncio.gather(
        *(_guard(limit, d, take_in(d, store, options, profile)) for d in ready)
    )
    failures = dict(zip((id(d) for d in fresh), logged, strict=True))
    failures.update(zip((id(d) for d in ready), rest, strict=True))
    for d in fresh:
        outcomes.append(_outcome(d, failures[id(d)], options))
    outcomes.sort(key=lambda o: _order(o.address))
    return OnboardReport(
        options.site,
        tuple(outcomes),
        started,
        round(time.monotonic() - t0, 3),
        options.dry_run,
        found.slip_s,
    )


def _order(address: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in address.split("."))
    except ValueError:
        return ()


async def _guard(limit: asyncio.Semaphore, d: Device, work: Any) -> StepFailed | None:
    """Run one device's steps; its failure is a value, a bug included (never the whole run)."""
    async with limit:
        try:
            await work
        except StepFailed as failed:
            log.info(
                "onboard %s: stopped at %s: %s", d.dev.address, failed.step, failed.reason.en()
            )
            return failed
        except Exception as err:
            log.debug("onboard %s: internal error at %s", d.dev.address, d.step, exc_info=True)
            return StepFailed(
                d.step,
                M_("internal error (%(error)s); run with -vv", error=type(err).__name__),
            )
    return None


def _outcome(d: Device, failed: StepFailed | None, options: OnboardOptions) -> DeviceOutcome:
    dev = d.dev
    if failed is not None:
        result, step, reason = Result.FAILED, failed.step, failed.reason
    else:
        result, step, reason = (
            (Result.PLANNED if options.dry_run else Result.ONBOARDED),
            Step.DONE,
            None,
        )
    return DeviceOutcome.of(
        dev.address,
        dev.port,
        result,
        step,
        reason,
        name=d.name,
        credentials=d.fleet.name if d.fleet else None,
        actions=tuple(d.actions),
        device=dev,
        activations=d.activations,
    )
