"""`:firmware`: one row per (manufacturer, model, firmware) with its camera count, advisories and
policy, as `fleetctl firmware` prints it; `enter` shows those cameras in the fleet view, `space`
marks them all (mark by version) for a bulk action (`a`)."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from fleetctl.base.i18n import N_, _
from fleetctl.core.firmware.compliance import ModelSummary
from fleetctl.tui.firmware import fleet_summary, names_filter
from fleetctl.tui.screens.confirm import ActionMenu
from fleetctl.tui.shell import BulkRequested, FleetHost, host
from fleetctl.tui.words import translate_bindings

REFRESH_S = 1.0  # the view's rows are recomputed at most this often

_COLS = (
    ("manufacturer", N_("MANUFACTURER")),
    ("model", N_("MODEL")),
    ("firmware", N_("FIRMWARE")),
    ("build", N_("BUILD")),
    ("count", N_("CAMERAS")),
    ("marked", N_("MARKED")),
    ("advisories", N_("ADVISORIES")),
    ("policy", N_("POLICY")),
)


def _cell(value: str | None, fallback: str) -> Text:
    """A camera's own words (hostile: Text, never markup), or a dim fallback."""
    return Text(value) if value else Text(fallback, style="dim")


class FirmwareScreen(Screen[None]):
    """Versions are few (tens) even in a large fleet: Textual's DataTable fits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", N_("show cameras")),
        Binding("space", "mark", N_("mark by version")),
        Binding("a", "bulk", N_("actions")),
        Binding("escape", "back", N_("back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.rows: tuple[ModelSummary, ...] = ()
        self._summarised = -REFRESH_S  # monotonic time of the last summary
        self._trailing: Timer | None = None

    @property
    def fleet(self) -> FleetHost:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static(
            _("Firmware: enter shows a version's cameras, space marks them, esc goes back"),
            id="title",
        )
        table: DataTable[Text | int | str] = DataTable(cursor_type="row", id="firmware")
        for key, header in _COLS:
            table.add_column(_(header), key=key)
        yield table
        yield Static(id="caption")
        yield Footer()

    def on_mount(self) -> None:
        self.fleet.fleet_changed.subscribe(self, self.refresh_data)
        self.refresh_data(None)

    def refresh_data(self, _unused: None = None) -> None:
        # fleet_changed fires ~10x a second during a sweep, and summarising 10,000 cameras costs
        # ~50 ms: at most once a REFRESH_S, the last news never lost (a trailing refresh).
        wait = self._summarised + REFRESH_S - time.monotonic()
        if wait > 0:
            if self._trailing is None:
                self._trailing = self.set_timer(wait, self._trailing_refresh)
            return
        self._summarised = time.monotonic()
        rows = fleet_summary(self.fleet.model, self.fleet.firmware)
        if rows == self.rows and self.query_one(DataTable).row_count:
            return  # fleet_changed fires ~10x a second during a sweep: redraw on news only
        self._fill(rows)

    def _trailing_refresh(self) -> None:
        self._trailing = None
        self.refresh_data()

    def _fill(self, rows: tuple[ModelSummary, ...]) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row if table.row_count else 0
        table.clear()
        self.rows = rows
        marks = self.fleet.model.marks
        for i, s in enumerate(rows):
            if s.below:
                policy = Text(_("below %(minimum)s") % {"minimum": s.below}, style="yellow")
            else:
                policy = Text(_("ok"), style="green")
            advisories = Text(", ".join(r.label for r in s.advisories), style="bold red")
            table.add_row(
                _cell(s.manufacturer, _("unknown")),
                _cell(s.model, _("not read yet")),
                _cell(s.firmware, ""),
                str(s.build_date) if s.build_date else "",
                s.count,
                sum(1 for c in s.cameras if c in marks),
                advisories if s.advisories else Text(_("none known"), style="dim"),
                policy,
                key=str(i),
            )
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        flagged = sum(1 for s in rows if s.advisories or s.below)
        self.query_one("#caption", Static).update(
            Text(
                _("%(versions)d firmware versions, %(flagged)d flagged, %(marked)d cameras marked")
                % {"versions": len(rows), "flagged": flagged, "marked": len(marks)}
            )
        )
        table.focus()

    @property
    def current(self) -> ModelSummary | None:
        table = self.query_one(DataTable)
        if not table.row_count or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.fleet.model.set_filter(names_filter(row.cameras))
            self.dismiss(None)

    def action_mark(self) -> None:
        """Mark every camera of this version; all marked already: unmark them."""
        row = self.current
        if row is None:
            return
        marks = self.fleet.model.marks
        if all(c in marks for c in row.cameras):
            marks.difference_update(row.cameras)
        else:
            marks.update(row.cameras)
        self._fill(self.rows)
        self.query_one(DataTable).action_cursor_down()

    def action_bulk(self) -> None:
        names, hidden = self.fleet.model.targets(None)
        if not names:
            self.notify(
                _("mark a version first (space), then choose an action"),
                severity="warning",
                markup=False,
            )
            return
        menu = ActionMenu(len(names), hidden, read_only=self.fleet.read_only)

        def chosen(choice: str | None) -> None:
            if choice:
                self.post_message(BulkRequested(choice, names, hidden))

        self.app.push_screen(menu, chosen)

    def action_back(self) -> None:
        self.dismiss(None)
