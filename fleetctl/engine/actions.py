"""One-shot mutating actions on many cameras (sync time, reboot): bounded, deadlined, never raising.

The TUI's bulk actions and camera quick actions call this; the ONVIF work is the adapters'.
An outcome is a value per camera: ``"ok"`` or why not, in words (never a secret).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from fleetctl.adapters import onvif
from fleetctl.core.errors import SecretsError
from fleetctl.core.models import Camera, Credential
from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)

ACTION_CONCURRENCY = 32  # a reboot storm of hundreds at once would drop a site's NVR feeds together
Mutation = Callable[..., Awaitable[str | None]]
ACTIONS: dict[str, Mutation] = {"sync_time": onvif.sync_time, "reboot": onvif.reboot}


async def run_action(
    action: str,
    cameras: Sequence[Camera],
    workspace: Workspace,
    *,
    timeout_s: float = 10.0,
    concurrency: int = ACTION_CONCURRENCY,
) -> dict[str, str]:
    """Apply ``action`` to every camera, at most ``concurrency`` at once, each under ``timeout_s``.

    Returns camera name -> ``"ok"`` or the reason it failed. Raises KeyError for an unknown action
    (a programming error), nothing else.
    """
    mutate = ACTIONS[action]
    gate = asyncio.Semaphore(concurrency)

    async def one(camera: Camera) -> str:
        if not camera.onvif:
            return "not an ONVIF camera"
        try:
            credential: Credential | None = workspace.credential_for(camera)
        except SecretsError as err:
            return str(err)
        if credential is None:
            return "no credential in the inventory"
        async with gate:
            try:
                async with asyncio.timeout(timeout_s + 1.0):  # the adapter has its own; belt and braces
                    why = await mutate(camera, credential, timeout_s=timeout_s)
            except TimeoutError:
                why = f"no answer within {timeout_s:g} s"
            except Exception:  # a bug must not take the other cameras down with it
                log.exception("%s on %s failed", action, camera.name)
                why = "internal error (see the log)"
        return "ok" if why is None else why

    outcomes = await asyncio.gather(*(one(c) for c in cameras))
    return {c.name: o for c, o in zip(cameras, outcomes, strict=True)}


class EngineActions:
    """The TUI's ActionRunner backed by ``run_action`` with one workspace."""

    def __init__(self, workspace: Workspace, *, timeout_s: float = 10.0) -> None:
        self.workspace, self.timeout_s = workspace, timeout_s

    async def run(self, action: str, cameras: Sequence[Camera]) -> dict[str, str]:
        return await run_action(action, cameras, self.workspace, timeout_s=self.timeout_s)
