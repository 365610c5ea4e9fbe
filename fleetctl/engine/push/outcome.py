"""A push's values: how it runs (``PushOptions``), what was planned per camera, how each camera
ended (``PushResult``, ``CameraOutcome``) and the whole report. Shared by the runner, the
session and both front-ends; the result words are the JSON values of ``fleetctl push``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fleetctl.core.models import Camera
from fleetctl.core.push.plan import CameraPlan, Change


class PushResult(StrEnum):
    """How one camera's push ended (``result`` in the JSON and the journal)."""

    CHANGED = "changed"  # written and read back as asked
    UNCHANGED = "unchanged"  # already as the profile says: nothing written
    FAILED = "failed"  # not as asked; nothing left half-done that the journal does not say
    RESTORED = "restored"  # a write failed or did not stick: the previous settings are back
    NOT_RESTORABLE = "not-restorable"  # ... and they could not be put back: check by hand
    UNREACHABLE = "unreachable"  # could not be read (or has no credentials): nothing written
    SKIPPED = "skipped"  # the rollout aborted before its batch
    PLANNED = "planned"  # --dry-run: changes to make, nothing written


# Results that count against --max-fail (and that `--limit @failed` takes again).
FAILED_RESULTS = (
    PushResult.FAILED,
    PushResult.RESTORED,
    PushResult.NOT_RESTORABLE,
    PushResult.UNREACHABLE,
)


@dataclass(frozen=True)
class PushOptions:
    timeout_s: float = 20.0  # per camera transaction
    concurrency: int = 32  # cameras at once within a batch
    canary: int = 0
    batch_size: int | None = None  # None: everything after the canary in one batch
    max_fail_pct: float = 100.0
    reboot_wait_s: float = 180.0  # a rebooted camera must go away and answer again within this


@dataclass(frozen=True)
class PlannedCamera:
    camera: Camera
    n: int  # position within its site, from 1 (hostname patterns)
    plan: CameraPlan


@dataclass(frozen=True)
class CameraOutcome:
    name: str
    result: PushResult
    changes: tuple[Change, ...] = ()
    unsupported: tuple[str, ...] = ()
    error: str | None = None
    rebooted: bool = False


@dataclass
class PushReport:
    outcomes: list[CameraOutcome] = field(default_factory=list)
    aborted: str | None = None  # why the rollout stopped early
    run_id: int | None = None
    # Credential name -> cameras not yet on its new password (0: promoted in the secrets file).
    rotations: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        counts = {
            str(r): 0
            for r in (
                PushResult.CHANGED,
                PushResult.UNCHANGED,
                PushResult.FAILED,
                PushResult.RESTORED,
                PushResult.UNREACHABLE,
            )
        }
        for o in self.outcomes:
            if o.result is PushResult.SKIPPED:
                continue
            # A camera that could not be restored is counted failed (and said loudly elsewhere).
            key = PushResult.FAILED if o.result is PushResult.NOT_RESTORABLE else o.result
            counts[str(key)] += 1
        return counts
