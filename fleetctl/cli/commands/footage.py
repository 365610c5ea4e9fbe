"""`fleetctl footage`: which cameras recorded a past window (docs/commands.md#footage)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _
from fleetctl.cli import options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "footage",
        help=_("which cameras recorded a past window, with the gaps"),
        description=_(
            "Ask each selected camera (ONVIF Profile G search) whether it holds recorded video "
            "for the window: full, partial (with the gaps) or none, the earliest and latest "
            "recorded instants and where the answer came from; unknown (with the reason) when "
            "the camera cannot be asked. Times without a zone are local time of --tz, else of "
            "the camera's site (its `tz:` in the inventory), else of this machine. Each "
            "camera's recording times are on its own clock: they are converted to true time "
            "with the clock offset measured in the same conversation."
        ),
        epilog=_(
            "T: ISO 8601 with or without a zone (2026-12-06T21:00, 2026-12-06T14:00Z), -2h, "
            "-90m, now, yesterday 21:00, today 08:00. "
            "`footage export CAM --from T --to T -o clip.mp4`: the window through the camera's "
            "ONVIF replay, muxed into MP4 without re-encoding, with clip.mp4.json beside it "
            "(camera, window, clock offset, SHA-256); exit 1 and no file when it fails. "
            "`footage export -s EXPR --from T --to T -o DIR [--jobs N]`: one clip per selected "
            "camera in DIR, N at a time; run it again to resume (complete clips are kept); "
            "exit 1 when a camera failed. "
            "exit status: 0 every camera holds the whole window, 1 some hold part or none of "
            "it, 3 some could not be asked; 64 and up: usage"
        ),
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=("export",),
        help=_("export: the window as MP4, of one camera (CAM) or of each selected one (-s)"),
    )
    p.add_argument("camera", nargs="?", help=_("export: the camera's name"))
    p.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help=_(
            "export: the clip to write (MP4; a FILE.json beside it records its SHA-256); "
            "with -s, the folder to write one clip per camera into"
        ),
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=2,  # engine.footage_batch.EXPORT_JOBS: a district's uplink is thin
        metavar="N",
        help=_("export with -s: clips exported at once (default: %(default)s)"),
    )
    p.add_argument("--from", dest="start", required=True, metavar="T", help=_("window start"))
    p.add_argument(
        "--to", dest="end", default="now", metavar="T", help=_("window end (default: now)")
    )
    p.add_argument(
        "--tz",
        metavar="ZONE",
        help=_(
            "time zone of times written without one (default: the site's `tz:`, else this "
            "machine's; e.g. Asia/Ho_Chi_Minh)"
        ),
    )
    options.add_inventory(p)
    options.add_select(p)
    options.add_format(p)
    options.add_run_limits(p, timeout=10.0, concurrency=128)
    p.set_defaults(run="fleetctl.cli.run.footage:run_footage")
