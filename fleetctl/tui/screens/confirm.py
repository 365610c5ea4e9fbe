"""Modal dialogs: confirm a mutating action with its count, and the bulk-action menu."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from fleetctl.base.i18n import N_, _, ngettext
from fleetctl.tui.words import translate_bindings

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 100%; height: auto; border: thick $accent;
                     background: $surface; padding: 1 2; }}
{name} Label {{ width: 100%; }}
"""


def target_words(count: int, hidden: int) -> str:
    """``7 cameras (3 hidden by the filter)``: the count always includes hidden marks."""
    words = ngettext("%(n)d camera", "%(n)d cameras", count) % {"n": count}
    if hidden:
        words += " " + _("(%(n)d hidden by the filter)") % {"n": hidden}
    return words


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on ``y``; anything else (``n``, ``esc``) is no."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="ConfirmScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("yes")),
        Binding("n,escape", "answer(False)", N_("no")),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question", markup=False)
            yes, no = escape(_("yes")), escape(_("no"))
            yield Label(f"[b]y[/] {yes}    [b]n[/] / [b]esc[/] {no}", id="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# Bulk actions as data: id, label, mutating. Push opens its own screen (screens/push.py).
BULK_ACTIONS: tuple[tuple[str, str, bool], ...] = (
    ("check", N_("check now"), False),
    ("sync_time", N_("sync time (set the camera clock to NTP/this host)"), True),
    ("reboot", N_("reboot"), True),
    ("push", N_("push a profile (plan, review, confirm)"), True),
)


class ActionMenu(ModalScreen[str | None]):
    """Pick a bulk action for the targets; mutating ones are disabled when read-only."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="ActionMenu") + "ActionMenu OptionList { height: auto; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("cancel"))]

    def __init__(self, count: int, hidden: int, *, read_only: bool) -> None:
        super().__init__()
        translate_bindings(self)
        self.count, self.hidden, self.read_only = count, hidden, read_only

    def compose(self) -> ComposeResult:
        options = []
        for key, label, mutating in BULK_ACTIONS:
            off = mutating and self.read_only
            note = (
                " [dim](" + escape(_("read-only")) + ")[/]" if mutating and self.read_only else ""
            )
            options.append(Option(escape(_(label)) + note, id=key, disabled=off))
        with Vertical():
            title = _("Actions on %(targets)s") % {"targets": target_words(self.count, self.hidden)}
            yield Label(title, markup=False)
            yield OptionList(*options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
