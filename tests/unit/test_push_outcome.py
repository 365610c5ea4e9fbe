"""Push results are an enum whose values are the documented JSON and journal words."""

from __future__ import annotations

import json

from fleetctl.engine.push.outcome import FAILED_RESULTS, CameraOutcome, PushReport, PushResult


def test_result_words_are_the_documented_ones() -> None:
    assert [r.value for r in PushResult] == [
        "changed",
        "unchanged",
        "failed",
        "restored",
        "not-restorable",
        "unreachable",
        "skipped",
        "planned",
    ]
    assert {r.value for r in FAILED_RESULTS} == {
        "failed",
        "restored",
        "not-restorable",
        "unreachable",
    }


def test_report_json_is_plain_strings() -> None:
    report = PushReport(
        [
            CameraOutcome("a", PushResult.CHANGED),
            CameraOutcome("b", PushResult.NOT_RESTORABLE, error="RESTORE FAILED"),
            CameraOutcome("c", PushResult.SKIPPED),
        ]
    )
    assert json.dumps(report.summary) == (
        '{"changed": 1, "unchanged": 0, "failed": 1, "restored": 0, "unreachable": 0}'
    )
    assert all(type(k) is str for k in report.summary)
    assert json.dumps([o.result for o in report.outcomes]) == (
        '["changed", "not-restorable", "skipped"]'
    )
