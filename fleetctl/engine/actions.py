"""One-shot mutating actions on many cameras (sync time, reboot): bounded, deadlined, never raising.

The TUI's bulk actions and camera quick actions call this; the ONVIF work is the adapters'.
An outcome is a value per camera: ``"ok"`` or why not, in words (never a secret).
A reboot is proven, not assumed (``engine.push.reboot.reboot_and_wait``: the camera went away and
came back), and one camera per site reboots at a time, as during a push.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from fleetctl.adapters.onvif import client as onvif
from fleetctl.core.errors import SecretsError
from fleetctl.core.models import Camera, Credential
from fleetctl.engine.push.reboot import SiteThrottle, reboot_and_wait
from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)

ACTION_CONCURRENCY = 32  # cameras worked on at once across the fleet
REBOOT_WAIT_S = 180.0  # SystemReboot to answering again: most cameras boot in 30-90 s
ACTIONS = ("sync_time", "reboot")


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
    if action not in ACTIONS:
        raise KeyError(action)
    gate = asyncio.Semaphore(concurrency)
    throttle = SiteThrottle()

    async def sync_time(camera: Camera, credential: Credential) -> str | None:
        async with (
            gate,
            asyncio.timeout(timeout_s + 1.0),
        ):  # the adapter has its own; belt and braces
            return await onvif.sync_time(camera, credential, timeout_s=timeout_s)

    async def reboot(camera: Camera, credential: Credential) -> str | None:
        # One camera per site at a time: a site's cameras share an uplink and a recorder. The site
        # lock is taken before a fleet slot, so a site's queue never holds slots other sites need.
        async with (
            throttle.site(camera.site),
            gate,
            asyncio.timeout(timeout_s + REBOOT_WAIT_S + 1.0),
        ):
            failed = await reboot_and_wait(
                camera, credential, timeout_s=timeout_s, wait_s=REBOOT_WAIT_S
            )
        return failed.message if failed else None

    mutate = sync_time if action == "sync_time" else reboot

    async def one(camera: Camera) -> str:
        if not camera.onvif:
            return "not an ONVIF camera"
        try:
            credential: Credential | None = workspace.credential_for(camera)
        except SecretsError as err:
            return str(err)
        if credential is None:
            return "no credential in the inventory"
        try:
            why = await mutate(camera, credential)
        except TimeoutError:
            why = "no answer in time"
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
