"""Runs `fleetctl push` and `fleetctl audit`: parse, call the engine, render."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from rich.markup import escape

from fleetctl.base.i18n import N_, _, ngettext
from fleetctl.cli.render.common import Column, console, print_json, print_table
from fleetctl.core.errors import UsageError
from fleetctl.core.exitcodes import ExitCode
from fleetctl.core.push.plan import Change
from fleetctl.core.push.profile import load_profile
from fleetctl.core.push.rollout import batch_size
from fleetctl.core.selection import select_cameras
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.outcome import (
    FAILED_RESULTS,
    PlannedCamera,
    PushOptions,
    PushReport,
    PushResult,
)
from fleetctl.engine.push.reboot import reboot_note
from fleetctl.engine.push.session import PushSession
from fleetctl.engine.push.words import push_summary, result_word
from fleetctl.engine.workspace import load_workspace


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return escape(", ".join(map(str, v))) or _("(none)")
    return _("(unknown)") if v is None else escape(str(v))


def _change_json(c: Change) -> dict[str, Any]:
    return {"setting": c.setting, "from": c.old, "to": c.new}


def _print_plan(planned: list[PlannedCamera], reboot: str) -> None:
    out = console()
    for p in planned:
        plan = p.plan
        if plan.error:
            why = _("cannot read: %(error)s") % {"error": _fmt(plan.error)}
            out.print(f"[bold red]{escape(p.camera.name)}[/]: {why}")
            continue
        if not plan.changes and not plan.unsupported:
            n = len(plan.unchanged)
            right = ngettext("already right (%(n)d setting)", "already right (%(n)d settings)", n)
            out.print(f"[green]{escape(p.camera.name)}[/]: {right % {'n': n}}")
            continue
        out.print(f"[bold]{escape(p.camera.name)}[/] ({escape(p.camera.site)}):")
        for c in plan.changes:
            out.print(
                f"  [yellow]~[/] {c.setting}: {_fmt(c.old)} [yellow]->[/] {_fmt(c.new)}",
                highlight=False,
            )
        for u in plan.unsupported:
            out.print(f"  [magenta]![/] {_fmt(u)}", highlight=False)
    n_changes = sum(len(p.plan.changes) for p in planned)
    n_cams = sum(1 for p in planned if p.plan.changes)
    n_err = sum(1 for p in planned if p.plan.error)
    words = _(
        "Plan: %(changes)d changes on %(cameras)d cameras; %(right)d already right; "
        "%(unreadable)d unreadable; %(reboot)s."
    ) % {
        "changes": n_changes,
        "cameras": n_cams,
        "right": len(planned) - n_cams - n_err,
        "unreadable": n_err,
        "reboot": _(reboot_note(reboot)),
    }
    out.print("\n" + escape(words))


def _report_json(
    report: PushReport, planned: list[PlannedCamera] | None = None, reboot: str = "never"
) -> dict[str, Any]:
    if planned is not None:  # dry run: the plan in the report's shape, nothing applied
        cams = [
            {
                "name": p.camera.name,
                "result": PushResult.UNREACHABLE
                if p.plan.error
                else (PushResult.PLANNED if p.plan.changes else PushResult.UNCHANGED),
                "changes": [_change_json(c) for c in p.plan.changes],
                "unsupported": list(p.plan.unsupported),
                "error": p.plan.error,
            }
            for p in planned
        ]
        return {
            "dry_run": True,
            "summary": {
                "planned": sum(1 for p in planned if p.plan.changes),
                "unchanged": sum(1 for p in planned if not p.plan.changes and not p.plan.error),
                "unreachable": sum(1 for p in planned if p.plan.error),
            },
            "reboot": reboot_note(reboot),
            "cameras": cams,
        }
    return {
        "summary": report.summary,
        "aborted": report.aborted,
        "run": report.run_id,
        # credential -> cameras not yet on the new password (0: the secrets file has it as `password`)
        "rotations": report.rotations,
        "cameras": [
            {
                "name": o.name,
                "result": o.result,
                "changes": [_change_json(c) for c in o.changes],
                "unsupported": list(o.unsupported),
                "error": o.error,
                "rebooted": o.rebooted,
            }
            for o in report.outcomes
        ],
    }


def _exit(report: PushReport) -> int:
    if report.aborted or any(o.result is PushResult.NOT_RESTORABLE for o in report.outcomes):
        return ExitCode.CRIT
    if any(o.result in FAILED_RESULTS for o in report.outcomes):
        return ExitCode.WARN
    return ExitCode.OK


def _confirm(n_changes: int, n_cams: int) -> bool:
    if not sys.stdin.isatty():
        raise UsageError(
            _("not a terminal: add --yes to apply without a prompt, or --dry-run to only plan")
        )
    answer = input(
        _("Apply %(changes)d changes to %(cameras)d cameras? [y/N] ")
        % {"changes": n_changes, "cameras": n_cams}
    )
    # y/yes always work; the translation's own word for yes too ("c", "có").
    yes = {"y", "yes", _("y"), _("yes")}
    return answer.strip().lower() in yes


def _nothing_to_resume(session: PushSession) -> str:
    last = session.last_run()
    if last is None:
        return _("nothing to resume: the journal {path} records no push").format(
            path=session.journal_path
        )
    when = (last.finished or "?").replace("T", " ").replace("Z", " UTC")
    return _("nothing to resume: the last push (run {run}) finished at {when}").format(
        run=last.run_id, when=when
    )


def _reuse_options(args: argparse.Namespace, stored: dict[str, object]) -> None:
    """Put a resumed run's stored rollout options back on ``args`` (a resume finishes the push
    that was started, with its canary, batch size and --max-fail)."""
    for key, attr in (
        ("canary", "canary"),
        ("max_fail_pct", "max_fail"),
        ("reboot_wait_s", "reboot_wait"),
        ("concurrency", "concurrency"),
        ("timeout_s", "timeout"),
    ):
        value = stored.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            setattr(args, attr, value)
    batch = stored.get("batch_size")
    if isinstance(batch, int) and not isinstance(batch, bool):
        args.batch = str(batch)


async def _run(args: argparse.Namespace, session: PushSession) -> PushReport | None:
    """Parse, plan, confirm, apply. None: nothing was applied (and that is not an error)."""
    profile_path, selection, only = args.profile, args.select, None
    resumed: int | None = None
    if args.resume:
        found = session.interrupted()
        if found is None:
            # Nothing interrupted is a fine state (a cron's `--resume` after a clean push).
            print(_nothing_to_resume(session), file=sys.stderr)
            return None
        resumed, profile_path, selection, only = (
            found.run_id,
            found.profile,
            found.selection,
            found.cameras,
        )
        # The interrupted push's own rollout (canary, batches, abort threshold), not defaults.
        _reuse_options(args, found.options)
    if profile_path is None:
        raise UsageError(_("--profile FILE is required"))
    if args.limit is not None:
        if args.limit != "@failed":
            raise UsageError(_("--limit takes @failed"))
        only = session.failed_last_run()
    if not 0 <= args.max_fail <= 100:
        raise UsageError(_("--max-fail is a percentage from 0 to 100"))
    # Per step and at once, as given (or as the resumed push had them).
    session.timeout_s, session.concurrency = args.timeout, args.concurrency
    profile = load_profile(profile_path)
    workspace = load_workspace(args.inventory, args.secrets)
    for name in profile.rotate:
        workspace.secrets.get(name)  # SecretsError (says how to fix it) before anything is sent
    cameras = list(select_cameras(workspace.inventory, selection))
    if only is not None:
        cameras = [c for c in cameras if c.name in set(only)]
    if not cameras and resumed is None:
        print(_("push: no cameras selected"), file=sys.stderr)
        return None
    await session.reconcile(workspace)
    planned = await session.plan(cameras, profile)
    if args.format == "table":
        _print_plan(planned, profile.reboot)
        for rot in session.under_way():
            console().print(
                escape(
                    _(
                        "password `%(name)s`: a rotation is under way (%(n)d cameras already "
                        "on the new password): it is finished with the same password, not "
                        "restarted"
                    )
                    % {"name": rot.name, "n": rot.on_new}
                )
            )
    if args.dry_run:
        if args.format == "json":
            print_json(_report_json(PushReport(), planned, profile.reboot))
        return None
    n_changes = sum(len(p.plan.changes) for p in planned)
    n_cams = sum(1 for p in planned if p.plan.changes or p.plan.error)
    if n_cams == 0:
        # Nothing left to write (or a resume killed just before promotion): this still
        # promotes a rotation whose cameras are all verified.
        opts = PushOptions()
    else:
        if not args.yes and not _confirm(n_changes, n_cams):
            print(_("push: nothing applied"), file=sys.stderr)
            return None
        todo = n_cams - min(args.canary, n_cams)
        opts = PushOptions(
            timeout_s=args.timeout,
            concurrency=args.concurrency,
            canary=args.canary,
            batch_size=batch_size(args.batch, todo) if args.batch else None,
            max_fail_pct=args.max_fail,
            reboot_wait_s=args.reboot_wait,
        )
    report = await session.apply(planned, profile, opts, selection=selection)
    if resumed is not None:
        session.finish_resumed(resumed)  # finished by report.run_id
    return report


async def _push(args: argparse.Namespace) -> int:
    async with PushSession(
        args.journal, timeout_s=args.timeout, concurrency=args.concurrency
    ) as session:
        report = await _run(args, session)
    if report is None:
        return ExitCode.OK
    if args.format == "json":
        print_json(_report_json(report))
    else:
        rows = [
            {
                "name": o.name,
                "result": result_word(o.result),
                "changes": len(o.changes),
                "rebooted": _("yes") if o.rebooted else "",
                "error": o.error or "",
            }
            for o in report.outcomes
            if o.result is not PushResult.UNCHANGED
        ]
        if rows:
            print_table(
                rows,
                [
                    Column("name", N_("Camera")),
                    Column("result", N_("Result"), status=True),
                    Column("changes", N_("Changes"), "right"),
                    Column("rebooted", N_("Rebooted")),
                    Column("error", N_("Why")),
                ],
            )
        for name, left in report.rotations.items():
            done = (
                _("password `%(name)s`: rotated on every camera; the secrets file has the new one")
                if left == 0
                else _(
                    "password `%(name)s`: %(n)d cameras not on the new password yet: both are "
                    "kept in the secrets file; push again (or --limit @failed) to finish"
                )
            )
            console().print(escape(done % {"name": name, "n": left}))
        console().print(escape(push_summary(report.summary)))
        if report.aborted:
            aborted = escape(_("aborted"))
            console(sys.stderr).print(f"[bold red]{aborted}[/]: {escape(report.aborted)}")
    return _exit(report)


def run_push(args: argparse.Namespace) -> int:
    from fleetctl.engine.push.runlock import PushBusy

    try:
        return asyncio.run(_push(args))
    except PushBusy as busy:  # another push holds the journal: try again later (EX_TEMPFAIL)
        print(f"fleetctl: {busy}", file=sys.stderr)
        return ExitCode.TEMPFAIL


def run_audit(args: argparse.Namespace) -> int:
    journal = Journal(args.journal)
    try:
        rows = journal.audit(args.name, args.limit)
    finally:
        journal.close()
    if args.format == "json":
        print_json({"writes": [r.__dict__ for r in rows]})
    else:
        print_table(
            [
                {
                    "at": r.at,
                    "run": r.run_id,
                    "camera": r.camera,
                    "setting": r.setting,
                    "from": _fmt(r.old),
                    "to": _fmt(r.new),
                    "state": r.state,
                    "error": r.error or "",
                }
                for r in rows
            ],
            [
                Column("at", N_("When")),
                Column("run", N_("Run")),
                Column("camera", N_("Camera")),
                Column("setting", N_("Setting")),
                Column("from", N_("From")),
                Column("to", N_("To")),
                Column("state", N_("State")),
                Column("error", N_("Error")),
            ],
        )
    return ExitCode.OK
