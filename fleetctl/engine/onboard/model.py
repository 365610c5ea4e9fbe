"""Onboarding's values: options, per-device outcomes, the report; and its pure decisions
(camera names, device ids for secrets entries, generated passwords). See engine/onboard/runner.py."""

from __future__ import annotations

import re
import secrets as _random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from fleetctl.base.i18n import Msg, from_english
from fleetctl.core.push.profile import Profile
from fleetctl.engine.discover import DiscoveredDevice, DiscoverOptions

DEFAULT_HOSTNAME = "{site}-{n:03}"
PASSWORD_LENGTH = 20  # letters and digits only: `@ : / %` break RTSP URLs on many cameras
_ALPHABET = string.ascii_letters + string.digits


class Step(StrEnum):
    FIND = "find"
    ACTIVATE = "activate"  # vendor first-time set-up (Hikvision: activation, ONVIF, its user)
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
    # Factory logins devices refused in earlier runs, never sent to them again (refusals.py);
    # None: no memory (each run sends each factory login once).
    refusals_path: str | None = None


@dataclass(frozen=True)
class DeviceOutcome:
    """One device's outcome. ``reason`` and ``actions`` are the English text (JSON: the same in
    every language); ``reason_msg`` and ``action_msgs`` keep the messages so ``reason_text()`` and
    ``action_texts()`` say them in the chosen language. Build both at once with ``of``."""

    address: str
    port: int | None
    result: Result
    step: Step  # the step it stopped at (failed) or DONE
    reason: str | None = None  # never a secret
    name: str | None = None
    credentials: str | None = None  # secrets name of its fleet account
    actions: tuple[str, ...] = ()  # done (or, dry-run, to do), in words
    device: DiscoveredDevice | None = None
    activations: int = 0  # activation requests sent to it in this run (0 or 1, never more)
    reason_msg: Msg | None = field(default=None, compare=False)
    action_msgs: tuple[Msg, ...] = field(default=(), compare=False)

    @classmethod
    def of(
        cls,
        address: str,
        port: int | None,
        result: Result,
        step: Step,
        reason: Msg | None,
        *,
        actions: tuple[Msg, ...] = (),
        **rest: Any,
    ) -> DeviceOutcome:
        return cls(
            address,
            port,
            result,
            step,
            reason.en() if reason is not None else None,
            actions=tuple(a.en() for a in actions),
            reason_msg=reason,
            action_msgs=actions,
            **rest,
        )

    def reason_text(self, lang: str | None = None) -> str | None:
        """The reason in ``lang`` (default: the chosen language), as a person reads it."""
        if self.reason_msg is not None:
            return self.reason_msg.text(lang)
        return from_english(self.reason, lang) if self.reason else self.reason

    def action_texts(self, lang: str | None = None) -> tuple[str, ...]:
        if len(self.action_msgs) == len(self.actions):
            return tuple(a.text(lang) for a in self.action_msgs)
        return tuple(from_english(a, lang) for a in self.actions)

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
            "firmware": info.firmware if info else None,
            "state": dev.state.value if dev and dev.state else None,
            "activations": self.activations,
        }


@dataclass(frozen=True)
class OnboardReport:
    site: str
    devices: tuple[DeviceOutcome, ...]
    started: datetime
    duration_s: float
    dry_run: bool = False
    discovery_slip_s: float = 0.0  # discovery's listening lost to a busy machine (see discover)

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
            "discovery_slip_s": self.discovery_slip_s,
        }


# --------------------------------------------------------------------------- pure helpers


def new_password(length: int = PASSWORD_LENGTH) -> str:
    """A strong random password with upper, lower and digits (firmwares demand the mix)."""
    while True:
        pw = "".join(_random.choice(_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in pw)
            and any(c.isupper() for c in pw)
            and any(c.isdigit() for c in pw)
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
