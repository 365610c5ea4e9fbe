"""Onboarding's step 5, group-committed: entries that reach the inventory at the same time are
written together.

    await write_camera(path, site, fields) -> bool      True if the file changed; durable on return

Raises what ``core.inventory.writer.upsert_camera`` raises for that camera (InventoryError,
ValueError, OSError), never another camera's error.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Any

from fleetctl.core.inventory.writer import upsert_camera, upsert_cameras


async def write_camera(path: str, site: str, fields: dict[str, Any]) -> bool:
    """Add or update one camera, sharing the read-validate-write with concurrent callers."""
    return await _group_writer(path, site).write(fields)


class GroupWriter:
    """Group commit of step 5 for one inventory file and site, within one event loop.

    Devices reach step 5 at their own pace. The first one writes; those arriving while its
    write runs (in a thread: a write never stalls the other devices' network steps) queue up
    and go together in the next write, one ``upsert_cameras`` call for all of them: one read,
    one validation, one atomic replace instead of one each (a 10,000-camera file took ~50 s per
    camera written). ``write`` returns only once the camera's entry is on disk (fsynced), so a
    device is never reported done before it is durable. A batch that fails (one bad entry, a
    name taken in another site) is retried camera by camera: each device gets its own outcome.
    """

    def __init__(self, path: str, site: str) -> None:
        self.path, self.site = path, site
        self.lock = asyncio.Lock()
        self.queue: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []

    async def write(self, fields: dict[str, Any]) -> bool:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.queue.append((fields, done))
        async with self.lock:
            if not done.done():  # else an earlier holder wrote it along with its own
                batch, self.queue = self.queue, []
                await self._flush(batch)
        return done.result()

    async def _flush(self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]]) -> None:
        try:
            changed = await asyncio.to_thread(
                upsert_cameras, self.path, self.site, [f for f, _ in batch]
            )
        except Exception as err:
            if len(batch) == 1:
                batch[0][1].set_exception(err)
                return
            for fields, done in batch:
                try:
                    done.set_result(
                        await asyncio.to_thread(upsert_camera, self.path, self.site, fields)
                    )
                except Exception as one:
                    done.set_exception(one)
            return
        for (_, done), result in zip(batch, changed, strict=True):
            done.set_result(result)


_writers: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str], GroupWriter]
] = weakref.WeakKeyDictionary()


def _group_writer(path: str, site: str) -> GroupWriter:
    """The loop's writer for (file, site): devices of one run (or of two runs in one process)
    share it, so their entries are written together."""
    per_loop = _writers.setdefault(asyncio.get_running_loop(), {})
    key = (os.path.abspath(path), site)
    if key not in per_loop:
        per_loop[key] = GroupWriter(key[0], site)
    return per_loop[key]
