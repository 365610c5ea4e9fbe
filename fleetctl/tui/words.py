"""The TUI in the chosen language, Textual's own words included.

Textual has no translation layer. Key bindings are declared as class data (``BINDINGS``) with
English descriptions marked ``N_``; ``translate_bindings(node)`` gives each app, screen and
widget instance its bindings in the chosen language (the footer and the help screen read them
from the instance). Textual's own words (the command palette, its system commands, its bindings)
are listed here so the catalogue has them, and ``FleetApp`` shows them through ``_()``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.align import Align
from rich.text import Text
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.widgets.option_list import Option

from fleetctl.base.i18n import N_, _

TEXTUAL_WORDS = (
    # App and Screen bindings, the command palette's binding
    N_("Quit"),
    N_("Quit the app and return to the command prompt."),
    N_("palette"),
    N_("Open the command palette"),
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Copy selected text"),
    # scrolling (ScrollView and the scrollable containers)
    N_("Scroll Up"),
    N_("Scroll Down"),
    N_("Scroll Left"),
    N_("Scroll Right"),
    N_("Scroll Home"),
    N_("Scroll End"),
    N_("Page Up"),
    N_("Page Down"),
    N_("Page Left"),
    N_("Page Right"),
    # the command palette
    N_("Search for commands…"),
    N_("Search for themes…"),
    N_("No matches found"),
    # system commands (App.get_system_commands)
    N_("Theme"),
    N_("Change the current theme"),
    N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Maximize"),
    N_("Maximize the focused widget"),
    N_("Screenshot"),
    N_("Save an SVG 'screenshot' of the current screen"),
    N_("Bell"),
    N_("Ring the bell"),
)


def translate_bindings(node: DOMNode) -> None:
    """Give ``node``'s own copy of its bindings descriptions and tooltips in the chosen language.

    Call in ``__init__`` after ``super().__init__()``: the copy is per instance, so the class
    keeps its English and a second app in another language (tests) gets its own words.
    """
    bindings = node._bindings.key_to_bindings
    for key, found in bindings.items():
        bindings[key] = [_translated(b) for b in found]


def _translated(b: Binding) -> Binding:
    return replace(
        b,
        description=_(b.description) if b.description else b.description,
        tooltip=_(b.tooltip) if b.tooltip else b.tooltip,
    )


class TranslatedPalette(CommandPalette):
    """Textual's command palette, its "No matches found" in the chosen language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own method, with its one hard-coded sentence translated.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(_("No matches found"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
