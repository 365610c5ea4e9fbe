"""Flap damping: table-driven, pure."""

from __future__ import annotations

import pytest

from fleetctl.core.damping import DampState, Transition, damp, damp_report
from fleetctl.core.models import CameraReport, Problem, ProblemKind, Status

OK, WARN, CRIT = Status.OK, Status.WARN, Status.CRIT


@pytest.mark.parametrize(
    ("n", "measured", "reported", "transitions"),
    [
        # damping off: every crit fires at once, every recovery once
        (
            1,
            [OK, CRIT, CRIT, OK, OK],
            [OK, CRIT, CRIT, OK, OK],
            [None, "firing", None, "recovered", None],
        ),
        # n=3: a single drop never pages
        (3, [OK, CRIT, OK, CRIT, CRIT, OK], [OK, WARN, OK, WARN, WARN, OK], [None] * 6),
        # n=3: persistent crit fires on the third check, recovery reported once
        (
            3,
            [CRIT, CRIT, CRIT, CRIT, OK, OK],
            [WARN, WARN, CRIT, CRIT, OK, OK],
            [None, None, "firing", None, "recovered", None],
        ),
        # a warn in the middle resets the streak
        (
            2,
            [CRIT, WARN, CRIT, CRIT, WARN],
            [WARN, WARN, WARN, CRIT, WARN],
            [None, None, None, "firing", "recovered"],
        ),
        # unknown is not crit: reported as measured, never fires
        (2, [Status.UNKNOWN, Status.UNKNOWN], [Status.UNKNOWN, Status.UNKNOWN], [None, None]),
    ],
    ids=[
        "damping-off",
        "single-drop-never-pages",
        "persistent-crit-fires-third",
        "warn-resets-streak",
        "unknown-never-fires",
    ],
)
def test_damp_sequences(
    n: int, measured: list[Status], reported: list[Status], transitions: list[str | None]
) -> None:
    state = DampState()
    got_reported, got_transitions = [], []
    for m in measured:
        state, r, t = damp(state, m, n)
        got_reported.append(r)
        got_transitions.append(t.value if isinstance(t, Transition) else None)
    assert got_reported == reported
    assert got_transitions == transitions


def test_damp_report_marks_pending_problems() -> None:
    report = CameraReport(
        name="cam",
        site="s",
        host="127.253.0.1",
        status=CRIT,
        problems=(
            Problem(ProblemKind.OFFLINE, CRIT, "no answer"),
            Problem(ProblemKind.CLOCK, WARN, "clock 40 s ahead"),
        ),
    )
    state, shown, transition = damp_report(DampState(), report, 3)
    assert shown.status is WARN and transition is None
    assert shown.problems[0].severity is WARN and "pending 1/3" in shown.problems[0].message
    assert shown.problems[1] == report.problems[1]
    for _ in range(2):
        state, shown, transition = damp_report(state, report, 3)
    assert shown == report and transition is Transition.FIRING


def test_shards_partition_the_fleet() -> None:
    from fleetctl.engine.serve.monitor import in_shard

    names = [f"cam-{i:04}" for i in range(1000)]
    for n in (1, 2, 3):
        owners = [[k for k in range(1, n + 1) if in_shard(name, k, n)] for name in names]
        assert all(len(o) == 1 for o in owners)  # every camera in exactly one shard
        sizes = [sum(o == [k] for o in owners) for k in range(1, n + 1)]
        assert min(sizes) > 1000 / n * 0.8  # and the shards are balanced
