"""`fleetctl discover`: find ONVIF devices and tell new from known, moved and missing."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _
from fleetctl.cli import options

EPILOG = N_(
    """\
WS-Discovery multicast reaches the local link only (TTL 1); across routers and VLANs the
unicast sweep of --range (or the sites' `ranges:`) finds the devices. Hosts that ignore
WS-Discovery are found by a TCP sweep of --tcp-ports confirmed by ONVIF GetSystemDateAndTime.
No credentials are sent to discovered devices.

examples:
  fleetctl discover                                  # multicast + every site's ranges
  fleetctl discover --site dong-tien -f inventory    # YAML to paste under the site's cameras
  fleetctl discover --range 10.20.1.0/24 --range 10.20.2.10-80 --no-multicast -f json
  fleetctl discover --interface eth1 --no-sweep"""
)


def _ports(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none", "off"):
        return ()
    try:
        ports = tuple(int(p) for p in text.split(","))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a port list: {text!r}") from err
    if not all(0 < p < 65536 for p in ports):
        raise argparse.ArgumentTypeError(f"ports are 1-65535: {text!r}")
    return ports


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "discover",
        help=_("find ONVIF devices (WS-Discovery, range sweep) and tell new from known"),
        description=_(
            "Find ONVIF devices by WS-Discovery multicast on local links and a paced\n"
            "unicast sweep of address ranges; mark each new, known, moved (same identity, new\n"
            "address) or missing (in the inventory and the swept ranges, did not answer)."
        ),
        epilog=_(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_inventory(p)
    p.add_argument("--site", metavar="NAME", help=_("sweep only this site's ranges"))
    p.add_argument(
        "--range",
        "-r",
        action="append",
        default=[],
        dest="ranges",
        metavar="RANGE",
        help=_(
            "addresses to sweep (repeatable): CIDR, a-b, 10.0.0.10-80, 10.0.1.*; "
            "default: the sites' ranges"
        ),
    )
    p.add_argument(
        "--interface",
        action="append",
        dest="interfaces",
        metavar="IF",
        help=_(
            "multicast on this interface name or address (repeatable; default: every "
            "multicast-capable IPv4 interface, or lo when every swept range is in 127.0.0.0/8)"
        ),
    )
    p.add_argument("--no-multicast", action="store_true", help=_("unicast sweep only"))
    p.add_argument("--no-sweep", action="store_true", help=_("multicast only, no range sweep"))
    p.add_argument(
        "--tcp-ports",
        type=_ports,
        default=None,
        metavar="LIST",
        help=_(
            "TCP sweep of these ports for hosts silent to WS-Discovery (default: 80,8080,8899; "
            "'none' disables; on a routed range of mostly empty addresses it adds up to "
            "addresses x ports / 512 seconds)"
        ),
    )
    p.add_argument(
        "--rate",
        type=float,
        default=1000.0,
        metavar="N",
        help=_("sweep Probes per second (default: 1000)"),
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=2,
        metavar="N",
        help=_("Probe rounds, UDP is lossy (default: 2)"),
    )
    p.add_argument(
        "--wait",
        type=float,
        default=2.0,
        metavar="S",
        help=_("listen for late replies (default: 2 s)"),
    )
    p.add_argument(
        "--no-info", action="store_true", help=_("skip the unauthenticated ONVIF calls per device")
    )
    options.add_format(p, ("table", "json", "csv", "inventory"))
    options.add_run_limits(p, timeout=3.0, concurrency=128)
    p.set_defaults(run="fleetctl.cli.run.discover:run")
