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
    p.add_argument(
        "action",
        nargs="?",
        choices=("upgrade",),
        help=_("upgrade: install --image on the selected cameras, staged like a push"),
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
    up = p.add_argument_group(_("upgrade"))
    up.add_argument("--image", metavar="PATH", help=_("the firmware image to install"))
    up.add_argument(
        "--version",
        dest="target_version",
        metavar="V",
        help=_("the version the image installs (how success is proven)"),
    )
    up.add_argument(
        "--sha256", metavar="HEX", help=_("refuse the image unless its SHA-256 is this")
    )
    up.add_argument(
        "--models",
        metavar="PATTERNS",
        help=_("comma-separated model patterns the image is for (other models are skipped)"),
    )
    up.add_argument(
        "--canary",
        type=int,
        default=1,
        metavar="N",
        help=_("cameras upgraded first, alone (default: 1)"),
    )
    up.add_argument(
        "--batch", metavar="N|P%", help=_("cameras per batch after the canary (default: all)")
    )
    up.add_argument(
        "--max-fail",
        type=float,
        default=0.0,
        metavar="PCT",
        help=_("stop when more than PCT%% of a batch fails (default: 0)"),
    )
    up.add_argument(
        "--wait",
        type=float,
        default=600.0,
        metavar="S",
        help=_("how long a camera may take to flash and answer again (default: 600)"),
    )
    up.add_argument("--dry-run", action="store_true", help=_("the plan only: nothing is sent"))
    up.add_argument("--yes", action="store_true", help=_("upgrade without asking"))
    up.add_argument("--resume", action="store_true", help=_("finish an interrupted upgrade"))
    up.add_argument(
        "--journal",
        metavar="PATH",
        help=_("upgrade journal (default: firmware-journal.sqlite in the user data dir)"),
    )
    p.set_defaults(run="fleetctl.cli.run.firmware:run_firmware")
