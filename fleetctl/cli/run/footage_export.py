"""`fleetctl footage export CAM --from T --to T -o clip.mp4`: parse, export, say what happened."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fleetctl.base import aio
from fleetctl.base.i18n import _, ngettext
from fleetctl.cli.render import common as render
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode


def run_export(args: argparse.Namespace) -> int:
    from fleetctl.cli.run.footage_window import camera_windows
    from fleetctl.engine.footage_export import ExportOptions, export_clip
    from fleetctl.engine.workspace import load_workspace

    if args.camera and args.select:
        raise UsageError(_("footage export takes a camera name or --select, not both"))
    if args.select:
        from fleetctl.cli.run.footage_batch import run_batch

        return run_batch(args)
    if not args.camera or not args.output:
        raise UsageError(
            _("footage export needs a camera name (or --select EXPR) and -o FILE (or -o DIR)")
        )
    workspace = load_workspace(args.inventory, args.secrets)
    camera = next((c for c in workspace.inventory.cameras if c.name == args.camera), None)
    if camera is None:
        raise UsageError(_("no camera named %(name)r in the inventory") % {"name": args.camera})
    zones, windows = camera_windows(args.start, args.end, args.tz, [camera], workspace.inventory)
    win, zone_name = windows[camera.name], zones[camera.name].name
    out = Path(args.output)
    if out.is_dir():
        raise UsageError(_("-o names a folder: give the clip's file name"))
    total = (win.end - win.start).total_seconds()
    shown = [0.0]
    tty = sys.stderr.isatty()

    def progress(frames: int, seconds: float) -> None:
        now = time.monotonic()
        if tty and now - shown[0] >= 0.5:
            shown[0] = now
            sys.stderr.write(
                "\r"
                + ngettext(
                    "%(camera)s: %(got).0f of %(total).0f s received (%(frames)d frame)",
                    "%(camera)s: %(got).0f of %(total).0f s received (%(frames)d frames)",
                    frames,
                )
                % {"camera": camera.name, "got": seconds, "total": total, "frames": frames}
            )
            sys.stderr.flush()

    opts = ExportOptions(onvif_timeout_s=args.timeout)  # the replay itself: ExportOptions' limit
    result = aio.run(export_clip(workspace, camera, win, out, opts, progress))
    if tty:
        sys.stderr.write("\r\033[K")
    doc = {
        "camera": result.name,
        "result": "saved" if result.ok else "failed",
        "path": result.path,
        "sidecar": result.sidecar,
        "sha256": result.sha256,
        "frames": result.frames,
        "duration_s": result.duration_s,
        "first_frame": result.first_frame,
        "clock_offset_s": result.clock_offset_s,
        "zone": zone_name,
        "error": result.error,
    }
    if args.format == "json":
        render.print_json(doc)
    elif result.ok:
        print(
            _(
                "%(camera)s: %(frames)d frames, %(duration).1f s, saved to %(path)s (SHA-256 in %(sidecar)s)"
            )
            % {
                "camera": result.name,
                "frames": result.frames,
                "duration": result.duration_s or 0.0,
                "path": result.path,
                "sidecar": result.sidecar,
            }
        )
    if not result.ok:
        print(
            _("%(camera)s: export failed: %(why)s")
            % {"camera": result.name, "why": result.error_text()},
            file=sys.stderr,
        )
        return ExitCode.WARN
    return ExitCode.OK
