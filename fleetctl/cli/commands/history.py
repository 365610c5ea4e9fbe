"""`fleetctl history [NAME]`: a camera's timeline, or the latest runs."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history",
        help=_("a camera's timeline of status changes and problems"),
        description=_(
            "Without NAME: the latest check runs. With NAME: that camera's status changes "
            "and problem episodes (began, resolved), newest first."
        ),
    )
    p.add_argument("name", nargs="?", help=_("camera name"))
    p.add_argument(
        "--db",
        metavar="PATH",
        help=_("history store (default: history.sqlite in the user data dir)"),
    )
    p.add_argument(
        "--limit", "-n", type=int, default=50, metavar="N", help=_("entries shown (default: 50)")
    )
    p.add_argument(
        "--format", "-f", choices=("table", "json"), default="table", help=_("output format")
    )
    p.set_defaults(run="fleetctl.cli.run.check:run_history")
