"""`fleetctl report`: the daily report from the check history (docs/commands.md, docs/json.md)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _
from fleetctl.cli import options

EPILOG = N_(
    """\
times: --from/--to take ISO 8601 ('2026-12-06', '2026-12-06T07:00', '...Z' or '+07:00');
without a zone they are local time. --since takes 24h, 7d, 90m.

examples:
  fleetctl report --since 24h -o report.html --pdf report.pdf
  fleetctl report --from 2026-12-01 --to 2026-12-08 -s site:dong-tien -o week.html
  fleetctl report --since 7d -f json > week.json
  fleetctl report --since 24h -f csv > sites.csv"""
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help=_("the report to hand up: availability, problems, outages, clocks, storage"),
        description=_(
            "Build a report of the selected cameras over a period from the check history: "
            "availability per site and day, cameras by status, problems opened and resolved, the "
            "longest outages, clock drift, storage to replace, firmware. HTML (one self-contained "
            "page with charts), PDF, JSON or CSV."
        ),
        epilog=_(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "-i",
        "--inventory",
        default="inventories",
        metavar="PATH",
        help=_("inventory YAML file or folder of them (default: ./inventories); no secrets needed"),
    )
    options.add_select(p)
    p.add_argument(
        "--db",
        metavar="PATH",
        help=_("history store (default: history.sqlite in the user data dir)"),
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--since", metavar="DURATION", help=_("the period ending now (default: 24h)"))
    when.add_argument("--from", dest="start", metavar="TIME", help=_("start of the period"))
    p.add_argument("--to", dest="end", metavar="TIME", help=_("end of the period (default: now)"))
    p.add_argument(
        "-o", "--output", metavar="FILE", help=_("write the report here (default: stdout)")
    )
    p.add_argument("--pdf", metavar="FILE", help=_("also write the page as PDF (A4)"))
    p.add_argument(
        "--format",
        "-f",
        choices=("html", "json", "csv"),
        default="html",
        help=_("format of --output / stdout (default: html)"),
    )
    p.set_defaults(run="fleetctl.cli.run.report:run")
