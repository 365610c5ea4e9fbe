"""The footage view's words (tui/footage_view.py): pure functions of the engine's lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleetctl.base.i18n import set_language
from fleetctl.core.footage.coverage import Coverage, Span
from fleetctl.core.footage.model import CameraFootage
from fleetctl.core.footage.zones import Zone, ZoneSource
from fleetctl.engine.footage_batch import ClipProgress, ClipResult, ClipState
from fleetctl.tui import footage_view as view

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)  # 21:00 in Vietnam
WIN = Span(T0, T0 + timedelta(minutes=30))


def line(
    coverage: Coverage,
    gaps: tuple[Span, ...] = (),
    covered_s: float | None = 1800.0,
    reason: str | None = None,
    gaps_known: bool = True,
) -> CameraFootage:
    return CameraFootage(
        "dt-cho-01", "dong-tien", coverage, covered_s, gaps,
        T0 - timedelta(days=6, hours=12), T0 + timedelta(hours=12),
        "onvif-events" if coverage is not Coverage.UNKNOWN else "none",
        reason, 0.4, gaps_known,
    )  # fmt: skip


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_gaps_written_out_then_summarised() -> None:
    one = line(Coverage.PARTIAL, (Span(at(10), at(20)),), 1200.0)
    assert view.gaps_text(one, HCM, WIN) == "21:10:00–21:20:00"
    three = line(
        Coverage.PARTIAL, (Span(at(1), at(2)), Span(at(5), at(8)), Span(at(20), at(28))), 600.0
    )
    assert view.gaps_text(three, HCM, WIN) == (
        "3 gaps, 12 min: 21:01:00–21:02:00, 21:05:00–21:08:00 +1 more"
    )
    assert view.gaps_text(line(Coverage.FULL), HCM, WIN) == ""
    assert view.gaps_text(line(Coverage.NONE, (WIN,), 0.0), HCM, WIN) == "the whole window"
    assert view.gaps_text(line(Coverage.FULL, gaps_known=False), HCM, WIN) == (
        "unknown (range only)"
    )
    assert view.gaps_text(line(Coverage.UNKNOWN, covered_s=None), HCM, WIN) == ""


def test_recorded_days_kept_and_counts() -> None:
    part = line(Coverage.PARTIAL, (Span(at(10), at(20)),), 1200.0)
    assert view.covered_text(part, WIN) == "20/30 min"
    short = Span(T0, T0 + timedelta(seconds=60))
    assert view.covered_text(line(Coverage.FULL, covered_s=60.0), short) == "60/60 s"
    assert view.covered_text(line(Coverage.UNKNOWN, covered_s=None), WIN) == ""
    assert view.kept_text(part, None) == "7.0"
    unknown = CameraFootage("x", "s", Coverage.UNKNOWN, None, (), None, None, "none", "offline")
    assert view.kept_text(unknown, 2.5) == "2.5" and view.kept_text(unknown, None) == "—"
    lines = [line(Coverage.FULL), part, unknown]
    assert view.counts_text(lines, 5) == (
        "1 of 5 cameras have the whole window; 1 part of it, 0 none, 1 unknown; 2 still searching"
    )
    assert [view.rank(x) for x in (*lines, None)] == [0, 1, 3, 4]


def test_a_cameras_reason_is_shown_as_text_without_control_characters() -> None:
    hostile = line(Coverage.UNKNOWN, covered_s=None, reason="onvif: [bold red]x[/]\x1b]0;pwn\x07 y")
    assert view.source_text(hostile) == "onvif: [bold red]x[/] y"  # brackets stay text
    assert view.source_text(line(Coverage.FULL)) == "onvif-events"


def test_export_cells_say_each_state() -> None:
    done = ClipResult("dt-cho-01", "dong-tien", ClipState.SAVED, "/x/c.mp4", WIN, sha256="ab" * 32)
    assert [
        view.export_word(p)
        for p in (
            ClipProgress("dt-cho-01", ClipState.QUEUED),
            ClipProgress("dt-cho-01", ClipState.EXPORTING, 90, 3.6, 30.0),
            ClipProgress("dt-cho-01", ClipState.SAVED, result=done),
            ClipProgress("dt-cho-01", ClipState.SKIPPED, result=done),
            ClipProgress("dt-cho-01", ClipState.FAILED),
        )
    ] == ["queued", "4/30 s", "saved abababab", "already saved abababab", "failed"]


def test_windows_per_site_zone() -> None:
    """ "21:00" is 21:00 where each camera is: a site in another zone gets its own window."""
    hcm = Zone(HCM, "Asia/Ho_Chi_Minh", ZoneSource.SITE)
    utc = Zone(UTC, "UTC", ZoneSource.SITE)
    now = T0 + timedelta(days=1)
    got = view.windows("2026-12-06 21:00", "2026-12-06 21:30", {"a": hcm, "b": utc, "c": hcm}, now)
    assert got["a"] == got["c"] == WIN
    assert got["b"] == Span(T0 + timedelta(hours=7), T0 + timedelta(hours=7, minutes=30))
    with pytest.raises(ValueError, match=r"^soon$"):
        view.windows("soon", "now", {"a": hcm}, now)
    with pytest.raises(ValueError, match=r"^$"):
        view.windows("now", "-1h", {"a": hcm}, now)


def test_coverage_words_in_vietnamese() -> None:
    assert [view.coverage_word(line(c)) for c in Coverage] == ["full", "partial", "none", "unknown"]
    set_language("vi")
    words = [view.coverage_word(line(c)) for c in Coverage]
    assert words == ["đủ", "một phần", "không có", "không rõ"]  # not storage's "đầy"
    assert view.counts_text([line(Coverage.FULL)], 2).startswith(
        "1 trên 2 camera có đủ cả khoảng thời gian"
    )
