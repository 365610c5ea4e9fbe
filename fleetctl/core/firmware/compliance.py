"""The fleet's firmware policy and the per-model summary of `fleetctl firmware`. Pure.

    below_minimum(policy, model, firmware) -> str | None     the minimum it is below, or None
    summarise(devices, rules, policies)    -> tuple[ModelSummary, ...]

A firmware is *below* when the most specific ``minimum`` pattern for its model names a newer
version and the firmware is not in ``approved``. Versions are compared by their numbers (what
vendors increase); an unreadable firmware string is never called below: no proof, no finding.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from fleetctl.core.firmware.advisories import Rule, matches
from fleetctl.core.firmware.versions import compare, parse_firmware, version_numbers
from fleetctl.core.models import FirmwarePolicy


def merge_policy(
    fleet: FirmwarePolicy | None, site: FirmwarePolicy | None
) -> FirmwarePolicy | None:
    """A site's policy over the fleet's: minimum patterns merged (the site's win), approved
    lists joined."""
    if fleet is None or site is None:
        return site or fleet
    minimum = dict(fleet.minimum)
    minimum.update(site.minimum)
    approved = tuple(dict.fromkeys((*fleet.approved, *site.approved)))
    return FirmwarePolicy(tuple(minimum.items()), approved)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def minimum_for(policy: FirmwarePolicy, model: str) -> str | None:
    """The minimum of the most specific pattern matching ``model`` (fewest wildcards, longest)."""
    name = model.strip().lower()
    best: tuple[int, int, str] | None = None
    for pattern, version in policy.minimum:
        if fnmatch.fnmatchcase(name, pattern.lower()):
            wild = sum(pattern.count(c) for c in "*?[")
            key = (-wild, len(pattern), version)
            if best is None or key[:2] > best[:2]:
                best = key
    return None if best is None else best[2]


def below_minimum(
    policy: FirmwarePolicy | None, model: str | None, firmware: str | None
) -> str | None:
    """The minimum this firmware is below, or None (ok, approved, unknown or no rule)."""
    if policy is None or not model or not firmware:
        return None
    if _normal(firmware) in {_normal(a) for a in policy.approved}:
        return None
    minimum = minimum_for(policy, model)
    fv = parse_firmware(firmware)
    if minimum is None or fv is None or not fv.numbers:
        return None
    wanted = version_numbers(minimum)
    return minimum if wanted and compare(fv.numbers, wanted) < 0 else None


@dataclass(frozen=True)
class Device:
    """One camera's identity as last read (``None`` where unknown)."""

    camera: str
    site: str
    manufacturer: str | None
    model: str | None
    firmware: str | None


@dataclass(frozen=True)
class ModelSummary:
    """One (manufacturer, model, firmware) of the fleet, with its cameras and findings."""

    manufacturer: str | None
    model: str | None
    firmware: str | None
    build_date: date | None
    cameras: tuple[str, ...]
    advisories: tuple[Rule, ...]
    below: str | None  # the policy minimum it is below (any of its cameras' sites), or None

    @property
    def count(self) -> int:
        return len(self.cameras)


def summarise(
    devices: Iterable[Device],
    rules: Iterable[Rule],
    policies: Mapping[str, FirmwarePolicy | None],
) -> tuple[ModelSummary, ...]:
    """Group cameras by (manufacturer, model, firmware), match advisories and policy once per
    group; ordered by manufacturer, model, then newest firmware first. ``policies``: site ->
    effective policy."""
    rules = tuple(rules)
    groups: dict[tuple[str | None, str | None, str | None], list[Device]] = {}
    for d in devices:
        groups.setdefault((d.manufacturer, d.model, d.firmware), []).append(d)
    out = []
    for (maker, model, firmware), members in groups.items():
        fv = parse_firmware(firmware)
        below = next(
            (b for d in members if (b := below_minimum(policies.get(d.site), model, firmware))),
            None,
        )
        out.append(
            ModelSummary(
                maker,
                model,
                firmware,
                fv.build if fv else None,
                tuple(sorted(d.camera for d in members)),
                matches(rules, maker, model, firmware),
                below,
            )
        )

    def order(s: ModelSummary) -> tuple[str, str, tuple[int, ...], str]:
        fv = parse_firmware(s.firmware)
        newest_first = tuple(-n for n in fv.numbers) if fv else ()
        return (
            (s.manufacturer or "~").lower(),
            (s.model or "~").lower(),
            newest_first,
            s.firmware or "",
        )

    return tuple(sorted(out, key=order))
