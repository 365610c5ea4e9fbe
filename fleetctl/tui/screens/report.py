"""`:report`: the current report's numbers (the last 24 hours, from history) in the terminal.

The same arithmetic as `fleetctl report` (``core.report``): the fleet's headline figures, then
one row per site, worst availability first. It is read from the history store in a thread (a
month of history is a few hundred milliseconds of SQL), so the screen opens at once and fills in.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from fleetctl.base import l10n
from fleetctl.base.i18n import N_, _
from fleetctl.core.report.model import Report, Scope
from fleetctl.tui.shell import FleetHost, host
from fleetctl.tui.words import translate_bindings

_COLS = (
    N_("site"),
    N_("cameras"),
    N_("availability"),
    N_("down"),
    N_("not checked"),
    N_("crit now"),
    N_("problems open"),
    N_("opened"),
    N_("resolved"),
    N_("storage failed"),
)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{l10n.number(100 * x, 2)} %"


class ReportScreen(Screen[None]):
    """The last 24 hours of the fleet, per site (esc goes back, r reloads)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("back")),
        Binding("r", "reload", N_("reload")),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Static(_("Report: the last 24 hours, from history (loading…)"), id="title")
        yield Static("", id="headline")
        table: DataTable[str | Text] = DataTable(cursor_type="row", id="report-sites")
        for col in _COLS:
            table.add_column(_(col).upper(), key=col)
        yield table
        yield Footer()

    @property
    def fleet(self) -> FleetHost:
        return host(self)

    def on_mount(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="report")
    def load(self) -> None:
        make = self.fleet.report
        report = make() if make is not None else None
        self.app.call_from_thread(self.show, report)

    def show(self, report: Report | None) -> None:
        title = self.query_one("#title", Static)
        if report is None:
            title.update(_("Report: no history to read (started with --no-history?)"))
            return
        title.update(
            _("Report: %(from)s to %(to)s, from history (r reloads, esc goes back)")
            % {"from": l10n.when(report.start), "to": l10n.when(report.end)}
        )
        f = report.fleet
        self.query_one("#headline", Static).update(
            Text(
                _(
                    "Fleet: %(cameras)s cameras, availability %(availability)s, %(crit)s crit now, "
                    "%(open)s problems open (%(opened)s opened, %(resolved)s resolved), "
                    "%(storage)s cards or disks to replace, %(stopped)s recordings stopped"
                )
                % {
                    "cameras": f.cameras,
                    "availability": _pct(f.seconds.availability),
                    "crit": f.status["crit"],
                    "open": f.open,
                    "opened": f.opened,
                    "resolved": f.resolved,
                    "storage": f.storage_failed,
                    "stopped": f.recording_stopped,
                }
            )
        )
        table = self.query_one(DataTable)
        table.clear()
        ranked = sorted(report.sites, key=lambda s: (_rank(s), s.site or ""))
        for s in ranked:
            name = s.site or ""
            label = name if not s.location else f"{name} · {s.location}"
            table.add_row(
                Text(label),  # inventory text: never markup
                str(s.cameras),
                _pct(s.seconds.availability),
                l10n.duration(s.seconds.down),
                l10n.duration(s.seconds.unchecked),
                Text(str(s.status["crit"]), style="bold red" if s.status["crit"] else ""),
                str(s.open),
                str(s.opened),
                str(s.resolved),
                str(s.storage_failed),
                key=name,
            )
        table.focus()


def _rank(s: Scope) -> float:
    a = s.seconds.availability
    return 2.0 if a is None else a  # worst availability first, never-checked sites last
