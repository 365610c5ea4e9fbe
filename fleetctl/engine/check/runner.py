"""The health-check runner: many cameras at once, each under its own deadline, never raising.

``check_cameras`` fans out over the fleet with a bounded number of cameras in flight
(``CheckOptions.concurrency``) and a bounded number of connections per host
(``CheckOptions.per_host``). The run owns its camera HTTP connections: one pool per run (and
so per event loop, per forked worker), closed when the run ends; ``check_camera`` takes the
caller's pool, or opens one for that camera. Per camera, probes run cheapest first: a TCP connect (if the camera
is unreachable nothing else is tried: one problem, not five), then ONVIF, then the stream,
storage and security probes side by side. Each probe has its own deadline carved from the
camera's budget, and the whole camera runs under ``CheckOptions.timeout_s``: a camera that hangs
costs its own deadline, not the run's.

Outcomes are values: any failure, including a bug in a probe, becomes a problem in the camera's
``CameraReport`` (status ``unknown`` for our own errors, with the traceback logged at debug).
The verdicts themselves are pure functions in ``fleetctl.core.verdicts.rules``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fleetctl import __version__
from fleetctl.adapters.http.pool import borrowed, camera_pool
from fleetctl.base.i18n import M_
from fleetctl.core.models import (
    Camera,
    CameraReport,
    CheckStep,
    FleetReport,
    Problem,
    ProblemKind,
    Status,
)
from fleetctl.core.verdicts import rules as verdicts
from fleetctl.engine.check.admission import Admission, start_order
from fleetctl.engine.check.camera_run import STAGE_KIND, CameraRun, HostLimits
from fleetctl.engine.check.options import ALL_PROBES, CheckOptions
from fleetctl.engine.check.probing import run_probes

if TYPE_CHECKING:
    from fleetctl.adapters.http.pool import HttpPool
    from fleetctl.engine.history import HistoryStore
    from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)

DEFAULT_OPTIONS = CheckOptions()


# The probe in progress when the camera's deadline hits decides what the problem is about.
async def check_camera(
    camera: Camera,
    workspace: Workspace,
    options: CheckOptions = DEFAULT_OPTIONS,
    pool: HttpPool | None = None,
) -> CameraReport:
    """Check one camera. Never raises (except CancelledError): every outcome is in the report.

    ``pool``: the caller's camera HTTP connections (``adapters.http.pool``; ``open_pool()``),
    which the caller closes; without one the check opens its own and closes it."""
    async with borrowed(pool) as http:
        return await _check_camera(camera, workspace, options, HostLimits(options.per_host), http)


async def _check_camera(
    camera: Camera,
    workspace: Workspace,
    options: CheckOptions,
    hosts: HostLimits,
    pool: HttpPool,
    admission: Admission | None = None,
) -> CameraReport:
    run = CameraRun(
        camera=camera,
        workspace=workspace,
        options=options,
        hosts=hosts,
        pool=pool,
        admission=admission,
    )
    t0 = time.monotonic()
    try:
        async with asyncio.timeout(options.timeout_s) as deadline:
            run.deadline = deadline
            await run_probes(run)
    except TimeoutError:
        _deadline_problem(run, options.timeout_s)
    except Exception as err:  # a bug in a probe or a verdict: one camera's problem, not the run's
        log.debug("check of %s failed", camera.name, exc_info=True)
        run.internal_error(run.stage, err)
    finally:
        await run.release()
    waited = sum(w for _, w in run.waits)
    return replace(
        run.report(datetime.now(UTC)), duration_s=round(time.monotonic() - t0 - waited, 3)
    )


def _deadline_problem(run: CameraRun, timeout_s: float) -> None:
    stage = run.stage
    if stage == "stream" and any(step.name == "stream" for step in run.steps):
        # The stream was measured and judged: what ran out of time came after it (the picture
        # decode, or the security logins beside storage), not the video.
        stage = "picture" if any(step.name == "picture" for step in run.steps) else "security"
    kind = STAGE_KIND.get(stage, ProblemKind.ONVIF)
    if stage in ("reach", "onvif") and not run.answered and not run.reached:
        kind = ProblemKind.OFFLINE
    # Past the deadline we know the camera is unwell only where it stalled the conversation;
    # a stuck storage or security read does not make the video unavailable.
    sev = Status.UNKNOWN if stage in ("storage", "security", "picture") else Status.CRIT
    # A stuck storage or security read says little when the camera already has problems.
    minor = sev is Status.UNKNOWN and bool(run.problems)
    if not minor and not any(p.kind is kind for p in run.problems):
        run.problems.append(
            Problem.of(
                kind,
                sev,
                M_(
                    "no answer within %(timeout)g s (%(stage)s did not finish)",
                    timeout=timeout_s,
                    stage=stage,
                ),
            )
        )
    run.steps.append(
        CheckStep.of(
            stage,
            sev,
            run.stage_elapsed_ms(),
            M_("deadline of %(timeout)g s reached", timeout=timeout_s),
        )
    )


async def check_cameras(
    cameras: Sequence[Camera],
    workspace: Workspace,
    options: CheckOptions = DEFAULT_OPTIONS,
    on_result: Callable[[CameraReport], None] | None = None,
    history: HistoryStore | None = None,
    pool: HttpPool | None = None,
) -> FleetReport:
    """Check every camera, at most ``options.concurrency`` at once; reports in input order.

    The run's camera HTTP connections are ``pool`` when the caller passes one (and closes it),
    else a pool the run opens on this loop and closes before returning.

    Fewer are in flight while this process cannot keep up (``engine.check.admission``): deadlines
    must measure the cameras, not our own event loop.

    ``on_result`` is called (in the event loop) as each camera finishes, with the report already
    annotated from ``history`` ("since"); an exception in it is logged, never stops the run.
    With ``history``, the fleet report is recorded in one transaction at the end, and the
    cameras that were slow last time start first (``admission.schedule``); without it, cameras
    start in the order given.
    """
    started = datetime.now(UTC)
    t0 = time.monotonic()
    hosts = HostLimits(options.per_host)
    reports: list[CameraReport | None] = [None] * len(cameras)
    order = list(enumerate(cameras))
    if history is not None:
        try:
            expected = history.last_durations()
        except Exception:
            log.warning("history: could not read the last durations", exc_info=True)
        else:
            order = [order[i] for i in start_order([c.name for c in cameras], expected)]
    queue = iter(order)
    admission = Admission(options.concurrency)
    own_pool = pool is None
    http = pool if pool is not None else open_pool()  # this run's, on this loop

    async def worker() -> None:
        # A fixed pool pulling from one iterator: 10,000 cameras never mean 10,000 pending tasks.
        for i, camera in queue:
            report = await _check_camera(camera, workspace, options, hosts, http, admission)
            if history is not None:
                try:
                    report = history.annotate(report)
                except Exception:
                    log.warning("history: could not annotate %s", camera.name, exc_info=True)
            reports[i] = report
            if on_result is not None:
                try:
                    on_result(report)
                except Exception:
                    log.exception("on_result callback failed for %s", camera.name)

    n_workers = max(1, min(options.concurrency, len(cameras)))
    sampler = asyncio.create_task(admission.follow_loop())
    try:
        await asyncio.gather(*(worker() for _ in range(n_workers)))
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        if own_pool:
            await http.close()
    log.debug(
        "check: %d cameras, at most %d in flight (ceiling %d)",
        len(cameras),
        admission.peak,
        options.concurrency,
    )
    fleet = FleetReport(
        version=__version__,
        started=started,
        duration_s=round(time.monotonic() - t0, 3),
        cameras=tuple(r for r in reports if r is not None),
    )
    if history is not None:
        try:
            history.record(fleet)
        except Exception as err:
            log.error("history: this run was not saved: %s", err)
    return fleet


def open_pool() -> HttpPool:
    """New camera HTTP connections for checks on the running loop (``check_camera``'s ``pool``,
    shared by the cameras of a long-running caller such as serve); the caller closes it."""
    return camera_pool()


__all__ = [
    "ALL_PROBES",
    "CheckOptions",
    "check_camera",
    "check_cameras",
    "open_pool",
    "verdicts",
]
