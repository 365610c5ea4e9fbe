"""Password rotation in two phases: a kill -9 at any point never locks a camera out.

For each credential name N a profile rotates (``users: {rotate: [N]}``):

    1. pending   a new password (letters and digits only: symbols break RTSP URLs and some
                 firmwares' rules) is stored in the secrets file FIRST, atomically, as N's
                 ``next_password`` with a random ``rotation`` id (adapters/secrets.py). A pending
                 rotation is reused, never replaced: cameras may already have its password.
    2. intent    per camera, a journal row: setting ``password:N``, old ``"current"``, new
                 ``"rotation:<id>"``. Markers only: no password in the journal, logs or output.
    3. SetUser   authenticated with the old password; the account keeps its level (GetUsers).
    4. verify    ONE login with the new password must open, ONE with the old must be refused;
                 the row becomes ``verified`` (camera on new) or ``failed`` (camera on old).
    5. promote   when every inventory camera naming N is ``verified``: ``password`` = new and
                 the pending keys go (atomic). Until then the secrets file holds both passwords.

Which password a camera has, at any moment: no row for this rotation or ``failed``: the old
one; ``verified``: the new one; ``intent``: either (a kill between steps 2 and 4). Both are in
the secrets file, so the camera is never locked out; ``reconcile`` settles the doubt with at
most two single login attempts and hands the engine a Workspace whose ``overrides`` carry each
camera's current credential. Cameras that failed keep the old password and the pending entry
stays until a rerun (``push`` again, ``--limit @failed`` or ``--resume``) verifies them all: a
partial rotation never promotes, because promotion would strand the cameras still on the old
password. While it is pending, other commands (``check``) use the old password: cameras
already rotated report ``auth`` until the rotation completes.

Test hook: ``FLEETCTL_TEST_KILL_AT=<step>`` (one of ``KILL_STEPS``) SIGKILLs this process the
first time the rotation reaches that step. Tests use it to prove the claims above.
"""

from __future__ import annotations

import asyncio
import os
import secrets as rng
import signal
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from fleetctl.adapters.onvif.client import try_login
from fleetctl.adapters.onvif.users import get_users, set_password
from fleetctl.adapters.secrets import promote_pending_password, set_pending_password
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import CallFailure
from fleetctl.core.push.plan import Change
from fleetctl.core.secret import Secret
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.pending import Rotation, cameras_of, pending_rotations
from fleetctl.engine.workspace import Workspace, from_journal

KILL_ENV = "FLEETCTL_TEST_KILL_AT"
KILL_STEPS = ("secrets", "intent", "sent", "verified", "promote")
PASSWORD_LEN = 20
_ALPHABET = string.ascii_letters + string.digits


def kill_point(step: str) -> None:
    """Test hook: die here, as a kill -9 would, when FLEETCTL_TEST_KILL_AT names this step."""
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def new_password(length: int = PASSWORD_LEN) -> Secret:
    """Random letters and digits, at least one of each class (firmware complexity rules)."""
    while True:
        pw = "".join(rng.choice(_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in pw)
            and any(c.isupper() for c in pw)
            and any(c.isdigit() for c in pw)
        ):
            return Secret(pw)


class Holds(StrEnum):
    """Which of a rotation's two passwords a camera has now."""

    NEW = "new"
    OLD = "old"
    UNKNOWN = "unknown"  # no answer to either login


class RotationState(StrEnum):
    """How steps 2-4 ended on one camera."""

    ROTATED = "rotated"  # on the new password, verified
    ALREADY = "already"  # verified on it by an earlier run: nothing sent
    KEPT_OLD = "kept-old"  # still on the old password, verified
    UNKNOWN = "unknown"  # neither login answered: the journal row stays `intent`


@dataclass(frozen=True)
class RotateResult:
    state: RotationState
    credential: Credential | None  # what the camera has now (None: unknown)
    error: str | None = None


def planned_change(name: str) -> Change:
    """How a rotation shows in a plan and a report: markers, never a password."""
    return Change(f"users.{name}.password", "(current)", "(new, generated)")


def rotated_cameras(workspace: Workspace, name: str) -> list[Camera]:
    """Inventory cameras whose ONVIF login is credential ``name`` (inline passwords excluded)."""
    return cameras_of(workspace.inventory, name)


def pending(workspace: Workspace) -> dict[str, Rotation]:
    """Rotations under way, from the secrets file's pending entries."""
    return pending_rotations(workspace.secrets)


def begin(workspace: Workspace, names: Sequence[str]) -> dict[str, Rotation]:
    """Step 1 for each credential in ``names``: reuse its pending rotation or store a new one."""
    out = pending(workspace)
    for name in names:
        if name in out:
            continue
        cred = workspace.secrets.get(name)
        if cred.password is None:
            continue  # key-only credentials (SSH) have no password to rotate
        rot = Rotation(name, cred.username, cred.password, new_password(), rng.token_hex(8))
        set_pending_password(workspace.secrets.path, name, rot.new, rot.rotation)
        out[name] = rot
    kill_point("secrets")
    return {n: r for n, r in out.items() if n in names}


async def _which(cam: Camera, rot: Rotation, timeout_s: float) -> Holds:
    """By one login attempt with each (new first: the likelier after SetUser)."""
    if await try_login(cam, rot.username, rot.new.reveal(), timeout_s=timeout_s) is True:
        return Holds.NEW
    if await try_login(cam, rot.username, rot.old.reveal(), timeout_s=timeout_s) is True:
        return Holds.OLD
    return Holds.UNKNOWN


def verified_cameras(workspace: Workspace, journal: Journal) -> set[str]:
    """Cameras the journal shows verified on the new password of a rotation under way."""
    done: set[str] = set()
    for rot in pending(workspace).values():
        states = journal.latest_states(rot.setting, rot.marker)
        done |= {
            c.name for c in rotated_cameras(workspace, rot.name) if states.get(c.name) == "verified"
        }
    return done


async def reconcile(
    workspace: Workspace, journal: Journal, *, timeout_s: float, concurrency: int = 32
) -> tuple[Workspace, dict[str, Holds]]:
    """Each rotated camera's current credential, as ``Workspace.overrides``; camera -> new|old|unknown.

    The journal decides; only cameras left in doubt (``intent``) are asked, with single logins.
    """
    workspace = from_journal(workspace, journal)
    overrides = dict(workspace.overrides)
    where: dict[str, Holds] = {}
    sem = asyncio.Semaphore(max(1, concurrency))

    async def settle(cam: Camera, rot: Rotation) -> None:
        async with sem:
            where[cam.name] = await _which(cam, rot, timeout_s)

    doubt = []
    for rot in pending(workspace).values():
        states = journal.latest_states(rot.setting, rot.marker)
        for cam in rotated_cameras(workspace, rot.name):
            state = states.get(cam.name)
            if state == "verified":
                where[cam.name] = Holds.NEW
            elif state == "intent":
                doubt.append(settle(cam, rot))
            else:
                where[cam.name] = Holds.OLD
    await asyncio.gather(*doubt)
    rots = pending(workspace)
    for rot in rots.values():
        for cam in rotated_cameras(workspace, rot.name):
            if where.get(cam.name) is Holds.NEW:
                overrides[cam.name] = rot.credential(new=True)
    return replace(workspace, overrides=overrides), where


async def rotate_camera(
    cam: Camera, rot: Rotation, current: Holds, journal: Journal, run_id: int, *, timeout_s: float
) -> RotateResult:
    """Steps 2-4 on one camera that has ``current`` (new|old|unknown). Never raises for the camera."""
    states = journal.latest_states(rot.setting, rot.marker)
    if current is Holds.NEW and states.get(cam.name) == "verified":
        return RotateResult(RotationState.ALREADY, rot.credential(new=True))
    if current is Holds.UNKNOWN:
        return RotateResult(
            RotationState.UNKNOWN, None, "cannot tell which password the camera has (no answer)"
        )
    wid = journal.intent(run_id, cam.name, rot.setting, "current", rot.marker)
    kill_point("intent")
    why: str | None = None
    if current is Holds.OLD:
        old = rot.credential(new=False)
        users = await get_users(cam, old, timeout_s=timeout_s)
        if isinstance(users, CallFailure):
            why = users.message
        else:
            level = next((u.level for u in users if u.username == rot.username), None)
            refused = await set_password(
                cam,
                old,
                rot.username,
                rot.new.reveal(),
                level=level if level in ("Administrator", "Operator", "User") else "Administrator",
                timeout_s=timeout_s,
            )
            why = refused.message if refused else None
        kill_point("sent")
    # Verify, whatever SetUser said: a write can land and its answer be lost, or be answered
    # and silently not kept. One attempt each, so a lockout budget is never spent twice.
    opens_new = await try_login(cam, rot.username, rot.new.reveal(), timeout_s=timeout_s)
    if opens_new is True:
        opens_old = await try_login(cam, rot.username, rot.old.reveal(), timeout_s=timeout_s)
        note = None if opens_old is False else "the old password was not refused after the change"
        journal.mark(wid, "verified", note)
        kill_point("verified")
        return RotateResult(RotationState.ROTATED, rot.credential(new=True), note)
    opens_old = await try_login(cam, rot.username, rot.old.reveal(), timeout_s=timeout_s)
    if opens_old is True:
        why = why or "the camera answered SetUser but did not keep the new password"
        journal.mark(wid, "failed", why)
        return RotateResult(
            RotationState.KEPT_OLD,
            rot.credential(new=False),
            f"password not rotated: {why}; the old one still opens",
        )
    # Neither opened (no answer): the row stays `intent`, so a rerun asks the camera again.
    return RotateResult(
        RotationState.UNKNOWN,
        None,
        f"password rotation unverified: {why or 'no answer to the login checks'}",
    )


def promote_if_done(workspace: Workspace, journal: Journal, rot: Rotation) -> int:
    """Step 5: promote when every camera of the credential is verified; returns how many are not."""
    states = journal.latest_states(rot.setting, rot.marker)
    left = sum(1 for c in rotated_cameras(workspace, rot.name) if states.get(c.name) != "verified")
    if left == 0:
        kill_point("promote")
        promote_pending_password(workspace.secrets.path, rot.name, rot.rotation)
    return left


__all__ = [
    "KILL_ENV",
    "KILL_STEPS",
    "Holds",
    "RotateResult",
    "Rotation",
    "RotationState",
    "begin",
    "from_journal",
    "kill_point",
    "new_password",
    "pending",
    "planned_change",
    "promote_if_done",
    "reconcile",
    "rotate_camera",
    "rotated_cameras",
    "verified_cameras",
]
