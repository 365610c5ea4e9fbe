"""Where the TUI's results come from: an injectable source with one method, ``sweep``.

The real source wraps the engine's ``check_cameras``; tests and the benchmark use
``ScriptedSource`` to drive pure-UI interactions with prepared reports (UI isolation: the
protocol code is exercised by the engine's own tests and by the TUI's simulator tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from fleetctl.core.models import Camera, CameraReport, Status

if TYPE_CHECKING:
    from fleetctl.core.report.model import Report
    from fleetctl.engine.check.runner import CheckOptions
    from fleetctl.engine.history import HistoryStore, TimelineEntry
    from fleetctl.engine.workspace import Workspace

OnResult = Callable[[CameraReport], None]


class SweepSource(Protocol):
    """What the app needs from a data source. A source may also have ``async def aclose()``:
    the app awaits it on exit, inside its event loop (connection pools close there)."""

    async def sweep(self, cameras: Sequence[Camera], on_result: OnResult) -> None:
        """Check ``cameras``, calling ``on_result`` once per camera as each result arrives.

        Must not raise for a per-camera failure (that is a report with problems)."""


class ActionRunner(Protocol):
    async def run(self, action: str, cameras: Sequence[Camera]) -> dict[str, str]:
        """Apply ``action`` (``sync_time`` | ``reboot``) and return name -> outcome in words."""


class EngineSource:
    """The real thing: ``fleetctl.engine.check.runner.check_cameras`` with the app's options.

    With ``history`` (a HistoryStore) the engine annotates problems with "since" and records
    each sweep; the camera view reads the problem timeline from it.
    """

    def __init__(
        self,
        workspace: Workspace,
        options: CheckOptions | None = None,
        history: HistoryStore | None = None,
    ) -> None:
        self.workspace, self.options, self.history = workspace, options, history

    async def sweep(self, cameras: Sequence[Camera], on_result: OnResult) -> None:
        from fleetctl.engine.check.runner import CheckOptions, check_cameras

        options = self.options if self.options is not None else CheckOptions()
        await check_cameras(
            list(cameras), self.workspace, options, on_result=on_result, history=self.history
        )

    def timeline(self, name: str) -> list[TimelineEntry]:
        return self.history.timeline(name) if self.history is not None else []

    def report(self, cameras: Sequence[Camera], hours: float = 24.0) -> Report | None:
        """The `fleetctl report` numbers of ``cameras`` over the last ``hours`` (None: no history)."""
        if self.history is None:
            return None
        from fleetctl.engine.report import make_report

        end = datetime.now(UTC)
        locations = {s.name: s.location for s in self.workspace.inventory.sites}
        return make_report(
            self.history, cameras, end - timedelta(hours=hours), end, locations=locations
        )


class ScriptedSource:
    """Plays back prepared reports in the cameras' order.

    Names in ``hold`` behave like a dead camera: their result arrives only after ``release()``,
    while every other result is delivered (the UI must stay usable meanwhile). A camera with no
    prepared report gets an ``unknown`` one. ``sweeps`` counts completed sweeps.
    """

    def __init__(self, reports: Iterable[CameraReport], hold: Iterable[str] = ()) -> None:
        self.reports = {r.name: r for r in reports}
        self.hold = set(hold)
        self.sweeps = 0
        self.checked: list[list[str]] = []  # the names of each sweep, in order
        self.started = asyncio.Event()
        self._released = asyncio.Event()
        self._swept = asyncio.Condition()

    def release(self) -> None:
        self._released.set()

    def set(self, report: CameraReport) -> None:
        """Change what the next sweep says about one camera."""
        self.reports[report.name] = report

    def _report(self, cam: Camera) -> CameraReport:
        return self.reports.get(cam.name) or CameraReport(
            cam.name, cam.site, cam.host, Status.UNKNOWN
        )

    async def wait_sweeps(self, n: int) -> None:
        """Until ``n`` sweeps have completed: the signal tests wait on, never a sleep."""
        async with self._swept:
            await self._swept.wait_for(lambda: self.sweeps >= n)

    async def sweep(self, cameras: Sequence[Camera], on_result: OnResult) -> None:
        self.started.set()
        self.checked.append([c.name for c in cameras])
        held = [c for c in cameras if c.name in self.hold]
        for i, cam in enumerate(c for c in cameras if c.name not in self.hold):
            on_result(self._report(cam))
            if i % 64 == 63:
                await asyncio.sleep(0)  # yield like a real fan-out: results trickle in
        if held:
            await self._released.wait()
            for cam in held:
                on_result(self._report(cam))
        async with self._swept:
            self.sweeps += 1
            self._swept.notify_all()
