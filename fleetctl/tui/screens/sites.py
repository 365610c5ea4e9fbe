"""`:sites`: one row per site with totals, worst first; `enter` shows that site's cameras."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from fleetctl.base.i18n import N_, _
from fleetctl.tui.cells import state_word
from fleetctl.tui.shell import FleetHost, host
from fleetctl.tui.words import translate_bindings

_COLS = ("site", "total", "crit", "unknown", "warn", "ok", "pending")
_HEADERS = {"site": N_("SITE"), "total": N_("TOTAL")}  # the statuses: cells.state_word


class SitesScreen(Screen[None]):
    """A site count is small (tens): Textual's DataTable is the right tool here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", N_("show cameras")),
        Binding("escape", "back", N_("back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Static(_("Sites: enter shows a site's cameras, esc goes back"), id="title")
        table: DataTable[str | int] = DataTable(cursor_type="row", id="sites")
        for col in _COLS:
            header = _(_HEADERS[col]) if col in _HEADERS else state_word(col).upper()
            table.add_column(header, key=col)
        yield table
        yield Footer()

    @property
    def fleet(self) -> FleetHost:
        return host(self)

    def on_mount(self) -> None:
        self.fleet.fleet_changed.subscribe(self, self.refresh_data)
        self.refresh_data(None)

    def refresh_data(self, _: None = None) -> None:
        table = self.query_one(DataTable)
        current = None
        if table.row_count:
            current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        sites = self.fleet.model.site_counts()
        ranked = sorted(
            sites.items(), key=lambda kv: (-kv[1]["crit"], -kv[1]["unknown"], -kv[1]["warn"], kv[0])
        )
        model = self.fleet.model
        for name, counts in ranked:
            label = name if model.site_label(name) == name else f"{name} · {model.site_label(name)}"
            table.add_row(
                Text(label), sum(counts.values()), *(counts[c] for c in _COLS[2:]), key=name
            )
        if current in sites:
            table.move_cursor(row=table.get_row_index(current))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._drill(str(event.row_key.value))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self._drill(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def _drill(self, site: str) -> None:
        self.fleet.model.set_filter(f"site:{site}")
        self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)
