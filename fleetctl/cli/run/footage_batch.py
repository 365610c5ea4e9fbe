"""`fleetctl footage export -s EXPR --from T --to T -o DIR [--jobs N]`: a clip per camera.

Parses the selection and the window, asks the engine (engine.footage_batch), shows progress
(cli.render.clip_progress) and the summary: a table, or JSON (docs/json.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetctl.base import aio, l10n
from fleetctl.base.i18n import N_, _, word
from fleetctl.cli.render import common as render
from fleetctl.cli.render.common import Column
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.footage.zones import Zone
from fleetctl.engine.footage_batch import ClipResult, ClipState

_COLUMNS = (
    Column("name", N_("Camera"), no_wrap=True),
    Column("site", N_("Site")),
    Column("result", N_("Result")),
    Column("frames", N_("Frames"), justify="right"),
    Column("duration", N_("Seconds"), justify="right"),
    Column("file", N_("File")),
    Column("why", N_("Why")),
)


def _z(when: datetime | None) -> str | None:
    return None if when is None else str(render.to_jsonable(when))


def _ms(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _title(results: Sequence[ClipResult], zones: Mapping[str, Zone], out_dir: Path) -> str:
    from fleetctl.cli.run.footage_window import zone_label

    first = results[0]
    if len({(r.window.start, r.window.end) for r in results}) > 1:  # sites in several zones
        return _("Footage, local times of each site (%(zone)s), into %(dir)s") % {
            "zone": zone_label(zones),
            "dir": out_dir,
        }
    tz = zones[first.name].tz
    return _("Footage %(start)s to %(end)s (%(zone)s) into %(dir)s") % {
        "start": first.window.start.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        "end": first.window.end.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        "zone": zone_label(zones),
        "dir": out_dir,
    }


def to_json(
    results: Sequence[ClipResult], out_dir: Path, zones: Mapping[str, Zone]
) -> dict[str, Any]:
    from fleetctl.cli.run.footage_window import zone_name

    return {
        "dir": str(out_dir),
        "zone": zone_name(zones),
        "summary": {s.value: sum(1 for r in results if r.outcome is s) for s in _OUTCOMES},
        "cameras": [
            {
                "name": r.name,
                "site": r.site,
                "result": r.outcome.value,
                "window": {
                    "from": _z(r.window.start),
                    "to": _z(r.window.end),
                    "zone": zones[r.name].name,
                },
                "path": r.path if r.outcome is not ClipState.FAILED else None,
                "sidecar": r.sidecar,
                "sha256": r.sha256,
                "frames": r.frames,
                "duration_s": r.duration_s,
                "first_frame": _ms(r.first_frame),
                "clock_offset_s": r.clock_offset_s,
                "redone": r.redone,
                "reason": r.reason,
                "error": r.error,
            }
            for r in results
        ],
    }


_OUTCOMES = (ClipState.SAVED, ClipState.SKIPPED, ClipState.FAILED)
_SHOWN = {
    ClipState.SAVED: N_("saved"),
    ClipState.SKIPPED: N_("kept (already exported)"),
    # "clip|": this export failed (Vietnamese "thất bại"), not a card that failed ("hỏng").
    ClipState.FAILED: N_("clip|failed"),
}


def _rows(results: Sequence[ClipResult], fmt: str) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "site": r.site,
            "result": r.outcome.value if fmt == "csv" else word(_SHOWN[r.outcome]),
            "frames": r.frames if r.outcome is not ClipState.FAILED else "",
            "duration": ""
            if r.duration_s is None
            else f"{r.duration_s:.1f}"
            if fmt == "csv"
            else l10n.number(r.duration_s, 1),
            "file": (r.path if fmt == "csv" else Path(r.path).name)
            if r.outcome is not ClipState.FAILED
            else "",
            "why": (r.error if fmt == "csv" else r.error_text()) or "",
        }
        for r in results
    ]


def run_batch(args: argparse.Namespace) -> int:
    from fleetctl.cli.render.clip_progress import clip_progress
    from fleetctl.cli.run.footage_window import camera_windows
    from fleetctl.core.selection import select_cameras
    from fleetctl.engine.footage_batch import BatchOptions, ClipRequest, export_clips
    from fleetctl.engine.footage_export import ExportOptions
    from fleetctl.engine.workspace import load_workspace

    if not args.output:
        raise UsageError(_("footage export --select needs -o DIR: the folder for the clips"))
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(_("-o names a file: with --select, give a folder for the clips"))
    if args.jobs < 1:
        raise UsageError(_("--jobs must be at least 1"))
    workspace = load_workspace(args.inventory, args.secrets)
    cameras = select_cameras(workspace.inventory, args.select, None)
    if not cameras:
        raise UsageError(_("no camera matches --select %(expr)r") % {"expr": args.select})
    zones, windows = camera_windows(args.start, args.end, args.tz, cameras, workspace.inventory)
    requests = [ClipRequest(c, windows[c.name]) for c in cameras]
    options = BatchOptions(jobs=args.jobs, export=ExportOptions(onvif_timeout_s=args.timeout))
    live = args.format == "table" and sys.stderr.isatty() and sys.stdout.isatty()
    with clip_progress(live=live, total=len(requests)) as on_progress:
        results = aio.run(export_clips(workspace, requests, out_dir, options, on_progress))
    counts = {s: sum(1 for r in results if r.outcome is s) for s in _OUTCOMES}
    render.emit(
        _rows(results, args.format),
        _COLUMNS,
        args.format,
        title=_title(results, zones, out_dir),
        caption=_("%(saved)d saved, %(skipped)d kept (already exported), %(failed)d failed")
        % {
            "saved": counts[ClipState.SAVED],
            "skipped": counts[ClipState.SKIPPED],
            "failed": counts[ClipState.FAILED],
        },
        json_obj=to_json(results, out_dir, zones),
    )
    return ExitCode.WARN if counts[ClipState.FAILED] else ExitCode.OK
