"""`?`: the keys of the screen underneath, generated from its BINDINGS (never written by hand)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from fleetctl.base.i18n import N_, _
from fleetctl.tui.words import translate_bindings

FILTER_HELP = N_(
    "Filter (/): the --select language: site:NAME tag:TAG status:crit host:CIDR name-glob; "
    "terms AND, commas OR; !TERM negates (/!status:ok); a bare word matches inside names."
)

VIEWS_HELP = N_(
    "Views (:, or ctrl+p): sites, cameras, firmware (models and versions, advisories, "
    "mark by version), report, footage, help, q."
)

FOOTAGE_HELP = N_(
    "Footage (f): which marked cameras (none marked: the filtered ones) recorded a window. "
    "Type from and to (-2h, yesterday 21:00, 2026-12-06 21:00; times without a zone are in the "
    "zone shown) and press enter: each camera shows full, partial (with its gaps), none or "
    "unknown (with the reason). h shows only those that have it, s sorts by coverage or name, "
    "space selects rows, x exports the selected ones (none selected: all that have it) as MP4 "
    "with a SHA-256 sidecar."
)


def binding_rows(bindings: Mapping[str, ActiveBinding]) -> list[tuple[str, str, str]]:
    """(keys, what it does, where) per action, keys of one action joined: ``up, k``."""
    rows: dict[tuple[str, str], list[str]] = {}
    for key, active in bindings.items():
        b = active.binding
        if not b.description:
            continue
        node = active.node
        own = type(node).__dict__.get("BINDINGS", ())
        # The instance's descriptions are translated (words.translate_bindings); the class's
        # are the English msgids.
        if not any(
            isinstance(x, Binding) and (x.action, _(x.description)) == (b.action, b.description)
            for x in own
        ):
            where = "textual"  # inherited from Textual itself (focus, copy, palette): last
        elif isinstance(node, App):
            where = "app"
        elif isinstance(node, Screen):
            where = "view"
        else:
            where = type(node).__name__.lower()
        rows.setdefault((b.description, where), []).append(b.key_display or key)
    out = [(", ".join(keys), desc, where) for (desc, where), keys in rows.items()]
    # The view's own keys first, then the app's, then generic widget keys (cursor, scrolling).
    order = {"view": 0, "app": 1, "textual": 3}
    ranked = sorted(out, key=lambda row: order.get(row[2], 2))
    return [(keys, desc, _(_WHERE.get(where, where))) for keys, desc, where in ranked]


# Where a key works: the view, the whole app, Textual itself, or a widget (its class name).
_WHERE = {
    "view": N_("view"),
    "app": N_("app"),
    "textual": N_("textual"),
    "fleettable": N_("fleettable"),
}


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: 90%; border: thick $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", N_("close help"))
    ]

    def __init__(self, bindings: Mapping[str, ActiveBinding]) -> None:
        super().__init__()
        translate_bindings(self)
        self.rows = binding_rows(bindings)

    def compose(self) -> ComposeResult:
        table = Table(title=_("fleetctl keys"), expand=True, box=None, header_style="bold")
        table.add_column(_("key"), style="bold cyan", no_wrap=True)
        table.add_column(_("does"))
        table.add_column(_("in"), style="dim")
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))
        with VerticalScroll():
            yield Static(table, id="keys")
            yield Static(_(FILTER_HELP), id="filter-help", markup=False)
            yield Static(_(VIEWS_HELP), id="views-help", markup=False)
            yield Static(_(FOOTAGE_HELP), id="footage-help", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
