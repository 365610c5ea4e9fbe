"""The fleet as the TUI sees it: cameras, last reports, marks, filter, sort. No Textual here.

Built for 10,000 cameras: a result re-formats only its own row and updates the counts in O(1);
the visible order (filter + sort) is recomputed once per batch of results from cached per-camera
sort keys and folded text, and the table renders only the lines on screen from it. Marks are
names, so they survive filtering and re-sorting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from fleetctl.core.models import Camera, CameraReport, Status
from fleetctl.tui import cells
from fleetctl.tui.filtering import FastMatcher, Haystack, compile_filter


class SortKey(StrEnum):
    WORST = "worst"
    NAME = "name"
    SITE = "site"
    CLOCK = "clock"
    FPS = "fps"


def _rank(report: CameraReport | None) -> int:
    return -1 if report is None else report.status.rank  # not checked yet: below ok


def _word(report: CameraReport | None) -> str:
    return report.status.value if report else "pending"


def _status_of(report: CameraReport | None) -> Status | None:
    return report.status if report is not None else None


def sort_value(key: SortKey, cam: Camera, rep: CameraReport | None) -> tuple[object, ...]:
    """The sort key of one camera; ascending order is what the operator sees first."""
    if key is SortKey.NAME:
        return (cam.name,)
    if key is SortKey.SITE:
        return (cam.site, -_rank(rep), cam.name)
    if key is SortKey.CLOCK:  # largest offset first; unread last
        off = rep.clock_offset_s if rep else None
        return (-(abs(off) if off is not None else -1.0), cam.name)
    if key is SortKey.FPS:  # slowest stream first; unread last
        stream = cells.main_stream(rep) if rep else None
        return (stream.fps if stream and stream.fps is not None else float("inf"), cam.name)
    return (-_rank(rep), cam.name)  # worst first


class FleetModel:
    """Cameras + their latest reports + what the operator selected. Pure and synchronous."""

    def __init__(
        self, cameras: Iterable[Camera], site_names: Mapping[str, str] | None = None
    ) -> None:
        self.cameras: dict[str, Camera] = {c.name: c for c in cameras}
        self.reports: dict[str, CameraReport] = {}
        self.marks: set[str] = set()
        self.filter_text = ""
        self.faults_only = False
        self.sort_key = SortKey.WORST
        self.reverse = False
        self._matcher: FastMatcher | None = None
        self._cells: dict[str, tuple[str, ...]] = {}
        self._hay: dict[str, Haystack] = {}
        self._keys: dict[str, tuple[object, ...]] = {}
        self._counts: Counter[str] = Counter(pending=len(self.cameras))
        self._sites: dict[str, Counter[str]] = {}
        # The inventory's `location` of each site ("Đông Tiến"): what the operator calls it.
        self.site_names = dict(site_names or {})
        for cam in self.cameras.values():
            self._sites.setdefault(cam.site, Counter())["pending"] += 1
        # Folded once, up front (~25 µs a camera): the first `/` keystroke must not pay for it.
        self._hay.update((n, Haystack.of(c)) for n, c in self.cameras.items())
        self._order: list[str] | None = None  # every camera, sorted; None: re-sort needed
        self.visible: list[str] = []
        self.refilter()

    def site_label(self, site: str) -> str:
        """A site as the operator calls it: its location, else its key."""
        return self.site_names.get(site) or site

    # ------------------------------------------------------------------ data in

    def apply(self, reports: Sequence[CameraReport]) -> None:
        """Take a batch of results (unknown names ignored); call ``refilter()`` after."""
        for rep in reports:
            cam = self.cameras.get(rep.name)
            if cam is None:
                continue
            old, new = _word(self.reports.get(rep.name)), _word(rep)
            self._counts[old] -= 1
            self._counts[new] += 1
            self._sites[cam.site][old] -= 1
            self._sites[cam.site][new] += 1
            self.reports[rep.name] = rep
            self._hay[rep.name] = Haystack.of(cam, rep)  # the filter finds problem words
            self._cells.pop(rep.name, None)
            self._keys.pop(rep.name, None)
            self._order = None

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
        if key != self.sort_key:
            self._keys.clear()
        self.sort_key = key
        self._order = None
        self.refilter()

    def _haystack(self, name: str) -> Haystack:
        hay = self._hay.get(name)
        if hay is None:
            hay = self._hay[name] = Haystack.of(self.cameras[name])
        return hay

    def _sort_key(self, name: str) -> tuple[object, ...]:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = sort_value(
                self.sort_key, self.cameras[name], self.reports.get(name)
            )
        return key

    def refilter(self) -> None:
        """Recompute ``visible``. The full order is re-sorted only after results or a new sort
        key; a filter keystroke just walks the sorted order (the table keeps its order)."""
        if self._order is None:
            self._order = sorted(self.cameras, key=self._sort_key, reverse=self.reverse)
        names: Iterable[str] = self._order
        if self.faults_only:
            names = [n for n in names if self.status(n) not in (Status.OK, None)]
        matcher = self._matcher
        if matcher is not None:
            reports, hay = self.reports, self._haystack
            names = [n for n in names if matcher(hay(n), _status_of(reports.get(n)))]
        self.visible = list(names)

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
        """Status word -> cameras (``pending``: not checked yet), kept up to date by ``apply``."""
        return {s: self._counts[s] for s in ("ok", "warn", "crit", "unknown", "pending")}

    def site_counts(self) -> dict[str, Counter[str]]:
        """Site -> status word -> count; zero counts dropped."""
        return {site: +counts for site, counts in self._sites.items()}
