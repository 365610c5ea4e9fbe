"""Verdict rules: what the probes measured + a Policy -> status, problems and results. Pure.

Every function here is a pure function of its arguments (no clock, no I/O: ``now`` is passed in),
so the rules are tested table-driven (tests/unit/test_verdicts.py). Messages are in words an operator
understands and say what is wrong, never how our code failed; they never carry a secret.

The engine calls, per camera: ``reach_problems`` (if unreachable, nothing else is judged: one
problem, not five), ``onvif_problems``, ``judge_stream`` per stream, ``judge_storage``,
``security_problems``; then ``camera_status`` over everything found.
"""

from __future__ import annotations

import re

from fleetctl.base.i18n import M_, Duration
from fleetctl.core.models import Policy, Problem, ProblemKind, Status
from fleetctl.core.probes import Failure, OnvifProbe, ReachProbe
from fleetctl.core.verdicts.media import (
    judge_storage,
    judge_stream,
    only_rate_problems,
    recording_evidence,
    security_problems,
    storage_notes,
    unreadable_storage_problems,
)
from fleetctl.core.verdicts.text import Problems, camera_status, fmt_duration, sort_problems

__all__ = [
    "camera_status",
    "clock_problems",
    "fmt_duration",
    "judge_storage",
    "judge_stream",
    "only_rate_problems",
    "onvif_problems",
    "problem_class",
    "reach_problems",
    "recording_evidence",
    "security_problems",
    "sort_problems",
    "storage_notes",
    "typical_answer_ms",
    "unreadable_storage_problems",
]


# --------------------------------------------------------------------------- reach


def reach_problems(reach: ReachProbe, service: str = "ONVIF") -> Problems:
    """A TCP connect that failed means the camera is offline (kind ``offline``, crit)."""
    if reach.ok:
        return []
    port = str(reach.port)  # a port is a name, not a quantity: never "8.000"
    if reach.failure is Failure.REFUSED:
        msg = M_(
            "offline: connection refused on port %(port)s (%(service)s)", port=port, service=service
        )
    elif reach.failure is Failure.UNREACHABLE:
        msg = M_("offline: no route to the camera")
    elif reach.failure is Failure.TIMEOUT:
        msg = M_("offline: no answer on port %(port)s (%(service)s)", port=port, service=service)
    elif reach.error:
        msg = M_("offline: %(error)s", error=reach.error)
    else:
        msg = M_("offline: cannot connect to port %(port)s", port=port)
    return [Problem.of(ProblemKind.OFFLINE, Status.CRIT, msg)]


# --------------------------------------------------------------------------- onvif

# Failures that, when nothing ONVIF-shaped ever answered and no connection was accepted just
# before, mean the device is not there for us. A camera that accepts TCP and then stays silent
# (a hung web server) is not offline: its video may be fine (``reached``).
_SILENT = (Failure.TIMEOUT, Failure.REFUSED, Failure.UNREACHABLE)


def onvif_problems(
    probe: OnvifProbe,
    policy: Policy,
    *,
    trickling: bool = False,
    reached: bool = False,
    silent_s: float | None = None,
) -> Problems:
    """ONVIF answer -> offline/auth/onvif problems, plus clock and slowness when measured.

    ``trickling``: after a timeout, the web server was seen sending bytes at once but never a
    whole reply in time (a drip-feeding firmware): alive, and broken.

    ``reached``: the camera's port accepted a connection just before. Then a web service that
    stays silent (``silent_s``: for how long) is an ``onvif`` problem, never ``offline``: the
    device is there, its web server is not answering, and its video may well be fine.

    Optional calls the camera left out (``probe.unsupported``) are a warning that names them,
    never more: the check went on without them.
    """
    out: Problems = []
    typical_ms = typical_answer_ms(probe)
    slow = typical_ms is not None and typical_ms > policy.slow_s * 1000
    if not probe.ok:
        f = probe.failure
        if f is Failure.AUTH:
            out.append(
                Problem.of(
                    ProblemKind.AUTH, Status.CRIT, M_("the camera rejects the fleet's credentials")
                )
            )
        elif f is Failure.TIMEOUT and trickling:
            out.append(
                Problem.of(
                    ProblemKind.ONVIF,
                    Status.CRIT,
                    M_("ONVIF replies trickle in and never complete in time"),
                )
            )
        elif reached and not probe.answered and f is Failure.TIMEOUT:
            out.append(
                Problem.of(
                    ProblemKind.ONVIF,
                    Status.CRIT,
                    M_("web service does not answer within %(seconds)g s", seconds=silent_s)
                    if silent_s
                    else M_("web service does not answer"),
                )
            )
        elif not probe.answered and (f in _SILENT or f is None):
            out.append(
                Problem.of(ProblemKind.OFFLINE, Status.CRIT, M_("offline: ONVIF does not answer"))
            )
        elif f is Failure.TIMEOUT and slow and typical_ms is not None:
            # Every answer came, just slowly, and the conversation ran out of time: slow, not
            # broken. What could not be read stays unknown.
            out.append(
                Problem.of(
                    ProblemKind.ONVIF,
                    Status.WARN,
                    M_(
                        "slow: ONVIF answers take %(seconds).1f s; check incomplete",
                        seconds=typical_ms / 1000,
                    ),
                )
            )
        elif f is Failure.TIMEOUT:
            # Something answered, but the reply never completed: a drip-feeding or wedged server.
            out.append(
                Problem.of(
                    ProblemKind.ONVIF, Status.CRIT, M_("ONVIF reply did not complete in time")
                )
            )
        elif f is Failure.MALFORMED:
            out.append(
                Problem.of(
                    ProblemKind.ONVIF,
                    Status.CRIT,
                    M_("ONVIF reply is unreadable (malformed or unsafe XML)"),
                )
            )
        elif f is Failure.OVERSIZED:
            out.append(
                Problem.of(ProblemKind.ONVIF, Status.CRIT, M_("ONVIF reply is far too large"))
            )
        elif f is Failure.UNSUPPORTED:
            out.append(
                Problem.of(
                    ProblemKind.ONVIF, Status.CRIT, M_("ONVIF service missing on this camera")
                )
            )
        else:
            out.append(
                Problem.of(
                    ProblemKind.ONVIF,
                    Status.CRIT,
                    M_("ONVIF calls fail (the camera returns errors)"),
                )
            )
    out.extend(clock_problems(probe.clock_offset_s, policy))
    if (
        slow
        and typical_ms is not None
        and not any(p.kind in (ProblemKind.ONVIF, ProblemKind.OFFLINE) for p in out)
    ):
        out.append(
            Problem.of(
                ProblemKind.ONVIF,
                Status.WARN,
                M_("slow: ONVIF answers take %(seconds).1f s", seconds=typical_ms / 1000),
            )
        )
    if probe.ok and probe.unsupported:
        out.append(
            Problem.of(
                ProblemKind.ONVIF,
                Status.WARN,
                M_("ONVIF calls not supported: %(calls)s", calls=", ".join(probe.unsupported)),
            )
        )
    return out


def typical_answer_ms(probe: OnvifProbe) -> float | None:
    """The median ONVIF answer time (the pre-auth latency when no call completed).

    A slow camera is slow on every answer; one late answer among quick ones is a hiccup (or our
    own loaded host), not a camera to flag.
    """
    times = sorted(ms for _, ms in probe.calls)
    if times:
        mid = len(times) // 2
        return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    return probe.latency_ms


def clock_problems(offset_s: float | None, policy: Policy) -> Problems:
    """|offset| >= clock_crit_s: crit; >= clock_warn_s: warn. Unknown offset: no verdict."""
    if offset_s is None:
        return []
    size = abs(offset_s)
    if size >= policy.clock_crit_s:
        sev = Status.CRIT
    elif size >= policy.clock_warn_s:
        sev = Status.WARN
    else:
        return []
    offset = Duration(abs(offset_s))
    if offset_s > 0:
        msg = M_("clock %(offset)s ahead", offset=offset)
    else:
        msg = M_("clock %(offset)s behind", offset=offset)
    return [Problem.of(ProblemKind.CLOCK, sev, msg)]


# --------------------------------------------------------------------------- helpers

_VARIABLE = re.compile(r"(?<![A-Za-z])\d[\d.,:]*(?:\s?(?:ms|s|h|m|d|fps|kbit/s|%))?(?:\d+[hms])*")


def problem_class(problem: Problem) -> str:
    """A stable key for "the same problem" across runs: kind + message with measurements blanked.

    "no video: 0 RTP packets in 1.0 s" and "... in 2.0 s" are one episode; "clock 3h12m ahead"
    and "clock 3h15m ahead" too; "ahead" and "behind" are not.
    """
    return f"{problem.kind.value}:{_VARIABLE.sub('#', problem.message)}"
