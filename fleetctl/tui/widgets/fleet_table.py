"""The fleet table: a virtual table that renders only the lines on screen.

Why not Textual's DataTable: it measures every cell of every added row on idle, so replacing
10,000 rows (each filter keystroke) costs ~4-6 s on this machine (measured: clear + add_rows +
idle, Textual 8.2). Here a filter is a list of names in ``FleetModel.visible`` and rendering
formats the ~20-50 visible rows; cost is independent of fleet size (benchmarks/bench_tui.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from fleetctl.base.i18n import N_, _, language
from fleetctl.core.models import Status
from fleetctl.tui.cells import COLUMNS, FIXED_COLUMNS, PENDING, Column
from fleetctl.tui.state import FleetModel
from fleetctl.tui.words import translate_bindings

_SEP = 1  # one blank cell between columns
# How wide the problem column would like to be: Vietnamese says the same in about a third more
# cells ("mất tín hiệu video: 0 gói RTP trong 1,0 giây").
_PROBLEM_WIDTH = {"en": 34, "vi": 46}
_SITE, _STATUS, _PROBLEM = 2, 3, 4  # indexes into COLUMNS (and row_text)


def layout(width: int) -> list[tuple[int, Column]]:
    """The columns in display order, with the widths they get in ``width`` cells.

    Name, status and problem are what an operator must read at 80 columns; when they and the
    site do not fit, the site gives way (it moves after the problem, into the part that scrolls
    sideways), then the problem column narrows. The status column fits its longest word (and its
    header) in the chosen language. English at 80 columns keeps the widths it always had.
    """
    status = COLUMNS[_STATUS]
    labels = [s.label() for s in Status] + [PENDING, _(status.label)]
    status = Column(status.key, status.label, max(status.width, *(cell_len(w) for w in labels)))
    problem = COLUMNS[_PROBLEM]
    problem = Column(problem.key, problem.label, _PROBLEM_WIDTH.get(language(), problem.width))
    cols = [*enumerate(COLUMNS)]
    cols[_STATUS], cols[_PROBLEM] = (_STATUS, status), (_PROBLEM, problem)

    def need(upto: list[tuple[int, Column]]) -> int:
        return sum(c.width + _SEP for _, c in upto) - _SEP

    if need(cols[: _PROBLEM + 1]) > width:  # the site gives way
        site = cols.pop(_SITE)
        cols.insert(_PROBLEM, site)
        room = width - need(cols[: _PROBLEM - 1]) - _SEP
        if room < problem.width:  # then the problem narrows, never below half
            narrow = Column(problem.key, problem.label, max(problem.width // 2, room))
            cols[_PROBLEM - 1] = (_PROBLEM, narrow)
    return cols


def _fit(text: str, col: Column) -> str:
    if cell_len(text) > col.width:
        return set_cell_size(text, col.width - 1) + "…"
    return text.rjust(col.width) if col.right else set_cell_size(text, col.width)


class FleetTable(ScrollView, can_focus=True):
    """Rows are ``model.visible``; ``cursor`` is an index into it. Call ``reload()`` after the
    model changes; the table keeps the cursor on the same camera when it can."""

    DEFAULT_CSS = """
    FleetTable { height: 1fr; }
    FleetTable > .fleet-table--header { text-style: bold; background: $panel; }
    FleetTable > .fleet-table--cursor { background: $accent 40%; }
    FleetTable > .fleet-table--marked { color: $text-accent; text-style: bold; }
    FleetTable > .fleet-table--crit { color: $error; text-style: bold; }
    FleetTable > .fleet-table--warn { color: $warning; }
    FleetTable > .fleet-table--unknown { color: magenta; }
    FleetTable > .fleet-table--ok { color: $success; }
    FleetTable > .fleet-table--pending { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fleet-table--header",
        "fleet-table--cursor",
        "fleet-table--marked",
        "fleet-table--crit",
        "fleet-table--warn",
        "fleet-table--unknown",
        "fleet-table--ok",
        "fleet-table--pending",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", N_("up"), show=False),
        Binding("down,j", "move(1)", N_("down"), show=False),
        Binding("pageup", "page(-1)", N_("page up"), show=False),
        Binding("pagedown", "page(1)", N_("page down"), show=False),
        Binding("home,g", "edge(0)", N_("first"), show=False),
        Binding("end,G", "edge(1)", N_("last"), show=False),
        Binding("left", "scroll_left", N_("scroll left"), show=False),
        Binding("right", "scroll_right", N_("scroll right"), show=False),
    ]

    cursor: reactive[int] = reactive(0)

    @dataclass
    class Highlighted(Message):
        name: str | None

    def __init__(self, model: FleetModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.model = model
        self._layout(80)

    def _layout(self, width: int) -> None:
        self._columns = layout(width)
        widths = [c.width + _SEP for _, c in self._columns]
        self._fixed_width = sum(widths[:FIXED_COLUMNS])
        self._total_width = sum(widths)

    def on_resize(self) -> None:
        self._layout(self.size.width)
        self.reload()

    # ------------------------------------------------------------------ data

    @property
    def current(self) -> str | None:
        vis = self.model.visible
        return vis[self.cursor] if 0 <= self.cursor < len(vis) else None

    def reload(self, keep: str | None = None) -> None:
        """Re-read ``model.visible``; keep the cursor on ``keep`` (default: current) if shown."""
        keep = keep if keep is not None else self.current
        vis = self.model.visible
        self.virtual_size = Size(self._total_width, len(vis) + 1)
        try:
            index = vis.index(keep) if keep is not None else self.cursor
        except ValueError:  # filtered out: stay at the same height in the list
            index = self.cursor
        self.cursor = max(0, min(index, len(vis) - 1))
        self.refresh()

    def row_text(self, index: int) -> list[str]:
        """The cells of visible row ``index`` as drawn (mark first): what tests assert on."""
        name = self.model.visible[index]
        return ["●" if name in self.model.marks else " ", *self.model.cells(name)]

    # ------------------------------------------------------------------ cursor

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def _scroll_cursor_into_view(self) -> None:
        body = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def action_move(self, delta: int) -> None:
        self.cursor = max(0, min(self.cursor + delta, len(self.model.visible) - 1))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self.cursor = max(0, len(self.model.visible) - 1) if end else 0

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.cursor = max(
                0, min(int(self.scroll_offset.y) + event.y - 1, len(self.model.visible) - 1)
            )

    # ------------------------------------------------------------------ rendering

    def _line(self, texts: list[str], styles: list[Style], base: Style) -> Strip:
        segs: list[Segment] = []
        for index, col in self._columns:
            segs.append(Segment(_fit(texts[index], col), base + styles[index]))
            segs.append(Segment(" " * _SEP, base))
        return Strip(segs, self._total_width)

    def _scrolled(self, strip: Strip, width: int, style: Style) -> Strip:
        x = int(self.scroll_offset.x)
        fixed = strip.crop(0, self._fixed_width)
        rest = strip.crop(self._fixed_width + x, self._fixed_width + x + width - self._fixed_width)
        return Strip.join([fixed, rest]).crop_extend(0, width, style)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        plain = Style()
        if y == 0:
            header = self.get_component_rich_style("fleet-table--header")
            labels = [_(c.label) if c.label.strip() else c.label for c in COLUMNS]
            strip = self._line(labels, [plain] * len(COLUMNS), header)
            return self._scrolled(strip, width, header)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.model.visible):
            return Strip.blank(width, self.rich_style)
        name = self.model.visible[index]
        texts = self.row_text(index)
        base = self.rich_style
        if index == self.cursor and self.has_focus_within:
            base = base + self.get_component_rich_style("fleet-table--cursor")
        elif index == self.cursor:
            base = base + self.get_component_rich_style("fleet-table--cursor", partial=True)
        styles = [plain] * len(COLUMNS)
        if name in self.model.marks:
            mark_style = self.get_component_rich_style("fleet-table--marked", partial=True)
            styles[0] = styles[1] = mark_style
        status = self.model.status(name)
        # partial: colour and weight only, so the cursor row's background runs unbroken.
        styles[3] = self.get_component_rich_style(
            f"fleet-table--{status.value if status else 'pending'}", partial=True
        )
        return self._scrolled(self._line(texts, styles, base), width, base)
