"""A simulated camera's recording history: what its card holds, with the gaps real cards have.

Derived deterministically from the camera (its serial, drawn from the fleet's seed), its site
and its faults, anchored at the moment the fleet was built:

- reboots: 0 to 3 in the kept window, each a gap of 40 to 150 s (the firmware boots, then the
  recording job starts again);
- a power cut at night: every site loses power once in the last week, between 22:00 and 05:00
  local time (UTC+7); every camera of the site has the same gap, seen on its own clock;
- a card that died (``storage_failed``) or a job that stopped (``recording_stopped``): nothing
  is recorded after that instant (``stopped_at``), which stays put as time goes on;
- retention: a card keeps ``keep_s`` (7 days; the ``short_retention`` fault: 2 days, a small
  card at a high bitrate); the oldest footage is overwritten as time passes;
- an unformatted card or no card: nothing at all.

Every instant is on the camera's own clock (epoch seconds), as the camera stamps its footage:
an event that happened at true time T is at T + clock offset in the camera's history. Tests read
``RecordingHistory`` to know where the gaps are (``gaps`` with their cause).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from fleetctl.sim.camera.model import SimCamera

DAY = 86400.0
KEEP_S = 7 * DAY
SHORT_KEEP_S = 2 * DAY
SITE_UTC_OFFSET_S = 7 * 3600  # the simulated district's local time (Vietnam, UTC+7)


@dataclass
class RecordingHistory:
    """Recorded footage on one camera, on the camera's clock. ``gaps``: (start, end, cause)."""

    keep_s: float = KEEP_S
    gaps: list[tuple[float, float, str]] = field(default_factory=list)
    stopped_at: float | None = None  # card died / job stopped: nothing recorded after this
    empty: bool = False  # no card, or an unformatted one: nothing at all

    def data_until(self, now: float) -> float:
        return min(now, self.stopped_at) if self.stopped_at is not None else now

    def data_from(self, now: float) -> float:
        # The card overwrites its oldest footage: it holds ``keep_s`` before its newest.
        return self.data_until(now) - self.keep_s

    def intervals(self, now: float) -> list[tuple[float, float]]:
        """Recorded intervals in time order (none when empty)."""
        if self.empty:
            return []
        start, until = self.data_from(now), self.data_until(now)
        out: list[tuple[float, float]] = []
        for g0, g1, _ in sorted(self.gaps):
            if g1 <= start or g0 >= until:
                continue
            if g0 > start:
                out.append((start, g0))
            start = max(start, g1)
        if start < until:
            out.append((start, until))
        return out


def build(cam: SimCamera, seed: int, anchor: float | None = None) -> RecordingHistory:
    """The history of ``cam`` as of ``anchor`` (host epoch seconds, default now)."""
    anchor = time.time() if anchor is None else anchor
    card = cam.storage[0] if cam.storage else None
    if card is None or card.state == "unformatted":
        return RecordingHistory(empty=True)
    rng = random.Random(f"history:{seed}:{cam.serial}")
    offset = cam.clock_offset_s
    hist = RecordingHistory(keep_s=SHORT_KEEP_S if cam.has("short_retention") else KEEP_S)
    if card.state == "failed" or not card.recording:
        hist.stopped_at = anchor + offset - card.data_until_offset_s
    # Reboots (firmware watchdog, a technician, a brown-out): short gaps.
    for _ in range(rng.randrange(4)):
        at = anchor - rng.uniform(3600, hist.keep_s)
        hist.gaps.append((at + offset, at + offset + rng.uniform(40, 150), "reboot"))
    cut = power_cut(cam.site, seed, anchor)
    hist.gaps.append((cut[0] + offset, cut[1] + offset, "power"))
    hist.gaps.sort()
    return hist


def power_cut(site: str, seed: int, anchor: float) -> tuple[float, float]:
    """The site's night without power, in true (host) epoch seconds: 1 to 5 nights ago."""
    rng = random.Random(f"power:{seed}:{site}")
    local_midnight = (anchor + SITE_UTC_OFFSET_S) // DAY * DAY - SITE_UTC_OFFSET_S
    night = local_midnight - rng.randint(1, 5) * DAY  # a midnight some days ago, local
    start = night - 2 * 3600 + rng.uniform(0, 3 * 3600)  # 22:00 .. 01:00
    return start, start + rng.uniform(1.5 * 3600, 4 * 3600)


def history_of(cam: SimCamera) -> RecordingHistory:
    """The camera's history (built on first use for a camera made outside a fleet)."""
    if cam.history is None:
        cam.history = build(cam, 0)
    return cam.history
