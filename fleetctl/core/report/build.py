"""A window of history -> the ``Report``: per site and for the fleet.

Statuses are those of each camera's newest check inside the window (``not_checked`` when it
had none), so the counts at the end of a window that ends at a check equal that check's summary.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from fleetctl.core.report.availability import bucket_edges, outages, segments, tally, trend
from fleetctl.core.report.model import (
    CameraHistory,
    DriftBin,
    Episode,
    FirmwareRow,
    Outage,
    Report,
    Scope,
    Seconds,
)

STATUS_KEYS = ("ok", "warn", "crit", "unknown", "not_checked")
# |clock offset| bins; the edges match the default clock policy (warn 30 s, crit 300 s).
DRIFT_BINS = (("lt_1s", 0.0, 1.0), ("1_5s", 1.0, 5.0), ("5_30s", 5.0, 30.0),
              ("30_300s", 30.0, 300.0), ("ge_300s", 300.0, None))  # fmt: skip
STORAGE_FAILED = frozenset({"failed", "unformatted", "missing"})
OUTAGES_SHOWN = 10


def build_report(
    cameras: Sequence[CameraHistory],
    episodes: Sequence[Episode],
    start: datetime,
    end: datetime,
    *,
    hold_s: float,
    generated: datetime,
    tz: tzinfo,
    locations: Mapping[str, str | None] | None = None,
) -> Report:
    """Everything the report shows. ``locations``: site name -> its ``location`` (or None)."""
    locations = locations or {}
    site_of = {c.name: c.site for c in cameras}
    by_site: dict[str, list[CameraHistory]] = {}
    for cam in cameras:
        by_site.setdefault(cam.site, []).append(cam)
    segs = {c.name: segments(c, start, end, hold_s) for c in cameras}
    eps = [e for e in episodes if e.camera in site_of]
    scopes = [
        _scope(site, locations.get(site), members, segs, eps, start, end)
        for site, members in sorted(by_site.items())
    ]
    fleet = _scope(None, None, list(cameras), segs, eps, start, end)
    all_outages: list[Outage] = []
    for cam in cameras:
        all_outages.extend(outages(cam, segs[cam.name], end))
    all_outages.sort(key=lambda o: (-o.duration_s, o.camera))
    open_eps = sorted(
        (e for e in eps if _open_at(e, end)), key=lambda e: (e.first_seen, e.camera, e.kind)
    )
    resolved = sorted(
        (e for e in eps if e.resolved is not None and start <= e.resolved < end),
        key=lambda e: (e.resolved, e.camera),
        reverse=True,
    )
    offsets = [
        abs(c.last.clock_offset_s) for c in cameras if c.last and c.last.clock_offset_s is not None
    ]
    return Report(
        start=start,
        end=end,
        generated=generated,
        hold_s=hold_s,
        fleet=fleet,
        sites=tuple(scopes),
        trend=tuple(trend([segs[c.name] for c in cameras], bucket_edges(start, end, tz))),
        open_problems=tuple((e, site_of[e.camera]) for e in open_eps),
        resolved_problems=tuple((e, site_of[e.camera]) for e in resolved),
        outages=tuple(all_outages[:OUTAGES_SHOWN]),
        drift=tuple(
            DriftBin(key, lo, hi, sum(1 for o in offsets if o >= lo and (hi is None or o < hi)))
            for key, lo, hi in DRIFT_BINS
        ),
        drift_unknown=len(cameras) - len(offsets),
        drift_median_s=statistics.median(offsets) if offsets else None,
        drift_max_s=max(offsets) if offsets else None,
        storage_visits=tuple(_storage_visits(cameras)),
        firmware=tuple(_firmware(cameras)),
    )


def _open_at(e: Episode, end: datetime) -> bool:
    return e.first_seen < end and (e.resolved is None or e.resolved >= end)


def _scope(
    site: str | None,
    location: str | None,
    members: Sequence[CameraHistory],
    segs: Mapping[str, list[tuple[datetime, datetime, str]]],
    eps: Sequence[Episode],
    start: datetime,
    end: datetime,
) -> Scope:
    names = {c.name for c in members}
    status = dict.fromkeys(STATUS_KEYS, 0)
    seconds = Seconds()
    for cam in members:
        status[cam.last.status.value if cam.last else "not_checked"] += 1
        seconds = seconds + tally(segs[cam.name])
    mine = [e for e in eps if e.camera in names]
    visits = _storage_visits(members)
    kept = [c.last.days_kept for c in members if c.last and c.last.days_kept is not None]
    return Scope(
        site=site,
        location=location,
        cameras=len(members),
        status=status,
        seconds=seconds,
        opened=sum(1 for e in mine if start <= e.first_seen < end),
        open=sum(1 for e in mine if _open_at(e, end)),
        resolved=sum(1 for e in mine if e.resolved is not None and start <= e.resolved < end),
        storage_failed=len({c for c, _s, why in visits if why == "failed"}),
        recording_stopped=len({c for c, _s, why in visits if why == "recording_stopped"}),
        footage_days=statistics.median(kept) if kept else None,
    )


def _storage_visits(cameras: Sequence[CameraHistory]) -> list[tuple[str, str, str]]:
    """(camera, site, why) for each camera someone must visit: a dead card, stopped recording."""
    out: list[tuple[str, str, str]] = []
    for cam in cameras:
        if cam.last is None:
            continue
        if any((s.state or "").lower() in STORAGE_FAILED for s in cam.last.storage):
            out.append((cam.name, cam.site, "failed"))
        if any(s.recording is False for s in cam.last.storage):
            out.append((cam.name, cam.site, "recording_stopped"))
    return out


def _firmware(cameras: Sequence[CameraHistory]) -> list[FirmwareRow]:
    """Cameras per (manufacturer, model, firmware), most common first; unknown ones left out."""
    counts = Counter(
        (c.last.manufacturer, c.last.model, c.last.firmware)
        for c in cameras
        if c.last is not None and c.last.firmware is not None
    )
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], tuple(x or "" for x in kv[0])))
    return [FirmwareRow(m, mo, fw, n) for (m, mo, fw), n in ranked]
