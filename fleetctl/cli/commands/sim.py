"""`fleetctl sim`: a simulated fleet on loopback addresses (standard library only here)."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import N_, _

EPILOG = N_(
    """\
examples:
  fleetctl sim --cameras 500 --faults realistic --write-inventory sim.yaml
  fleetctl sim --cameras 40 --faults 'offline=2,frozen=0.05,clock_drift=1' --seed 7
  fleetctl sim --faults help          # the fault catalogue

Cameras listen on 127.16.x.y (ONVIF :8080, RTSP :8554, recorders' SSH :2222, WS-Discovery
UDP 3702). The inventory and its secrets file (0600) are written once everything listens.
Runs until Ctrl-C or SIGTERM."""
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sim",
        help=_("run a simulated camera fleet on loopback addresses"),
        description=_(
            "Simulated cameras speaking real ONVIF, RTSP, SSH and WS-Discovery on "
            "127.16.x.y, with the faults you choose; writes an inventory for them."
        ),
        epilog=_(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--cameras",
        "-n",
        type=int,
        default=50,
        metavar="N",
        help=_("number of cameras (default: 50)"),
    )
    p.add_argument(
        "--faults",
        default="realistic",
        metavar="SPEC",
        help=_("none | realistic | every | NAME=RATE,NAME=COUNT,... | help (default: realistic)"),
    )
    p.add_argument("--seed", type=int, default=1, help=_("the same seed gives the same fleet"))
    p.add_argument(
        "--recorders",
        type=int,
        default=1,
        metavar="N",
        help=_("NVR-like recorders reached over SSH (default: 1)"),
    )
    p.add_argument(
        "--sites",
        type=int,
        default=None,
        metavar="N",
        help=_("number of sites (default: one per 60 cameras)"),
    )
    p.add_argument(
        "--fresh",
        type=int,
        default=0,
        metavar="N",
        help=_(
            "of the cameras, N are factory-fresh (left out of the inventory) for "
            "`fleetctl discover` and `onboard`: Hikvision ones mostly inactive (SADP, "
            "activation, ONVIF off), Dahua ones mostly uninitialised (DHIP, initialisation, "
            "ONVIF off), Axis ones with no account, the others with factory passwords"
        ),
    )
    p.add_argument(
        "--write-inventory",
        metavar="PATH",
        default=None,
        help=_(
            "write the fleet's inventory here (NAME.yaml), and its secrets beside it as "
            "NAME-secrets.yaml"
        ),
    )
    p.add_argument(
        "--write-truth",
        metavar="PATH",
        default=None,
        help=_(
            "write, as JSON, the verdict each camera's faults imply (what a correct check says)"
        ),
    )
    p.add_argument(
        "--block",
        type=int,
        default=0,
        metavar="K",
        help=_("address block 0-99: run several simulators side by side (default: 0)"),
    )
    p.add_argument("--no-rtsp", dest="rtsp", action="store_false", help=_("no RTSP servers"))
    p.add_argument(
        "--no-discovery",
        dest="discovery",
        action="store_false",
        help=_("no WS-Discovery responders"),
    )
    p.set_defaults(run="fleetctl.cli.run.sim:run")
