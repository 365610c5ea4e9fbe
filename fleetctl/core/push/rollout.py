"""Rollout arithmetic for push (pure): canary, batches, and the abort threshold."""

from __future__ import annotations

import math
import re

from fleetctl.core.errors import UsageError


def batch_size(spec: str | None, total: int) -> int:
    """`--batch 20` (cameras) or `--batch 10%` (of the cameras after the canary); at least 1."""
    if total <= 0:
        return 1
    if spec is None:
        return total
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", spec)
    if not m or float(m.group(1)) <= 0 or (not m.group(2) and "." in m.group(1)):
        raise UsageError(f"--batch wants a count (20) or a percentage (10%), not {spec!r}")
    if m.group(2):
        return max(1, math.ceil(total * float(m.group(1)) / 100))
    return int(m.group(1))


def batches(total: int, *, canary: int, size: int) -> list[range]:
    """Index ranges: the canary batch first (if any), then batches of ``size``."""
    out: list[range] = []
    start = 0
    if canary > 0 and total > 0:
        out.append(range(0, min(canary, total)))
        start = min(canary, total)
    while start < total:
        out.append(range(start, min(start + size, total)))
        start += size
    return out


def exceeds(failures: int, batch: int, max_fail_pct: float) -> bool:
    """True when a batch's failure share is strictly above the threshold.

    Integer arithmetic (failures * 100 > pct * batch) so 1 failure in 10 at --max-fail 10 is *not*
    an abort, and 2 in 10 is, with no floating-point edge in between.
    """
    if batch <= 0:
        return False
    return failures * 100 > max_fail_pct * batch
