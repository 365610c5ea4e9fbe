"""Which probe a camera's deadline is blamed on: only the one that really stalled."""

from __future__ import annotations

from typing import Any

import pytest

from fleetctl.core.models import Camera, CheckStep, ProblemKind, Status
from fleetctl.engine.check.camera_run import CameraRun, HostLimits
from fleetctl.engine.check.runner import CheckOptions, _deadline_problem


def run_at(stage: str, steps: tuple[str, ...], reached: bool = True) -> CameraRun:
    ws: Any = None  # the deadline's verdict reads neither the workspace nor the pool
    run = CameraRun(Camera("c", "127.253.0.1", "s"), ws, CheckOptions(), HostLimits(2), ws)
    run.stage, run.reached = stage, reached
    run.steps = [CheckStep(name, Status.OK, 1.0) for name in steps]
    return run


@pytest.mark.parametrize(
    ("stage", "steps", "reached", "expected"),
    [
        # the video never came: the stream stalled
        ("stream", ("reach", "onvif"), True, (ProblemKind.STREAM, Status.CRIT)),
        # the stream was measured; the logins after it ran out of time: not the video's fault
        ("stream", ("reach", "onvif", "stream"), True, (ProblemKind.SECURITY, Status.UNKNOWN)),
        ("picture", ("reach", "onvif", "stream"), True, (ProblemKind.PICTURE, Status.UNKNOWN)),
        # a silent web service behind an open port is onvif, not offline
        ("onvif", ("reach",), True, (ProblemKind.ONVIF, Status.CRIT)),
        ("onvif", (), False, (ProblemKind.OFFLINE, Status.CRIT)),
    ],
)
def test_the_deadline_is_blamed_on_what_stalled(
    stage: str, steps: tuple[str, ...], reached: bool, expected: tuple[ProblemKind, Status]
) -> None:
    run = run_at(stage, steps, reached)
    _deadline_problem(run, 10.0)
    assert [(p.kind, p.severity) for p in run.problems] == [expected]
