"""`fleetctl push`."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _
from fleetctl.cli import options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "push",
        help=_("apply a settings profile to many cameras, safely"),
        description=_(
            "Plan first (a per-camera diff: what changes, what is already right, what a camera "
            "cannot do), then apply in batches: --canary N cameras first, then --batch N or N%; a batch "
            "whose failures exceed --max-fail aborts the rollout. Each camera is a transaction: snapshot, "
            "write, read back; on failure its previous settings are restored. Every write is journaled "
            "first (`fleetctl audit`). Password rotation (profile `users: {rotate: [NAME]}`) stores each new "
            "password in the secrets file before any camera gets it and survives a kill at any point (`--resume` "
            "finishes it); `reboot: always` reboots each changed camera, one per site at a time, and waits for it "
            "to come back. Exit: 0 all changed or already right, 1 some failed (restored) or "
            "unreachable, 2 aborted or a camera could not be restored."
        ),
    )
    options.add_inventory(p)
    options.add_select(p)
    options.add_format(p, ("table", "json"))
    p.add_argument(
        "--profile", "-p", metavar="FILE", help=_("settings profile (inventories/profiles/*.yaml)")
    )
    p.add_argument(
        "--dry-run", "-n", action="store_true", help=_("plan and show the diff; send no write")
    )
    p.add_argument(
        "--canary", type=int, default=0, metavar="N", help=_("apply to N cameras first, alone")
    )
    p.add_argument(
        "--batch",
        metavar="N|PCT",
        help=_("then batches of N cameras or PCT%% of them (default: all)"),
    )
    p.add_argument(
        "--max-fail",
        type=float,
        default=0.0,
        metavar="PCT",
        help=_("abort when more than PCT%% of a batch fails (default: 0: any failure aborts)"),
    )
    p.add_argument(
        "--limit", metavar="@failed", help=_("@failed: only the cameras the last push failed on")
    )
    p.add_argument("--resume", action="store_true", help=_("finish the last interrupted push"))
    p.add_argument(
        "--yes", "-y", action="store_true", help=_("apply without asking (scripts, cron)")
    )
    p.add_argument("--journal", metavar="PATH", help=_("push journal (default: user data dir)"))
    p.add_argument(
        "--timeout", type=float, default=20.0, metavar="S", help=_("deadline per camera step")
    )
    p.add_argument(
        "--concurrency", type=int, default=32, metavar="N", help=_("cameras at once within a batch")
    )
    p.add_argument(
        "--reboot-wait",
        type=float,
        default=180.0,
        metavar="S",
        help=_("with `reboot: always`: how long a camera may take to go down and answer again"),
    )
    p.set_defaults(run="fleetctl.cli.run.push:run_push")
