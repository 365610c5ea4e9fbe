"""`serve --history-keep 90d`: the history pruned once a day, in a thread of its own.

    DailyPrune(path, keep).run(stop)   prune now, then every ``every_s``, until stop

A prune deletes in short transactions (``engine.retention``) from a connection of its own, so
the event loop never waits on it and the monitor's writes wait at most one batch. A stop during
a prune ends it after the batch in progress. A failure is logged and tried again the next day:
monitoring goes on whatever the history store does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from fleetctl.engine.retention import PruneResult, prune

log = logging.getLogger(__name__)

DAY_S = 86400.0

Pruner = Callable[..., PruneResult]


class DailyPrune:
    def __init__(
        self,
        path: str,
        keep: timedelta,
        *,
        every_s: float = DAY_S,
        pruner: Pruner = prune,
        on_done: Callable[[PruneResult], None] | None = None,
    ) -> None:
        self.path = path
        self.keep = keep
        self.every_s = every_s
        self.pruner = pruner
        self.on_done = on_done
        self.last: PruneResult | None = None
        self._stop = threading.Event()

    async def run_once(self) -> PruneResult | None:
        try:
            result = await asyncio.to_thread(self.pruner, self.path, self.keep, stop=self._stop)
        except Exception as err:  # the store's trouble, or a bug: said, tried again tomorrow
            log.error("history prune of %s failed: %s", self.path, err)
            return None
        self.last = result
        log.info("%s", result.summary(self.path))
        if self.on_done is not None:
            self.on_done(result)
        return result

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: prune, then wait ``every_s`` (or the stop)."""
        watcher = asyncio.ensure_future(stop.wait())
        watcher.add_done_callback(lambda _f: self._stop.set())  # the thread sees it between batches
        try:
            while not stop.is_set():
                await self.run_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.every_s)
        finally:
            watcher.cancel()
