"""A check spread over forked worker processes: one event loop per core.

A health check is CPU-bound on our side (SOAP parsing, RTP counting: ~10 ms per camera), so
one event loop saturates one core long before the network is busy. ``ForkedCheck.start`` orders
the cameras (the slowest last time first, ``admission.schedule``), deals them round-robin into
one shard per worker (so the slow ones spread evenly), then forks
``workers - 1`` children *before* any event loop or progress thread exists; each child inherits
the loaded workspace (secrets never cross a pipe), checks its shard and streams pickled
CameraReports back over a pipe as they finish (non-blocking writes). The parent checks its own
shard meanwhile and merges, so ``on_result`` sees every camera as it completes, in one process,
and the report keeps the order of ``cameras``.

A child that dies costs its unfinished cameras an ``unknown`` problem, never the run. Linux only
(fork); elsewhere, and for small fleets, ``workers`` falls back to 1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from fleetctl import __version__
from fleetctl.base import aio
from fleetctl.base.i18n import M_
from fleetctl.core.models import Camera, CameraReport, FleetReport, Problem, ProblemKind, Status
from fleetctl.engine.check.admission import schedule
from fleetctl.engine.check.runner import CheckOptions, check_cameras
from fleetctl.engine.history import HistoryStore
from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)

MIN_SHARD = 150  # below this a worker's start-up (fork, new loop, new pool) is not worth it
_HEADER = 4


def auto_workers(n_cameras: int) -> int:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, n_cameras // MIN_SHARD))


class _PipeOut(asyncio.Protocol):
    """A child's end of its pipe to the parent. Writes go through the event loop and never
    block it: when the parent is busy and the pipe (64 KiB) is full, a blocking write would
    freeze every camera in flight in this child. ``closed`` resolves once all that was written
    has reached the pipe (or the parent is gone)."""

    def __init__(self) -> None:
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


def _child(shard: Sequence[Camera], workspace: Workspace, options: CheckOptions, fd: int) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        transport, pipe = await loop.connect_write_pipe(_PipeOut, os.fdopen(fd, "wb", 0))

        def send(report: CameraReport) -> None:
            data = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
            transport.write(len(data).to_bytes(_HEADER, "big") + data)

        try:
            await check_cameras(shard, workspace, options, on_result=send)
        finally:
            transport.close()  # after what is buffered is written
            await pipe.closed

    aio.run(main())  # uvloop when installed (fleetctl/base/aio.py)


@dataclass
class ForkedCheck:
    cameras: Sequence[Camera]
    workspace: Workspace
    options: CheckOptions
    own: Sequence[Camera] = ()
    children: list[tuple[int, int, Sequence[Camera]]] = field(
        default_factory=list
    )  # pid, fd, shard
    # Where the run's time went (seconds, filled by run()): for `fleetctl -v check`'s timeline.
    first_result_s: float | None = None  # from run() to the first camera's report
    record_s: float | None = None  # writing the history

    @classmethod
    def start(
        cls,
        cameras: Sequence[Camera],
        workspace: Workspace,
        options: CheckOptions,
        workers: int,
        expected_s: Mapping[str, float] | None = None,
    ) -> ForkedCheck:
        """Fork the workers now (call before starting any thread or event loop).

        ``expected_s`` (camera name -> its last check's duration, from the history) decides the
        start order: the slow cameras first, spread evenly over the workers
        (``admission.schedule``). The report keeps the order of ``cameras``.
        """
        workers = max(1, min(workers, len(cameras)))
        order = schedule(cameras, expected_s or {})
        shards = [order[i::workers] for i in range(workers)]
        job = cls(cameras, workspace, options, own=shards[0])
        if workers == 1:
            return job
        per_child = replace(options, concurrency=max(1, options.concurrency // workers))
        job.options = per_child
        for shard in shards[1:]:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: check the shard, report, leave without running atexit hooks
                os.close(r)
                code = 0
                try:
                    _child(shard, workspace, per_child, w)
                except BaseException:
                    code = 1
                os._exit(code)
            os.close(w)
            job.children.append((pid, r, shard))
        return job

    async def run(
        self,
        on_result: Callable[[CameraReport], None] | None = None,
        history: HistoryStore | None = None,
    ) -> FleetReport:
        started, t0 = datetime.now(UTC), time.monotonic()
        done: dict[str, CameraReport] = {}

        def deliver(report: CameraReport) -> None:
            # Never raises: it runs in the readers of the children's pipes too, where an
            # exception would end the whole run (check_cameras guards its own callbacks).
            if self.first_result_s is None:
                self.first_result_s = time.monotonic() - t0
            if history is not None:
                try:
                    report = history.annotate(report)
                except Exception:
                    log.warning("history: could not annotate %s", report.name, exc_info=True)
            done[report.name] = report
            if on_result is not None:
                try:
                    on_result(report)
                except Exception:
                    log.exception("on_result callback failed for %s", report.name)

        async def read(fd: int) -> None:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader(limit=2**24)
            transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0)
            )
            try:
                while True:
                    try:
                        size = int.from_bytes(await reader.readexactly(_HEADER), "big")
                        deliver(pickle.loads(await reader.readexactly(size)))
                    except asyncio.IncompleteReadError:
                        return
            finally:
                transport.close()

        try:
            await asyncio.gather(
                check_cameras(self.own, self.workspace, self.options, on_result=deliver),
                *(read(fd) for _, fd, _ in self.children),
            )
        finally:
            for pid, _, _ in self.children:
                await asyncio.to_thread(os.waitpid, pid, 0)
        now = datetime.now(UTC)
        reports = []
        for cam in self.cameras:
            rep = done.get(cam.name)
            if rep is None:  # its worker died: the camera's result is unknown, the run goes on
                rep = CameraReport(
                    cam.name,
                    cam.site,
                    cam.host,
                    Status.UNKNOWN,
                    (
                        Problem.of(
                            ProblemKind.ONVIF,
                            Status.UNKNOWN,
                            M_("could not check: its worker process died; run with -vv"),
                        ),
                    ),
                    checked_at=now,
                )
                deliver(rep)
            reports.append(rep)
        fleet = FleetReport(__version__, started, round(time.monotonic() - t0, 3), tuple(reports))
        if history is not None:
            t1 = time.monotonic()
            try:
                history.record(fleet)
            except Exception as err:  # the report still reaches the user
                log.error("history: this run was not saved: %s", err)
            self.record_s = time.monotonic() - t1
        return fleet
