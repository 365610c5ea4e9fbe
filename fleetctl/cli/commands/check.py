"""`fleetctl check`: the fleet health check (docs/commands.md, exit codes; docs/json.md)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _
from fleetctl.cli import options

EPILOG = N_(
    """\
exit status: 0 every camera ok, 1 worst is warn, 2 worst is crit, 3 worst is unknown
(Nagios convention); 64 and up: usage, inventory or secrets errors.

examples:
  fleetctl check                                  # the whole fleet, problems first
  fleetctl check -s 'site:dong-tien !status:ok'   # what was broken last time, re-checked
  fleetctl check -f json > report.json
  fleetctl check -f nagios -s tag:market          # for a Nagios/Icinga check_command"""
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help=_("health check of the selected cameras; saves it to history"),
        description=_(
            "Check reachability, ONVIF, clock, video stream, storage and security of each "
            "selected camera. Problems are listed worst first, with since when they are present."
        ),
        epilog=_(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_inventory(p)
    options.add_select(p)
    options.add_format(p, ("table", "json", "csv", "nagios"))
    options.add_run_limits(p, concurrency=512)
    p.add_argument(
        "--window",
        "-w",
        type=float,
        default=1.0,
        metavar="S",
        help=_("seconds of video measured per stream (default: 1)"),
    )
    p.add_argument(
        "--check-default-passwords",
        action="store_true",
        help=_(
            "try the camera's vendor's factory logins (policy.default_password_tries, default 2, "
            "at most 3: below lockout thresholds; never again within 30 minutes)"
        ),
    )
    p.add_argument(
        "--picture",
        action="store_true",
        help=_(
            "also judge the picture: one keyframe per camera decoded small (black, one flat "
            "colour, blurred, unchanged for days); needs PyAV"
        ),
    )
    p.add_argument(
        "--db",
        metavar="PATH",
        help=_("history store (default: history.sqlite in the user data dir)"),
    )
    p.add_argument(
        "--no-history", action="store_true", help=_("do not read or write the history store")
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help=_(
            "processes to check with (default: one per core, for fleets of 300+ cameras; Linux)"
        ),
    )
    p.add_argument("--all", "-a", action="store_true", help=_("table: list ok cameras too"))
    p.add_argument("--quiet", "-q", action="store_true", help=_("no progress bar on stderr"))
    p.set_defaults(run="fleetctl.cli.run.check:run_check")
