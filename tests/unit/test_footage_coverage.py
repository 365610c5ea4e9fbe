"""Coverage arithmetic: windows across gaps, ranges without gaps, zones and clock offsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from fleetctl.core.footage.coverage import (
    Coverage,
    Recorded,
    Span,
    cover,
    intervals_from_events,
    merge,
    retention_days,
    to_true,
)
from fleetctl.core.footage.timespec import clock_text, parse_when

T0 = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def spans(*pairs: tuple[float, float]) -> tuple[Span, ...]:
    return tuple(Span(at(a), at(b)) for a, b in pairs)


@pytest.mark.parametrize(
    ("window", "recorded", "coverage", "covered_s", "gaps"),
    [
        # the whole window inside one recorded interval
        ((10, 40), [(0, 60)], Coverage.FULL, 1800, []),
        # a power cut in the middle of the window
        ((10, 40), [(0, 20), (30, 60)], Coverage.PARTIAL, 1200, [(20, 30)]),
        # recording starts after the window opens (retention ran out before it)
        ((10, 40), [(25, 60)], Coverage.PARTIAL, 900, [(10, 25)]),
        # the card died before the window
        ((10, 40), [(-100, 5)], Coverage.NONE, 0, [(10, 40)]),
        # nothing recorded at all
        ((10, 40), [], Coverage.NONE, 0, [(10, 40)]),
        # overlapping and unordered intervals are merged
        ((0, 30), [(15, 30), (0, 10), (5, 16)], Coverage.FULL, 1800, []),
        # a one-second seam between files is not a gap
        ((0, 30), [(0, 10), (10 + 1 / 60, 30)], Coverage.FULL, 1799, []),
        # gaps at both ends
        ((0, 60), [(10, 20), (40, 50)], Coverage.PARTIAL, 1200, [(0, 10), (20, 40), (50, 60)]),
    ],
)
def test_window_against_recorded_intervals(
    window: tuple[float, float],
    recorded: list[tuple[float, float]],
    coverage: Coverage,
    covered_s: float,
    gaps: list[tuple[float, float]],
) -> None:
    answer = cover(Span(at(window[0]), at(window[1])), Recorded(None, None, spans(*recorded)))
    assert answer.coverage is coverage
    assert answer.covered_s == pytest.approx(covered_s, abs=1)
    assert answer.gaps == spans(*gaps)
    assert answer.gaps_known


def test_range_only_covers_but_says_gaps_are_unknown() -> None:
    answer = cover(Span(at(10), at(40)), Recorded(at(20), at(100), None))
    assert (answer.coverage, answer.gaps_known) == (Coverage.PARTIAL, False)
    assert answer.gaps == spans((10, 20))


@pytest.mark.parametrize(
    ("events", "until", "expected"),
    [
        # start state (present), a gap, then still recording: open until the newest instant
        ([(0, True), (20, False), (30, True)], 60, [(0, 20), (30, 60)]),
        # results in any order (ONVIF leaves it undefined)
        ([(30, True), (0, True), (20, False)], 60, [(0, 20), (30, 60)]),
        # repeated "present" events do not open a second interval
        ([(0, True), (5, True), (20, False)], 60, [(0, 20)]),
        # start state "absent", recording resumes
        ([(0, False), (10, True)], 50, [(10, 50)]),
        # open at the end with no known newest instant: not invented
        ([(0, True)], None, []),
    ],
)
def test_history_events_become_intervals(
    events: list[tuple[float, bool]], until: float | None, expected: list[tuple[float, float]]
) -> None:
    got = intervals_from_events(
        [(at(m), p) for m, p in events], None if until is None else at(until)
    )
    assert tuple(got) == spans(*expected)


@pytest.mark.parametrize(
    ("offset_s", "camera_time", "true_time"),
    [
        (0.0, at(0), at(0)),
        (3600.0, at(60), at(0)),  # the camera runs an hour ahead
        (-90.0, at(0), at(1.5)),  # ninety seconds behind
        (None, at(5), at(5)),  # unknown offset: taken as it is
    ],
)
def test_camera_clock_to_true_utc(
    offset_s: float | None, camera_time: datetime, true_time: datetime
) -> None:
    assert to_true(camera_time, offset_s) == true_time


def test_clock_offset_moves_a_gap_into_the_window() -> None:
    # Camera an hour fast: its gap at 15:20-15:30 (its clock) happened at 14:20-14:30 true time.
    offset = 3600.0
    cam_spans = spans((60, 80), (90, 120))
    true = tuple(Span(to_true(s.start, offset), to_true(s.end, offset)) for s in cam_spans)
    answer = cover(Span(at(10), at(40)), Recorded(None, None, true))
    assert answer.gaps == spans((20, 30))


def test_merge_and_retention() -> None:
    assert merge(spans((0, 5), (5, 9), (20, 20))) == list(spans((0, 9)))
    assert retention_days(at(0), at(2 * 24 * 60)) == 2.0
    assert retention_days(None, at(0)) is None


HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-12-06T21:00+07:00", UTC, datetime(2026, 12, 6, 14, 0, tzinfo=UTC)),
        ("2026-12-06T14:00Z", HCM, datetime(2026, 12, 6, 14, 0, tzinfo=UTC)),
        ("2026-12-06 21:00", HCM, datetime(2026, 12, 6, 14, 0, tzinfo=UTC)),
        ("2026-12-06 21:00", UTC, datetime(2026, 12, 6, 21, 0, tzinfo=UTC)),
        ("2026-12-06", timezone(timedelta(hours=7)), datetime(2026, 12, 5, 17, 0, tzinfo=UTC)),
        ("-2h", HCM, NOW - timedelta(hours=2)),
        ("-90m", UTC, NOW - timedelta(minutes=90)),
        ("now", UTC, NOW),
        ("yesterday 21:00", HCM, datetime(2026, 12, 6, 14, 0, tzinfo=UTC)),
        ("Yesterday  21:30", UTC, datetime(2026, 12, 6, 21, 30, tzinfo=UTC)),
        ("today 08:00", HCM, datetime(2026, 12, 7, 1, 0, tzinfo=UTC)),
        ("today", HCM, datetime(2026, 12, 6, 17, 0, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, tz: tzinfo, expected: datetime) -> None:
    assert parse_when(text, NOW, tz) == expected


@pytest.mark.parametrize("text", ["yesterday 25:00", "last tuesday", "-2x", "2026-13-01", ""])
def test_parse_when_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_when(text, NOW, UTC)


def test_clock_text_adds_the_date_off_the_windows_first_day() -> None:
    win = Span(datetime(2026, 12, 6, 14, 0, tzinfo=UTC), datetime(2026, 12, 6, 18, 0, tzinfo=UTC))
    assert clock_text(datetime(2026, 12, 6, 14, 10, tzinfo=UTC), HCM, win) == "21:10:00"
    assert clock_text(datetime(2026, 12, 6, 17, 10, tzinfo=UTC), HCM, win) == "2026-12-07 00:10:00"
