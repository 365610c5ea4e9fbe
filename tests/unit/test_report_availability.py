"""The report's availability arithmetic on hand-made histories (table-driven)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from fleetctl.core.models import Status
from fleetctl.core.report.availability import (
    bucket_edges,
    outages,
    runs_from_samples,
    segments,
    tally,
    trend,
)
from fleetctl.core.report.build import build_report
from fleetctl.core.report.model import CameraHistory, Episode, Facts, StorageFact

T0 = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
OK, WARN, CRIT, UNK = Status.OK, Status.WARN, Status.CRIT, Status.UNKNOWN


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def every(
    status: Status, start_h: float, end_h: float, step_min: float = 5
) -> list[tuple[datetime, Status]]:
    """A check every ``step_min`` minutes from start_h (inclusive) to end_h (exclusive)."""
    out, t = [], h(start_h)
    while t < h(end_h):
        out.append((t, status))
        t += timedelta(minutes=step_min)
    return out


def cam(
    samples: list[tuple[datetime, Status]], first_seen: datetime | None = None, hold_s: float = 900
) -> CameraHistory:
    first = first_seen if first_seen is not None else (samples[0][0] if samples else None)
    return CameraHistory("cam", "site", first, tuple(runs_from_samples(samples, hold_s)))


HOLD = 900.0  # 15 min: checks every 5 min hold across one missed check

CASES = [
    # (id, samples, first_seen, up_h, down_h, unknown_h, unchecked_h, availability)
    ("up all day", every(OK, -1, 24), None, 24, 0, 0, 0, 1.0),
    (
        "down 6 h of 24",
        every(OK, -1, 12) + every(CRIT, 12, 18) + every(OK, 18, 24),
        None,
        18,
        6,
        0,
        0,
        0.75,
    ),
    ("warn counts as up", every(WARN, -1, 24), None, 24, 0, 0, 0, 1.0),
    ("unknown is not up", every(OK, -1, 12) + every(UNK, 12, 24), None, 12, 0, 12, 0, 0.5),
    (
        "flapping every 5 min",
        [(h(-1) + timedelta(minutes=5 * i), OK if i % 2 == 0 else CRIT) for i in range(12 * 25)],
        None,
        12,
        12,
        0,
        0,
        0.5,
    ),
    ("never checked", [], None, 0, 0, 0, 0, None),
    (
        "checked before, silent during the window",
        every(OK, -3, -2),
        h(-3),
        0,
        0,
        0,
        24,
        0.0,
    ),
    (
        "silent 6 h in the middle: unchecked, not up",
        every(OK, -1, 9) + every(OK, 15, 24),
        None,
        # the last check (8:55) holds 15 min (HOLD), to 9:10; the rest of the gap is unchecked
        9 + 10 / 60 + 9,
        0,
        0,
        6 - 10 / 60,
        (18 + 10 / 60) / 24,
    ),
    ("added mid-period (12:00), up since", every(OK, 12, 24), h(12), 12, 0, 0, 0, 1.0),
    (
        "added at 12:00, down 3 h of its 12",
        every(CRIT, 12, 15) + every(OK, 15, 24),
        h(12),
        9,
        3,
        0,
        0,
        0.75,
    ),
    ("added after the window", every(OK, 30, 31), h(30), 0, 0, 0, 0, None),
]


@pytest.mark.parametrize(
    ("samples", "first_seen", "up", "down", "unknown", "unchecked", "avail"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_availability(
    samples: list[tuple[datetime, Status]],
    first_seen: datetime | None,
    up: float,
    down: float,
    unknown: float,
    unchecked: float,
    avail: float | None,
) -> None:
    c = cam(samples, first_seen, HOLD)
    s = tally(segments(c, T0, T0 + DAY, HOLD))
    got = (s.up / 3600, s.down / 3600, s.unknown / 3600, s.unchecked / 3600)
    assert got == pytest.approx((up, down, unknown, unchecked), abs=1e-6)
    if avail is None:
        assert s.availability is None
    else:
        assert s.availability == pytest.approx(avail, abs=1e-6)


def test_segments_cover_the_tracked_window_exactly() -> None:
    c = cam(every(OK, -1, 5) + every(CRIT, 7, 9) + every(OK, 9, 30), None, HOLD)
    segs = segments(c, T0, T0 + DAY, HOLD)
    assert segs[0][0] == T0 and segs[-1][1] == T0 + DAY
    for (_a, b, _s), (a2, _b2, _s2) in itertools.pairwise(segs):
        assert b == a2


def test_runs_compress_repeats_and_split_on_gaps() -> None:
    samples = every(OK, 0, 1) + every(OK, 2, 3) + every(CRIT, 3, 4)
    runs = runs_from_samples(samples, HOLD)
    assert [(r.first, r.status) for r in runs] == [(h(0), OK), (h(2), OK), (h(3), CRIT)]


def test_longest_outage_merges_adjacent_down_and_marks_ongoing() -> None:
    c = cam(every(OK, -1, 10) + every(CRIT, 10, 24.5), None, HOLD)
    segs = segments(c, T0, T0 + DAY, HOLD)
    (out,) = outages(c, segs, T0 + DAY)
    assert out.start == h(10) and out.end == h(24) and out.ongoing
    assert out.duration_s == 14 * 3600


@pytest.mark.parametrize(
    ("hours", "steps"),
    [(24, 24), (1, 1), (30 * 24, 30), (72.5, 4)],
    ids=["day", "hour", "30d", "partial"],
)
def test_trend_steps(hours: float, steps: int) -> None:
    edges = bucket_edges(T0, T0 + timedelta(hours=hours), UTC)
    assert len(edges) - 1 == steps
    assert edges[0] == T0 and edges[-1] == T0 + timedelta(hours=hours)


def test_trend_buckets_add_up_to_the_total() -> None:
    c = cam(every(OK, -1, 12) + every(CRIT, 12, 18) + every(OK, 18, 24), None, HOLD)
    segs = segments(c, T0, T0 + DAY, HOLD)
    buckets = trend([segs], bucket_edges(T0, T0 + DAY, UTC))
    assert sum(b.seconds.down for b in buckets) == pytest.approx(6 * 3600)
    assert buckets[12].seconds.availability == 0.0 and buckets[11].seconds.availability == 1.0


def test_build_report_per_site_and_fleet() -> None:
    end = T0 + DAY
    fw = Facts(end, OK, 0.4, "ACME", "X1", "1.0", (StorageFact("SD1", "ok", True),), days_kept=9.0)
    cams = [
        CameraHistory("a1", "north", h(-5), tuple(runs_from_samples(every(OK, -1, 24), HOLD)), fw),
        CameraHistory(
            "a2",
            "north",
            h(-5),
            tuple(
                runs_from_samples(every(OK, -1, 12) + every(CRIT, 12, 18) + every(OK, 18, 24), HOLD)
            ),
            Facts(
                end,
                CRIT,
                45.0,
                "ACME",
                "X1",
                "0.9",
                (StorageFact("SD1", "failed", False),),
                days_kept=3.0,
            ),
        ),
        CameraHistory("b1", "south", None),
    ]
    episodes = [
        Episode("a2", "storage", "crit", "SD1 failed", h(-30), h(24), None),
        Episode("a2", "offline", "crit", "no answer", h(12), h(18), h(18)),
        Episode("zz", "offline", "crit", "not selected", h(1), h(2), None),
    ]
    rep = build_report(cams, episodes, T0, end, hold_s=HOLD, generated=end, tz=UTC,
                       locations={"north": "Phường Bắc"})  # fmt: skip
    north, south = rep.sites
    assert north.location == "Phường Bắc" and north.cameras == 2
    assert north.status == {"ok": 1, "warn": 0, "crit": 1, "unknown": 0, "not_checked": 0}
    assert north.seconds.availability == pytest.approx(42 / 48)
    assert (north.opened, north.open, north.resolved) == (1, 1, 1)
    assert (north.storage_failed, north.recording_stopped) == (1, 1)
    assert north.footage_days == 6.0 and south.footage_days is None  # median days of footage
    assert south.status["not_checked"] == 1 and south.seconds.availability is None
    assert rep.fleet.cameras == 3 and rep.fleet.seconds.tracked == 48 * 3600
    assert [o.camera for o in rep.outages] == ["a2"]
    assert {b.key: b.count for b in rep.drift} == {
        "lt_1s": 1,
        "1_5s": 0,
        "5_30s": 0,
        "30_300s": 1,
        "ge_300s": 0,
    }
    assert rep.drift_unknown == 1
    assert [(f.firmware, f.count) for f in rep.firmware] == [("0.9", 1), ("1.0", 1)]
