"""Runs `fleetctl history prune --keep AGE [--vacuum]`: what it removed on stderr (or JSON)."""

from __future__ import annotations

import argparse
import json
import sys

from fleetctl.base.i18n import _
from fleetctl.core.errors import HistoryError, UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.engine.history import default_path
from fleetctl.engine.retention import BATCH_ROWS, parse_keep, prune


def run_prune(args: argparse.Namespace) -> int:
    if args.name != "prune":
        raise UsageError(_("--keep and --vacuum go with `fleetctl history prune`"))
    if args.keep is None:
        raise UsageError(_("history prune needs --keep, e.g. --keep 90d"))
    keep = parse_keep(args.keep)
    if keep is None:  # "0": keep everything, nothing to do
        print("fleetctl: " + _("--keep 0 keeps everything: nothing removed"), file=sys.stderr)
        return ExitCode.OK
    path = args.db or default_path()
    try:
        result = prune(path, keep, vacuum=args.vacuum, batch_rows=args.batch or BATCH_ROWS)
    except HistoryError as err:
        print(f"fleetctl: {err}", file=sys.stderr)
        return ExitCode.IOERR
    if args.format == "json":
        print(json.dumps({"db": path, **result.to_json()}, indent=2))
    print(f"fleetctl: {result.summary(path)}", file=sys.stderr)
    return ExitCode.OK
