"""How a check runs (``CheckOptions``): its own module, so the runner and the per-camera state
it hands to the probes (``camera_run``) both import it without importing each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fleetctl.core.firmware.advisories import Rule

ALL_PROBES = frozenset({"reach", "onvif", "stream", "storage", "security"})


@dataclass(frozen=True)
class CheckOptions:
    """How a check runs. ``concurrency`` is a ceiling: fewer cameras are in flight while this
    process's event loop lags (``engine.check.admission``). ``probes`` selects among ALL_PROBES."""

    timeout_s: float = 10.0  # hard per-camera deadline
    # Cameras at once, at most. The CPU-heavy part of each (stream, storage) is admitted by
    # the loop's lag (engine.check.admission); this bounds the cheap part: a silent or slow camera's
    # wait must start with the run, not when a place frees up.
    concurrency: int = 512
    per_host: int = 2  # connections to one host at once
    stream_window_s: float = 1.0  # RTP measuring window
    check_default_passwords: bool = False
    # The picture probe: one keyframe of the main stream decoded and judged (black, flat,
    # blurred, unchanged for days). Off by default (CPU: see benchmarks/bench_check.py).
    picture: bool = False
    probes: frozenset[str] = ALL_PROBES
    # The advisory rows firmware is matched against; None: the table shipped with fleetctl.
    advisories: tuple[Rule, ...] | None = None
    # What earlier checks learned (``HistoryStore.recall()``: subject -> key -> value): the
    # stream URI of the last good check, ONVIF calls a model does not support, ...
    recall: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
