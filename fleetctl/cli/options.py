"""Options shared by the commands (docs/commands.md: common options). Standard library only."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _

SELECT_HELP = N_(
    """\
selection expression: space-separated terms, all must match (AND); a comma inside a term is OR.
  site:NAME   tag:TAG   name:GLOB (or a bare GLOB)   host:IP|CIDR|a-b|GLOB
  status:ok|warn|crit|unknown (last check)   !TERM negates a term.
  A bare word is a substring of name, site, location, tags or host. Case and Vietnamese
  diacritics are ignored ('dong tien' finds Đông Tiến); quote values with spaces.
  e.g. --select 'site:dong-tien tag:market,school !status:ok'"""
)


def add_inventory(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-i",
        "--inventory",
        default="inventories",
        metavar="PATH",
        help=_("inventory YAML file or folder of them (default: ./inventories)"),
    )
    p.add_argument(
        "--secrets",
        metavar="PATH",
        help=_(
            "secrets file (default: $FLEETCTL_SECRETS, the inventory's `secrets:`, "
            "or secrets.yaml in the user config dir)"
        ),
    )


def add_select(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", "-s", metavar="EXPR", default="", help=_(SELECT_HELP))


def add_format(
    p: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "json", "csv")
) -> None:
    p.add_argument("--format", "-f", choices=choices, default="table", help=_("output format"))


def add_run_limits(
    p: argparse.ArgumentParser, *, timeout: float = 10.0, concurrency: int = 256
) -> None:
    p.add_argument(
        "--concurrency",
        "-c",
        type=int,
        default=concurrency,
        metavar="N",
        help=_("cameras worked on at once (default: %(default)s)"),
    )
    p.add_argument(
        "--timeout",
        "-t",
        type=float,
        default=timeout,
        metavar="S",
        help=_("hard deadline per camera in seconds (default: %(default)g)"),
    )
