"""`fleetctl firmware`: the fleet's firmware by model, against advisories and the inventory's
firmware policy (docs/firmware.md)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _
from fleetctl.cli import options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "firmware",
        help=_("firmware by model: counts, published advisories, the fleet's minimum"),
        description=_(
            "Every (manufacturer, model, firmware) of the selected cameras with its camera count, "
            "matched against the advisory table shipped with fleetctl (plus --advisories FILE) "
            "and the inventory's `firmware:` policy. Identities come from the last check "
            "(history); --refresh reads them from the cameras now."
        ),
        epilog=_(
            "exit status: 0 nothing found, 1 a model is below the fleet's minimum or has a "
            "published advisory; 64 and up: usage, inventory or secrets errors."
        ),
    )
    options.add_inventory(p)
    options.add_select(p)
    options.add_format(p)
    options.add_run_limits(p, timeout=8.0, concurrency=256)
    p.add_argument(
        "--refresh", action="store_true", help=_("read each camera's identity now (ONVIF)")
    )
    p.add_argument(
        "--advisories",
        metavar="FILE",
        help=_("more advisory rows (YAML); a row with a shipped row's id replaces it"),
    )
    p.add_argument(
        "--db",
        metavar="PATH",
        help=_("history store (default: history.sqlite in the user data dir)"),
    )
    p.set_defaults(run="fleetctl.cli.run.firmware:run_firmware")
