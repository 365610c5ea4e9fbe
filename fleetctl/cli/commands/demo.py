"""`fleetctl demo`: a simulated province (communes and wards) and the TUI on it, in one command."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _
from fleetctl.cli.commands.tui import KEYS, add_tui_options

DESCRIPTION = N_(
    """\
Starts a simulated province in the background: communes and wards whose cameras
on loopback addresses (127.16.x.y) speak real ONVIF, RTSP and SSH, some with
realistic faults. Opens the terminal UI on it, and stops everything when you
quit (q). Nothing leaves this machine; history goes to a temporary folder
removed on exit."""
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help=_("start here: a simulated fleet with realistic faults, watched in the TUI"),
        description=_(DESCRIPTION),
        epilog=_(KEYS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--cameras", type=int, default=500, metavar="N", help=_("fleet size (default: 500)")
    )
    p.add_argument(
        "--faults", default="realistic", help=_("simulator fault mix (default: realistic)")
    )
    p.add_argument(
        "--seed", type=int, default=1, help=_("simulator seed: the same fleet every time")
    )
    p.add_argument(
        "--block",
        type=int,
        default=0,
        metavar="K",
        help=_("simulator address block 0-99 (another `fleetctl sim` running? use 1)"),
    )
    add_tui_options(p, interval=20.0)
    p.set_defaults(run="fleetctl.cli.run.tui:run_demo")
