"""`fleetctl backup`, `backup diff`, `backup restore`: parse, call the engine, render.

A restore is a push: the backup becomes a profile file beside the backups
(``DIR/CAM/restore-<backup>.yaml``, a record of what was put back) and `fleetctl push` runs it on
that one camera, so the plan, the diff, the journal, the read-back and the roll-back are the
push's own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from fleetctl.base import aio
from fleetctl.base.i18n import _, ngettext
from fleetctl.cli.render import common as render
from fleetctl.cli.render.common import Column
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode


def _columns() -> tuple[Column, ...]:
    return (
        Column("name", _("Camera"), no_wrap=True),
        Column("result", _("Result")),
        Column("path", _("File")),
        Column("error", _("Why")),
    )


def _when(text: str | None) -> datetime | None:
    """A backup time: ISO 8601 (a date alone is the end of that day, UTC)."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            _("not a time: %(text)r (use 2026-12-07 or 2026-12-07T08:00Z)") % {"text": text}
        ) from None
    if len(text) == 10:  # a date: the whole day
        when = when.replace(hour=23, minute=59, second=59)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _at_or_before(paths: list[Path], when: datetime | None) -> list[Path]:
    if when is None:
        return paths
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return [p for p in paths if p.stem <= stamp]


def run_backup(args: argparse.Namespace) -> int:
    if args.action == "diff":
        return _diff(args)
    if args.action == "restore":
        return _restore(args)
    if args.camera:
        raise UsageError(_("a camera name goes with diff or restore"))
    from fleetctl.core.selection import select_cameras
    from fleetctl.engine.backup import BackupOptions, BackupOutcome, backup_fleet
    from fleetctl.engine.workspace import load_workspace

    workspace = load_workspace(args.inventory, args.secrets)
    cameras = select_cameras(workspace.inventory, args.select, None)
    if not cameras:
        raise UsageError(_("no camera matches --select %(expr)r") % {"expr": args.select})
    workspace.require_credentials(cameras)
    opts = BackupOptions(timeout_s=args.timeout, concurrency=args.concurrency)
    results = aio.run(backup_fleet(workspace, cameras, args.dir, opts))
    counts = {o: sum(1 for r in results if r.result is o) for o in BackupOutcome}
    render.emit(
        [
            {"name": r.name, "result": r.result.value, "path": r.path, "error": r.error}
            for r in results
        ],
        _columns(),
        args.format,
        caption=_("%(saved)d saved, %(unchanged)d unchanged, %(failed)d failed")
        % {
            "saved": counts[BackupOutcome.SAVED],
            "unchanged": counts[BackupOutcome.UNCHANGED],
            "failed": counts[BackupOutcome.FAILED],
        },
        json_obj={
            "cameras": [
                {
                    "name": r.name,
                    "result": r.result.value,
                    "path": r.path,
                    "sha256": r.sha256,
                    "error": r.error,
                }
                for r in results
            ]
        },
    )
    return ExitCode.WARN if counts[BackupOutcome.FAILED] else ExitCode.OK


def _need_camera(args: argparse.Namespace) -> list[Path]:
    from fleetctl.engine.backup import history

    if not args.camera:
        raise UsageError(_("backup %(action)s needs a camera name") % {"action": args.action})
    paths = history(args.dir, args.camera)
    if not paths:
        raise UsageError(
            _("no backup of %(camera)s in %(dir)s") % {"camera": args.camera, "dir": args.dir}
        )
    return paths


def _diff(args: argparse.Namespace) -> int:
    from fleetctl.core.backup import changes
    from fleetctl.engine.backup import load

    paths = _need_camera(args)
    newer = _at_or_before(paths, _when(args.until))
    if not newer:
        raise UsageError(_("no backup of %(camera)s at or before --to") % {"camera": args.camera})
    older = _at_or_before(newer[:-1], _when(args.since)) if args.since else newer[:-1]
    if not older:
        raise UsageError(
            _("only one backup of %(camera)s: nothing to compare") % {"camera": args.camera}
        )
    a, b = load(older[-1]), load(newer[-1])
    found = changes(a, b)
    if args.format == "json":
        render.print_json(
            {
                "camera": args.camera,
                "from": a["taken"],
                "to": b["taken"],
                "changes": [{"setting": c.setting, "from": c.old, "to": c.new} for c in found],
            }
        )
        return ExitCode.OK
    print(
        _("%(camera)s: %(older)s -> %(newer)s")
        % {"camera": args.camera, "older": a["taken"], "newer": b["taken"]}
    )
    for c in found:
        print(
            f"  {c.setting}: {render.cell_text(c.old) or '-'} -> {render.cell_text(c.new) or '-'}"
        )
    if not found:
        print("  " + _("no change"))
    return ExitCode.OK


def _restore(args: argparse.Namespace) -> int:
    from ruamel.yaml import YAML

    from fleetctl.core.backup import restore_profile
    from fleetctl.engine.backup import load

    paths = _at_or_before(_need_camera(args), _when(args.at))
    if not paths:
        raise UsageError(_("no backup of %(camera)s at or before --at") % {"camera": args.camera})
    source = paths[-1]
    profile = restore_profile(load(source))
    if not profile:
        raise UsageError(_("%(file)s holds no setting fleetctl can write") % {"file": source})
    target = source.with_name(f"restore-{source.stem}.yaml")
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(
            f"# Settings of {args.camera} as backed up at {source.stem}, for `fleetctl push`.\n"
        )
        YAML(typ="safe", pure=True).dump(profile, fh)
    print(
        ngettext(
            "restoring %(n)d setting group of %(file)s through push",
            "restoring %(n)d setting groups of %(file)s through push",
            len(profile),
        )
        % {"n": len(profile), "file": source},
        file=sys.stderr,
    )
    argv = [
        sys.executable,
        "-m",
        "fleetctl",
        "push",
        "-i",
        args.inventory,
        "--profile",
        str(target),
        "--select",
        f"name:{args.camera}",
    ]
    if args.secrets:
        argv += ["--secrets", args.secrets]
    argv += ["--yes"] if args.yes else ["--dry-run"]
    return subprocess.run(argv, check=False).returncode
