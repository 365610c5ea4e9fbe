"""`fleetctl tui`: the app shell. Owns the data (FleetModel) and the sweeps; screens render.

Results arrive one by one from the source; they are buffered and applied in batches (at most
``FLUSH_S`` apart), then ``fleet_changed`` is published once: with 10,000 cameras the table is
never re-sorted per result. Sweeps run in a worker, so a camera that never answers delays only
its own row, never the screen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer

from fleetctl.base.i18n import N_, _, ngettext
from fleetctl.core.models import Camera, CameraReport
from fleetctl.tui.firmware import FirmwareContext
from fleetctl.tui.footage_view import FootageSetup
from fleetctl.tui.push_view import PushSetup
from fleetctl.tui.screens.confirm import ConfirmScreen, target_words
from fleetctl.tui.screens.firmware import FirmwareScreen
from fleetctl.tui.screens.fleet import FleetScreen
from fleetctl.tui.screens.footage import FootageScreen
from fleetctl.tui.screens.help import HelpScreen
from fleetctl.tui.screens.push import PushScreen
from fleetctl.tui.screens.report import ReportScreen
from fleetctl.tui.screens.sites import SitesScreen
from fleetctl.tui.shell import (
    BulkRequested,
    CheckRequested,
    PushSetupChanged,
    ReportMaker,
    Timeline,
    ViewRequested,
)
from fleetctl.tui.source import ActionRunner, SweepSource
from fleetctl.tui.state import FleetModel
from fleetctl.tui.widgets.header import SweepProgress
from fleetctl.tui.words import TranslatedPalette, translate_bindings

log = logging.getLogger(__name__)

FLUSH_S = 0.1  # results applied at most this long after they arrive: ~10 table refreshes/s
MUTATING = {"sync_time": N_("sync time"), "reboot": N_("reboot")}  # shown with _()

# The views in the command palette (ctrl+p): (view, title, help), shown with _().
_VIEWS = (
    ("sites", N_("Sites view"), N_("One row per site with totals (:sites)")),
    (
        "firmware",
        N_("Firmware view"),
        N_("Models and firmware versions, advisories and policy; mark by version (:firmware)"),
    ),
    ("report", N_("Report view"), N_("The last 24 hours from the history (:report)")),
    (
        "footage",
        N_("Footage view"),
        N_("Which marked (else filtered) cameras recorded a window; export it (:footage)"),
    ),
)


class FleetApp(App[None]):
    """The fleet TUI. ``interval`` seconds between sweeps (0: one sweep, then only on demand)."""

    TITLE = "fleetctl"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", N_("quit")),
        Binding("question_mark", "help", N_("help"), key_display="?"),
        Binding("colon", "command", N_("view"), key_display=":"),
    ]

    def __init__(
        self,
        cameras: Iterable[Camera],
        source: SweepSource,
        *,
        read_only: bool = False,
        interval: float = 60.0,
        actions: ActionRunner | None = None,
        timeline: Timeline | None = None,
        push: PushSetup | None = None,
        site_names: Mapping[str, str] | None = None,
        report: ReportMaker | None = None,
        firmware: FirmwareContext | None = None,
        footage: FootageSetup | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.model = FleetModel(cameras, site_names)
        self.source = source
        self.read_only = read_only
        self.interval = interval
        self.actions = actions
        self.timeline = timeline
        self.report = report  # None: no history behind the app, `:report` says so
        # Advisories, policies, identities from history, the backup folder: `:firmware` and
        # the camera view (the shipped advisories and nothing else when not given).
        self.firmware = firmware or FirmwareContext()
        self.push_setup = push  # None: no workspace behind the app (scripted), push unavailable
        self.footage_setup = footage  # None: likewise, the footage view unavailable
        self.progress = SweepProgress()
        self.fleet_changed: Signal[None] = Signal(self, "fleet-changed")
        self._pending: list[CameraReport] = []
        self._flush_timer: Timer | None = None

    def _fatal_error(self) -> None:
        """Textual's crash report, without its local variables: a frame's locals can hold a
        camera's password or a whole secrets store, and the report is printed on exit (on the
        server's console in web mode, never sent to the browser)."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        self.push_screen(FleetScreen())
        self.sweep_loop()

    async def on_unmount(self) -> None:
        self.workers.cancel_all()
        close = getattr(self.source, "aclose", None)
        if close is not None:
            await close()

    # ------------------------------------------------------------------ sweeps

    @work(group="sweep", exclusive=True)
    async def sweep_loop(self) -> None:
        while True:
            await self._sweep(list(self.model.cameras.values()))
            if self.interval <= 0:
                return
            await asyncio.sleep(self.interval)  # the refresh interval, not a readiness wait

    def check_now(self, names: Sequence[str]) -> None:
        """Check these cameras now, alongside any running sweep."""
        cams = [self.model.cameras[n] for n in names if n in self.model.cameras]
        if cams:
            self.run_worker(self._sweep(cams, full=False), group="check-now")

    async def _sweep(self, cameras: list[Camera], *, full: bool = True) -> None:
        started = time.monotonic()
        if full:
            self.progress = SweepProgress(
                True, 0, len(cameras), self.progress.last_finished, self.progress.last_duration_s
            )

        def on_result(report: CameraReport) -> None:
            self._pending.append(report)
            if full:  # a "check now" alongside does not advance the sweep's progress
                self.progress = replace(self.progress, done=self.progress.done + 1)
            if self._flush_timer is None:
                self._flush_timer = self.set_timer(FLUSH_S, self._apply_pending)

        try:
            await self.source.sweep(cameras, on_result)
        except Exception as err:
            # The engine turns every camera's failure into a report; reaching here is a bug
            # or a broken store. Say so and keep the UI (and the next sweep) alive.
            log.exception("sweep failed")
            self.notify(
                _("sweep failed: %(error)s") % {"error": err},
                severity="error",
                timeout=10,
                markup=False,
            )
        finally:
            self._apply_pending()
            if full:
                self.progress = SweepProgress(
                    False,
                    self.progress.done,
                    len(cameras),
                    datetime.now(UTC),
                    time.monotonic() - started,
                )
                self.fleet_changed.publish(None)

    def _apply_pending(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        batch, self._pending = self._pending, []
        if batch:
            self.model.apply(batch)
        self.model.refilter()
        self.fleet_changed.publish(None)

    # ------------------------------------------------------------------ actions

    # ------------------------------------------------------------------ Textual's own words

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's command palette entries, in the chosen language."""
        for cmd in super().get_system_commands(screen):
            yield SystemCommand(_(cmd.title), _(cmd.help), cmd.callback, cmd.discover)
        for view, title, help_text in _VIEWS:
            yield SystemCommand(_(title), _(help_text), partial(self._palette_view, view))

    def _palette_view(self, view: str) -> None:
        # As `:VIEW` does: from the fleet view, whose command line it is.
        fleets = [s for s in self.screen_stack if isinstance(s, FleetScreen)]
        if fleets:
            while self.screen is not fleets[0]:
                self.pop_screen()
        self.switch_view(view)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(
                TranslatedPalette(id="--command-palette", placeholder=_("Search for commands…"))
            )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.active_bindings))

    def action_command(self) -> None:
        # `:` works from any view: back to the fleet view, whose command line it is.
        fleets = [s for s in self.screen_stack if isinstance(s, FleetScreen)]
        if fleets:
            while self.screen is not fleets[0]:
                self.pop_screen()
            fleets[0].open_command()

    def switch_view(self, view: str) -> bool:
        """``:sites``, ``:cameras`` (or ``:cam``, ``:fleet``), ``:firmware`` (``:fw``),
        ``:report``, ``:footage`` (``:fo``), ``:help``, ``:q``."""
        view = view.strip().lower()
        if view in ("sites", "site"):
            self.push_screen(SitesScreen())
        elif view in ("firmware", "fw"):
            self.push_screen(FirmwareScreen())
        elif view in ("report", "rep"):
            self.push_screen(ReportScreen())
        elif view in ("footage", "fo"):
            self.open_footage()
        elif view in ("cameras", "camera", "cam", "fleet", ""):
            pass  # the command line lives on the fleet view: already there
        elif view in ("help", "h"):
            self.action_help()
        elif view in ("q", "quit"):
            self.exit()
        else:
            return False
        return True

    def on_view_requested(self, message: ViewRequested) -> None:
        if not self.switch_view(message.view):
            self.notify(
                _("unknown view %(view)r: try sites, cameras, firmware, report, footage, help, q")
                % {"view": message.view},
                severity="error",
                markup=False,
            )

    def on_check_requested(self, message: CheckRequested) -> None:
        self.check_now(message.names)

    def on_push_setup_changed(self, message: PushSetupChanged) -> None:
        self.push_setup = message.setup  # the next push starts here
        if self.footage_setup is not None:  # rotated passwords: footage logs in with the new ones
            self.footage_setup = replace(self.footage_setup, workspace=message.setup.workspace)

    def on_bulk_requested(self, message: BulkRequested) -> None:
        """From the fleet and camera views: check at once; confirm anything that mutates."""
        action, names, hidden = message.action, message.names, message.hidden
        if action == "check":
            self.check_now(names)
            self.notify(
                _("checking %(targets)s") % {"targets": target_words(len(names), hidden)},
                markup=False,
            )
            return
        if action == "push":  # its own screen: choose, plan, review, then confirm with the count
            self.open_push(names, hidden)
            return
        if action not in MUTATING:
            self.notify(
                _("%(action)s: not available yet") % {"action": action},
                severity="warning",
                markup=False,
            )
            return
        what = _(MUTATING[action])
        if self.read_only:
            self.notify(
                _("%(action)s: disabled, fleetctl tui was started with --read-only")
                % {"action": what},
                severity="error",
                markup=False,
            )
            return
        question = _("%(action)s %(targets)s?") % {
            "action": what[:1].upper() + what[1:],
            "targets": target_words(len(names), hidden),
        }

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self.apply_action(action, names), group="actions")

        self.push_screen(ConfirmScreen(question), answered)

    def open_push(self, names: Sequence[str], hidden: int = 0) -> None:
        """The push screen on ``names`` (the menu refuses it when read-only)."""
        if self.read_only:
            self.notify(
                _("push: disabled, fleetctl tui was started with --read-only"),
                severity="error",
                markup=False,
            )
        elif self.push_setup is None:
            self.notify(_("push is not available here"), severity="error", markup=False)
        else:
            self.push_screen(PushScreen(names, hidden, self.push_setup))

    def open_footage(self) -> None:
        """The footage view on the marked cameras, else on those the filter shows."""
        if self.footage_setup is None:
            self.notify(_("footage is not available here"), severity="error", markup=False)
            return
        model = self.model
        if model.marks:
            names, scope = sorted(model.marks), "marked"
        else:
            names = list(model.visible)
            scope = "filtered" if model.filter_text or model.faults_only else "all"
        if not names:
            self.notify(_("no camera to search: the filter shows none"), severity="warning")
            return
        self.push_screen(FootageScreen(names, scope, self.footage_setup))

    async def apply_action(self, action: str, names: Sequence[str]) -> None:
        """A mutating bulk action on ``names`` (confirmed already); refused when read-only."""
        what = _(MUTATING[action])
        if self.read_only:
            self.notify(
                _("%(action)s: refused, fleetctl tui runs --read-only") % {"action": what},
                severity="error",
                markup=False,
            )
            return
        if self.actions is None:
            self.notify(
                _("%(action)s is not available here") % {"action": what},
                severity="error",
                markup=False,
            )
            return
        cams = [self.model.cameras[n] for n in names]
        # A proven reboot takes minutes: say it started, the outcome follows when known.
        n = len(cams)
        self.notify(
            ngettext(
                "%(action)s: started on %(n)d camera", "%(action)s: started on %(n)d cameras", n
            )
            % {"action": what, "n": n},
            markup=False,
        )
        outcomes = await self.actions.run(action, cams)
        failed = {n: o for n, o in outcomes.items() if o != "ok"}
        summary = _("%(action)s: %(ok)d ok, %(failed)d failed") % {
            "action": what,
            "ok": len(outcomes) - len(failed),
            "failed": len(failed),
        }
        detail = "".join(f"\n{n}: {o}" for n, o in list(failed.items())[:5])
        self.notify(summary + detail, severity="warning" if failed else "information", markup=False)
        self.check_now(names)
