"""The fleet as the TUI sees it: cameras, last reports, marks, filter, sort. No Textual here.

Built for 10,000 cameras: a result only re-formats its own row; the visible order (filter +
sort) is recomputed once per batch of results, in plain Python, and the table renders only the
lines on screen from it. Marks are names, so they survive filtering and re-sorting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from fleetctl.core.models import Camera, CameraReport, Status
from fleetctl.tui import cells

Matcher = Callable[[Camera, Status | None], bool]


class SortKey(StrEnum):
    WORST = "worst"
    NAME = "name"
    SITE = "site"
    CLOCK = "clock"
    FPS = "fps"


def _rank(report: CameraReport | None) -> int:
    return -1 if report is None else report.status.rank  # not checked yet: below ok


def compile_filter(expr: str) -> Matcher:
    """The ``/`` filter is the ``--select`` language (a bare word is a substring of the name,
    site, location, tags or host). Raises UsageError, pointing at the bad term."""
    from fleetctl.core.selection import parse_selection

    return parse_selection(expr).matches


class FleetModel:
    """Cameras + their latest reports + what the operator selected. Pure and synchronous."""

    def __init__(self, cameras: Iterable[Camera]) -> None:
        self.cameras: dict[str, Camera] = {c.name: c for c in cameras}
        self.reports: dict[str, CameraReport] = {}
        self.marks: set[str] = set()
        self.filter_text = ""
        self.faults_only = False
        self.sort_key = SortKey.WORST
        self.reverse = False
        self._matcher: Matcher | None = None
        self._cells: dict[str, tuple[str, ...]] = {}
        self.visible: list[str] = []
        self.refilter()

    # ------------------------------------------------------------------ data in

    def apply(self, reports: Sequence[CameraReport]) -> None:
        """Take a batch of results (unknown names ignored); call ``refilter()`` after."""
        for rep in reports:
            if rep.name in self.cameras:
                self.reports[rep.name] = rep
                self._cells.pop(rep.name, None)

    def cells(self, name: str) -> tuple[str, ...]:
        got = self._cells.get(name)
        if got is None:
            got = self._cells[name] = cells.row_cells(self.cameras[name], self.reports.get(name))
        return got

    def status(self, name: str) -> Status | None:
        rep = self.reports.get(name)
        return rep.status if rep else None

    # ------------------------------------------------------------------ what is shown

    def set_filter(self, expr: str) -> None:
        """Raises UsageError (and keeps the old filter) if ``expr`` does not parse."""
        expr = expr.strip()
        matcher = compile_filter(expr) if expr else None
        self.filter_text, self._matcher = expr, matcher
        self.refilter()

    def set_sort(self, key: SortKey) -> None:
        """Same key again reverses the order, as clicking a column header twice does."""
        self.reverse = not self.reverse if key == self.sort_key else False
        self.sort_key = key
        self.refilter()

    def _sort_value(self, name: str) -> tuple[object, ...]:
        rep = self.reports.get(name)
        cam = self.cameras[name]
        if self.sort_key is SortKey.NAME:
            return (name,)
        if self.sort_key is SortKey.SITE:
            return (cam.site, -_rank(rep), name)
        if self.sort_key is SortKey.CLOCK:
            off = rep.clock_offset_s if rep else None
            return (-(abs(off) if off is not None else -1.0), name)
        if self.sort_key is SortKey.FPS:
            stream = cells.main_stream(rep) if rep else None
            fps = stream.fps if stream and stream.fps is not None else float("inf")
            return (fps, name)
        return (-_rank(rep), name)  # worst first

    def refilter(self) -> None:
        matcher, faults = self._matcher, self.faults_only
        names = [
            n
            for n, cam in self.cameras.items()
            if (not faults or self.status(n) not in (Status.OK, None))
            and (matcher is None or matcher(cam, self.status(n)))
        ]
        names.sort(key=self._sort_value, reverse=self.reverse)
        self.visible = names

    # ------------------------------------------------------------------ marks and targets

    def toggle_mark(self, name: str) -> None:
        self.marks.symmetric_difference_update({name})

    def mark_range(self, a: int, b: int) -> None:
        lo, hi = sorted((a, b))
        self.marks.update(self.visible[lo : hi + 1])

    def targets(self, current: str | None) -> tuple[list[str], int]:
        """What a bulk action acts on: every mark (hidden ones too), else the current row.

        Returns the names and how many of them the filter hides, for the confirm dialog.
        """
        if self.marks:
            names = sorted(self.marks)
            shown = set(self.visible)
            return names, sum(1 for n in names if n not in shown)
        return ([current] if current else []), 0

    # ------------------------------------------------------------------ summaries

    def counts(self) -> dict[str, int]:
        return cells.status_counts([self.status(n) for n in self.cameras])

    def site_counts(self) -> dict[str, Counter[str]]:
        """site -> status word -> count (``pending`` for cameras not checked yet)."""
        out: dict[str, Counter[str]] = {}
        for name, cam in self.cameras.items():
            st = self.status(name)
            out.setdefault(cam.site, Counter())[st.value if st else "pending"] += 1
        return out
