"""Flap damping for continuous monitoring (pure).

A camera on a flaky link drops one check in twenty; paging someone for each drop teaches the
control room to ignore the pager. So a crit must persist for ``n`` consecutive checks before it
is *reported* crit; until then it is reported as warn ("pending"). Leaving crit is reported once,
as a recovery. With ``n == 1`` damping is off: every status is reported as measured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from fleetctl.base.i18n import M_
from fleetctl.core.models import CameraReport, Status


class Transition(StrEnum):
    FIRING = "firing"  # reported status became crit
    RECOVERED = "recovered"  # reported status left crit


@dataclass(frozen=True)
class DampState:
    crit_streak: int = 0  # consecutive checks whose measured status was crit
    reported: Status | None = None  # what we reported last (None: never checked)


def damp(prev: DampState, measured: Status, n: int) -> tuple[DampState, Status, Transition | None]:
    """Next state, the status to report, and the transition to notify (at most one, once)."""
    streak = prev.crit_streak + 1 if measured is Status.CRIT else 0
    # Pending: a crit not yet persistent enough to page anyone is shown as warn.
    reported = Status.WARN if measured is Status.CRIT and streak < max(1, n) else measured
    transition: Transition | None = None
    if reported is Status.CRIT and prev.reported is not Status.CRIT:
        transition = Transition.FIRING
    elif prev.reported is Status.CRIT and reported is not Status.CRIT:
        transition = Transition.RECOVERED
    return DampState(streak, reported), reported, transition


def damp_report(
    prev: DampState, report: CameraReport, n: int
) -> tuple[DampState, CameraReport, Transition | None]:
    """Apply ``damp`` to a camera report: pending crit problems are shown as warn, saying so."""
    state, reported, transition = damp(prev, report.status, n)
    if reported is report.status:
        return state, report, transition
    pending = M_(" (pending %(streak)d/%(n)d checks)", streak=state.crit_streak, n=n)
    problems = tuple(
        replace(p.appended(pending), severity=Status.WARN) if p.severity is Status.CRIT else p
        for p in report.problems
    )
    return state, replace(report, status=reported, problems=problems), transition
