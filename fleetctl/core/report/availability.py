"""Time-weighted availability from status runs: pure arithmetic, table-tested.

A check's status holds until the next check, but for at most ``hold_s``: past that, nobody
looked, and the time is *unchecked* (never counted as up). Time before a camera's first check
ever is not the camera's: a camera added mid-window is judged on the part it was there for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo

from fleetctl.core.models import Status
from fleetctl.core.report.model import Bucket, CameraHistory, Outage, Run, Seconds

# The state a status stands for over time.
_STATE = {Status.OK: "up", Status.WARN: "up", Status.CRIT: "down", Status.UNKNOWN: "unknown"}

Segment = tuple[datetime, datetime, str]  # start, end, up|down|unknown|unchecked


def runs_from_samples(samples: Iterable[tuple[datetime, Status]], hold_s: float) -> list[Run]:
    """Checks (oldest first) -> runs: a new run at each status change or gap over ``hold_s``.

    The engine does the same in SQL; this is the reference the tests and the baseline use.
    """
    out: list[Run] = []
    hold = timedelta(seconds=hold_s)
    for at, status in samples:
        if out and out[-1].status == status and at - out[-1].last <= hold:
            out[-1] = Run(out[-1].first, at, status)
        else:
            out.append(Run(at, at, status))
    return out


def segments(cam: CameraHistory, start: datetime, end: datetime, hold_s: float) -> list[Segment]:
    """The camera's states over [start, end), in order, covering its tracked part exactly."""
    if cam.first_seen is None or cam.first_seen >= end:
        return []
    begin = max(start, cam.first_seen)
    hold = timedelta(seconds=hold_s)
    out: list[Segment] = []
    cursor = begin
    runs = cam.runs
    for i, run in enumerate(runs):
        until = run.last + hold
        if i + 1 < len(runs):
            until = min(until, runs[i + 1].first)
        seg_start, seg_end = max(run.first, cursor), min(until, end)
        if seg_end <= seg_start:
            continue
        if seg_start > cursor:
            out.append((cursor, seg_start, "unchecked"))
        out.append((seg_start, seg_end, _STATE[run.status]))
        cursor = seg_end
        if cursor >= end:
            break
    if cursor < end:
        out.append((cursor, end, "unchecked"))
    return out


def tally(
    segs: Iterable[Segment], start: datetime | None = None, end: datetime | None = None
) -> Seconds:
    """Seconds per state, optionally clipped to [start, end)."""
    acc = {"up": 0.0, "down": 0.0, "unknown": 0.0, "unchecked": 0.0}
    for a, b, state in segs:
        if start is not None:
            a = max(a, start)
        if end is not None:
            b = min(b, end)
        if b > a:
            acc[state] += (b - a).total_seconds()
    return Seconds(acc["up"], acc["down"], acc["unknown"], acc["unchecked"])


def outages(cam: CameraHistory, segs: Sequence[Segment], end: datetime) -> list[Outage]:
    """Maximal stretches of ``down`` (adjacent down segments merge; a gap ends an outage)."""
    out: list[Outage] = []
    for a, b, state in segs:
        if state != "down":
            continue
        if out and out[-1].end == a:
            out[-1] = Outage(cam.name, cam.site, out[-1].start, b, b >= end)
        else:
            out.append(Outage(cam.name, cam.site, a, b, b >= end))
    return out


def bucket_edges(start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Trend steps: local days for windows over two days, else hours; clipped to the window."""
    if end <= start:
        return [start, end]
    local = start.astimezone(tz)
    if end - start > timedelta(days=2):
        edge = local.replace(hour=0, minute=0, second=0, microsecond=0)
        step = timedelta(days=1)
    else:
        edge = local.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=1)
    edges = [start]
    while True:
        # Step in local wall time, then back to an aware instant: days stay local midnights.
        edge = (edge.replace(tzinfo=None) + step).replace(tzinfo=tz)
        if edge >= end:
            break
        if edge > start:
            edges.append(edge)
    edges.append(end)
    return edges


def trend(all_segments: Sequence[Sequence[Segment]], edges: Sequence[datetime]) -> list[Bucket]:
    """Fleet seconds per trend step (``edges`` from ``bucket_edges``)."""
    buckets = [[0.0, 0.0, 0.0, 0.0] for _ in range(len(edges) - 1)]
    index = {"up": 0, "down": 1, "unknown": 2, "unchecked": 3}
    for segs in all_segments:
        i = 0
        for a, b, state in segs:
            while i + 1 < len(edges) and edges[i + 1] <= a:
                i += 1
            j = i
            while j + 1 < len(edges) and edges[j] < b:
                lo, hi = max(a, edges[j]), min(b, edges[j + 1])
                if hi > lo:
                    buckets[j][index[state]] += (hi - lo).total_seconds()
                j += 1
    return [Bucket(edges[k], edges[k + 1], Seconds(*values)) for k, values in enumerate(buckets)]
