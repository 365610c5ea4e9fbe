"""`fleetctl footage`: parse the window, ask the engine, render table/JSON/CSV."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fleetctl.base import aio, l10n
from fleetctl.base.i18n import _
from fleetctl.cli.render import common as render
from fleetctl.cli.render.common import Column
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.footage.coverage import Coverage, Span, retention_days
from fleetctl.core.footage.model import CameraFootage
from fleetctl.core.footage.timespec import clock_text
from fleetctl.core.footage.zones import Zone


def _z(when: datetime | None) -> str | None:
    return (
        None
        if when is None
        else when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def to_json(
    lines: Sequence[CameraFootage], zones: Mapping[str, Zone], windows: Mapping[str, Span]
) -> dict[str, Any]:
    """``window``: the one window asked and its zone; when the selected sites are in several
    zones (times without a zone read in each site's), the span of them all and ``zone`` null.
    Each camera's own ``window`` says what it was asked."""
    spans = list(windows.values())
    used = {z.name for z in zones.values()}
    return {
        "window": {
            "from": _z(min(w.start for w in spans)),
            "to": _z(max(w.end for w in spans)),
            "zone": next(iter(used)) if len(used) == 1 else None,
        },
        "cameras": [
            {
                "name": f.name,
                "site": f.site,
                "window": {
                    "from": _z(windows[f.name].start),
                    "to": _z(windows[f.name].end),
                    "zone": zones[f.name].name,
                },
                "coverage": f.coverage.value,
                "covered_s": f.covered_s,
                "gaps": [{"from": _z(g.start), "to": _z(g.end)} for g in f.gaps],
                "gaps_known": f.gaps_known,
                "earliest": _z(f.earliest),
                "latest": _z(f.latest),
                "days_kept": retention_days(f.earliest, f.latest),
                "clock_offset_s": f.clock_offset_s,
                "source": f.source,
                "reason": f.reason,
            }
            for f in lines
        ],
    }


def _columns() -> tuple[Column, ...]:
    return (
        Column("name", _("Camera"), no_wrap=True),
        Column("site", _("Site")),
        Column("coverage", _("Coverage"), status=True),
        Column("covered", _("Recorded"), justify="right"),
        Column("gaps", _("Gaps")),
        Column("kept", _("Days kept"), justify="right"),
        Column("source", _("Source")),
        Column("reason", _("Why")),
    )


def rows(
    lines: Sequence[CameraFootage],
    zones: Mapping[str, Zone],
    windows: Mapping[str, Span],
    fmt: str,
) -> list[dict[str, Any]]:
    """Table rows: gaps in each camera's zone (CSV: UTC); when the sites are in several zones,
    the table's Site column names each camera's zone."""
    out = []
    mixed = fmt != "csv" and len({z.name for z in zones.values()}) > 1
    for f in lines:
        tz, win = zones[f.name].tz, windows[f.name]
        total = (win.end - win.start).total_seconds()
        gaps = ", ".join(
            f"{clock_text(g.start, tz, win)}–{clock_text(g.end, tz, win)}" for g in f.gaps
        )
        if fmt == "csv":
            gaps = " ".join(f"{_z(g.start)}/{_z(g.end)}" for g in f.gaps)
        covered = (
            ""
            if f.covered_s is None
            else _("%(got).0f/%(total).0f min") % {"got": f.covered_s / 60, "total": total / 60}
        )
        kept = retention_days(f.earliest, f.latest)
        out.append(
            {
                "name": f.name,
                "site": f"{f.site} ({zones[f.name].name})" if mixed else f.site,
                "coverage": f.coverage,  # the table says it in words, CSV keeps the value
                "covered": f.covered_s if fmt == "csv" else covered,
                "gaps": gaps if f.gaps_known or fmt == "csv" else _("unknown (range only)"),
                "kept": kept if fmt == "csv" else ("" if kept is None else l10n.number(kept, 1)),
                "source": f.source,
                # CSV keeps the English (for scripts); the table speaks the chosen language.
                "reason": (f.reason if fmt == "csv" else f.reason_text()) or "",
            }
        )
    return out


def exit_code(lines: Sequence[CameraFootage]) -> int:
    kinds = {f.coverage for f in lines}
    if Coverage.UNKNOWN in kinds:
        return ExitCode.UNKNOWN
    if kinds - {Coverage.FULL}:
        return ExitCode.WARN
    return ExitCode.OK


def run_footage(args: argparse.Namespace) -> int:
    if args.action == "export":
        from fleetctl.cli.run.footage_export import run_export

        return run_export(args)
    if args.camera or args.output:
        raise UsageError(_("a camera name and -o go with `footage export`"))
    from fleetctl.cli.run.footage_window import camera_windows, zone_label
    from fleetctl.core.selection import select_cameras
    from fleetctl.engine.footage import FootageOptions, footage_windows
    from fleetctl.engine.workspace import load_workspace

    workspace = load_workspace(args.inventory, args.secrets)
    cameras = select_cameras(workspace.inventory, args.select, None)
    if not cameras:
        raise UsageError(_("no camera matches --select %(expr)r") % {"expr": args.select})
    zones, windows = camera_windows(args.start, args.end, args.tz, cameras, workspace.inventory)
    opts = FootageOptions(timeout_s=args.timeout, concurrency=args.concurrency)
    lines = aio.run(footage_windows(workspace, cameras, windows, opts))
    counts = {c: sum(1 for f in lines if f.coverage is c) for c in Coverage}
    label = zone_label(zones)
    first = cameras[0].name
    tz, win = zones[first].tz, windows[first]
    if len(set(windows.values())) == 1:
        title = _("Recorded footage %(start)s to %(end)s (%(zone)s)") % {
            "start": win.start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "end": win.end.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "zone": label,
        }
    else:
        title = _("Recorded footage, local times of each site (%(zone)s)") % {"zone": label}
    render.emit(
        rows(lines, zones, windows, args.format),
        _columns(),
        args.format,
        title=title,
        caption=_(
            "%(full)d full, %(partial)d partial, %(none)d none, %(unknown)d unknown; times in "
            "%(zone)s, each camera's clock offset taken out"
        )
        % {
            "full": counts[Coverage.FULL],
            "partial": counts[Coverage.PARTIAL],
            "none": counts[Coverage.NONE],
            "unknown": counts[Coverage.UNKNOWN],
            "zone": label,
        },
        json_obj=to_json(lines, zones, windows),
    )
    return exit_code(lines)
