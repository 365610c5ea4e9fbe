"""The advisory rules table and matching a device against it. Pure.

    rules = parse_rules(data, source="advisories.yaml")   -> tuple[Rule, ...], raises RulesError
    matches(rules, manufacturer, model, firmware)         -> tuple[Rule, ...]

Vendors publish affected products as model families and version or *build-date* ranges in
free text, and public catalogues (CISA's KEV list) carry no version fields at all, so fleetctl
keeps its own table: one row per (advisory, product family), each with its source. A row
matches a device when the vendor and one model pattern match and the firmware lies inside
every range the row gives. A range the device cannot be placed in (no build date in its
firmware string) does not match: an unprovable finding would be a false alarm on a healthy
fleet. Rows are data: ``fleetctl firmware --advisories FILE`` adds or replaces rows by id.

A row (YAML)::

    - id: HSRC-202109-01                 # the vendor's advisory id, unique per row with `models`
      cves: [CVE-2021-36260]
      vendor: hikvision                  # a word of the ONVIF manufacturer, case-insensitive
      models: ["DS-2CD*", "DS-2DE*"]     # shell patterns, case-insensitive
      firmware: {min: "5.4.0", below: "5.7.0"}      # optional: numbers in [min, below)
      build: {from: 2016-01-01, before: 2021-06-28} # optional: build date in [from, before)
      severity: critical                 # critical | high | medium | low
      fixed_in: "builds of 2021-06-28 and later"
      title: command injection in the web server
      source: https://...
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fleetctl.core.errors import UsageError
from fleetctl.core.firmware.versions import compare, parse_firmware, version_numbers

SEVERITIES = ("critical", "high", "medium", "low")
_ROW_KEYS = {
    "id", "cves", "vendor", "models", "firmware", "build", "severity", "fixed_in", "title",
    "source", "note",
}  # fmt: skip
MAX_ROWS = 10_000


class RulesError(UsageError):
    """An advisory rules file that cannot be used (exit 64): which row, which key, why."""


@dataclass(frozen=True)
class Rule:
    id: str
    vendor: str
    models: tuple[str, ...]
    severity: str
    source: str
    cves: tuple[str, ...] = ()
    title: str = ""
    fixed_in: str | None = None
    version_min: tuple[int, ...] | None = None
    version_below: tuple[int, ...] | None = None
    build_from: date | None = None
    build_before: date | None = None

    @property
    def label(self) -> str:
        """``HSRC-202109-01 (CVE-2021-36260)``: what a person searches for."""
        return f"{self.id} ({', '.join(self.cves)})" if self.cves else self.id


def _date_value(where: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RulesError(f"{where}: not a date (YYYY-MM-DD)") from None


def _version_value(where: str, value: Any) -> tuple[int, ...]:
    numbers = version_numbers(str(value))
    if not numbers:
        raise RulesError(f"{where}: not a version like 5.4.0")
    return numbers


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RulesError(f"{where}: must be a string or a list of strings")


def _row(where: str, row: Any) -> Rule:
    if not isinstance(row, Mapping):
        raise RulesError(f"{where}: each row is a mapping")
    unknown = sorted(str(k) for k in row if k not in _ROW_KEYS)
    if unknown:
        raise RulesError(f"{where}: unknown key {unknown[0]!r}")
    for key in ("id", "vendor", "models", "severity", "source"):
        if key not in row:
            raise RulesError(f"{where}: `{key}` is required")
    severity = str(row["severity"]).lower()
    if severity not in SEVERITIES:
        raise RulesError(f"{where}.severity: one of {', '.join(SEVERITIES)}")
    fw = row.get("firmware") or {}
    build = row.get("build") or {}
    if not isinstance(fw, Mapping) or not isinstance(build, Mapping):
        raise RulesError(f"{where}: `firmware` and `build` are mappings")
    if set(fw) - {"min", "below"} or set(build) - {"from", "before"}:
        raise RulesError(f"{where}: firmware takes min/below, build takes from/before")
    return Rule(
        id=str(row["id"]),
        vendor=str(row["vendor"]).lower(),
        models=tuple(m.lower() for m in _strings(f"{where}.models", row["models"])),
        severity=severity,
        source=str(row["source"]),
        cves=_strings(f"{where}.cves", row.get("cves", [])),
        title=str(row.get("title", "")),
        fixed_in=None if row.get("fixed_in") is None else str(row["fixed_in"]),
        version_min=_version_value(f"{where}.firmware.min", fw["min"]) if "min" in fw else None,
        version_below=(
            _version_value(f"{where}.firmware.below", fw["below"]) if "below" in fw else None
        ),
        build_from=_date_value(f"{where}.build.from", build["from"]) if "from" in build else None,
        build_before=(
            _date_value(f"{where}.build.before", build["before"]) if "before" in build else None
        ),
    )


def parse_rules(data: Any, source: str) -> tuple[Rule, ...]:
    """Validated rows of a rules document (a list of mappings); raises RulesError naming the
    file and row."""
    if not isinstance(data, list):
        raise RulesError(f"{source}: an advisory rules file is a list of rows")
    if len(data) > MAX_ROWS:
        raise RulesError(f"{source}: more than {MAX_ROWS} rows")
    return tuple(_row(f"{source}: row {i + 1}", row) for i, row in enumerate(data))


def merge_rules(base: Iterable[Rule], extra: Iterable[Rule]) -> tuple[Rule, ...]:
    """``extra`` adds rows, and replaces the rows of ``base`` that have the same id."""
    extra = tuple(extra)
    replaced = {r.id for r in extra}
    return (*(r for r in base if r.id not in replaced), *extra)


def matches(
    rules: Iterable[Rule], manufacturer: str | None, model: str | None, firmware: str | None
) -> tuple[Rule, ...]:
    """The rows that provably apply to this device (see the module docstring)."""
    if not manufacturer or not model:
        return ()
    fv = parse_firmware(firmware)
    if fv is None:
        return ()
    maker, name = manufacturer.lower(), model.strip().lower()
    found = []
    for rule in rules:
        if rule.vendor not in maker:
            continue
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in rule.models):
            continue
        if rule.version_min is not None or rule.version_below is not None:
            if not fv.numbers:
                continue
            if rule.version_min is not None and compare(fv.numbers, rule.version_min) < 0:
                continue
            if rule.version_below is not None and compare(fv.numbers, rule.version_below) >= 0:
                continue
        if rule.build_from is not None or rule.build_before is not None:
            if fv.build is None:
                continue
            if rule.build_from is not None and fv.build < rule.build_from:
                continue
            if rule.build_before is not None and fv.build >= rule.build_before:
                continue
        found.append(rule)
    return tuple(found)
