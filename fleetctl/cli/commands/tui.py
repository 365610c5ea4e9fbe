"""`fleetctl tui`: the terminal UI (or, with --web, the same app served to a browser)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _
from fleetctl.cli import options

KEYS = N_(
    """\
keys: / filter (!term negates)  : view (sites, cameras, firmware, report)  enter open  esc back
      space mark  V mark range  u clear marks  ctrl+z faults only  a actions
      c check now  t sync time  R reboot  W/N/S/O/F sort  f footage  ? help  q quit
push: a, then "push a profile" (profiles/*.yaml next to the inventory, or --profiles DIR)"""
)


def add_tui_options(p: argparse.ArgumentParser, *, interval: float = 60.0) -> None:
    """Options shared by `tui` and `demo`."""
    p.add_argument(
        "--interval",
        type=float,
        default=interval,
        metavar="S",
        help=_(
            "seconds between sweeps of the whole fleet (default: %(default)g; "
            "0: one sweep, then on demand)"
        ),
    )
    p.add_argument(
        "--read-only",
        action="store_true",
        help=_("disable every action that changes a camera (sync time, reboot, push)"),
    )
    p.add_argument(
        "--web", action="store_true", help=_("serve the app to a browser instead (textual-serve)")
    )
    p.add_argument(
        "--host", default="127.0.0.1", help=_("--web: address to listen on (default: 127.0.0.1)")
    )
    p.add_argument("--port", type=int, default=8000, help=_("--web: port (default: 8000)"))
    p.add_argument(
        "--max-sessions",
        type=int,
        default=4,
        metavar="N",
        help=_("--web: browser sessions at once, each checking the fleet (default: 4)"),
    )
    p.add_argument(
        "--allow-remote-actions",
        action="store_true",
        help=_(
            "--web on an address other than loopback: allow push, reboot and time sync "
            "from the browser (otherwise such an address needs --read-only)"
        ),
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tui",
        help=_("the terminal UI: live fleet health, drill-down, marks, bulk actions"),
        description=_(
            "Watch the fleet live: every camera's status, worst first, updated as each\n"
            "check arrives; drill into a camera, filter, mark cameras and act on them.\n"
            "--web serves the same app to a browser (on 127.0.0.1 unless --host says otherwise):\n"
            "open the URL it prints; its token is the key. Another address needs --read-only\n"
            "or --allow-remote-actions."
        ),
        epilog=_(KEYS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_inventory(p)
    options.add_select(p)
    options.add_run_limits(p)
    add_tui_options(p)
    p.add_argument(
        "--window", type=float, default=1.0, metavar="S", help=_("RTP measuring window per stream")
    )
    p.add_argument("--db", metavar="PATH", help=_("history store (default: user data dir)"))
    p.add_argument(
        "--no-history", action="store_true", help=_("keep no history (no 'since', no timeline)")
    )
    p.add_argument(
        "--profiles",
        metavar="DIR",
        help=_("push profiles to offer (default: profiles/ next to the inventory)"),
    )
    p.add_argument(
        "--journal",
        metavar="PATH",
        help=_("push journal (default: $FLEETCTL_JOURNAL or user data dir)"),
    )
    p.add_argument(
        "--backup-dir",
        metavar="DIR",
        help=_(
            "where `fleetctl backup` writes: the camera view shows each camera's last backup "
            "(default: ./backups if it exists)"
        ),
    )
    p.set_defaults(run="fleetctl.cli.run.tui:run_tui")
