"""Staged firmware upgrades: a push whose one setting is the firmware.

    plan_upgrade(workspace, cameras, image, options) -> list[UpgradePlan]    reads only
    apply_upgrade(workspace, plans, image, options, journal) -> list[UpgradeOutcome]

The image's SHA-256 is checked before anything is sent (``Image.load``). Planning reads each
camera's model and version: a model the image is not for is skipped, a camera already on the
version is unchanged. Applying follows push's rollout: the canary first, then batches; within a
batch one camera per site at a time (a site's cameras often share one uplink and one recorder:
a whole site dark at once loses its evidence); ``max_fail_pct`` aborts between batches. Per
camera: intent journaled, StartFirmwareUpgrade, the image POSTed, proof it went down and came
back (unauthenticated clock polls, as a reboot), the version read back, then a short health
check (login and video). A camera that does not come back within ``wait_s`` is
``not-restorable`` and stops the rollout at once: the next camera would likely go the same way.
A camera back on its old version is ``failed`` (the flash did not take; it still works).
Kill -9 at any point: the journal's run is still ``running``; ``--resume`` re-plans its pending
cameras (an upgraded camera reads as unchanged) with the options stored in the run.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fleetctl.core.errors import UsageError
from fleetctl.core.firmware.versions import parse_firmware
from fleetctl.core.models import Camera, Status
from fleetctl.core.push.rollout import batch_size, batches, exceeds
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.reboot import SiteThrottle
from fleetctl.engine.workspace import Workspace

MAX_IMAGE_BYTES = 512 * 1024 * 1024
POLL_S = 0.25


class UpgradeResult(StrEnum):
    CHANGED = "changed"  # on the new version, login and video verified
    UNCHANGED = "unchanged"  # already on it
    SKIPPED = "skipped"  # the image is not for this model, or the rollout stopped first
    FAILED = "failed"  # refused the image, or came back on the old version
    NOT_RESTORABLE = "not-restorable"  # did not come back: a site visit
    UNREACHABLE = "unreachable"  # could not be read before the upgrade


@dataclass(frozen=True)
class Image:
    path: str
    data: bytes
    sha256: str

    @classmethod
    def load(cls, path: str, expected_sha256: str | None) -> Image:
        size = Path(path).stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise UsageError(f"{path}: larger than {MAX_IMAGE_BYTES // 2**20} MiB")
        data = Path(path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if expected_sha256 is not None and digest != expected_sha256.strip().lower():
            raise UsageError(
                f"{path}: SHA-256 is {digest}, not the {expected_sha256} expected: nothing sent"
            )
        return cls(path, data, digest)


@dataclass(frozen=True)
class UpgradeOptions:
    version: str  # what the image installs: how success is proven
    models: tuple[str, ...] = ()  # model patterns the image is for; () = any
    canary: int = 1
    batch: str | None = None
    max_fail_pct: float = 0.0
    timeout_s: float = 15.0  # one ONVIF exchange
    upload_timeout_s: float = 300.0
    wait_s: float = 600.0  # from the upload to answering again
    concurrency: int = 32  # planning reads at once


@dataclass(frozen=True)
class UpgradePlan:
    camera: Camera
    model: str | None
    current: str | None
    result: UpgradeResult | None = None  # None: to upgrade
    reason: str | None = None


@dataclass(frozen=True)
class UpgradeOutcome:
    name: str
    result: UpgradeResult
    current: str | None
    target: str
    error: str | None = None


def same_version(a: str | None, b: str) -> bool:
    fa, fb = parse_firmware(a), parse_firmware(b)
    if fa is not None and fb is not None and fa.numbers and fb.numbers:
        return fa.numbers == fb.numbers and (fa.build == fb.build or None in (fa.build, fb.build))
    return " ".join((a or "").lower().split()) == " ".join(b.lower().split())


def _for_model(patterns: Sequence[str], model: str | None) -> bool:
    if not patterns:
        return True
    return model is not None and any(
        fnmatch.fnmatchcase(model.lower(), p.lower()) for p in patterns
    )


async def plan_upgrade(
    workspace: Workspace, cameras: Sequence[Camera], options: UpgradeOptions
) -> list[UpgradePlan]:
    from fleetctl.adapters.onvif.firmware import device_info

    gate = asyncio.Semaphore(options.concurrency)

    async def one(cam: Camera) -> UpgradePlan:
        credential = workspace.credential_for(cam)
        if credential is None:
            return UpgradePlan(cam, None, None, UpgradeResult.UNREACHABLE, "no credentials")
        async with gate:
            info = await device_info(cam, credential, timeout_s=options.timeout_s)
        if isinstance(info, str):
            return UpgradePlan(cam, None, None, UpgradeResult.UNREACHABLE, info)
        if not _for_model(options.models, info.model):
            return UpgradePlan(
                cam,
                info.model,
                info.firmware,
                UpgradeResult.SKIPPED,
                f"the image is not for {info.model}",
            )
        if same_version(info.firmware, options.version):
            return UpgradePlan(cam, info.model, info.firmware, UpgradeResult.UNCHANGED)
        return UpgradePlan(cam, info.model, info.firmware)

    return list(await asyncio.gather(*(one(c) for c in cameras)))


async def _answers(camera: Camera, want: bool, deadline: float) -> bool:
    from fleetctl.adapters.onvif.client import clock_answers

    while time.monotonic() < deadline:
        if await clock_answers(camera, timeout_s=2.0) is want:
            return True
        await asyncio.sleep(POLL_S)
    return False


async def _upgrade_one(
    workspace: Workspace, plan: UpgradePlan, image: Image, options: UpgradeOptions
) -> UpgradeOutcome:
    from fleetctl.adapters.onvif.firmware import device_info, start_upgrade, upload_image
    from fleetctl.engine.check.runner import CheckOptions, check_camera

    cam, target = plan.camera, options.version

    def out(
        result: UpgradeResult, error: str | None = None, current: str | None = plan.current
    ) -> UpgradeOutcome:
        return UpgradeOutcome(cam.name, result, current, target, error)

    credential = workspace.credential_for(cam)
    assert credential is not None  # planned cameras have one
    ticket = await start_upgrade(cam, credential, timeout_s=options.timeout_s)
    if isinstance(ticket, str):
        return out(UpgradeResult.FAILED, f"StartFirmwareUpgrade refused: {ticket}")
    why = await upload_image(
        cam, credential, ticket, image.data, timeout_s=options.upload_timeout_s
    )
    if why is not None:
        return out(UpgradeResult.FAILED, why)
    deadline = time.monotonic() + options.wait_s
    if not await _answers(cam, False, deadline) or not await _answers(cam, True, deadline):
        return out(
            UpgradeResult.NOT_RESTORABLE,
            f"took the image and did not come back within {options.wait_s:g} s: needs a site visit",
            None,
        )
    info = await device_info(cam, credential, timeout_s=options.timeout_s)
    if isinstance(info, str):
        return out(UpgradeResult.FAILED, f"back, but the fleet login fails: {info}", None)
    if not same_version(info.firmware, target):
        return out(
            UpgradeResult.FAILED,
            f"came back on {info.firmware}: the upgrade did not take",
            info.firmware,
        )
    health = await check_camera(
        cam,
        workspace,
        CheckOptions(timeout_s=options.timeout_s, probes=frozenset({"reach", "onvif", "stream"})),
    )
    broken = [p.message for p in health.problems if p.severity in (Status.CRIT, Status.UNKNOWN)]
    if broken:
        return out(UpgradeResult.FAILED, f"on {target}, but: {broken[0]}", info.firmware)
    return out(UpgradeResult.CHANGED, None, info.firmware)


async def apply_upgrade(
    workspace: Workspace,
    plans: Sequence[UpgradePlan],
    image: Image,
    options: UpgradeOptions,
    journal: Journal,
    run_id: int,
    on_outcome: Callable[[UpgradeOutcome], None] | None = None,
) -> tuple[list[UpgradeOutcome], str | None]:
    """Upgrade the planned cameras; (outcomes, why the rollout stopped early or None)."""
    todo = [p for p in plans if p.result is None]
    outcomes: list[UpgradeOutcome] = []
    for p in plans:
        if p.result is not None:
            o = UpgradeOutcome(p.camera.name, p.result, p.current, options.version, p.reason)
            outcomes.append(o)
            journal.camera_result(run_id, o.name, o.result.value, o.error)
    throttle = SiteThrottle()
    stopped: str | None = None
    size = batch_size(options.batch, max(0, len(todo) - options.canary))
    for rng in batches(len(todo), canary=options.canary, size=size):
        batch = [todo[i] for i in rng]
        if stopped is not None:
            for p in batch:
                o = UpgradeOutcome(
                    p.camera.name, UpgradeResult.SKIPPED, p.current, options.version, stopped
                )
                outcomes.append(o)
                journal.camera_result(run_id, o.name, o.result.value, o.error)
            continue

        async def run(p: UpgradePlan) -> UpgradeOutcome:
            async with throttle.site(p.camera.site):
                write = journal.intent(
                    run_id, p.camera.name, "firmware", p.current, options.version
                )
                try:
                    o = await _upgrade_one(workspace, p, image, options)
                except Exception as err:  # a bug for one camera is that camera's failure
                    o = UpgradeOutcome(
                        p.camera.name,
                        UpgradeResult.FAILED,
                        p.current,
                        options.version,
                        f"internal error: {type(err).__name__}",
                    )
                journal.mark(
                    write, "verified" if o.result is UpgradeResult.CHANGED else "failed", o.error
                )
                journal.camera_result(run_id, o.name, o.result.value, o.error)
                if on_outcome is not None:
                    on_outcome(o)
                return o

        done = await asyncio.gather(*(run(p) for p in batch))
        outcomes.extend(done)
        lost = [o.name for o in done if o.result is UpgradeResult.NOT_RESTORABLE]
        failed = sum(1 for o in done if o.result is not UpgradeResult.CHANGED)
        if lost:
            stopped = f"rollout stopped: {', '.join(lost)} did not come back"
        elif exceeds(failed, len(batch), options.max_fail_pct):
            stopped = f"rollout stopped: {failed} of {len(batch)} failed (--max-fail {options.max_fail_pct:g}%)"
    order = {p.camera.name: i for i, p in enumerate(plans)}
    return sorted(outcomes, key=lambda o: order.get(o.name, 0)), stopped
