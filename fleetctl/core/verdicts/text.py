"""Shared words and arithmetic of the verdict rules (``core.verdicts.rules``). Pure."""

from __future__ import annotations

from collections.abc import Iterable

from fleetctl.core.models import Problem, ProblemKind, Status

Problems = list[Problem]


def fmt_duration(seconds: float) -> str:
    """3 -> "3s", 150 -> "2m30s", 11520 -> "3h12m", 200000 -> "2d7h" (sign dropped)."""
    s = round(abs(seconds))
    if s < 90:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"


def secs(window_s: float) -> str:
    """A measuring window in words: "1.0 s"."""
    return f"{window_s:.1f} s"


def camera_status(problems: Iterable[Problem]) -> Status:
    """The worst severity among the problems; ok when there are none."""
    return Status.worst([p.severity for p in problems])


def sort_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Worst first, in the order found otherwise (probe order): the first one is "the reason"."""
    return tuple(sorted(problems, key=lambda p: -p.severity.rank))


def dedupe(problems: Problems) -> Problems:
    """The same (kind, message) said once, first occurrence kept."""
    seen: set[tuple[ProblemKind, str]] = set()
    out: Problems = []
    for p in problems:
        if (p.kind, p.message) not in seen:
            seen.add((p.kind, p.message))
            out.append(p)
    return out
