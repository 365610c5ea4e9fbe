"""Prometheus / OpenMetrics exposition of a Monitor's latest reports.

A custom collector reads the monitor's state at scrape time (no per-camera metric objects that
would have to be created and deleted as the inventory changes). The text is cached per monitor
version and format. Rendering 10,000 cameras takes seconds, so `serve` renders in a thread: from
a ``MetricsView`` copied on the event loop's thread (``Exposition.view``), never from the live
dicts the loop keeps changing ("dictionary changed size during iteration" was a 500 at 10,000
cameras during the first cycle).

Label set per camera: site, name, vendor, model. Series that could not be measured are absent,
never zero: a missing clock offset must not look like a perfect clock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as CONTENT_TYPE_OPENMETRICS
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import Collector, CollectorRegistry

from fleetctl.core.models import Camera, CameraReport, ProblemKind, Status
from fleetctl.engine.serve.monitor import Monitor
from fleetctl.engine.serve.nightly import BackupRun, NightlyBackup

CAMERA_LABELS = ["site", "name", "vendor", "model"]
STATUSES = [s.value for s in Status]


def _vendor(manufacturer: str | None) -> str:
    return (manufacturer or "unknown").strip().lower() or "unknown"


@dataclass(frozen=True)
class MetricsView:
    """What the collector reads of a Monitor, copied at one instant."""

    latest: Mapping[str, CameraReport]
    last_checked: Mapping[str, float]
    cameras: Sequence[Camera]
    cycles: int
    overruns: int
    last_cycle_s: float | None
    version: int
    backup: BackupRun | None = None  # the nightly backup's last run (serve --backup-dir)
    backup_last_success: float | None = None

    @classmethod
    def of(cls, m: Monitor, nightly: NightlyBackup | None = None) -> MetricsView:
        """A copy of ``m``'s state; call it on the thread that changes ``m`` (the loop's)."""
        return cls(
            dict(m.latest),
            dict(m.last_checked),
            m.cameras,
            m.cycles,
            m.overruns,
            m.last_cycle_s,
            m.version,
            nightly.last if nightly is not None else None,
            nightly.last_success if nightly is not None else None,
        )

    @property
    def key(self) -> tuple[int, float | None]:
        """What the rendering depends on: the monitor's version, the backup's last run."""
        return self.version, self.backup.finished if self.backup is not None else None


class FleetCollector(Collector):
    def __init__(self, monitor: Monitor, nightly: NightlyBackup | None = None) -> None:
        self.monitor = monitor
        self.nightly = nightly
        self.view: MetricsView | None = None  # set by Exposition.render for one rendering

    def collect(self) -> Iterator[Metric]:
        m = self.view if self.view is not None else MetricsView.of(self.monitor, self.nightly)
        up = GaugeMetricFamily(
            "fleetctl_camera_up", "1 if the camera answered its last check", labels=CAMERA_LABELS
        )
        status = GaugeMetricFamily(
            "fleetctl_camera_status",
            "Last reported status, one-hot (after flap damping)",
            labels=[*CAMERA_LABELS, "status"],
        )
        problem = GaugeMetricFamily(
            "fleetctl_camera_problem",
            "1 for each kind of problem present",
            labels=[*CAMERA_LABELS, "kind", "severity"],
        )
        clock = GaugeMetricFamily(
            "fleetctl_camera_clock_offset_seconds",
            "Camera clock minus this host's clock",
            labels=CAMERA_LABELS,
        )
        fps = GaugeMetricFamily(
            "fleetctl_camera_stream_fps",
            "Measured frames per second",
            labels=[*CAMERA_LABELS, "profile"],
        )
        bps = GaugeMetricFamily(
            "fleetctl_camera_stream_bitrate_bits_per_second",
            "Measured stream bitrate",
            labels=[*CAMERA_LABELS, "profile"],
        )
        used = GaugeMetricFamily(
            "fleetctl_camera_storage_used_bytes",
            "Recording storage used",
            labels=[*CAMERA_LABELS, "medium"],
        )
        total = GaugeMetricFamily(
            "fleetctl_camera_storage_size_bytes",
            "Recording storage size",
            labels=[*CAMERA_LABELS, "medium"],
        )
        last = GaugeMetricFamily(
            "fleetctl_camera_last_check_timestamp_seconds",
            "When the camera was last checked",
            labels=CAMERA_LABELS,
        )
        probe = GaugeMetricFamily(
            "fleetctl_camera_probe_duration_seconds",
            "Duration of each probe in the last check",
            labels=[*CAMERA_LABELS, "probe"],
        )
        site_counts: Counter[tuple[str, str]] = Counter()
        for name, r in m.latest.items():
            dev = r.device
            labels = [
                r.site,
                name,
                _vendor(dev.manufacturer if dev else None),
                (dev.model if dev else None) or "unknown",
            ]
            offline = any(p.kind is ProblemKind.OFFLINE for p in r.problems)
            if name in m.last_checked:  # not yet checked: unknown, so absent (never a guess)
                up.add_metric(labels, 0.0 if offline else 1.0)
            for s in STATUSES:
                status.add_metric([*labels, s], 1.0 if r.status.value == s else 0.0)
            seen: set[str] = set()
            for p in r.problems:
                if p.kind.value not in seen:
                    seen.add(p.kind.value)
                    problem.add_metric([*labels, p.kind.value, p.severity.value], 1.0)
            if r.clock_offset_s is not None:
                clock.add_metric(labels, r.clock_offset_s)
            for st in r.streams:
                prof = st.profile or "default"
                if st.fps is not None:
                    fps.add_metric([*labels, prof], st.fps)
                if st.bitrate_kbps is not None:
                    bps.add_metric([*labels, prof], st.bitrate_kbps * 1000)
            for sto in r.storage:
                if sto.used_mb is not None:
                    used.add_metric([*labels, sto.name], sto.used_mb * 1_000_000)
                if sto.total_mb is not None:
                    total.add_metric([*labels, sto.name], sto.total_mb * 1_000_000)
            if name in m.last_checked:
                last.add_metric(labels, m.last_checked[name])
            for step in r.checks:
                if step.duration_ms is not None:
                    probe.add_metric([*labels, step.name], step.duration_ms / 1000)
            site_counts[(r.site, r.status.value)] += 1
        yield from (up, status, problem, clock, fps, bps, used, total, last, probe)

        sites = GaugeMetricFamily(
            "fleetctl_site_cameras",
            "Cameras per site by reported status",
            labels=["site", "status"],
        )
        for site in sorted({s for s, _ in site_counts} | {c.site for c in m.cameras}):
            for s in STATUSES:
                sites.add_metric([site, s], float(site_counts[(site, s)]))
        yield sites
        yield GaugeMetricFamily(
            "fleetctl_cameras", "Cameras monitored", value=float(len(m.cameras))
        )
        yield CounterMetricFamily(
            "fleetctl_cycles", "Completed check cycles", value=float(m.cycles)
        )
        yield CounterMetricFamily(
            "fleetctl_cycle_overruns", "Cycles longer than the interval", value=float(m.overruns)
        )
        if m.last_cycle_s is not None:
            yield GaugeMetricFamily(
                "fleetctl_cycle_duration_seconds",
                "Duration of the last cycle",
                value=m.last_cycle_s,
            )
        yield from _backup_metrics(m)


def _backup_metrics(m: MetricsView) -> Iterator[Metric]:
    """The nightly backup (serve --backup-dir): absent until it has run once."""
    if m.backup_last_success is not None:
        yield GaugeMetricFamily(
            "fleetctl_backup_last_success_timestamp_seconds",
            "When the last nightly backup that read cameras finished",
            value=m.backup_last_success,
        )
    if m.backup is not None:
        cams = GaugeMetricFamily(
            "fleetctl_backup_cameras",
            "Cameras by result of the last nightly backup (saved, unchanged, failed)",
            labels=["result"],
        )
        for result, n in m.backup.counts.items():
            cams.add_metric([result], float(n))
        yield cams
        yield GaugeMetricFamily(
            "fleetctl_backup_duration_seconds",
            "Duration of the last nightly backup",
            value=m.backup.duration_s,
        )


class Exposition:
    """Renders the monitor's metrics, cached until the monitor changes."""

    def __init__(self, monitor: Monitor, nightly: NightlyBackup | None = None) -> None:
        self.monitor = monitor
        self.nightly = nightly
        self.registry = CollectorRegistry(auto_describe=False)
        self.collector = FleetCollector(monitor, nightly)
        self.registry.register(self.collector)
        self._cache: dict[bool, tuple[tuple[int, float | None], bytes]] = {}
        self._lock = threading.Lock()  # one rendering at a time: the collector holds its view

    def view(self) -> MetricsView:
        return MetricsView.of(self.monitor, self.nightly)

    def render(self, openmetrics: bool, view: MetricsView | None = None) -> tuple[bytes, str]:
        """The exposition text. From another thread, pass a ``view`` taken on the loop's."""
        view = view if view is not None else self.view()
        with self._lock:
            hit = self._cache.get(openmetrics)
            if hit is None or hit[0] != view.key:
                self.collector.view = view
                try:
                    render = generate_openmetrics if openmetrics else generate_text
                    body = render(self.registry)  # type: ignore[no-untyped-call]
                finally:
                    self.collector.view = None
                hit = self._cache[openmetrics] = (view.key, body)
        return hit[1], CONTENT_TYPE_OPENMETRICS if openmetrics else CONTENT_TYPE_PLAIN_0_0_4
