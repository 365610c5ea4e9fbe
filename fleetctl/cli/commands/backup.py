"""`fleetctl backup`: save each camera's readable configuration; `backup diff CAM`, `backup restore
CAM --at T` (docs/backup.md)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _
from fleetctl.cli import options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backup",
        help=_("save each camera's settings; diff two backups; restore one through push"),
        description=_(
            "Without an action: read every setting fleetctl can read of each selected camera "
            "(identity, network, time, NTP, DNS, hostname, encoders, accounts without passwords) "
            "and save it under DIR/CAMERA/ as JSON named by the time it was read; a camera whose "
            "settings did not change writes nothing. `diff CAM` shows what changed between two "
            "backups (default: the last two). `restore CAM --at T` pushes the settings of the "
            "newest backup at or before T back to the camera, through `fleetctl push` (plan "
            "first; --yes applies)."
        ),
        epilog=_("exit status: 0 every camera saved or unchanged, 1 some failed; 64 and up: usage"),
    )
    p.add_argument("action", nargs="?", choices=("diff", "restore"), help=_("diff or restore"))
    p.add_argument("camera", nargs="?", help=_("camera name (diff, restore)"))
    p.add_argument(
        "-o",
        "--dir",
        default="backups",
        metavar="DIR",
        help=_("backup folder (default: ./backups)"),
    )
    options.add_inventory(p)
    options.add_select(p)
    options.add_format(p, ("table", "json"))
    options.add_run_limits(p, timeout=15.0, concurrency=32)
    p.add_argument(
        "--from", dest="since", metavar="T", help=_("diff: the older backup (at or before T)")
    )
    p.add_argument(
        "--to", dest="until", metavar="T", help=_("diff: the newer backup (at or before T)")
    )
    p.add_argument("--at", metavar="T", help=_("restore: the newest backup at or before T"))
    p.add_argument("--yes", action="store_true", help=_("restore: apply without asking"))
    p.set_defaults(run="fleetctl.cli.run.backup:run_backup")
