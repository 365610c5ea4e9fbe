"""The report for scripts: one JSON document and CSV rows carrying the same numbers.

Field names are a contract (docs/json.md): English, stable, never translated. Times are UTC
ISO-8601 with ``Z``; durations in seconds; availability a fraction 0..1 (``null`` when no time
was tracked) rounded to 6 places.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fleetctl.core.report.model import Episode, Report, Scope, Seconds

CSV_FIELDS = (
    "scope", "site", "location", "cameras",
    "ok", "warn", "crit", "unknown", "not_checked",
    "availability", "up_s", "down_s", "unknown_s", "unchecked_s", "tracked_s",
    "problems_opened", "problems_open", "problems_resolved",
    "storage_failed", "recording_stopped", "footage_days",
)  # fmt: skip


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _ratio(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _seconds(s: Seconds) -> dict[str, float]:
    return {
        "up": round(s.up, 3),
        "down": round(s.down, 3),
        "unknown": round(s.unknown, 3),
        "unchecked": round(s.unchecked, 3),
        "tracked": round(s.tracked, 3),
    }


def _scope(s: Scope) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if s.site is not None:
        doc["site"] = s.site
        doc["location"] = s.location
    doc.update(
        {
            "cameras": s.cameras,
            "status": dict(s.status),
            "availability": _ratio(s.seconds.availability),
            "seconds": _seconds(s.seconds),
            "problems": {"opened": s.opened, "open": s.open, "resolved": s.resolved},
            "storage": {"failed": s.storage_failed, "recording_stopped": s.recording_stopped},
        }
    )
    doc["footage_days"] = s.footage_days  # median over the cameras, null if none known
    return doc


def _episode(e: Episode, site: str) -> dict[str, Any]:
    return {
        "camera": e.camera,
        "site": site,
        "kind": e.kind,
        "severity": e.severity,
        "message": e.message,
        "since": iso(e.first_seen),
        "last_seen": iso(e.last_seen),
        "resolved": iso(e.resolved),
    }


def to_json(report: Report, version: str) -> dict[str, Any]:
    """The ``fleetctl report --format json`` document (shape in docs/json.md)."""
    return {
        "version": version,
        "generated": iso(report.generated),
        "window": {"from": iso(report.start), "to": iso(report.end)},
        "hold_s": report.hold_s,
        "fleet": _scope(report.fleet),
        "sites": [_scope(s) for s in report.sites],
        "trend": [
            {
                "from": iso(b.start),
                "to": iso(b.end),
                "availability": _ratio(b.seconds.availability),
                "seconds": _seconds(b.seconds),
            }
            for b in report.trend
        ],
        "problems": {
            "open": [_episode(e, site) for e, site in report.open_problems],
            "resolved": [_episode(e, site) for e, site in report.resolved_problems],
        },
        "outages": [
            {
                "camera": o.camera,
                "site": o.site,
                "from": iso(o.start),
                "to": iso(o.end),
                "duration_s": round(o.duration_s, 3),
                "ongoing": o.ongoing,
            }
            for o in report.outages
        ],
        "clock": {
            "bins": [
                {"bin": b.key, "min_s": b.low_s, "max_s": b.high_s, "cameras": b.count}
                for b in report.drift
            ],
            "unknown": report.drift_unknown,
            "median_abs_s": report.drift_median_s,
            "max_abs_s": report.drift_max_s,
        },
        "storage": [
            {"camera": cam, "site": site, "reason": why} for cam, site, why in report.storage_visits
        ],
        "firmware": [
            {
                "manufacturer": f.manufacturer,
                "model": f.model,
                "firmware": f.firmware,
                "count": f.count,
            }
            for f in report.firmware
        ],
    }


def csv_rows(report: Report) -> list[dict[str, object]]:
    """One row per site, then one ``scope=fleet`` row: the numbers of the JSON's scopes."""
    rows: list[dict[str, object]] = []
    for scope in (*report.sites, report.fleet):
        s = scope.seconds
        avail = _ratio(s.availability)
        rows.append(
            {
                "scope": "site" if scope.site is not None else "fleet",
                "site": scope.site or "",
                "location": scope.location or "",
                "cameras": scope.cameras,
                **{k: scope.status[k] for k in ("ok", "warn", "crit", "unknown", "not_checked")},
                "availability": "" if avail is None else avail,
                **{f"{k}_s": v for k, v in _seconds(s).items()},
                "problems_opened": scope.opened,
                "problems_open": scope.open,
                "problems_resolved": scope.resolved,
                "storage_failed": scope.storage_failed,
                "recording_stopped": scope.recording_stopped,
                "footage_days": "" if scope.footage_days is None else scope.footage_days,
            }
        )
    return rows
