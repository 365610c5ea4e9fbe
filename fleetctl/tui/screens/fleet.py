"""The fleet view (k9s-style): header, camera table, `/` filter and `:` command lines, footer."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input

from fleetctl.base.i18n import N_, _
from fleetctl.core.errors import UsageError
from fleetctl.tui.screens.camera import CameraScreen
from fleetctl.tui.screens.confirm import ActionMenu
from fleetctl.tui.shell import BulkRequested, FleetHost, ViewRequested, host
from fleetctl.tui.state import SortKey
from fleetctl.tui.widgets.fleet_table import FleetTable
from fleetctl.tui.widgets.header import FleetHeader
from fleetctl.tui.words import translate_bindings


class FleetScreen(Screen[None]):
    DEFAULT_CSS = """
    FleetScreen Input { dock: bottom; display: none; height: 3; }
    FleetScreen Input.-open { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", N_("filter"), key_display="/"),
        Binding("enter", "open", N_("open")),
        Binding("space", "mark", N_("mark")),
        Binding("V", "mark_range", N_("mark range")),
        Binding("u", "clear_marks", N_("clear marks")),
        Binding("ctrl+z", "faults", N_("faults only")),
        Binding("a", "bulk", N_("actions")),
        Binding("c", "do('check')", N_("check now")),
        Binding("f", "footage", N_("footage")),
        Binding("t", "do('sync_time')", N_("sync time"), show=False),
        Binding("R", "do('reboot')", N_("reboot"), show=False),
        Binding("W", "sort('worst')", N_("sort: worst first"), show=False),
        Binding("N", "sort('name')", N_("sort: name"), show=False),
        Binding("S", "sort('site')", N_("sort: site"), show=False),
        Binding("O", "sort('clock')", N_("sort: clock offset"), show=False),
        Binding("F", "sort('fps')", N_("sort: fps"), show=False),
        Binding("escape", "back", N_("clear filter"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._last_mark: str | None = None  # a name: the range survives re-sorting

    @property
    def fleet(self) -> FleetHost:
        return host(self)

    def compose(self) -> ComposeResult:
        yield FleetHeader(id="header")
        yield FleetTable(self.fleet.model, id="table")
        yield Input(
            placeholder=_(
                "filter: problem words, site:NAME group:G tag:T status:crit name-glob  (! negates)"
            ),
            id="filter",
        )
        yield Input(
            placeholder=_("view: sites | cameras | firmware | report | footage | help | q"),
            id="command",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.fleet.fleet_changed.subscribe(self, self.refresh_data)
        self.refresh_data(None)
        self.table.focus()

    @property
    def table(self) -> FleetTable:
        return self.query_one(FleetTable)

    def refresh_data(self, _: None = None) -> None:
        self.table.reload()
        self.query_one(FleetHeader).show(
            self.fleet.model, self.fleet.progress, read_only=self.fleet.read_only
        )

    def _reshow(self) -> None:
        self.fleet.model.refilter()
        self.refresh_data()

    # ------------------------------------------------------------------ filter and views

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = self.fleet.model.filter_text
        box.add_class("-open")
        box.focus()

    def open_command(self) -> None:
        box = self.query_one("#command", Input)
        box.value = ""
        box.add_class("-open")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        try:  # live: every keystroke filters; a half-typed term keeps the last good filter
            self.fleet.model.set_filter(event.value)
            event.input.border_subtitle = ""
        except UsageError as err:
            event.input.border_subtitle = str(err).splitlines()[0]  # the carets need a wide box
        self.refresh_data()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.remove_class("-open")
        self.table.focus()
        if event.input.id == "command":
            self.post_message(ViewRequested(event.value))

    def action_back(self) -> None:
        """esc: leave an open filter or command line; k9s-like, esc also clears the filter."""
        focused = self.focused
        if isinstance(focused, Input):
            focused.remove_class("-open")
            self.table.focus()
            if focused.id != "filter":
                return
        if self.fleet.model.filter_text:
            self.fleet.model.set_filter("")
            self.refresh_data()

    def action_faults(self) -> None:
        model = self.fleet.model
        model.faults_only = not model.faults_only
        self._reshow()

    def action_footage(self) -> None:
        """The footage view on the marked cameras, else on those the filter shows."""
        self.post_message(ViewRequested("footage"))

    def action_sort(self, key: str) -> None:
        self.fleet.model.set_sort(SortKey(key))
        self.refresh_data()

    def action_open(self) -> None:
        if self.table.current is not None:
            self.app.push_screen(CameraScreen(self.table.current))

    # ------------------------------------------------------------------ marks

    def action_mark(self) -> None:
        if self.table.current is not None:
            self.fleet.model.toggle_mark(self.table.current)
            self._last_mark = self.table.current
            self.table.action_move(1)
            self.refresh_data()

    def action_mark_range(self) -> None:
        """Mark every row from the last marked camera (if still shown) to the cursor."""
        visible = self.fleet.model.visible
        last = self._last_mark
        start = visible.index(last) if last is not None and last in visible else self.table.cursor
        self.fleet.model.mark_range(start, self.table.cursor)
        self.refresh_data()

    def action_clear_marks(self) -> None:
        self.fleet.model.marks.clear()
        self.refresh_data()

    # ------------------------------------------------------------------ bulk actions

    def action_bulk(self) -> None:
        names, hidden = self.fleet.model.targets(self.table.current)
        if names:
            menu = ActionMenu(len(names), hidden, read_only=self.fleet.read_only)
            self.app.push_screen(menu, lambda choice: self.action_do(choice) if choice else None)

    def action_do(self, action: str) -> None:
        """Run ``action`` on the marked cameras (all of them, hidden too) or the current one."""
        names, hidden = self.fleet.model.targets(self.table.current)
        if not names:
            return
        self.post_message(BulkRequested(action, names, hidden))
