"""A window against what a camera recorded: coverage, seconds covered, gaps, range.

Cameras stamp footage with their own clock. A camera whose clock runs ``offset_s`` ahead
(``check``'s clock offset: camera minus true time) recorded true instant T at T + offset_s,
so its times are converted with ``to_true`` before they meet the window, which is true UTC.

Recording history comes as state changes (``tns1:RecordingHistory/Track/State``: data present
or not, from an instant on); ``intervals_from_events`` turns them into recorded intervals, in
any order they arrived (ONVIF leaves result order undefined).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fleetctl.base.i18n import N_, word


class Coverage(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"
    UNKNOWN = "unknown"  # the camera could not be asked (``reason`` says why)

    def label(self) -> str:
        """The coverage as a person reads it in the chosen language ("một phần"); the value
        ("partial") stays the keyword of JSON, CSV and scripts."""
        return word(_LABEL[self])


# "coverage|" tells the translator which "none" this is; what is shown is after the "|".
_LABEL = {
    Coverage.FULL: N_("coverage|full"),
    Coverage.PARTIAL: N_("coverage|partial"),
    Coverage.NONE: N_("coverage|none"),
    Coverage.UNKNOWN: N_("coverage|unknown"),
}


@dataclass(frozen=True)
class Span:
    """[start, end): aware datetimes."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())


@dataclass(frozen=True)
class Recorded:
    """What a source learned of one camera's footage, already on true UTC.

    ``spans``: recorded intervals (None when the source knows the range only: gaps unknown).
    """

    earliest: datetime | None
    latest: datetime | None
    spans: tuple[Span, ...] | None


@dataclass(frozen=True)
class Answer:
    coverage: Coverage
    covered_s: float
    gaps: tuple[Span, ...]
    gaps_known: bool


# Gaps shorter than this are the seams between a camera's recording files, not lost footage.
SLACK_S = 2.0


def to_true(when: datetime, offset_s: float | None) -> datetime:
    """An instant on the camera's clock as true UTC (offset unknown: taken as it is)."""
    return when - timedelta(seconds=offset_s) if offset_s else when


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, overlapping or touching spans joined; empty ones dropped."""
    out: list[Span] = []
    for s in sorted((s for s in spans if s.end > s.start), key=lambda s: s.start):
        if out and s.start <= out[-1].end:
            if s.end > out[-1].end:
                out[-1] = Span(out[-1].start, s.end)
        else:
            out.append(s)
    return out


def intervals_from_events(
    events: Sequence[tuple[datetime, bool]], until: datetime | None
) -> list[Span]:
    """Recording-history state changes (instant, data present) as recorded spans.

    A span still open after the last event runs to ``until`` (the newest recorded instant, or
    now); without ``until`` it is dropped (not invented).
    """
    spans: list[Span] = []
    opened: datetime | None = None
    for at, present in sorted(events, key=lambda e: (e[0], e[1])):
        if present and opened is None:
            opened = at
        elif not present and opened is not None:
            spans.append(Span(opened, at))
            opened = None
    if opened is not None and until is not None and until > opened:
        spans.append(Span(opened, until))
    return merge(spans)


def clip(spans: Iterable[Span], window: Span) -> list[Span]:
    out = []
    for s in spans:
        start, end = max(s.start, window.start), min(s.end, window.end)
        if end > start:
            out.append(Span(start, end))
    return out


def cover(window: Span, recorded: Recorded, slack_s: float = SLACK_S) -> Answer:
    """How much of ``window`` the recording holds, and the gaps in it (both on true UTC).

    With the range only (``spans`` None) the range stands for one interval and gaps are not
    known (``gaps_known`` False): a camera may have lost hours inside it.
    """
    if recorded.spans is not None:
        spans, known = merge(recorded.spans), True
    elif recorded.earliest is not None and recorded.latest is not None:
        spans, known = [Span(recorded.earliest, recorded.latest)], False
    else:
        spans, known = [], True
    inside = clip(spans, window)
    gaps: list[Span] = []
    at = window.start
    for s in inside:
        if (s.start - at).total_seconds() > slack_s:
            gaps.append(Span(at, s.start))
        at = max(at, s.end)
    if (window.end - at).total_seconds() > slack_s:
        gaps.append(Span(at, window.end))
    covered = sum(s.seconds for s in inside)
    if not inside or covered <= slack_s:
        kind = Coverage.NONE
        gaps = [window]
    elif gaps:
        kind = Coverage.PARTIAL
    else:
        kind = Coverage.FULL
    return Answer(kind, round(covered, 3), tuple(gaps), known)


def retention_days(earliest: datetime | None, latest: datetime | None) -> float | None:
    """Days of footage between the oldest and the newest recorded instant."""
    if earliest is None or latest is None or latest < earliest:
        return None
    return round((latest - earliest).total_seconds() / 86400, 2)
