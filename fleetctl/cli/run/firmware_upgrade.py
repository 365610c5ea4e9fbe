"""`fleetctl firmware upgrade`: check the image, plan, confirm, roll out, report (push's JSON).

stdout carries only the requested format (the plan, then the outcomes); progress on stderr.
Exit status as push: 0 every camera upgraded or already there, 1 some failed or were
unreachable, 2 the rollout stopped (a camera did not come back, or --max-fail), 64+ usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from fleetctl.base import aio
from fleetctl.base.i18n import _
from fleetctl.cli.render import common as render
from fleetctl.cli.render.common import Column
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.engine.firmware_upgrade import UpgradeOutcome, UpgradePlan, UpgradeResult

RUN_PREFIX = "firmware:"


def _columns() -> tuple[Column, ...]:
    return (
        Column("name", _("Camera"), no_wrap=True),
        Column("result", _("Result")),
        Column("from", _("From")),
        Column("to", _("To")),
        Column("error", _("Why")),
    )


def journal_path(args: argparse.Namespace) -> str:
    if args.journal:
        return str(args.journal)
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("fleetctl")) / "firmware-journal.sqlite")


def _options(args: argparse.Namespace, stored: dict[str, Any] | None = None) -> Any:
    from fleetctl.engine.firmware_upgrade import UpgradeOptions

    s = stored or {}
    models = (
        s.get("models")
        if stored
        else [m.strip() for m in (args.models or "").split(",") if m.strip()]
    )
    return UpgradeOptions(
        version=s.get("version") or args.target_version,
        models=tuple(models or ()),
        canary=int(s.get("canary", args.canary)),
        batch=s.get("batch", args.batch),
        max_fail_pct=float(s.get("max_fail", args.max_fail)),
        timeout_s=args.timeout,
        wait_s=float(s.get("wait", args.wait)),
        concurrency=args.concurrency,
    )


def _summary(outcomes: list[UpgradeOutcome]) -> dict[str, int]:
    keys = ("changed", "unchanged", "failed", "restored", "unreachable")
    counts = dict.fromkeys(keys, 0)
    for o in outcomes:
        if o.result.value in counts:
            counts[o.result.value] += 1
        elif o.result is UpgradeResult.NOT_RESTORABLE:
            counts["failed"] += 1
    counts["skipped"] = sum(1 for o in outcomes if o.result is UpgradeResult.SKIPPED)
    counts["not_restorable"] = sum(1 for o in outcomes if o.result is UpgradeResult.NOT_RESTORABLE)
    return counts


def _camera_json(o: UpgradeOutcome) -> dict[str, Any]:
    changes = (
        []
        if o.result is UpgradeResult.UNCHANGED
        else [{"setting": "firmware", "from": o.current, "to": o.target}]
    )
    return {"name": o.name, "result": o.result.value, "changes": changes, "error": o.error}


def _plan_rows(plans: list[UpgradePlan], version: str) -> list[dict[str, Any]]:
    return [
        {
            "name": p.camera.name,
            "result": (p.result.value if p.result else _("to upgrade")),
            "from": p.current,
            "to": version,
            "error": p.reason,
        }
        for p in plans
    ]


def run_upgrade(args: argparse.Namespace) -> int:
    from fleetctl.core.selection import select_cameras
    from fleetctl.engine.firmware_upgrade import Image, apply_upgrade, plan_upgrade
    from fleetctl.engine.push.journal import Journal
    from fleetctl.engine.workspace import load_workspace

    journal = Journal(journal_path(args))
    try:
        stored: dict[str, Any] | None = None
        selection = args.select
        if args.resume:
            found = journal.interrupted_run()
            if found is None:
                print(
                    _("fleetctl: nothing to resume: no firmware upgrade was interrupted"),
                    file=sys.stderr,
                )
                return ExitCode.OK
            run_id, profile, selection, pending = found
            stored = journal.run_options(run_id)
            image_path, expected = profile[len(RUN_PREFIX) :], stored.get("sha256")
        else:
            if not args.image or not args.target_version:
                raise UsageError(_("firmware upgrade needs --image PATH and --version V"))
            image_path, expected, pending = args.image, args.sha256, None
        image = Image.load(image_path, expected)
        opts = _options(args, stored)
        workspace = load_workspace(args.inventory, args.secrets)
        cameras = select_cameras(workspace.inventory, selection, None)
        if pending is not None:
            cameras = tuple(c for c in cameras if c.name in set(pending))
        if not cameras:
            raise UsageError(_("no camera matches --select %(expr)r") % {"expr": selection})
        workspace.require_credentials(cameras)
        plans = aio.run(plan_upgrade(workspace, cameras, opts))
        todo = [p for p in plans if p.result is None]
        print(
            _(
                "image %(path)s (SHA-256 %(sha)s) installs %(version)s: %(n)d of %(total)d cameras to upgrade"
            )
            % {
                "path": image.path,
                "sha": image.sha256[:16],
                "version": opts.version,
                "n": len(todo),
                "total": len(plans),
            },
            file=sys.stderr,
        )
        if args.dry_run or not todo:
            render.emit(
                _plan_rows(plans, opts.version),
                _columns(),
                args.format,
                json_obj={
                    "plan": [
                        {
                            "name": r["name"],
                            "result": r["result"],
                            "from": r["from"],
                            "to": r["to"],
                            "error": r["error"],
                        }
                        for r in _plan_rows(plans, opts.version)
                    ]
                },
            )
            return ExitCode.OK
        if not args.yes and not args.resume:
            if not sys.stdin.isatty():
                raise UsageError(_("not a terminal: say --yes to upgrade (or --dry-run)"))
            answer = input(_("upgrade %(n)d cameras? [y/N] ") % {"n": len(todo)})
            if answer.strip().lower() not in ("y", "yes", "c", "có"):
                return ExitCode.OK
        if stored is None:
            run_id = journal.start_run(
                RUN_PREFIX + os.path.abspath(image.path),
                selection,
                [p.camera.name for p in plans],
                {
                    "sha256": image.sha256,
                    "version": opts.version,
                    "models": list(opts.models),
                    "canary": opts.canary,
                    "batch": opts.batch,
                    "max_fail": opts.max_fail_pct,
                    "wait": opts.wait_s,
                },
            )

        def progress(o: UpgradeOutcome) -> None:
            print(
                f"{o.name}: {o.result.value}" + (f" ({o.error})" if o.error else ""),
                file=sys.stderr,
            )

        outcomes, stopped = aio.run(
            apply_upgrade(workspace, plans, image, opts, journal, run_id, progress)
        )
        journal.finish_run(run_id, "aborted" if stopped else "finished")
    finally:
        journal.close()
    rows = [
        {
            "name": o.name,
            "result": o.result.value,
            "from": o.current,
            "to": o.target,
            "error": o.error,
        }
        for o in outcomes
    ]
    render.emit(
        rows,
        _columns(),
        args.format,
        caption=stopped,
        json_obj={
            "summary": _summary(outcomes),
            "cameras": [_camera_json(o) for o in outcomes],
            "stopped": stopped,
        },
    )
    if stopped:
        print(f"fleetctl: {stopped}", file=sys.stderr)
        return ExitCode.CRIT
    bad = any(o.result in (UpgradeResult.FAILED, UpgradeResult.UNREACHABLE) for o in outcomes)
    return ExitCode.WARN if bad else ExitCode.OK
