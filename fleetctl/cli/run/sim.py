"""Run function of `fleetctl sim`: start the fleet, write its inventory, summarise, wait for a signal."""

from __future__ import annotations

import argparse
import asyncio
import errno
import signal
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING

from rich.markup import escape

from fleetctl.base.i18n import _
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode

if TYPE_CHECKING:
    from fleetctl.sim.fleet import SimFleet


def run(args: argparse.Namespace) -> int:
    from fleetctl.sim.camera import faults

    if args.faults.strip() == "help":
        print(faults.describe())
        return ExitCode.OK
    if args.cameras < 1 or args.recorders < 0 or not 0 <= args.block < 100:
        raise UsageError(_("--cameras must be at least 1, --recorders at least 0, --block 0-99"))
    if not 0 <= args.fresh <= args.cameras:
        raise UsageError(_("--fresh must be between 0 and --cameras"))
    try:
        faults.parse_spec(args.faults)
    except ValueError as err:
        raise UsageError(f"--faults: {err}") from None
    from fleetctl.sim.loop import run as run_loop  # uvloop when installed (sim/loop.py)

    return run_loop(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from fleetctl.sim.fleet import BLOCK, SimFleet

    fleet = SimFleet(
        cameras=args.cameras,
        faults=args.faults,
        seed=args.seed,
        recorders=args.recorders,
        sites=args.sites,
        rtsp=args.rtsp,
        discovery=args.discovery,
        first_index=args.block * BLOCK,
        fresh=args.fresh,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    try:
        await fleet.__aenter__()
    except OSError as err:
        await fleet.aclose()
        if err.errno == errno.EMFILE:
            raise UsageError(str(err.strerror)) from None
        if err.errno == errno.EADDRINUSE:
            raise UsageError(
                _(
                    "address in use (%(error)s): is another `fleetctl sim` running on block "
                    "%(block)d? Try --block %(next)d"
                )
                % {"error": err.strerror, "block": args.block, "next": args.block + 1}
            ) from None
        raise
    try:
        written = fleet.write_inventory(args.write_inventory) if args.write_inventory else None
        if args.write_truth:
            from fleetctl.sim.truth import write_truth

            write_truth(fleet, args.write_truth)
        _summary(fleet, time.monotonic() - started, written)
        await stop.wait()
    finally:
        print("fleetctl sim: " + _("stopping"), file=sys.stderr)
        await fleet.aclose()
    return ExitCode.OK


def _summary(fleet: SimFleet, seconds: float, written: tuple[object, object] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from fleetctl.sim.camera.model import FAULTS

    con = Console(highlight=False)
    cams = [c for c in fleet.cameras if not c.is_recorder]
    recorders = len(fleet.cameras) - len(cams)
    vendors = Counter(c.vendor.value for c in cams)
    con.print(
        "[bold]fleetctl sim[/]: "
        + escape(
            _(
                "%(cameras)d cameras and %(recorders)d recorders listening in %(seconds).1f s, seed %(seed)s"
            )
            % {"cameras": len(cams), "recorders": recorders, "seconds": seconds, "seed": fleet.seed}
        )
    )
    con.print(
        "  "
        + escape(
            _(
                "addresses  %(first)s .. %(last)s (ONVIF :%(onvif)s, RTSP :%(rtsp)s, SSH :%(ssh)s on recorders)"
            )
            % {
                "first": fleet.cameras[0].host,
                "last": fleet.cameras[-1].host,
                "onvif": fleet.cameras[0].onvif_port,
                "rtsp": fleet.cameras[0].rtsp_port,
                "ssh": fleet.cameras[-1].ssh_port,
            }
        )
    )
    con.print(
        "  "
        + escape(_("sites      %(sites)s") % {"sites": ", ".join(n for n, *_rest in fleet.sites)})
    )
    con.print(
        "  "
        + escape(
            _("vendors    %(vendors)s")
            % {"vendors": ", ".join(f"{v} {n}" for v, n in vendors.most_common())}
        )
    )
    con.print(
        "  "
        + escape(_("account    %(user)s (password in the secrets file)") % {"user": fleet.username})
    )
    by_fault = Counter(f for faults in fleet.injected.values() for f in faults)
    if by_fault:
        title = _("injected faults: %(n)d devices") % {"n": len(fleet.injected)}
        table = Table(title=escape(title), title_justify="left")
        for col in (_("fault"), _("kind"), _("severity"), _("cameras"), _("e.g.")):
            table.add_column(col)
        for name, count in sorted(by_fault.items(), key=lambda kv: FAULTS[kv[0]].kind):
            example = next(n for n, f in fleet.injected.items() if name in f)
            spec = FAULTS[name]
            table.add_row(name, spec.kind, spec.severity, str(count), example)
        con.print(table)
    else:
        con.print("  " + escape(_("faults     none")))
    missing = sorted(set(FAULTS) - set(by_fault)) if fleet.plan.preset == "every" else []
    if missing:
        note = _(
            "too few cameras to show every fault without one hiding another: not injected: %(faults)s"
        ) % {"faults": ", ".join(missing)}
        con.print(f"[yellow]  {escape(note)}[/]")
    fresh = [c for c in fleet.cameras if c.fresh]
    if fresh:
        fresh_note = _(
            "fresh      %(n)d factory-fresh cameras, not in the inventory (%(first)s .. %(last)s): "
            "`fleetctl discover` finds them"
        ) % {"n": len(fresh), "first": fresh[0].host, "last": fresh[-1].host}
        con.print("  " + escape(fresh_note))
    if written is not None:
        inv, secrets = written
        con.print(
            "  " + escape(_("inventory  %(path)s") % {"path": inv}),
            "\n  " + escape(_("secrets    %(path)s") % {"path": secrets}),
            sep="",
        )
        check_it = escape(_("check it:   %(command)s") % {"command": ""})
        con.print(f"\n{check_it}[bold]fleetctl check -i {escape(str(inv))}[/]")
    con.print(escape(_("Ctrl-C stops the fleet.")))
