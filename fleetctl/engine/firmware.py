"""Firmware: the advisory table as shipped (and extended by a file), and the fleet's firmware
as last read (history) or read now.

    advisory_rules(extra_file=None) -> tuple[Rule, ...]    raises RulesError (exit 64)
    firmware_report(workspace, cameras, store, rules)      -> tuple[ModelSummary, ...]

The shipped table is ``fleetctl/core/firmware/advisories.yaml`` (package data): updated by a
release, or without one through ``--advisories FILE`` (rows with the same id replace it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fleetctl.core.firmware.advisories import Rule, RulesError, merge_rules, parse_rules
from fleetctl.core.firmware.compliance import Device, ModelSummary, summarise
from fleetctl.core.models import Camera, DeviceInfo, FirmwarePolicy, Inventory

MAX_RULES_BYTES = 4 * 1024 * 1024


def _load(text: str, source: str) -> tuple[Rule, ...]:
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as err:
        raise RulesError(f"{source}: not YAML ({type(err).__name__})") from err
    return parse_rules(data, source)


@cache
def shipped_rules() -> tuple[Rule, ...]:
    text = (resources.files("fleetctl.core.firmware") / "advisories.yaml").read_text("utf-8")
    return _load(text, "advisories.yaml")


def advisory_rules(extra_file: str | None = None) -> tuple[Rule, ...]:
    """The shipped rows, with ``extra_file``'s rows added (same id: replaced)."""
    if extra_file is None:
        return shipped_rules()
    path = Path(extra_file)
    if path.stat().st_size > MAX_RULES_BYTES:
        raise RulesError(f"{extra_file}: larger than {MAX_RULES_BYTES // (1024 * 1024)} MiB")
    return merge_rules(shipped_rules(), _load(path.read_text("utf-8"), extra_file))


def summarise_fleet(
    inventory: Inventory,
    cameras: Sequence[Camera],
    devices: Mapping[str, DeviceInfo],
    rules: Sequence[Rule],
) -> tuple[ModelSummary, ...]:
    """Per (manufacturer, model, firmware): cameras, advisories, policy. A camera never read
    counts under an unknown model (it is in the fleet; what it runs is not known)."""
    return summarise_cameras(site_policies(inventory), cameras, devices, rules)


def site_policies(inventory: Inventory) -> dict[str, FirmwarePolicy | None]:
    """Site -> its effective firmware policy (the fleet's merged into it by the loader)."""
    return {site.name: site.firmware for site in inventory.sites}


def summarise_cameras(
    policies: Mapping[str, FirmwarePolicy | None],
    cameras: Sequence[Camera],
    devices: Mapping[str, DeviceInfo],
    rules: Sequence[Rule],
) -> tuple[ModelSummary, ...]:
    """``summarise_fleet`` with the site policies given (the TUI holds them, not the inventory)."""
    rows = []
    for cam in cameras:
        d = devices.get(cam.name)
        rows.append(
            Device(
                cam.name,
                cam.site,
                d.manufacturer if d else None,
                d.model if d else None,
                d.firmware if d else None,
            )
        )
    return summarise(rows, rules, policies)
