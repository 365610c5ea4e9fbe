"""Firmware and backups as the TUI sees them: no Textual here.

The firmware view's rows are `fleetctl firmware`'s summary (``engine.firmware``), built from
each camera's identity as this session's checks read it, else as the history last knew it. The
camera view's firmware line is the same rules applied to one camera; its last backup is the
newest file `fleetctl backup` wrote for it (``OUT/<camera>/<YYYYMMDDTHHMMSSZ>.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fleetctl.core.firmware.advisories import Rule, matches
from fleetctl.core.firmware.compliance import ModelSummary, below_minimum
from fleetctl.core.models import DeviceInfo, FirmwarePolicy
from fleetctl.engine.backup import history as backup_history
from fleetctl.engine.firmware import shipped_rules, summarise_cameras
from fleetctl.tui.state import FleetModel


@dataclass(frozen=True)
class FirmwareContext:
    """What the TUI knows besides the checks: advisory rules (None: the shipped table), the
    sites' firmware policies, identities from the history, and the backup folder (None: none)."""

    rules: tuple[Rule, ...] | None = None
    policies: Mapping[str, FirmwarePolicy | None] = field(default_factory=dict)
    devices: Mapping[str, DeviceInfo] = field(default_factory=dict)
    backup_dir: Path | None = None

    def advisory_rules(self) -> tuple[Rule, ...]:
        return shipped_rules() if self.rules is None else self.rules


def device_of(model: FleetModel, ctx: FirmwareContext, name: str) -> DeviceInfo | None:
    """A camera's identity: this session's last check, else the history's."""
    rep = model.reports.get(name)
    if rep is not None and rep.device is not None and rep.device.model:
        return rep.device
    return ctx.devices.get(name)


def fleet_summary(model: FleetModel, ctx: FirmwareContext) -> tuple[ModelSummary, ...]:
    """`fleetctl firmware`'s rows for the TUI's cameras."""
    devices = {n: d for n in model.cameras if (d := device_of(model, ctx, n)) is not None}
    return summarise_cameras(
        ctx.policies, list(model.cameras.values()), devices, ctx.advisory_rules()
    )


@dataclass(frozen=True)
class CameraFirmware:
    """One camera against the advisories and its site's policy."""

    firmware: str | None  # None: not read yet
    advisories: tuple[Rule, ...]
    below: str | None  # the minimum it is below


def camera_firmware(model: FleetModel, ctx: FirmwareContext, name: str) -> CameraFirmware:
    dev = device_of(model, ctx, name)
    if dev is None or not dev.firmware:
        return CameraFirmware(None, (), None)
    policy = ctx.policies.get(model.cameras[name].site)
    return CameraFirmware(
        dev.firmware,
        matches(ctx.advisory_rules(), dev.manufacturer, dev.model, dev.firmware),
        below_minimum(policy, dev.model, dev.firmware),
    )


@dataclass(frozen=True)
class LastBackup:
    taken: datetime | None  # from the file name; None if the name is not a time
    path: Path


def last_backup(backup_dir: Path | None, camera: str) -> LastBackup | None:
    """The newest backup file of ``camera`` in ``backup_dir``; None when there is none."""
    if backup_dir is None:
        return None
    try:
        files = backup_history(str(backup_dir), camera)
    except OSError:
        return None
    if not files:
        return None
    newest = files[-1]
    try:
        taken = datetime.strptime(newest.stem, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        taken = None
    return LastBackup(taken, newest)


def names_filter(names: tuple[str, ...]) -> str:
    """A `/` filter showing exactly these cameras (inventory names hold no glob characters,
    no commas, no spaces)."""
    return ",".join(f"name:{n}" for n in names)
