"""The push screen's pure parts: its setup, the plan as a diff, the count, the rollout fields.

Kept apart from the widgets so the words an operator reads are plain functions of the engine's
values (engine/push/outcome.py), testable without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text

from fleetctl.base.i18n import _, ngettext
from fleetctl.core.errors import UsageError
from fleetctl.core.push.rollout import batch_size
from fleetctl.engine.push.outcome import PlannedCamera, PushOptions, PushReport, PushResult
from fleetctl.engine.push.words import push_summary
from fleetctl.tui.screens.confirm import target_words

if TYPE_CHECKING:
    from fleetctl.engine.workspace import Workspace

RESULT_STYLE = {
    PushResult.CHANGED: "green",
    PushResult.UNCHANGED: "dim",
    PushResult.RESTORED: "yellow",
    PushResult.FAILED: "bold red",
    PushResult.NOT_RESTORABLE: "bold white on red",
    PushResult.UNREACHABLE: "magenta",
    PushResult.SKIPPED: "dim",
}


@dataclass(frozen=True)
class PushSetup:
    """What the push screen needs beyond the app: where profiles are, the journal, limits."""

    workspace: Workspace
    profiles_dir: Path
    journal_path: str | None = None  # None: the engine's default ($FLEETCTL_JOURNAL honoured)
    timeout_s: float = 10.0
    concurrency: int = 32
    # After a password rotation the secrets file has changed under the app: ``reload`` reads
    # the workspace again from disk, ``rewire`` hands it to the app's checks and actions (else
    # the re-check after the push would log in with the old password and report auth failures).
    reload: Callable[[], Workspace] | None = None
    rewire: Callable[[Workspace], None] | None = None

    def profiles(self) -> list[Path]:
        if not self.profiles_dir.is_dir():
            return []
        return sorted(
            p for p in self.profiles_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
        )


# ---------------------------------------------------------------------------------- pure parts


def _fmt(v: Any) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v)) or _("(none)")
    return _("(unknown)") if v is None else str(v)


def plan_text(planned: Sequence[PlannedCamera]) -> Text:
    """The per-camera diff as the operator reads it: ``~ setting: from -> to``, ``!`` unsupported."""
    lines: list[str] = []
    for p in planned:
        name, plan = escape(p.camera.name), p.plan
        if plan.error:
            why = escape(_("cannot read, not pushed: %(error)s") % {"error": plan.error})
            lines.append(f"[bold red]{name}[/]: {why}")
        elif not plan.changes and not plan.unsupported:
            n = len(plan.unchanged)
            right = ngettext("already right (%(n)d setting)", "already right (%(n)d settings)", n)
            lines.append(f"[green]{name}[/]: {escape(right % {'n': n})}")
        else:
            lines.append(f"[bold]{name}[/] ({escape(p.camera.site)}):")
            lines += [
                f"  [yellow]~[/] {escape(c.setting)}: {escape(_fmt(c.old))} [yellow]->[/] {escape(_fmt(c.new))}"
                for c in plan.changes
            ]
            lines += [f"  [magenta]![/] {escape(u)}" for u in plan.unsupported]
    return Text.from_markup("\n".join(lines))


def question(planned: Sequence[PlannedCamera], hidden: set[str]) -> str:
    """``Push 12 changes to 5 cameras (2 hidden by the filter)?``: only cameras with changes count."""
    todo = [p for p in planned if p.plan.changes]
    n_changes = sum(len(p.plan.changes) for p in todo)
    n_hidden = sum(1 for p in todo if p.camera.name in hidden)
    return ngettext(
        "Push %(n)d change to %(targets)s?", "Push %(n)d changes to %(targets)s?", n_changes
    ) % {"n": n_changes, "targets": target_words(len(todo), n_hidden)}


def rollout(canary: str, batch: str, max_fail: str, todo: int, setup: PushSetup) -> PushOptions:
    """The confirm dialog's fields as PushOptions; UsageError says which field is wrong."""
    try:
        n_canary = int(canary.strip() or "0")
        pct = float(max_fail.strip() or "0")
    except ValueError:
        raise UsageError(_("canary is a camera count and max-fail a percentage")) from None
    if n_canary < 0 or not 0 <= pct <= 100:
        raise UsageError(_("canary must be 0 or more; max-fail a percentage from 0 to 100"))
    rest = todo - min(n_canary, todo)
    return PushOptions(
        timeout_s=setup.timeout_s,
        concurrency=setup.concurrency,
        canary=n_canary,
        batch_size=batch_size(batch.strip(), rest) if batch.strip() else None,
        max_fail_pct=pct,
    )


def summary_text(report: PushReport) -> str:
    out = push_summary(report.summary)
    lost = sum(1 for o in report.outcomes if o.result is PushResult.NOT_RESTORABLE)
    if lost:
        out += "\n" + _("%(n)d NOT RESTORABLE: check these cameras by hand (fleetctl audit)") % {
            "n": lost
        }
    if report.aborted:
        out += "\n" + _("aborted: %(why)s") % {"why": report.aborted}
    for name, left in report.rotations.items():
        if left == 0:
            out += "\n" + _("password `%(name)s`: rotated everywhere") % {"name": name}
        else:
            out += "\n" + _("password `%(name)s`: %(n)d cameras not on it yet") % {
                "name": name,
                "n": left,
            }
    return out + "\n" + _("esc: back to the fleet view (the pushed cameras are being re-checked)")
