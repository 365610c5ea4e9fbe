"""Modal dialogs: confirm a mutating action with its count, and the bulk-action menu."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 100%; height: auto; border: thick $accent;
                     background: $surface; padding: 1 2; }}
{name} Label {{ width: 100%; }}
"""


def target_words(count: int, hidden: int) -> str:
    """``7 cameras (3 hidden by the filter)``: the count always includes hidden marks."""
    words = f"{count} camera{'s' if count != 1 else ''}"
    return words + (f" ({hidden} hidden by the filter)" if hidden else "")


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on ``y``; anything else (``n``, ``esc``) is no."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="ConfirmScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question", markup=False)
            yield Label("[b]y[/] yes    [b]n[/] / [b]esc[/] no", id="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# Bulk actions as data: id, label, mutating. Push opens its own screen (screens/push.py).
BULK_ACTIONS: tuple[tuple[str, str, bool], ...] = (
    ("check", "check now", False),
    ("sync_time", "sync time (set the camera clock to NTP/this host)", True),
    ("reboot", "reboot", True),
    ("push", "push a profile (plan, review, confirm)", True),
)


class ActionMenu(ModalScreen[str | None]):
    """Pick a bulk action for the targets; mutating ones are disabled when read-only."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="ActionMenu") + "ActionMenu OptionList { height: auto; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, count: int, hidden: int, *, read_only: bool) -> None:
        super().__init__()
        self.count, self.hidden, self.read_only = count, hidden, read_only

    def compose(self) -> ComposeResult:
        options = []
        for key, label, mutating in BULK_ACTIONS:
            off = mutating and self.read_only
            note = " [dim](read-only)[/]" if mutating and self.read_only else ""
            options.append(Option(label + note, id=key, disabled=off))
        with Vertical():
            yield Label(f"Actions on {target_words(self.count, self.hidden)}")
            yield OptionList(*options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
