"""Shared words and arithmetic of the verdict rules (``core.verdicts.rules``). Pure."""

from __future__ import annotations

from collections.abc import Iterable

from fleetctl.base.i18n import compact_duration
from fleetctl.core.models import Problem, ProblemKind, Status

Problems = list[Problem]


def fmt_duration(seconds: float) -> str:
    """3 -> "3s", 150 -> "2m30s", 11520 -> "3h12m", 200000 -> "2d7h" (sign dropped).

    English only (the JSON text); a message keeps the seconds as ``Duration`` so that each
    language formats them its own way.
    """
    return compact_duration(seconds)


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
