"""`?`: the keys of the screen underneath, generated from its BINDINGS (never written by hand)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

FILTER_HELP = (
    "Filter (/): the --select language: site:NAME tag:TAG status:crit host:CIDR name-glob; "
    "terms AND, commas OR; !TERM negates (/!status:ok); a bare word matches inside names."
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
        if not any(
            isinstance(x, Binding) and (x.action, x.description) == (b.action, b.description)
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
    return sorted(out, key=lambda row: order.get(row[2], 2))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: 90%; border: thick $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "close help")
    ]

    def __init__(self, bindings: Mapping[str, ActiveBinding]) -> None:
        super().__init__()
        self.rows = binding_rows(bindings)

    def compose(self) -> ComposeResult:
        table = Table(title="fleetctl keys", expand=True, box=None, header_style="bold")
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("does")
        table.add_column("in", style="dim")
        for row in self.rows:
            table.add_row(*row)
        with VerticalScroll():
            yield Static(table, id="keys")
            yield Static(FILTER_HELP, id="filter-help")

    def action_close(self) -> None:
        self.dismiss(None)
