"""`fleetctl inventory lint|list|show`."""

from __future__ import annotations

import argparse

from fleetctl.cli import options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("inventory", help="lint, list and show the inventory")
    isub = p.add_subparsers(dest="inventory_command", metavar="ACTION")
    lint = isub.add_parser("lint", help="report every problem in the inventory (exit 65 if any)")
    options.add_inventory(lint)
    lint.set_defaults(run="fleetctl.cli.inventory_cmd:run_lint")
    ls = isub.add_parser("list", help="list cameras as a table, JSON or CSV")
    options.add_inventory(ls)
    options.add_select(ls)
    options.add_format(ls)
    ls.set_defaults(run="fleetctl.cli.inventory_cmd:run_list")
    show = isub.add_parser("show", help="show one camera with every inherited value")
    options.add_inventory(show)
    options.add_format(show, ("table", "json"))
    show.add_argument("name")
    show.set_defaults(run="fleetctl.cli.inventory_cmd:run_show")
