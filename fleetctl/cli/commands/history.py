"""`fleetctl history [NAME]`: a camera's timeline, or the latest runs;
`fleetctl history prune --keep 90d`: old runs, results and resolved episodes removed."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history",
        help=_("a camera's timeline of status changes and problems"),
        description=_(
            "Without NAME: the latest check runs. With NAME: that camera's status changes "
            "and problem episodes (began, resolved), newest first. `fleetctl history prune "
            "--keep 90d`: remove runs, results and resolved problem episodes older than that "
            "(open problems, the latest status and what each camera is are kept)."
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
    p.add_argument(
        "--keep",
        metavar="AGE",
        help=_("prune: keep this much history, e.g. 90d, 12w or 400d"),
    )
    p.add_argument(
        "--vacuum",
        action="store_true",
        help=_("prune: rewrite the store afterwards to give all freed space back (VACUUM)"),
    )
    # Results removed per transaction (tests make it small to kill a prune between batches).
    p.add_argument("--batch", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(run="fleetctl.cli.run.check:run_history")
