"""Picture verdicts: is the picture of a healthy stream usable? Pure.

From one decoded keyframe, shrunk to a small grey picture (``PictureProbe``): a covered lens or a
dead IR at night reads black; a blank or "no signal" screen, one flat colour; fog, a smeared or
defocused lens, little detail; a camera stuck on one picture (a frozen encoder behind a live
stream, a still image injected), the same picture for days. ``fingerprint`` is a coarse
summary kept in the history between checks; ``picture_problems`` judges all four.

Thresholds are on the 0-255 luma of the small picture (video levels: black is ~16). A real scene
has dark corners and bright windows; these fire only when nearly all of the picture agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from fleetctl.base.i18n import M_, Duration
from fleetctl.core.models import Policy, Problem, ProblemKind, Status
from fleetctl.core.probes import PictureProbe
from fleetctl.core.verdicts.text import Problems

DARK_LEVEL = 20  # full-range luma below this is black (a night scene with working IR is not)
BLACK_SHARE = 0.95  # of the picture dark: black (the camera's clock may still show)
FLAT_SPREAD = 10  # the 5th to 95th percentile of luma within this: one flat colour
# Blur: the strongest edges are soft. The 99th percentile of the luma step between neighbouring
# pixels: a sharp scene has edges (poles, windows, text) of tens of levels at this size; fog or a
# lost focus spreads every edge over many pixels. (The mean step says more about texture than
# about focus: a flat wall in focus would read as blurred.)
SOFT_EDGES = 12
GRID = (16, 9)  # the fingerprint's blocks (16:9 pictures: square blocks)
SAME_TOLERANCE = 4  # blocks whose level may differ by more than one step: the clock, noise


@dataclass(frozen=True)
class PictureStats:
    mean: float
    dark_share: float
    spread: int  # 95th minus 5th percentile of luma
    edges: int  # 99th percentile of the absolute step between neighbouring pixels
    fingerprint: str  # GRID block means, one hex digit each (16 levels)


def picture_stats(probe: PictureProbe) -> PictureStats | None:
    """The numbers the verdicts read; None when there is no picture."""
    w, h, luma = probe.width, probe.height, probe.luma
    n = w * h
    if probe.failure is not None or n == 0 or len(luma) < n:
        return None
    histogram = [0] * 256
    for v in luma[:n]:
        histogram[v] += 1
    dark = sum(histogram[:DARK_LEVEL])
    steps = [0] * 256
    for y in range(h):
        row = luma[y * w : (y + 1) * w]
        for a, b in pairwise(row):
            steps[abs(a - b)] += 1
        if y:
            above = luma[(y - 1) * w : y * w]
            for a, b in zip(row, above, strict=True):
                steps[abs(a - b)] += 1
    pairs = h * (w - 1) + (h - 1) * w
    return PictureStats(
        mean=sum(i * c for i, c in enumerate(histogram)) / n,
        dark_share=dark / n,
        spread=_percentile(histogram, n, 0.95) - _percentile(histogram, n, 0.05),
        edges=_percentile(steps, pairs, 0.99) if pairs else 0,
        fingerprint=_fingerprint(luma, w, h),
    )


def same_picture(a: str, b: str) -> bool:
    """Two fingerprints of one unchanged picture (a ticking clock and noise allowed)."""
    if len(a) != len(b) or not a:
        return False
    try:
        off = sum(abs(int(x, 16) - int(y, 16)) > 1 for x, y in zip(a, b, strict=True))
    except ValueError:
        return False
    return off <= SAME_TOLERANCE


def picture_problems(
    stats: PictureStats,
    policy: Policy,
    *,
    same_since: datetime | None = None,
    now: datetime | None = None,
) -> Problems:
    """``picture`` problems of one picture. ``same_since``: when the history first saw this
    same picture (``same_picture``), if it did; ``now``: this check's time."""
    if stats.dark_share >= BLACK_SHARE:
        return [
            Problem.of(
                ProblemKind.PICTURE,
                Status.CRIT,
                M_("picture is black (lens covered, or no light: infrared at night?)"),
            )
        ]
    if stats.spread <= FLAT_SPREAD:
        return [
            Problem.of(
                ProblemKind.PICTURE,
                Status.CRIT,
                M_("picture is one flat colour (a blank or no-signal screen)"),
            )
        ]
    out: Problems = []
    if stats.edges < SOFT_EDGES:
        out.append(
            Problem.of(
                ProblemKind.PICTURE,
                Status.WARN,
                M_("picture has little detail (blurred, fogged or out of focus)"),
            )
        )
    if same_since is not None and now is not None:
        age = (now - same_since).total_seconds()
        if age >= policy.picture_unchanged_s:
            out.append(
                Problem.of(
                    ProblemKind.PICTURE,
                    Status.WARN,
                    M_("picture unchanged for %(age)s", age=Duration(age)),
                )
            )
    return out


def _percentile(histogram: list[int], n: int, q: float) -> int:
    target, seen = q * (n - 1), 0
    for value, count in enumerate(histogram):
        seen += count
        if seen > target:
            return value
    return 255


def _fingerprint(luma: bytes, w: int, h: int) -> str:
    gx, gy = GRID
    out = []
    for by in range(gy):
        y0, y1 = by * h // gy, max(by * h // gy + 1, (by + 1) * h // gy)
        for bx in range(gx):
            x0, x1 = bx * w // gx, max(bx * w // gx + 1, (bx + 1) * w // gx)
            total = sum(sum(luma[y * w + x0 : y * w + x1]) for y in range(y0, y1))
            out.append("0123456789abcdef"[total // ((y1 - y0) * (x1 - x0)) // 16])
    return "".join(out)
