"""`fleetctl audit [NAME]`: what pushes changed, camera by camera (from the push journal)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _
from fleetctl.cli import options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    a = sub.add_parser("audit", help=_("what pushes changed, camera by camera (from the journal)"))
    a.add_argument("name", nargs="?", help=_("one camera (default: all)"))
    a.add_argument("--journal", metavar="PATH", help=_("push journal (default: user data dir)"))
    a.add_argument("--limit", type=int, default=200, metavar="N", help=_("newest N writes"))
    options.add_format(a, ("table", "json"))
    a.set_defaults(run="fleetctl.cli.run.push:run_audit")
