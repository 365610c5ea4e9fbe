"""The push runner: plan, then apply in batches, each camera a small transaction.

    plan_push(...)  -> [PlannedCamera]       reads only; `--dry-run` stops here
    apply_push(...) -> PushReport             canary, batches, --max-fail, journal, restore

Per camera: re-read the current settings (the snapshot), write each group of changes (journal
intent first), read everything back and compare. On any failure (an error, a value the camera
silently ignored) the groups already touched are written back from the snapshot and read back
again: the camera ends "restored", or, loudly, "not-restorable". A camera is never left
half-configured without the report and the journal saying so.

Then, per camera, the profile's password rotation (engine/push/rotate.py: two phases, kill-safe) and
its reboot (engine/push/reboot.py: ``reboot: always`` only, one camera per site at a time, verified
by the camera going away and answering again). The caller passes a Workspace already
reconciled with any rotation under way (``rotate.reconcile``), so every camera is reached with
the password it has now.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

from fleetctl.adapters.onvif.config import read_settings, write_group
from fleetctl.core.models import Camera
from fleetctl.core.probes import CallFailure
from fleetctl.core.push.plan import CameraPlan, Change, DeviceSettings, group_of, plan_camera
from fleetctl.core.push.profile import Profile
from fleetctl.core.push.rollout import batches, exceeds
from fleetctl.engine.push import rotate
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.outcome import (
    FAILED_RESULTS,
    CameraOutcome,
    PlannedCamera,
    PushOptions,
    PushReport,
    PushResult,
)
from fleetctl.engine.push.reboot import SiteThrottle, needs_reboot, reboot_and_wait
from fleetctl.engine.workspace import Workspace


def site_positions(cameras: Sequence[Camera], everyone: Sequence[Camera]) -> dict[str, int]:
    """Each camera's 1-based position in its site, in inventory order (stable across selections)."""
    pos: dict[str, int] = {}
    per_site: dict[str, int] = {}
    for cam in everyone:
        per_site[cam.site] = per_site.get(cam.site, 0) + 1
        pos[cam.name] = per_site[cam.site]
    return {c.name: pos.get(c.name, 0) for c in cameras}


async def plan_push(
    cameras: Sequence[Camera],
    workspace: Workspace,
    profile: Profile,
    *,
    timeout_s: float = 10.0,
    concurrency: int = 64,
    rotated: Collection[str] = (),
) -> list[PlannedCamera]:
    """Read every camera (bounded concurrency) and plan it. Sends no write.

    ``rotated``: cameras the journal shows verified on a pending rotation's new password
    (``rotate.verified_cameras``): their rotation is done, not planned again.
    """
    positions = site_positions(cameras, workspace.inventory.cameras)
    sem = asyncio.Semaphore(concurrency)

    async def one(cam: Camera) -> PlannedCamera:
        async with sem:
            cred = workspace.credential_for(cam)
            if cred is None:
                return PlannedCamera(
                    cam,
                    positions[cam.name],
                    CameraPlan(cam.name, error="no credentials configured"),
                )
            current = await read_settings(cam, cred, timeout_s=timeout_s)
        if isinstance(current, CallFailure):
            return PlannedCamera(
                cam, positions[cam.name], CameraPlan(cam.name, error=current.message)
            )
        return PlannedCamera(
            cam,
            positions[cam.name],
            plan_camera(profile, current, camera=cam.name, site=cam.site, n=positions[cam.name]),
        )

    planned = list(await asyncio.gather(*(one(c) for c in cameras)))
    return [_with_rotation(p, profile, set(rotated)) for p in planned]


def _rotated_name(cam: Camera, profile: Profile) -> str | None:
    """The credential this camera's rotation changes, if the profile rotates it."""
    if cam.credentials in profile.rotate and cam.username is None and cam.password is None:
        return cam.credentials
    return None


def _with_rotation(p: PlannedCamera, profile: Profile, rotated: set[str]) -> PlannedCamera:
    name = _rotated_name(p.camera, profile)
    if p.plan.error:
        return p
    if name is not None and p.camera.name in rotated:
        # Verified on the pending rotation's password by an earlier run: nothing to do here.
        return replace(
            p,
            plan=replace(
                p.plan, unchanged=(*p.plan.unchanged, rotate.planned_change(name).setting)
            ),
        )
    if name is None:
        if (
            p.camera.credentials in profile.rotate
        ):  # inline username/password win over the named one
            why = f"users.{p.camera.credentials}.password: not rotated (the camera has an inline password)"
            return replace(p, plan=replace(p.plan, unsupported=(*p.plan.unsupported, why)))
        return p
    return replace(p, plan=replace(p.plan, changes=(*p.plan.changes, rotate.planned_change(name))))


def _values(changes: Sequence[Change], group: str, *, new: bool) -> dict[str, Any]:
    return {c.setting: (c.new if new else c.old) for c in changes if c.group == group}


def _mismatches(changes: Sequence[Change], after: DeviceSettings, *, new: bool) -> list[str]:
    out = []
    for c in changes:
        want, got = (c.new if new else c.old), after.value(c.setting)
        if not _equal(got, want):
            out.append(f"{c.setting}: asked {want!r}, camera has {got!r}")
    return out


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) < 1e-6
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)


async def _transaction(
    pc: PlannedCamera,
    workspace: Workspace,
    profile: Profile,
    journal: Journal,
    run_id: int,
    timeout_s: float,
) -> CameraOutcome:
    cam = pc.camera
    cred = workspace.credential_for(cam)
    if cred is None:
        return CameraOutcome(cam.name, PushResult.UNREACHABLE, error="no credentials configured")
    snapshot = await read_settings(cam, cred, timeout_s=timeout_s)
    if isinstance(snapshot, CallFailure):
        return CameraOutcome(cam.name, PushResult.UNREACHABLE, error=snapshot.message)
    # Plan again on the fresh snapshot: someone may have changed the camera since the plan.
    plan = plan_camera(profile, snapshot, camera=cam.name, site=cam.site, n=pc.n)
    if not plan.changes:
        return CameraOutcome(cam.name, PushResult.UNCHANGED, unsupported=plan.unsupported)
    touched: list[str] = []
    error: str | None = None
    for group in plan.groups:
        ids = [
            journal.intent(run_id, cam.name, c.setting, c.old, c.new)
            for c in plan.changes
            if c.group == group
        ]
        touched.append(group)  # a failed Set may still have half-applied: restore it too
        failed = await write_group(
            cam, cred, group, _values(plan.changes, group, new=True), timeout_s=timeout_s
        )
        error = failed.message if failed else None
        for i in ids:
            journal.mark(i, "failed" if error else "written", error)
        if error:
            break
    if error is None:
        after = await read_settings(cam, cred, timeout_s=timeout_s)
        if isinstance(after, CallFailure):
            error = f"read-back failed: {after.message}"
        else:
            wrong = _mismatches(plan.changes, after, new=True)
            if not wrong:
                return CameraOutcome(cam.name, PushResult.CHANGED, plan.changes, plan.unsupported)
            error = "the camera did not keep: " + "; ".join(wrong)
    return await _restore(cam, cred, plan, touched, snapshot, journal, run_id, error, timeout_s)


async def _restore(
    cam: Camera,
    cred: Any,
    plan: CameraPlan,
    touched: list[str],
    snapshot: DeviceSettings,
    journal: Journal,
    run_id: int,
    error: str,
    timeout_s: float,
) -> CameraOutcome:
    changes = [c for c in plan.changes if group_of(c.setting) in touched]
    problems: list[str] = []
    # Write back only what actually changed: a refused Set changed nothing, and writing it
    # again would only be refused again. If the camera cannot be read, try every touched group.
    now = await read_settings(cam, cred, timeout_s=timeout_s)
    for group in reversed(touched):
        old = {s: snapshot.value(s) for s in _values(changes, group, new=False)}
        if not isinstance(now, CallFailure) and all(
            _equal(now.value(s), v) for s, v in old.items()
        ):
            continue
        if any(v is None for v in old.values()):
            problems.append(f"{group}: previous value unknown")
            continue
        ids = [
            journal.intent(run_id, cam.name, c.setting, c.new, c.old)
            for c in changes
            if c.group == group
        ]
        failed = await write_group(cam, cred, group, old, timeout_s=timeout_s)
        why = failed.message if failed else None
        for i in ids:
            journal.mark(i, "failed" if why else "restored", why)
        if why:
            problems.append(f"{group}: {why}")
    if not problems:
        after = await read_settings(cam, cred, timeout_s=timeout_s)
        problems = (
            [after.message]
            if isinstance(after, CallFailure)
            else _mismatches(changes, after, new=False)
        )
    if problems:
        return CameraOutcome(
            cam.name,
            PushResult.NOT_RESTORABLE,
            plan.changes,
            plan.unsupported,
            f"{error}; RESTORE FAILED: {'; '.join(problems)}",
        )
    return CameraOutcome(cam.name, PushResult.RESTORED, plan.changes, plan.unsupported, error)


async def apply_push(
    planned: Sequence[PlannedCamera],
    workspace: Workspace,
    profile: Profile,
    options: PushOptions,
    journal: Journal,
    *,
    selection: str = "",
    on_result: Callable[[CameraOutcome], None] | None = None,
) -> PushReport:
    """Apply in batches; abort when a batch's failures exceed --max-fail. Every camera is reported."""
    report = PushReport()
    todo = [p for p in planned if p.plan.changes or p.plan.error]
    for p in planned:
        if not (p.plan.changes or p.plan.error):
            report.outcomes.append(
                CameraOutcome(p.camera.name, PushResult.UNCHANGED, unsupported=p.plan.unsupported)
            )
    run_id = report.run_id = journal.start_run(
        profile.source,
        selection,
        [p.camera.name for p in todo],
        options=dataclasses.asdict(options),  # `--resume` goes on with the same rollout
    )
    # Rotation step 1 (new passwords in the secrets file) before any camera is touched; a
    # rotation already under way is finished (promoted) even when no camera is left to do.
    wanted = sorted({n for p in todo if (n := _rotated_name(p.camera, profile)) is not None})
    rotations = {n: r for n, r in rotate.pending(workspace).items() if n in profile.rotate}
    rotations.update(rotate.begin(workspace, wanted) if wanted else {})
    sem = asyncio.Semaphore(max(1, options.concurrency))
    throttle = SiteThrottle()

    async def one(pc: PlannedCamera) -> CameraOutcome:
        async with sem:
            try:
                async with asyncio.timeout(
                    options.timeout_s * 4
                ):  # four reads/writes at most, each bounded
                    out = await _transaction(
                        pc, workspace, profile, journal, run_id, options.timeout_s
                    )
            except TimeoutError:
                out = CameraOutcome(
                    pc.camera.name,
                    PushResult.FAILED,
                    pc.plan.changes,
                    error="transaction deadline reached",
                )
            name = _rotated_name(pc.camera, profile)
            cred = workspace.credential_for(pc.camera)
            if name in rotations and out.result in (PushResult.CHANGED, PushResult.UNCHANGED):
                out, cred = await _rotate(
                    pc, out, rotations[name], workspace, journal, run_id, options.timeout_s
                )
        # Outside the concurrency slot: cameras queued behind their site's reboot must not keep
        # other sites' cameras from being worked on.
        if needs_reboot(profile.reboot, out.result is PushResult.CHANGED) and cred is not None:
            async with throttle.site(pc.camera.site):
                why = await reboot_and_wait(
                    pc.camera, cred, timeout_s=options.timeout_s, wait_s=options.reboot_wait_s
                )
            out = (
                replace(out, rebooted=True)
                if why is None
                else replace(
                    out, result=PushResult.FAILED, rebooted=True, error=f"changed; {why.message}"
                )
            )
        journal.camera_result(run_id, out.name, out.result, out.error)
        if on_result is not None:
            on_result(out)
        return out

    size = options.batch_size or max(1, len(todo))
    plan_batches = batches(len(todo), canary=options.canary, size=size)
    for number, idx in enumerate(plan_batches):
        outcomes = await asyncio.gather(*(one(todo[i]) for i in idx))
        report.outcomes.extend(outcomes)
        failures = sum(o.result in FAILED_RESULTS for o in outcomes)
        if exceeds(failures, len(outcomes), options.max_fail_pct):
            label = "canary" if number == 0 and options.canary else f"batch {number + 1}"
            report.aborted = (
                f"{label}: {failures} of {len(outcomes)} cameras failed, more than "
                f"--max-fail {options.max_fail_pct:g}%"
            )
            rest = [todo[i] for later in plan_batches[number + 1 :] for i in later]
            for p in rest:
                journal.camera_result(run_id, p.camera.name, PushResult.SKIPPED, "rollout aborted")
                report.outcomes.append(
                    CameraOutcome(
                        p.camera.name, PushResult.SKIPPED, p.plan.changes, error="rollout aborted"
                    )
                )
            break
    for name, rot in rotations.items():
        # Step 5: promote only when every camera of the credential is on the new password.
        report.rotations[name] = rotate.promote_if_done(workspace, journal, rot)
    journal.finish_run(run_id, "aborted" if report.aborted else "done")
    return report


async def _rotate(
    pc: PlannedCamera,
    out: CameraOutcome,
    rot: rotate.Rotation,
    workspace: Workspace,
    journal: Journal,
    run_id: int,
    timeout_s: float,
) -> tuple[CameraOutcome, Any]:
    """Rotation steps 2-4 on a camera whose settings transaction ended well; the outcome merged."""
    cam = pc.camera
    cred = workspace.credential_for(cam)
    current = (
        rotate.Holds.NEW if cred is not None and cred.password == rot.new else rotate.Holds.OLD
    )
    try:
        async with asyncio.timeout(timeout_s * 5):  # GetUsers, SetUser, two logins: each bounded
            r = await rotate.rotate_camera(cam, rot, current, journal, run_id, timeout_s=timeout_s)
    except TimeoutError:  # the journal row stays `intent`: a rerun asks the camera which it has
        r = rotate.RotateResult(
            rotate.RotationState.UNKNOWN, None, "password rotation: deadline reached"
        )
    if r.state is rotate.RotationState.ALREADY:
        return out, r.credential
    changes = (*out.changes, rotate.planned_change(rot.name))
    if r.state is rotate.RotationState.ROTATED:
        return replace(out, result=PushResult.CHANGED, changes=changes, error=r.error), r.credential
    # Settings untouched and the old password verified: the camera is exactly as it was.
    kept = r.state is rotate.RotationState.KEPT_OLD and out.result is PushResult.UNCHANGED
    result = PushResult.RESTORED if kept else PushResult.FAILED
    return replace(out, result=result, changes=changes, error=r.error), r.credential


__all__ = [
    "CameraOutcome",
    "PlannedCamera",
    "PushOptions",
    "PushReport",
    "PushResult",
    "apply_push",
    "plan_push",
    "site_positions",
]
