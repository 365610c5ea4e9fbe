"""`fleetctl inventory lint|list|show|trust` (run functions in fleetctl.cli.run.inventory)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _
from fleetctl.cli import options

_RAW = argparse.RawDescriptionHelpFormatter
LINT_EPILOG = N_(
    """\
prints every problem as FILE:LINE: KEY: MESSAGE (warnings say `warning:`).
exit status: 0 no errors (warnings allowed), 65 any error, 66 no such file.
examples:
  fleetctl inventory lint
  fleetctl inventory lint -i inventories/district.yaml"""
)
LIST_EPILOG = N_(
    """\
examples:
  fleetctl inventory list -s 'site:dong-tien tag:market'
  fleetctl inventory list -s 'dong tien' -f csv > cameras.csv
  fleetctl inventory list -f json | jq '.cameras[].host'"""
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "inventory",
        help=_("lint, list and show the inventory"),
        description=_("Check and browse the inventory: the YAML files that describe the fleet."),
    )
    isub = p.add_subparsers(dest="inventory_command", metavar="ACTION")
    p.set_defaults(run=lambda _args: _usage(p))  # `fleetctl inventory` alone: its own help
    lint = isub.add_parser(
        "lint",
        help=_("report every problem in the inventory (exit 65 if any)"),
        description=_(
            "Validate the inventory: unknown keys, bad addresses and ranges, duplicate "
            "names, wrong types, YAML errors; warn about inline passwords and credentials the "
            "secrets file lacks."
        ),
        epilog=_(LINT_EPILOG),
        formatter_class=_RAW,
    )
    options.add_inventory(lint)
    lint.set_defaults(run="fleetctl.cli.run.inventory:run_lint")
    ls = isub.add_parser(
        "list",
        help=_("list cameras as a table, JSON or CSV"),
        description=_("List the selected cameras."),
        epilog=_(LIST_EPILOG),
        formatter_class=argparse.RawTextHelpFormatter,  # keeps SELECT_HELP's layout
    )
    options.add_inventory(ls)
    options.add_select(ls)
    options.add_format(ls)
    ls.add_argument(
        "--db",
        metavar="PATH",
        help=_("history store read by `status:` terms (default: as `check`)"),
    )
    ls.set_defaults(run="fleetctl.cli.run.inventory:run_list")
    show = isub.add_parser(
        "show",
        help=_("show one camera with every inherited value"),
        description=_("Show one camera with every inherited value applied (passwords masked)."),
    )
    options.add_inventory(show)
    options.add_format(show, ("table", "json"))
    show.add_argument("name", help=_("camera name"))
    show.set_defaults(run="fleetctl.cli.run.inventory:run_show")
    trust = isub.add_parser(
        "trust",
        help=_("record a recorder's SSH host key before fleetctl ever logs in"),
        description=_(
            "Ask HOST for its SSH host key (no login), print its fingerprint and record it in "
            "the inventory's known_hosts file (default: fleetctl's own). Compare the fingerprint "
            "with the one the recorder shows on its console. Until a key is recorded, fleetctl "
            "sends no SSH password to that host (unless policy ssh_tofu allows it)."
        ),
    )
    options.add_inventory(trust)
    trust.add_argument("host", help=_("recorder address (IP or DNS name)"))
    trust.add_argument("--port", type=int, default=22, help=_("SSH port (default: 22)"))
    trust.add_argument(
        "--known-hosts", metavar="PATH", help=_("known_hosts file to write (default: as `check`)")
    )
    trust.set_defaults(run="fleetctl.cli.run.inventory:run_trust")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 64  # ExitCode.USAGE (not imported: this module stays standard-library only)
