"""The push screen: choose a profile, review the plan's diff, confirm with the count, watch it.

One screen, four stages (``stage``): ``pick`` a profile -> ``plan`` (a worker reads every
target, nothing is written) -> ``review`` the per-camera diff -> ``apply`` (rows update as each
camera's outcome arrives) -> ``done`` (a summary; the pushed cameras are re-checked). The engine
does the work in one push session (engine/push/session.py, the same as `fleetctl push`); this
module only drives and renders it.

esc leaves at any stage but ``apply``: a push is never cancelled from here, because a camera
interrupted between its write and its restore would be left half-configured. The apply worker
belongs to this screen, so the screen stays until the engine has reported every camera.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from fleetctl.base.i18n import N_, _
from fleetctl.core.errors import FleetctlError, InventoryError, UsageError
from fleetctl.core.push.profile import Profile, load_profile
from fleetctl.engine.push.outcome import CameraOutcome, PlannedCamera, PushOptions, PushReport
from fleetctl.engine.push.session import PushSession
from fleetctl.engine.push.words import result_word
from fleetctl.tui.push_view import (
    RESULT_STYLE,
    PushSetup,
    plan_text,
    question,
    rollout,
    summary_text,
)
from fleetctl.tui.screens.confirm import _DIALOG_CSS, target_words
from fleetctl.tui.shell import CheckRequested, FleetHost, PushSetupChanged, host
from fleetctl.tui.words import translate_bindings

__all__ = ["PushConfirm", "PushScreen", "PushSetup"]

# ---------------------------------------------------------------------------------- confirm


class PushConfirm(ModalScreen[PushOptions | None]):
    """The count, and the rollout: canary first, then batches, abort past max-fail. enter pushes."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="PushConfirm")
        + """
    PushConfirm Horizontal { height: auto; }
    PushConfirm Horizontal Vertical { width: 1fr; height: auto; border: none; padding: 0 1 0 0; }
    PushConfirm Input { width: 100%; }
    PushConfirm #why { color: $error; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("cancel"))]

    def __init__(self, question: str, todo: int, setup: PushSetup) -> None:
        super().__init__()
        translate_bindings(self)
        self.question, self.todo, self.setup = question, todo, setup

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question", markup=False)
            with Horizontal():
                for key, label, value, hint in (
                    ("canary", N_("canary"), "1", N_("cameras first")),
                    ("batch", N_("batch: n or n%"), "", N_("all")),
                    ("max-fail", N_("max-fail %"), "0", N_("abort above")),
                ):
                    with Vertical():
                        yield Label(_(label), markup=False)
                        yield Input(value, placeholder=_(hint), id=key)
            yield Label("", id="why")
            push, cancel = escape(_("push")), escape(_("cancel"))
            yield Label(f"[b]enter[/] {push}    [b]esc[/] {cancel}", id="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = {i.id: i.value for i in self.query(Input)}
        try:
            opts = rollout(
                values["canary"], values["batch"], values["max-fail"], self.todo, self.setup
            )
        except UsageError as err:
            self.query_one("#why", Label).update(escape(str(err)))
            return
        self.dismiss(opts)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------------------- the screen


class PushScreen(Screen[None]):
    DEFAULT_CSS = """
    PushScreen #title { height: auto; padding: 0 1; text-style: bold; }
    PushScreen #body { height: 1fr; padding: 0 1; }
    PushScreen #errors { color: $error; }
    PushScreen .-hidden { display: none; }
    PushScreen DataTable { height: auto; max-height: 100%; }
    PushScreen #summary { height: auto; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("back")),
        Binding("p", "confirm", N_("push…")),
        Binding("q", "quit", N_("quit")),  # the app's quit, held while a push runs
    ]

    @dataclass
    class Outcome(Message):
        outcome: CameraOutcome

    def __init__(self, names: Sequence[str], hidden: int, setup: PushSetup) -> None:
        super().__init__()
        translate_bindings(self)
        self.names, self.hidden, self.setup = list(names), hidden, setup
        self.stage = "pick"
        self.profile: Profile | None = None
        self.planned: list[PlannedCamera] = []
        self.report: PushReport | None = None
        # From planning to the end of the push: the journal and the workspace reconciled with
        # a rotation under way (engine/push/session.py).
        self._session: PushSession | None = None

    @property
    def fleet(self) -> FleetHost:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static(
            _("Push a profile to %(targets)s: choose one")
            % {"targets": target_words(len(self.names), self.hidden)},
            id="title",
            markup=False,
        )
        with VerticalScroll(id="body"):
            paths = self.setup.profiles()
            yield OptionList(*(Option(p.name, id=str(p)) for p in paths), id="profiles")
            yield Static(
                ""
                if paths
                else escape(
                    _("no profiles (*.yaml) in %(dir)s: fleetctl tui --profiles DIR")
                    % {"dir": self.setup.profiles_dir}
                ),
                id="errors",
            )
            yield ProgressBar(
                total=len(self.names), show_eta=False, id="planning", classes="-hidden"
            )
            yield Static("", id="plan", classes="-hidden")
            table: DataTable[str] = DataTable(cursor_type="row", id="outcomes", classes="-hidden")
            for col, header in (
                ("camera", N_("CAMERA")),
                ("result", N_("RESULT")),
                ("changes", N_("CHANGES")),
                ("why", N_("WHY")),
            ):
                table.add_column(_(header), key=col)
            yield table
        yield Static("", id="summary", classes="-hidden")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":  # "p push…" only where there is a plan to push
            return self.stage == "review" and any(p.plan.changes for p in self.planned)
        return True

    def on_mount(self) -> None:
        self.query_one("#profiles", OptionList).focus()

    def _show(self, *ids: str) -> None:
        for wid in ("profiles", "errors", "planning", "plan", "outcomes", "summary"):
            self.query_one(f"#{wid}").set_class(wid not in ids, "-hidden")

    def _title(self, text: str) -> None:
        self.query_one("#title", Static).update(Text(text))  # may quote a file name: not markup

    # ------------------------------------------------------------------ 1. profile

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        path = str(event.option.id)
        try:
            profile = load_profile(path)
            for name in profile.rotate:  # a missing rotation password is said now, not mid-push
                self.setup.workspace.secrets.get(name)
        except InventoryError as err:
            lines = "\n".join(escape(str(i)) for i in err.issues)
            head = escape(_("%(file)s cannot be used:") % {"file": Path(path).name})
            self.query_one("#errors", Static).update(f"{head}\n{lines}")
            return
        except FleetctlError as err:
            self.query_one("#errors", Static).update(escape(f"{Path(path).name}: {err}"))
            return
        self.profile = profile
        self.stage = "plan"
        self._title(
            _("Planning %(file)s: reading %(n)d cameras (nothing is written)")
            % {"file": Path(path).name, "n": len(self.names)}
        )
        self._show("planning")
        self.plan_worker(profile)

    # ------------------------------------------------------------------ 2. plan

    @work(group="push-plan", exclusive=True)
    async def plan_worker(self, profile: Profile) -> None:
        cams = [self.fleet.model.cameras[n] for n in self.names if n in self.fleet.model.cameras]
        bar = self.query_one("#planning", ProgressBar)
        self._close_session()
        try:
            session = PushSession(
                self.setup.journal_path,
                timeout_s=self.setup.timeout_s,
                concurrency=self.setup.concurrency,
            )
            try:
                await session.reconcile(self.setup.workspace)
            except BaseException:
                session.close()
                raise
        except FleetctlError as err:  # an unusable journal: say so on the screen, keep the app
            self.stage = "pick"
            self._show("profiles", "errors")
            self.query_one("#errors", Static).update(
                escape(_("cannot plan: %(error)s") % {"error": err})
            )
            return
        self._session = session
        self.planned = await session.plan(cams, profile, on_planned=lambda _: bar.advance(1))
        self._review()

    def _review(self) -> None:
        self.stage = "review"
        self.query_one("#plan", Static).update(plan_text(self.planned))
        todo = [p for p in self.planned if p.plan.changes]
        unreadable = sum(1 for p in self.planned if p.plan.error)
        tail = _("; %(n)d unreadable (not pushed)") % {"n": unreadable} if unreadable else ""
        if todo:
            self._title(
                _("Plan: %(changes)d changes on %(cameras)d cameras%(tail)s. p: push…  esc: back")
                % {
                    "changes": sum(len(p.plan.changes) for p in todo),
                    "cameras": len(todo),
                    "tail": tail,
                }
            )
        else:
            self._title(
                _("Nothing to change: every camera already has this profile%(tail)s. esc: back")
                % {"tail": tail}
            )
        self._show("plan")

    # ------------------------------------------------------------------ 3. confirm

    def action_confirm(self) -> None:
        todo = [p for p in self.planned if p.plan.changes]
        if self.stage != "review" or not todo:
            return
        if self.fleet.read_only:  # the menu refuses already; a screen reached otherwise refuses too
            self.notify(
                _("push: refused, fleetctl tui runs --read-only"), severity="error", markup=False
            )
            return
        shown = set(self.fleet.model.visible)
        hidden = {n for n in self.names if n not in shown}
        ask = PushConfirm(question(self.planned, hidden), len(todo), self.setup)

        def answered(opts: PushOptions | None) -> None:
            if opts is not None:
                self.apply_worker(opts)

        self.app.push_screen(ask, answered)

    # ------------------------------------------------------------------ 4. apply and watch

    @work(group="push-apply", exclusive=True)
    async def apply_worker(self, options: PushOptions) -> None:
        assert self.profile is not None and self._session is not None
        session = self._session
        self.stage = "apply"
        todo = [p for p in self.planned if not p.plan.error]  # unchanged ones are reported as such
        table = self.query_one("#outcomes", DataTable)
        table.clear()
        for p in self.planned:
            if p.plan.error:  # said at the review; kept in view so the count adds up
                table.add_row(
                    p.camera.name,
                    Text(result_word("not pushed"), style="magenta"),
                    "0",
                    Text(_("unreadable: %(error)s") % {"error": p.plan.error}),
                    key=p.camera.name,
                )
            else:
                table.add_row(
                    p.camera.name,
                    Text(result_word("pending" if p.plan.changes else "unchanged")),
                    str(len(p.plan.changes)),
                    "",
                    key=p.camera.name,
                )
        self._title(
            _("Pushing %(file)s to %(n)d cameras…")
            % {"file": Path(self.profile.source).name, "n": len(todo)}
        )
        self._show("outcomes")
        try:
            # The journal records what was targeted in the selection language, so
            # `fleetctl push --resume` after an interrupted TUI push stays on these cameras.
            selection = "name:" + ",".join(p.camera.name for p in todo)
            self.report = await session.apply(
                todo, self.profile, options, selection=selection, on_result=self._arrived
            )
            if self.report.rotations:
                self._after_rotation(session)
        except FleetctlError as err:  # the journal cannot be written: nothing was sent unrecorded
            self.query_one("#summary", Static).update(
                escape(_("push failed: %(error)s") % {"error": err})
            )
            self._show("outcomes", "summary")
            return
        finally:
            self._close_session()
            self.stage = "done"
            self.post_message(CheckRequested([p.camera.name for p in todo if p.plan.changes]))
        self.query_one("#summary", Static).update(escape(summary_text(self.report)))
        self._title(_("Push of %(file)s: done") % {"file": Path(self.profile.source).name})
        self._show("outcomes", "summary")
        for o in (
            self.report.outcomes
        ):  # skipped cameras get no on_result: set every row from the report
            self._set_row(o)

    def _after_rotation(self, session: PushSession) -> None:
        fresh = self.setup.reload() if self.setup.reload is not None else self.setup.workspace
        fresh = session.after_rotation(fresh)  # cameras already on a still-pending new password
        self.post_message(PushSetupChanged(replace(self.setup, workspace=fresh)))
        if self.setup.rewire is not None:
            self.setup.rewire(fresh)

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def on_unmount(self) -> None:
        self._close_session()

    def _arrived(self, outcome: CameraOutcome) -> None:
        self.post_message(self.Outcome(outcome))

    def on_push_screen_outcome(self, message: Outcome) -> None:
        self._set_row(message.outcome)

    def _set_row(self, o: CameraOutcome) -> None:
        table = self.query_one("#outcomes", DataTable)
        if o.name not in table.rows:
            return
        shown = Text(result_word(o.result), style=RESULT_STYLE.get(o.result, ""))
        table.update_cell(o.name, "result", shown)
        table.update_cell(o.name, "changes", str(len(o.changes)))
        table.update_cell(o.name, "why", Text(o.error or ""))  # the camera's words: never markup

    def results(self) -> dict[str, str]:
        """Camera -> the result its row shows now (what the operator reads)."""
        table = self.query_one("#outcomes", DataTable)
        return {str(k.value): str(table.get_cell(k, "result")) for k in table.rows}

    def _busy_pushing(self) -> bool:
        if self.stage == "apply":
            self.notify(
                _(
                    "push running: it is not cancelled midway (a camera could be left "
                    "half-configured); wait for it to finish"
                ),
                severity="warning",
                markup=False,
            )
        return self.stage == "apply"

    def action_back(self) -> None:
        if not self._busy_pushing():
            self.app.pop_screen()

    def action_quit(self) -> None:
        if not self._busy_pushing():
            self.app.exit()
