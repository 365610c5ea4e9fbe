"""One push from start to end, the same for every front-end (`fleetctl push`, the TUI's push).

    async with PushSession(journal_path, timeout_s=..., concurrency=...) as session:
        session.interrupted(), session.failed_last_run()   what --resume, --limit @failed take
        session.last_run()                   the newest push (what --resume says when none is left)
        await session.reconcile(workspace)   a rotation under way: each camera's password now
        await session.plan(cameras, profile, on_planned=...)   reads only (a dry run ends here)
        session.under_way()                  rotations under way, for the plan's notes
        await session.apply(planned, profile, options, selection=..., on_result=...)
        session.after_rotation(workspace)    the workspace the next push and checks start from

The session owns the journal (opened at construction, closed by ``close()`` or the ``async
with``) and the reconciled workspace, so plan and apply reach each camera with the password the
journal says it has. Front-ends parse their input, call these, and render the values they get.
A journal that cannot be opened or written raises (``FleetctlError``); a camera's failure never
does: it is an outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from fleetctl.core.models import Camera
from fleetctl.core.push.profile import Profile
from fleetctl.engine.push import rotate
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.push.outcome import CameraOutcome, PlannedCamera, PushOptions, PushReport
from fleetctl.engine.push.runner import apply_push, plan_push
from fleetctl.engine.workspace import Workspace, from_journal


@dataclass(frozen=True)
class Interrupted:
    """A push the journal shows started and not finished: what ``--resume`` finishes."""

    run_id: int
    profile: str  # the profile file it pushed
    selection: str  # the selection it was given
    cameras: list[str]  # the cameras it had not reported yet
    options: dict[str, Any]  # the rollout it was started with ({} for runs before this field)


@dataclass(frozen=True)
class LastRun:
    run_id: int
    state: str  # running | done | aborted | resumed
    finished: str | None  # ISO 8601 UTC; None while running


@dataclass(frozen=True)
class RotationUnderWay:
    """A password rotation an earlier push started: finished with the same password."""

    name: str  # the credential's name in the secrets file
    on_new: int  # cameras already on the new password


class PushSession:
    """The journal, the workspace reconciled with it, and the plan/apply steps on both."""

    def __init__(
        self, journal_path: str | None, *, timeout_s: float = 20.0, concurrency: int = 32
    ) -> None:
        self.journal = Journal(journal_path)  # None: the default ($FLEETCTL_JOURNAL honoured)
        self.timeout_s = timeout_s
        self.concurrency = concurrency
        self._workspace: Workspace | None = None
        self._where: dict[str, rotate.Holds] = {}
        self._rotated: set[str] = set()

    # ------------------------------------------------------------------ lifetime

    async def __aenter__(self) -> PushSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.journal.close()

    # ------------------------------------------------------------------ what to push

    def interrupted(self) -> Interrupted | None:
        found = self.journal.interrupted_run()
        if found is None:
            return None
        return Interrupted(*found, options=self.journal.run_options(found[0]))

    def last_run(self) -> LastRun | None:
        """The newest push of any state (None: the journal records none)."""
        found = self.journal.last_run()
        return None if found is None else LastRun(*found)

    @property
    def journal_path(self) -> str:
        return self.journal.path

    def failed_last_run(self) -> list[str]:
        """The cameras the last push failed on (``--limit @failed``)."""
        return self.journal.failed_last_run()

    def finish_resumed(self, run_id: int) -> None:
        """The interrupted run ``run_id`` was finished by this session's apply."""
        self.journal.finish_run(run_id, "resumed")

    # ------------------------------------------------------------------ plan and apply

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            raise RuntimeError("PushSession.reconcile() first")
        return self._workspace

    async def reconcile(self, workspace: Workspace) -> Workspace:
        """A rotation under way: reach each camera with the password the journal says it has
        (cameras left in doubt are asked, one login each). Returns the workspace used from here."""
        self._workspace, self._where = await rotate.reconcile(
            workspace, self.journal, timeout_s=self.timeout_s, concurrency=self.concurrency
        )
        self._rotated = rotate.verified_cameras(self._workspace, self.journal)
        return self._workspace

    async def plan(
        self,
        cameras: Sequence[Camera],
        profile: Profile,
        *,
        on_planned: Callable[[PlannedCamera], None] | None = None,
    ) -> list[PlannedCamera]:
        """Read every camera and plan it (sends no write), at most ``concurrency`` at once.

        ``on_planned`` is called as each camera's plan is ready (a progress bar); the list keeps
        the order of ``cameras``.
        """
        ws = self.workspace
        if on_planned is None:
            return await plan_push(
                cameras,
                ws,
                profile,
                timeout_s=self.timeout_s,
                concurrency=self.concurrency,
                rotated=self._rotated,
            )
        sem = asyncio.Semaphore(self.concurrency)

        async def one(cam: Camera) -> PlannedCamera:
            # One camera per call so progress shows as each is read (positions come from the
            # whole inventory, so {n} in a hostname pattern is the same as a fleet-wide plan).
            async with sem:
                (p,) = await plan_push(
                    [cam], ws, profile, timeout_s=self.timeout_s, rotated=self._rotated
                )
            on_planned(p)
            return p

        return list(await asyncio.gather(*(one(c) for c in cameras)))

    def under_way(self) -> list[RotationUnderWay]:
        """Rotations an earlier push started, with how many cameras are on the new password."""
        ws = self.workspace
        return [
            RotationUnderWay(
                name,
                sum(
                    1
                    for c in rotate.rotated_cameras(ws, name)
                    if self._where.get(c.name) is rotate.Holds.NEW
                ),
            )
            for name in rotate.pending(ws)
        ]

    async def apply(
        self,
        planned: Sequence[PlannedCamera],
        profile: Profile,
        options: PushOptions,
        *,
        selection: str = "",
        on_result: Callable[[CameraOutcome], None] | None = None,
    ) -> PushReport:
        """Apply in batches (``runner.apply_push``): journaled, restored on failure, reported."""
        return await apply_push(
            planned,
            self.workspace,
            profile,
            options,
            self.journal,
            selection=selection,
            on_result=on_result,
        )

    def after_rotation(self, fresh: Workspace) -> Workspace:
        """``fresh`` (the workspace read again from disk after a rotation changed the secrets
        file) with each camera the journal shows on a still-pending new password overridden."""
        return from_journal(fresh, self.journal)
