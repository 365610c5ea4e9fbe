"""The report page from hand-made history: hostile text stays text, nothing loads from a network,
and the JSON and CSV carry the same numbers as the page's scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.report import assert_self_contained

from fleetctl.cli.render.report_html import render_html
from fleetctl.core.models import Status
from fleetctl.core.report.availability import runs_from_samples
from fleetctl.core.report.build import build_report
from fleetctl.core.report.export import CSV_FIELDS, csv_rows, to_json
from fleetctl.core.report.model import CameraHistory, Episode, Facts

END = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
START = END - timedelta(days=1)
EVIL = 'x<script>alert(1)</script>\x1b[31m"\x00'


def _report():  # type: ignore[no-untyped-def]
    samples = [
        (START + timedelta(minutes=5 * i), Status.CRIT if 100 < i < 172 else Status.OK)
        for i in range(288)
    ]
    cams = [
        CameraHistory(EVIL, EVIL, START - timedelta(days=1), tuple(runs_from_samples(samples, 900)),
                      Facts(END - timedelta(minutes=5), Status.OK, 2.0, EVIL, EVIL, EVIL)),
        CameraHistory("c2", "s2", None),
    ]  # fmt: skip
    eps = [Episode(EVIL, "offline", "crit", EVIL, START + timedelta(hours=2), END, None)]
    return build_report(
        cams, eps, START, END, hold_s=900, generated=END, tz=UTC, locations={EVIL: EVIL}
    )


def test_hostile_text_is_escaped_and_the_page_is_self_contained() -> None:
    page = render_html(_report(), UTC)
    assert_self_contained(page)
    assert "<script" not in page and "\x1b" not in page and "\x00" not in page
    assert "x&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<svg") == 3 and "@media print" in page and "size: A4" in page


def test_json_and_csv_carry_the_same_numbers() -> None:
    rep = _report()
    doc = to_json(rep, "0.1.0")
    rows = csv_rows(rep)
    assert list(rows[0]) == list(CSV_FIELDS)
    for row, scope in zip(rows, [*doc["sites"], doc["fleet"]], strict=True):
        assert row["cameras"] == scope["cameras"]
        assert (
            row["crit"] == scope["status"]["crit"]
            and row["not_checked"] == scope["status"]["not_checked"]
        )
        assert row["availability"] == (
            "" if scope["availability"] is None else scope["availability"]
        )
        assert (
            row["down_s"] == scope["seconds"]["down"]
            and row["problems_open"] == scope["problems"]["open"]
        )
    assert doc["fleet"]["seconds"]["down"] == 71 * 300.0
