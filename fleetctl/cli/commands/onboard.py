"""`fleetctl onboard`: take new devices into the fleet (account, baseline, verify, inventory)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _
from fleetctl.cli import options

EPILOG = N_(
    """\
Per new device (one `discover` finds; known cameras are skipped): log in with the vendor's
factory account (ONE attempt per configured credential: --factory-credentials, else the
secrets entry `factory-<vendor>`, else the vendor's built-in default), set the fleet account
(the site's `credentials:`, or with `onboard: {unique_passwords: true}` on the site a generated
password stored as `onboard-<id>` in the secrets file first), verify it, retire the factory
password (a new random one, stored as `recovery-<id>`), apply the profile (hostname
{site}-{n:03} by default) and read it back, run a health check, add the camera to the site's
inventory file. A device that fails stops at a named step; run again to resume it.
A second run changes nothing. Only addresses in --range/--address (default: the site's
ranges) are taken over. Exit status: 0 when no device failed, 2 when one did.

examples:
  fleetctl onboard --site dong-tien --profile inventories/profiles/baseline.yaml --dry-run
  fleetctl onboard --site dong-tien --range 10.20.3.0/24 --profile baseline.yaml
  fleetctl onboard --site dong-tien --address 10.20.3.57 -f json"""
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "onboard",
        help=_("take new devices into the fleet: account, baseline, verify, inventory"),
        description=_(
            "Find new ONVIF devices and take each into the fleet, step by step:\n"
            "login, account, baseline, verify, inventory. Resumable and idempotent."
        ),
        epilog=_(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_inventory(p)
    p.add_argument("--site", required=True, metavar="NAME", help=_("the site the devices join"))
    p.add_argument(
        "--range",
        "-r",
        action="append",
        default=[],
        dest="ranges",
        metavar="RANGE",
        help=_("addresses to sweep (repeatable; netaddr syntax); default: the site's ranges"),
    )
    p.add_argument(
        "--address",
        "-a",
        action="append",
        default=[],
        dest="addresses",
        metavar="IP",
        help=_("one device's address (repeatable)"),
    )
    p.add_argument("--profile", "-p", metavar="FILE", help=_("baseline settings (push profile)"))
    p.add_argument(
        "--inventory-file",
        metavar="FILE",
        help=_("inventory file the cameras are added to (default: the file defining the site)"),
    )
    p.add_argument(
        "--credentials",
        metavar="NAME",
        help=_("fleet credential (secrets name); default: what the site's cameras inherit"),
    )
    p.add_argument(
        "--unique-passwords",
        action="store_true",
        help=_(
            "a generated password per camera (as the site's `onboard: {unique_passwords: true}`)"
        ),
    )
    p.add_argument(
        "--factory-credentials",
        action="append",
        default=[],
        metavar="NAME",
        help=_("factory login to try, a secrets name (repeatable; one attempt each)"),
    )
    p.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help=_("show what would happen per device: logs in and reads settings, writes nothing"),
    )
    p.add_argument("--no-multicast", action="store_true", help=_("unicast sweep only"))
    p.add_argument(
        "--wait",
        type=float,
        default=2.0,
        metavar="S",
        help=_("listen for late discovery replies (default: 2 s)"),
    )
    p.add_argument(
        "--stream-window",
        type=float,
        default=2.0,
        metavar="S",
        help=_("how long the verify step measures the stream (default: 2 s)"),
    )
    options.add_format(p, ("table", "json"))
    options.add_run_limits(p, timeout=15.0, concurrency=16)
    p.set_defaults(run="fleetctl.cli.run.onboard:run")
