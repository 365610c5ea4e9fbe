"""`fleetctl serve`: continuous checks, Prometheus metrics, webhooks."""

from __future__ import annotations

import argparse

from fleetctl.base.i18n import _
from fleetctl.cli import options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help=_("check on a schedule and expose Prometheus metrics"),
        description=_(
            "Check the selected cameras on a schedule (spread across the interval, never "
            "stacked), keep history, and serve /metrics (Prometheus/OpenMetrics), /healthz and "
            "/report.json. Stops cleanly on SIGTERM or Ctrl-C."
        ),
    )
    options.add_inventory(p)
    options.add_select(p)
    options.add_run_limits(p)
    p.add_argument(
        "--interval",
        default="60s",
        metavar="DURATION",
        help=_("time between checks of a camera (60s, 5m)"),
    )
    p.add_argument(
        "--listen",
        default="127.0.0.1:9109",
        metavar="HOST:PORT",
        help=_("where to serve (default: 127.0.0.1:9109)"),
    )
    p.add_argument(
        "--flap-checks",
        type=int,
        default=2,
        metavar="N",
        help=_(
            "consecutive crit checks before a camera is reported crit (default: 2; 1 = no damping)"
        ),
    )
    p.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help=_("POST status changes as JSON (repeatable)"),
    )
    p.add_argument(
        "--window", type=float, default=1.0, metavar="S", help=_("RTP measuring window per stream")
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        default="1/1",
        help=_(
            "monitor only the K-th of N stable slices of the cameras: run one serve per core "
            "(each on its own --listen port) when one core cannot keep up"
        ),
    )
    p.add_argument(
        "--picture-every",
        type=int,
        default=10,
        metavar="N",
        help=_(
            "judge each camera's picture every N-th cycle (one keyframe decoded; needs PyAV); "
            "0: never (default: 10)"
        ),
    )
    p.add_argument(
        "--backup-dir",
        metavar="DIR",
        help=_(
            "back up every served camera's configuration here once a day (as `fleetctl backup "
            "-o DIR`); off without it"
        ),
    )
    p.add_argument(
        "--backup-at",
        default="02:30",
        metavar="HH:MM",
        help=_("--backup-dir: local time of the daily backup (default: 02:30)"),
    )
    p.add_argument("--db", metavar="PATH", help=_("history store (default: user data dir)"))
    p.add_argument("--no-history", action="store_true", help=_("keep no history"))
    p.add_argument(
        "--history-keep",
        default="90d",
        metavar="AGE",
        help=_(
            "once a day, remove history older than this, e.g. 90d or 12w (as `fleetctl history "
            "prune`); 0: keep everything (default: 90d)"
        ),
    )
    p.set_defaults(run="fleetctl.cli.run.serve:run")
