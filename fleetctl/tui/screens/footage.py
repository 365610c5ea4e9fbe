"""`f` in the fleet view: which of the marked (else the filtered) cameras hold a past window,
and export it from there.

Type the window (from / to: ``-2h``, ``yesterday 21:00``, ISO 8601, as `fleetctl footage`
reads them: a time without a zone is local time of each camera's site, else of this machine, the
zone shown beside the inputs) and press enter: a worker asks every camera at once (the engine's
``footage_windows``, bounded as the command bounds it) and rows fill in as answers arrive. ``space`` selects rows, ``x`` exports the selected ones (none selected: every camera
that has the window, whole or in part) into a folder after a confirm, each row showing its
progress and then its file and SHA-256, or why it failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, Static

from fleetctl.base.i18n import N_, _, ngettext
from fleetctl.base.private import private_dir
from fleetctl.core.footage.coverage import Span
from fleetctl.core.footage.model import CameraFootage
from fleetctl.core.footage.zones import Zone, zone_label
from fleetctl.engine.footage import FootageOptions, footage_windows
from fleetctl.engine.footage_batch import (
    BatchOptions,
    ClipProgress,
    ClipRequest,
    ClipResult,
    ClipState,
    export_clips,
)
from fleetctl.tui import footage_view as view
from fleetctl.tui.screens.confirm import _DIALOG_CSS, ConfirmScreen
from fleetctl.tui.shell import FleetHost, host
from fleetctl.tui.words import translate_bindings

FLUSH_S = 0.1  # answers and export progress reach the table at most this long after arriving

# (key, header, width). Bounded columns have a fixed width: rows are updated in place as answers
# arrive, and measuring every updated cell again costs far more than the update (a second of lag
# for 500 cameras). The rest take their width when the table is filled; the highlighted row's
# whole story (every gap, the full reason) is written out under the table.
_COLS: tuple[tuple[str, str, int | None], ...] = (
    ("sel", " ", 1),
    ("camera", N_("CAMERA"), None),
    ("site", N_("SITE"), None),
    ("coverage", N_("COVERAGE"), 10),
    ("covered", N_("RECORDED"), 12),
    ("gaps", N_("GAPS"), 36),
    ("kept", N_("DAYS KEPT"), 11),
    ("export", N_("EXPORT"), 22),
    ("source", N_("SOURCE / WHY"), None),
)


def title(scope: str, n: int) -> str:
    """Whose cameras the view acts on: ``marked``, ``filtered`` (none marked) or ``all``."""
    if scope == "marked":
        words = ngettext("Footage of %(n)d marked camera", "Footage of %(n)d marked cameras", n)
    elif scope == "filtered":
        words = ngettext(
            "Footage of %(n)d camera the filter shows (none marked)",
            "Footage of %(n)d cameras the filter shows (none marked)",
            n,
        )
    else:
        words = ngettext("Footage of %(n)d camera (all)", "Footage of all %(n)d cameras", n)
    return words % {"n": n}


class ExportConfirm(ModalScreen[Path | None]):
    """The count, the window and the folder (editable unless read-only). enter exports."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="ExportConfirm")
        + "ExportConfirm Input { width: 100%; } ExportConfirm #why { color: $error; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("cancel")),
        Binding("enter", "go", N_("export"), show=False),
    ]

    def __init__(self, question: str, folder: Path, *, fixed: bool) -> None:
        super().__init__()
        translate_bindings(self)
        self.question, self.folder, self.fixed = question, folder, fixed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question", markup=False)
            yield Label(_("into the folder:"), markup=False)
            yield Input(str(self.folder), id="folder", disabled=self.fixed)
            if self.fixed:
                yield Label(_("(read-only: the default folder only)"), markup=False)
            yield Label("", id="why", markup=False)
            go, cancel = escape(_("export")), escape(_("cancel"))
            yield Label(f"[b]enter[/] {go}    [b]esc[/] {cancel}", id="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_go()

    def action_go(self) -> None:
        text = self.query_one("#folder", Input).value.strip()
        if not text:
            self.query_one("#why", Label).update(_("give a folder"))
            return
        folder = Path(text).expanduser()
        if folder.exists() and not folder.is_dir():
            self.query_one("#why", Label).update(_("not a folder: %(path)s") % {"path": folder})
            return
        self.dismiss(folder)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FootageScreen(Screen[None]):
    DEFAULT_CSS = """
    FootageScreen #title { height: auto; padding: 0 1; text-style: bold; }
    FootageScreen #window { height: auto; padding: 0 1; }
    FootageScreen #window Label { padding: 1 1 0 0; }
    FootageScreen #window Input { width: 24; }
    FootageScreen #why { height: auto; padding: 0 1; color: $error; }
    FootageScreen DataTable { height: 1fr; }
    FootageScreen #counts { height: 2; padding: 0 1; }
    FootageScreen #detail { height: 2; padding: 0 1; color: $text-muted; }
    FootageScreen #results { height: auto; max-height: 8; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("back")),
        Binding("space", "select", N_("select for export")),
        Binding("x", "export", N_("export…")),
        Binding("h", "has_it", N_("has it only")),
        Binding("s", "sort", N_("sort: coverage / name")),
        Binding("w", "edit_window", N_("window")),
    ]

    def __init__(
        self, names: Sequence[str], scope: str, setup: view.FootageSetup, *, start: str = "-1h"
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.names, self.scope, self.setup = list(names), scope, setup
        self.start_text = start
        self.windows: dict[str, Span] = {}  # camera -> its window (true UTC), once searched
        self.zones: dict[str, Zone] = {}  # camera -> the zone its times are read in (compose)
        self.zone_label = ""
        self.lines: dict[str, CameraFootage] = {}
        self.selected: set[str] = set()
        self.exports: dict[str, str] = {}  # camera -> what its EXPORT cell says
        self.results: dict[str, ClipResult] = {}
        self.has_it_only = False
        self.by_name = False
        self.searching = False
        self.exporting = False
        self._flush: Timer | None = None
        self._changed: set[str] = set()  # rows whose cells changed since the last flush

    @property
    def fleet(self) -> FleetHost:
        return host(self)

    def compose(self) -> ComposeResult:
        cams = [self.fleet.model.cameras[n] for n in self.names if n in self.fleet.model.cameras]
        self.zones = self.setup.zones(cams)
        self.zone_label = zone_label(self.zones)
        yield Static(Text(title(self.scope, len(self.names))), id="title")
        with Horizontal(id="window"):
            yield Label(_("from"), markup=False)
            yield Input(self.start_text, placeholder="-2h", id="from")
            yield Label(_("to"), markup=False)
            yield Input("now", placeholder="now", id="to")
            yield Label(
                _("times in %(zone)s; enter searches") % {"zone": self.zone_label},
                id="zone",
                markup=False,
            )
        yield Static("", id="why", markup=False)
        table: DataTable[Text | str] = DataTable(cursor_type="row", id="lines")
        for key, header, width in _COLS:
            table.add_column(_(header) if header.strip() else header, key=key, width=width)
        yield table
        yield Static(
            Text(_("type a window and press enter: -2h, yesterday 21:00, 2026-12-06 21:00")),
            id="counts",
        )
        yield Static("", id="detail")
        yield Static("", id="results")
        yield Footer()

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#from", Input).focus()

    # ------------------------------------------------------------------ the window

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(self.query_one("#from", Input).value, self.query_one("#to", Input).value)

    def search(self, start: str, end: str) -> bool:
        """Read the window; say what is wrong inline, or start the search. True: started."""
        why = self.query_one("#why", Static)
        if self.exporting:
            why.update(_("exports are running: a new window waits until they end"))
            return False
        try:
            windows = view.windows(start, end, self.zones, datetime.now(UTC))
        except ValueError as err:
            why.update(self._window_problem(str(err), start))
            return False
        why.update("")
        self.windows = windows
        self.lines, self.exports, self.results = {}, {}, {}
        self.query_one("#results", Static).update("")
        self.searching = True
        self._fill()
        self.query_one(DataTable).focus()
        self.search_worker(windows)
        return True

    def _window_problem(self, text: str, start: str) -> str:
        """``text``: the time that cannot be read (``start`` or the end), or "" (empty window)."""
        if not text:
            return _("the window is empty: from must be before to")
        return _(
            "%(which)s: %(text)r is not a time; write -2h, -90m, now, yesterday 21:00, "
            "today 08:00 or 2026-12-06 21:00 (in %(zone)s)"
        ) % {
            "which": _("from") if text == start else _("to"),
            "text": text,
            "zone": self.zone_label,
        }

    def action_edit_window(self) -> None:
        self.query_one("#from", Input).focus()

    @work(group="footage-search", exclusive=True)
    async def search_worker(self, windows: dict[str, Span]) -> None:
        cams = [self.fleet.model.cameras[n] for n in self.names if n in self.fleet.model.cameras]
        options = FootageOptions(timeout_s=self.setup.timeout_s, concurrency=self.setup.concurrency)
        try:
            # The callback runs on the app's loop (an async worker): it may touch the screen.
            await footage_windows(
                self.setup.workspace, cams, windows, options, on_result=self._arrived
            )
        finally:
            self.searching = False
        self._fill()  # every answer in: sorted once

    def _arrived(self, line: CameraFootage) -> None:
        if line.name in self.names:
            self.lines[line.name] = line
            self._later(line.name)

    # ------------------------------------------------------------------ the table

    def _later(self, name: str) -> None:
        self._changed.add(name)
        if self._flush is None:
            self._flush = self.set_timer(FLUSH_S, self._apply)

    def _apply(self) -> None:
        if self._flush is not None:
            self._flush.stop()
            self._flush = None
        changed, self._changed = self._changed, set()
        if not changed:
            return
        table = self.query_one(DataTable)
        if self.has_it_only and any(
            n not in table.rows and n in self.lines and self.lines[n].coverage in view.HAS_IT
            for n in changed
        ):
            self._fill()  # a camera that now has it joins the filtered rows
        else:
            for name in changed:  # only these: a cell update costs, 500 rows a flush would lag
                if name in table.rows:
                    self._set_row(table, name)
            if self.current in changed:
                self._detail()
        self._counts()

    def order(self) -> list[str]:
        """The rows as shown: has-it filter, then coverage (or name) order."""
        names = self.names
        if self.has_it_only:
            names = [n for n in names if n in self.lines and self.lines[n].coverage in view.HAS_IT]
        if self.by_name:
            return sorted(names)
        return sorted(names, key=lambda n: (view.rank(self.lines.get(n)), n))

    def _cells(self, name: str) -> list[Text | str]:
        line = self.lines.get(name)
        cam = self.fleet.model.cameras.get(name)
        site = cam.site if cam is not None else ""
        mark = "●" if name in self.selected else " "
        export = Text(self.exports.get(name, ""))
        window = self.windows.get(name)
        if line is None or window is None:
            waiting = view.coverage_word(None) if self.searching else ""
            return [
                mark,
                Text(name),
                Text(site),
                Text(waiting, style="dim"),
                "",
                "",
                "",
                export,
                "",
            ]
        report = self.fleet.model.reports.get(name)
        return [
            mark,
            Text(name),
            Text(site),
            Text(view.coverage_word(line), style=view.COVERAGE_STYLE[line.coverage]),
            view.covered_text(line, window),
            Text(view.gaps_text(line, self.zones[name].tz, window)),
            view.kept_text(line, report.days_kept if report is not None else None),
            export,
            Text(view.source_text(line)),  # the camera's own words: never markup
        ]

    def _set_row(self, table: DataTable[Text | str], name: str) -> None:
        for (key, _header, _width), value in zip(_COLS, self._cells(name), strict=True):
            table.update_cell(name, key, value)

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        current = self.current
        table.clear()
        for name in self.order():
            table.add_row(*self._cells(name), key=name)
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))
        self._counts()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._detail()

    def _detail(self) -> None:
        """The highlighted camera's whole answer: every gap, where it came from, why."""
        name = self.current
        line = self.lines.get(name) if name is not None else None
        window = self.windows.get(name) if name is not None else None
        detail = Text()
        if name is not None and line is not None and window is not None:
            detail.append(f"{name}: ", style="bold")
            detail.append(view.detail_text(line, self.zones[name].tz, window))
        self.query_one("#detail", Static).update(detail)

    def _counts(self) -> None:
        if not self.windows:
            return
        text = self.window_words() + "\n"
        text += view.counts_text(list(self.lines.values()), len(self.names))
        if self.selected:
            text += "; " + _("%(n)d selected for export") % {"n": len(self.selected)}
        self.query_one("#counts", Static).update(Text(text))

    def window_words(self) -> str:
        """The window in the zone it was read in; "each site's" when the sites' zones differ."""
        spans = set(self.windows.values())
        if len(spans) == 1:
            first = next(iter(self.windows))
            return view.window_text(spans.pop(), self.zones[first].tz, self.zone_label)
        return _("local times of each site (%(zone)s)") % {"zone": self.zone_label}

    @property
    def current(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def shown(self) -> dict[str, list[str]]:
        """Camera -> its row's cells as plain text (what the operator reads)."""
        table = self.query_one(DataTable)
        return {str(k.value): [str(c) for c in table.get_row(k)] for k in table.rows if k.value}

    def action_select(self) -> None:
        name = self.current
        if name is None:
            return
        self.selected.symmetric_difference_update({name})
        self._set_row(self.query_one(DataTable), name)
        self.query_one(DataTable).action_cursor_down()
        self._counts()

    def action_has_it(self) -> None:
        self.has_it_only = not self.has_it_only
        self._fill()

    def action_sort(self) -> None:
        self.by_name = not self.by_name
        self._fill()

    # ------------------------------------------------------------------ export

    def export_targets(self) -> list[str]:
        """The selected rows, else every camera that has the window (whole or in part)."""
        if self.selected:
            return [n for n in self.names if n in self.selected]
        return [n for n in self.names if n in self.lines and self.lines[n].coverage in view.HAS_IT]

    def action_export(self) -> None:
        if not self.windows or self.searching:
            self.notify(_("search a window first (enter)"), severity="warning", markup=False)
            return
        if self.exporting:
            return
        names = self.export_targets()
        if not names:
            self.notify(
                _("no camera has this window: nothing to export"), severity="warning", markup=False
            )
            return
        question = ngettext(
            "Export %(window)s from %(n)d camera?",
            "Export %(window)s from %(n)d cameras?",
            len(names),
        ) % {"window": self.window_words(), "n": len(names)}
        requests = [
            ClipRequest(self.fleet.model.cameras[n], self.windows[n])
            for n in names
            if n in self.fleet.model.cameras and n in self.windows
        ]

        def answered(folder: Path | None) -> None:
            if folder is not None:
                self.export_worker(requests, folder)

        self.app.push_screen(
            ExportConfirm(question, self.setup.export_dir, fixed=self.fleet.read_only), answered
        )

    @work(group="footage-export", exclusive=True)
    async def export_worker(self, requests: list[ClipRequest], folder: Path) -> None:
        try:
            private_dir(folder)  # evidence: a folder we create is the operator's alone (0700)
        except OSError as err:
            self.query_one("#why", Static).update(
                _("cannot use the folder %(path)s: %(error)s") % {"path": folder, "error": err}
            )
            return
        self.exporting = True
        for r in requests:
            self.exports[r.camera.name] = _("queued")
        self._fill()
        try:
            # The engine's batch export (as `footage export -s`): a few at a time, a clip already
            # complete in the folder is kept; progress comes on the app's loop.
            await export_clips(
                self.setup.workspace,
                requests,
                folder,
                BatchOptions(jobs=self.setup.jobs),
                self._export_progress,
            )
        finally:
            self.exporting = False
            self._apply()  # the last progress and outcomes, now
        self.notify(self._summary(), markup=False)

    def _export_progress(self, p: ClipProgress) -> None:
        self.exports[p.name] = view.export_word(p)
        if p.result is not None:
            self.results[p.name] = p.result
            self._show_results()
        self._later(p.name)

    def _show_results(self) -> None:
        lines = Text()
        for name in self.names:
            got = self.results.get(name)
            if got is None:
                continue
            if lines:
                lines.append("\n")
            if got.outcome is ClipState.FAILED:
                lines.append(f"{name}: ", style="bold")
                lines.append(
                    _("export failed: %(why)s") % {"why": got.error_text() or ""}, style="red"
                )
            else:
                lines.append(f"{name}: {got.path}  sha256 {(got.sha256 or '')[:12]}")
        self.query_one("#results", Static).update(lines)

    def _summary(self) -> str:
        n = {
            state: sum(1 for r in self.results.values() if r.outcome is state)
            for state in ClipState
        }
        return _("export: %(ok)d saved, %(skipped)d already saved, %(failed)d failed") % {
            "ok": n[ClipState.SAVED],
            "skipped": n[ClipState.SKIPPED],
            "failed": n[ClipState.FAILED],
        }

    # ------------------------------------------------------------------ leaving

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(DataTable).focus()
            return
        if not self.exporting:
            self.app.pop_screen()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.workers.cancel_group(self, "footage-export")
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmScreen(_("Stop the running exports? Clips already saved are kept.")), answered
        )
