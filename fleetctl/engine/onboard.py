"""`onboard`: take new devices into the fleet, one named step at a time, resumable.

    onboard(inventory, secrets, options) -> OnboardReport        never raises for a device

Per new device (``discover``: status new), steps in order; a device that fails stops at the
step, with the reason, and a rerun resumes it because every step's state is read back from the
device, the secrets file and the inventory file (no state file to lose or contradict):

1. ``login``: ONE attempt per configured factory credential (``--factory-credentials`` names,
   else the secrets entry ``factory-<vendor>``, else the vendor's built-in default), never a
   list to guess from; then the fleet credential (a device a previous run took over already).
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
import re
import secrets as _random
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fleetctl.adapters import onvif_users
from fleetctl.adapters.factory import first_factory_login, vendor_of
from fleetctl.adapters.onvif import sync_time, try_login
from fleetctl.adapters.onvif_config import read_settings, write_group
from fleetctl.adapters.secrets import SecretStore, load_secret_file, set_credential
from fleetctl.core.errors import InventoryError, SecretsError
from fleetctl.core.inventory_writer import upsert_camera
from fleetctl.core.models import Camera, Credential, Inventory, ProblemKind, Status
from fleetctl.core.plan import CameraPlan, DeviceSettings, plan_camera
from fleetctl.core.profile import Profile
from fleetctl.core.secret import Secret
from fleetctl.engine.check import CheckOptions, check_camera, release_connections
from fleetctl.engine.discover import DeviceStatus, DiscoveredDevice, DiscoverOptions, discover
from fleetctl.engine.workspace import Workspace

DEFAULT_HOSTNAME = "{site}-{n:03}"
PASSWORD_LENGTH = 20  # letters and digits only: `@ : / %` break RTSP URLs (FIELD-NOTES)
_ALPHABET = string.ascii_letters + string.digits


class Step(StrEnum):
    FIND = "find"
    LOGIN = "login"
    ACCOUNT = "account"
    BASELINE = "baseline"
    VERIFY = "verify"
    INVENTORY = "inventory"
    DONE = "done"


class Result(StrEnum):
    ONBOARDED = "onboarded"
    SKIPPED = "skipped"  # already in the inventory (or moved: its entry needs a new host)
    FAILED = "failed"
    PLANNED = "planned"  # --dry-run: what would happen


@dataclass(frozen=True)
class OnboardOptions:
    site: str
    inventory_file: str  # where new cameras are appended
    secrets_path: str  # where fleet and recovery passwords are stored
    credentials: str | None = None  # the site's fleet credential (secrets name)
    unique_passwords: bool = False  # a generated password per camera instead of `credentials`
    username: str = "fleet"  # account name for unique passwords when no site credential exists
    profile: Profile | None = None  # None: the hostname pattern only
    factory_credentials: tuple[str, ...] = ()  # secrets names; () = per-vendor default
    port: int = 80  # the port the site's cameras inherit: written only when it differs
    dry_run: bool = False
    timeout_s: float = 10.0  # per device and step
    concurrency: int = 16
    stream_window_s: float = 1.0
    discover: DiscoverOptions = field(default_factory=DiscoverOptions)


@dataclass(frozen=True)
class DeviceOutcome:
    address: str
    port: int | None
    result: Result
    step: Step  # the step it stopped at (failed) or DONE
    reason: str | None = None  # never a secret
    name: str | None = None
    credentials: str | None = None  # secrets name of its fleet account
    actions: tuple[str, ...] = ()  # done (or, dry-run, to do), in words
    device: DiscoveredDevice | None = None

    def to_json(self) -> dict[str, Any]:
        dev = self.device
        info = dev.device if dev else None
        return {
            "address": self.address,
            "port": self.port,
            "name": self.name,
            "result": self.result.value,
            "step": self.step.value,
            "reason": self.reason,
            "credentials": self.credentials,
            "actions": list(self.actions),
            "manufacturer": info.manufacturer if info else None,
            "model": info.model if info else None,
            "serial": dev.serial if dev else None,
            "mac": dev.mac if dev else None,
            "endpoint": dev.endpoint if dev else None,
        }


@dataclass(frozen=True)
class OnboardReport:
    site: str
    devices: tuple[DeviceOutcome, ...]
    started: datetime
    duration_s: float
    dry_run: bool = False

    @property
    def summary(self) -> dict[str, int]:
        counts = {r.value: 0 for r in Result}
        for d in self.devices:
            counts[d.result.value] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "dry_run": self.dry_run,
            "duration_s": self.duration_s,
            "summary": self.summary,
            "devices": [d.to_json() for d in self.devices],
        }


# --------------------------------------------------------------------------- pure helpers


def new_password(length: int = PASSWORD_LENGTH) -> str:
    """A strong random password with upper, lower and digits (firmwares demand the mix)."""
    while True:
        pw = "".join(_random.choice(_ALPHABET) for _ in range(length))
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(
            c.isdigit() for c in pw
        ):
            return pw


def device_id(dev: DiscoveredDevice) -> str:
    """A stable key for a device's secrets entries: MAC, else serial, else endpoint, else IP."""
    raw = (
        (dev.mac or "").replace(":", "")
        or dev.serial
        or (dev.endpoint or "").rsplit(":", 1)[-1]
        or dev.address
    )
    return re.sub(r"[^A-Za-z0-9.-]+", "-", raw).strip("-").lower() or dev.address


def camera_name(site: str, n: int) -> str:
    return DEFAULT_HOSTNAME.format(site=site, n=n)


def hostname_for(profile: Profile, site: str, n: int) -> str:
    name = camera_name(site, n)
    return profile.render_hostname(site=site, n=n, name=name) or name


def assign_names(
    hostnames: Sequence[str | None], taken: set[str], site: str, profile: Profile
) -> list[tuple[str, int]]:
    """(camera name, n) per device, in order. A device whose hostname is already the one the
    profile gives some free n (a rerun after its baseline step) keeps that n; the others take
    the next free n from 1. ``taken``: names in the inventory."""
    limit = len(taken) + len(hostnames) + 1000
    by_host = {hostname_for(profile, site, n): n for n in range(1, limit)}
    used = set(taken)
    out: list[tuple[str, int] | None] = [None] * len(hostnames)
    for i, host in enumerate(hostnames):
        n = by_host.get(host or "")
        if n is not None and camera_name(site, n) not in used:
            out[i] = (camera_name(site, n), n)
            used.add(camera_name(site, n))
    n = 0
    for i, got in enumerate(out):
        if got is None:
            n += 1
            while camera_name(site, n) in used:
                n += 1
            out[i] = (camera_name(site, n), n)
            used.add(camera_name(site, n))
    return [x for x in out if x is not None]


def _values(plan: CameraPlan, group: str) -> dict[str, Any]:
    return {c.setting: c.new for c in plan.changes if c.group == group}


def _change_text(plan: CameraPlan) -> list[str]:
    return [f"set {c.setting}: {c.old!r} -> {c.new!r}" for c in plan.changes] + [
        f"not supported: {u}" for u in plan.unsupported
    ]


# --------------------------------------------------------------------------- the run


class StepFailed(Exception):
    """Internal: stops one device at ``step``; becomes a DeviceOutcome, never escapes."""

    def __init__(self, step: Step, reason: str) -> None:
        super().__init__(reason)
        self.step, self.reason = step, reason


@dataclass
class _Device:
    """One device's progress through the steps (mutable while its coroutine runs)."""

    dev: DiscoveredDevice
    camera: Camera  # named once the name is assigned
    login: Credential | None = None  # what opened it
    factory: Credential | None = None  # set when the factory login opened it (not retired)
    settings: DeviceSettings | None = None
    name: str | None = None
    n: int = 0
    fleet: Credential | None = None
    actions: list[str] = field(default_factory=list)


async def onboard(
    inventory: Inventory | None, store: SecretStore, options: OnboardOptions
) -> OnboardReport:
    """Find new devices and take each in; every outcome is a value in the report.

    Raises only for the run's configuration (SecretsError: the site credential is missing;
    UsageError: bad ranges), before anything is sent to a device.
    """
    started, t0 = datetime.now(UTC), time.monotonic()
    if not options.unique_passwords and options.credentials:
        store.get(options.credentials)  # SecretsError now, not once per device
    found = await discover(inventory, options.discover)
    outcomes: list[DeviceOutcome] = []
    fresh: list[_Device] = []
    for dev in found.devices:
        if dev.status is DeviceStatus.NEW:
            cam = Camera(name=dev.address, host=dev.address, site=options.site,
                         port=dev.port or 80)
            fresh.append(_Device(dev, cam))
        elif dev.status is not DeviceStatus.MISSING:
            why = "already in inventory" + (f" as {dev.camera}" if dev.camera else "")
            if dev.status is DeviceStatus.MOVED:
                why = f"known camera {dev.camera} at a new address: update its host"
            outcomes.append(DeviceOutcome(dev.address, dev.port, Result.SKIPPED, Step.FIND, why,
                                          name=dev.camera, device=dev))
    limit = asyncio.Semaphore(max(1, options.concurrency))
    profile = options.profile or Profile(source="built-in", hostname=DEFAULT_HOSTNAME)
    try:
        logged = await asyncio.gather(*(_guard(limit, d, _login(d, store, options)) for d in fresh))
        ready = [d for d, failure in zip(fresh, logged, strict=True) if failure is None]
        taken = {c.name for c in inventory.cameras} if inventory else set()
        hostnames = [d.settings.hostname if d.settings else None for d in ready]
        for d, (name, n) in zip(ready, assign_names(hostnames, taken, options.site, profile),
                                strict=True):
            d.name, d.n = name, n
            d.camera = replace(d.camera, name=name)
        rest = await asyncio.gather(
            *(_guard(limit, d, _take_in(d, store, options, profile)) for d in ready)
        )
    finally:
        await release_connections()
    failures = dict(zip((id(d) for d in fresh), logged, strict=True))
    failures.update(zip((id(d) for d in ready), rest, strict=True))
    for d in fresh:
        outcomes.append(_outcome(d, failures[id(d)], options))
    outcomes.sort(key=lambda o: _order(o.address))
    return OnboardReport(options.site, tuple(outcomes), started,
                         round(time.monotonic() - t0, 3), options.dry_run)


def _order(address: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in address.split("."))
    except ValueError:
        return ()


async def _guard(limit: asyncio.Semaphore, d: _Device, work: Any) -> StepFailed | None:
    async with limit:
        try:
            await work
        except StepFailed as failed:
            return failed
    return None


def _outcome(d: _Device, failed: StepFailed | None, options: OnboardOptions) -> DeviceOutcome:
    dev = d.dev
    if failed is not None:
        result, step, reason = Result.FAILED, failed.step, failed.reason
    else:
        result, step, reason = (Result.PLANNED if options.dry_run else Result.ONBOARDED), Step.DONE, None
    return DeviceOutcome(dev.address, dev.port, result, step, reason, name=d.name,
                         credentials=d.fleet.name if d.fleet else None,
                         actions=tuple(d.actions), device=dev)


def _fleet_credential(d: _Device, store: SecretStore, options: OnboardOptions) -> Credential | None:
    """The credential the device gets (or has, on a rerun); None: to be generated."""
    if options.unique_passwords:
        return store.credentials.get(f"onboard-{device_id(d.dev)}")
    return store.get(options.credentials) if options.credentials else None


def _factory_candidates(d: _Device, store: SecretStore, options: OnboardOptions) -> list[Credential]:
    if options.factory_credentials:
        return [store.get(n) for n in options.factory_credentials]
    manufacturer = _maker(d.dev)
    configured = store.credentials.get(f"factory-{vendor_of(manufacturer)}")
    if configured is not None:
        return [configured]
    builtin = first_factory_login(manufacturer)
    return [Credential(f"built-in {builtin.vendor} default", builtin.username,
                       Secret(builtin.password))]


def _maker(dev: DiscoveredDevice) -> str | None:
    """Who made it: GetDeviceInformation when it answered without auth (many refuse), else the
    WS-Discovery name and hardware scopes ("HIKVISION DS-2CD2143G2-I")."""
    parts = (dev.device.manufacturer if dev.device else None, dev.scopes.name, dev.scopes.hardware)
    return " ".join(p for p in parts if p) or None


async def _attempt(d: _Device, cred: Credential, options: OnboardOptions) -> bool | None:
    password = cred.password.reveal() if cred.password is not None else ""
    return await try_login(d.camera, cred.username, password, timeout_s=options.timeout_s)


async def _login(d: _Device, store: SecretStore, options: OnboardOptions) -> None:
    """Step 1: one attempt per configured factory credential, then the fleet credential."""
    tried = []
    for cred in _factory_candidates(d, store, options):
        opened = await _attempt(d, cred, options)
        if opened is None:
            raise StepFailed(Step.LOGIN, f"{d.camera.host}:{d.camera.port}: no ONVIF answer")
        if opened:
            d.login = d.factory = cred
            d.actions.append(f"logged in with the factory account {cred.username} ({cred.name})")
            break
        tried.append(f"{cred.username} ({cred.name})")
    else:
        fleet = _fleet_credential(d, store, options)
        if fleet is not None and await _attempt(d, fleet, options):
            d.login = d.fleet = fleet
            d.actions.append(f"factory login refused; fleet account {fleet.username} opens it")
        else:
            vendor = vendor_of(_maker(d.dev))
            raise StepFailed(
                Step.LOGIN,
                f"factory login rejected ({', '.join(tried)}): store the device's password "
                f"as `factory-{vendor}` in the secrets file, or reset the camera",
            )
    settings = await read_settings(d.camera, d.login, timeout_s=options.timeout_s)
    if isinstance(settings, str):
        raise StepFailed(Step.LOGIN, f"logged in, but settings unreadable: {settings}")
    d.settings = settings


async def _take_in(
    d: _Device, store: SecretStore, options: OnboardOptions, profile: Profile
) -> None:
    """Steps 2-5 for a device that opened; ``options.dry_run`` describes them, sends no write."""
    await _account(d, store, options)
    await _baseline(d, options, profile)
    if options.dry_run:
        d.actions.append("verify: clock in sync, stream plays")
        d.actions.append(f"add {d.name} to {options.inventory_file} (site {options.site})")
        return
    await _verify(d, options)
    _inventory(d, options)


async def _store(path: str, name: str, username: str, password: str, step: Step) -> Credential:
    try:
        await asyncio.to_thread(set_credential, path, name, username, password)
    except (OSError, SecretsError) as err:  # a full disk or a broken file: stop here
        raise StepFailed(step, f"could not store `{name}` in {path}: {type(err).__name__}") from None
    return Credential(name, username, Secret(password))


async def _account(d: _Device, store: SecretStore, options: OnboardOptions) -> None:
    """Step 2: fleet account stored, set, verified; then the factory account retired."""
    factory = d.factory
    if factory is None:
        return  # the fleet account opened it: a previous run got past this step
    fleet = _fleet_credential(d, store, options)
    ident = device_id(d.dev)
    where = f"{d.camera.host}:{d.camera.port}"
    if options.dry_run:
        what = (f"generate a password, store it as `onboard-{ident}`"
                if fleet is None else f"use credential `{fleet.name}`")
        d.actions.append(f"{what}; create the fleet account; retire factory {factory.username} "
                         f"(new random password stored as `recovery-{ident}`)")
        d.fleet = fleet
        return
    if fleet is None:
        site = store.credentials.get(options.credentials or "")
        username = site.username if site else options.username
        fleet = await _store(options.secrets_path, f"onboard-{ident}", username, new_password(),
                             Step.ACCOUNT)
        d.actions.append(f"stored a generated password as `{fleet.name}`")
    password = fleet.password.reveal() if fleet.password is not None else ""
    same = fleet.username == factory.username
    if same:
        # Changing the session's own password: the last call of that conversation.
        err = await onvif_users.set_password(d.camera, factory, fleet.username, password,
                                             timeout_s=options.timeout_s)
    else:
        err = await onvif_users.ensure_user(d.camera, factory, fleet.username, password,
                                            timeout_s=options.timeout_s)
    if err is not None:
        raise StepFailed(Step.ACCOUNT, err)
    if await _attempt(d, fleet, options) is not True:
        raise StepFailed(Step.ACCOUNT, f"{where}: the new account {fleet.username} does not log in"
                         " (factory account left as it was)")
    d.fleet = d.login = fleet
    d.actions.append(f"fleet account {fleet.username} set and verified")
    if same:
        d.actions.append(f"factory password of {factory.username} replaced")
        return
    recovery = await _store(options.secrets_path, f"recovery-{ident}", factory.username,
                            new_password(), Step.ACCOUNT)
    err = await onvif_users.set_password(
        d.camera, fleet, factory.username,
        recovery.password.reveal() if recovery.password else "", timeout_s=options.timeout_s,
    )
    if err is not None:
        raise StepFailed(Step.ACCOUNT, f"factory account not retired: {err}")
    d.actions.append(f"factory account {factory.username} retired (password in `{recovery.name}`)")


async def _baseline(d: _Device, options: OnboardOptions, profile: Profile) -> None:
    """Step 3: write what the profile changes, group by group, then read it all back."""
    assert d.settings is not None and d.name is not None
    plan = plan_camera(profile, d.settings, camera=d.name, site=options.site, n=d.n)
    if options.dry_run:
        d.actions.extend(_change_text(plan) or ["baseline: nothing to change"])
        return
    fleet = d.fleet
    assert fleet is not None
    for group in plan.groups:
        err = await write_group(d.camera, fleet, group, _values(plan, group),
                                timeout_s=options.timeout_s)
        if err is not None:
            raise StepFailed(Step.BASELINE, err)
    if not plan.changes:
        return
    after = await read_settings(d.camera, fleet, timeout_s=options.timeout_s)
    if isinstance(after, str):
        raise StepFailed(Step.BASELINE, f"read-back failed: {after}")
    left = plan_camera(profile, after, camera=d.name, site=options.site, n=d.n).changes
    if left:
        kept = ", ".join(f"{c.setting} is {c.old!r}, not {c.new!r}" for c in left)
        raise StepFailed(Step.BASELINE, f"the camera did not keep: {kept}")
    d.settings = after
    d.actions.append(f"baseline applied and read back ({', '.join(plan.groups)})")


async def _verify(d: _Device, options: OnboardOptions) -> None:
    """Step 4: the health check a technician would run, on the camera as it will be listed."""
    assert d.fleet is not None
    camera = replace(d.camera, credentials=d.fleet.name)
    store = await asyncio.to_thread(load_secret_file, options.secrets_path)
    if d.fleet.name not in store.credentials:  # the site credential came from elsewhere
        store = replace(store, credentials={**store.credentials, d.fleet.name: d.fleet})
    workspace = Workspace(Inventory((camera,), (), ()), store)
    check = CheckOptions(timeout_s=options.timeout_s, stream_window_s=options.stream_window_s,
                         probes=frozenset({"reach", "onvif", "stream"}))
    for attempt in range(2):
        report = await check_camera(camera, workspace, check)
        clock = [p for p in report.problems if p.kind is ProblemKind.CLOCK]
        if clock and attempt == 0:
            # A fresh camera's clock is whatever its RTC kept (or the firmware epoch).
            err = await sync_time(camera, d.fleet, timeout_s=options.timeout_s)
            if err is None:
                d.actions.append("clock set from this host")
                continue
        bad = [p for p in report.problems if p.severity in (Status.CRIT, Status.UNKNOWN)]
        if report.status in (Status.CRIT, Status.UNKNOWN) or clock:
            why = "; ".join(p.message for p in (bad or clock or list(report.problems)))
            raise StepFailed(Step.VERIFY, why or f"check status {report.status.value}")
        d.actions.append(f"verified: {report.status.value}"
                         + (f" (clock offset {report.clock_offset_s:+.1f} s)"
                            if report.clock_offset_s is not None else ""))
        return


def _inventory(d: _Device, options: OnboardOptions) -> None:
    """Step 5: append (or complete) the camera's entry; identity keys the schema accepts."""
    from fleetctl.core.inventory_schema import CAMERA_FIELDS

    assert d.name is not None and d.fleet is not None
    fields: dict[str, Any] = {"name": d.name, "host": d.camera.host}
    if d.camera.port != options.port:
        fields["port"] = d.camera.port
    if d.fleet.name != options.credentials:
        fields["credentials"] = d.fleet.name
    for key, value in (("endpoint", d.dev.endpoint), ("serial", d.dev.serial),
                       ("mac", d.dev.mac)):
        if value and key in CAMERA_FIELDS:
            fields[key] = value
    try:
        changed = upsert_camera(options.inventory_file, options.site, fields)
    except (InventoryError, OSError, ValueError) as err:  # the file stays as it was
        raise StepFailed(Step.INVENTORY, f"{options.inventory_file}: {err}") from None
    d.actions.append(f"{'added to' if changed else 'already in'} {options.inventory_file}")
