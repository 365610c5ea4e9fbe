"""`fleetctl firmware`: read identities (history, or the cameras with --refresh), summarise by
model against advisories and policy, render (docs/firmware.md: the JSON shape).

stdout carries only the requested format; exit 1 when any model is below the fleet's minimum
or matches an advisory, else 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fleetctl.base import aio
from fleetctl.base.i18n import _, ngettext
from fleetctl.cli.render import common as render
from fleetctl.cli.render.common import Column
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.firmware.compliance import ModelSummary
from fleetctl.core.models import Camera, DeviceInfo, FleetReport

if TYPE_CHECKING:
    from fleetctl.engine.workspace import Workspace


def _columns() -> tuple[Column, ...]:
    return (
        Column("manufacturer", _("Manufacturer")),
        Column("model", _("Model"), no_wrap=True),
        Column("firmware", _("Firmware")),
        Column("build_date", _("Build")),
        Column("count", _("Cameras"), justify="right"),
        Column("advisories", _("Advisories")),
        Column("policy", _("Policy"), status=True),
    )


def model_dict(s: ModelSummary) -> dict[str, Any]:
    """One model as JSON (docs/firmware.md); ``policy`` is ``ok`` or ``below``."""
    return {
        "manufacturer": s.manufacturer,
        "model": s.model,
        "firmware": s.firmware,
        "build_date": s.build_date,
        "count": s.count,
        "cameras": list(s.cameras),
        "advisories": [
            {
                "id": r.id,
                "cves": list(r.cves),
                "severity": r.severity,
                "title": r.title,
                "fixed_in": r.fixed_in,
                "source": r.source,
            }
            for r in s.advisories
        ],
        "policy": "below" if s.below else "ok",
        "minimum": s.below,
    }


def _row(s: ModelSummary) -> dict[str, Any]:
    return {
        "manufacturer": s.manufacturer or _("unknown"),
        "model": s.model or _("not read yet"),
        "firmware": s.firmware,
        "build_date": s.build_date,
        "count": s.count,
        "advisories": [r.label for r in s.advisories],
        "policy": _("below %(minimum)s") % {"minimum": s.below} if s.below else "ok",
    }


def _refresh(
    cameras: Sequence[Camera], args: argparse.Namespace, workspace: Workspace
) -> tuple[dict[str, DeviceInfo], FleetReport]:
    """Each camera's identity read now: reach and ONVIF only (no stream, no storage)."""
    from fleetctl.engine.check.runner import CheckOptions, check_cameras

    opts = CheckOptions(
        timeout_s=args.timeout, concurrency=args.concurrency, probes=frozenset({"reach", "onvif"})
    )
    report = aio.run(check_cameras(cameras, workspace, opts))
    return {r.name: r.device for r in report.cameras if r.device is not None}, report


def run_firmware(args: argparse.Namespace) -> int:
    if args.action == "upgrade":
        from fleetctl.cli.run.firmware_upgrade import run_upgrade

        return run_upgrade(args)
    from fleetctl.core.selection import select_cameras
    from fleetctl.engine.firmware import advisory_rules, summarise_fleet
    from fleetctl.engine.history import HistoryStore
    from fleetctl.engine.workspace import load_workspace

    rules = advisory_rules(args.advisories)
    workspace = load_workspace(args.inventory, args.secrets)
    with HistoryStore(args.db) as history:
        cameras = select_cameras(workspace.inventory, args.select, history.last_statuses())
        if not cameras:
            raise UsageError(_("no camera matches --select %(expr)r") % {"expr": args.select})
        if args.refresh:
            workspace.require_credentials(cameras)
            fresh, report = _refresh(cameras, args, workspace)
            history.record_devices(report.cameras)
        devices = history.devices()
    if args.refresh:
        devices.update(fresh)
    models = summarise_fleet(workspace.inventory, cameras, devices, rules)
    unread = sum(s.count for s in models if s.model is None)
    flagged = [s for s in models if s.advisories or s.below]
    render.emit(
        [_row(s) for s in models],
        _columns(),
        args.format,
        caption=ngettext(
            "%(n)d camera, %(models)d firmware versions, %(flagged)d flagged",
            "%(n)d cameras, %(models)d firmware versions, %(flagged)d flagged",
            len(cameras),
        )
        % {
            "n": len(cameras),
            "models": len(models) - (1 if unread else 0),
            "flagged": len(flagged),
        },
        json_obj={"models": [model_dict(s) for s in models]},
    )
    if unread and not args.refresh:
        print(
            ngettext(
                "fleetctl: %(n)d camera has no identity in the history yet: run `fleetctl check` "
                "or add --refresh",
                "fleetctl: %(n)d cameras have no identity in the history yet: run `fleetctl check` "
                "or add --refresh",
                unread,
            )
            % {"n": unread},
            file=sys.stderr,
        )
    return ExitCode.WARN if flagged else ExitCode.OK
