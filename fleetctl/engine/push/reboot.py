"""Reboots during a push: when one is due, and rebooting a camera with proof it came back.

    needs_reboot(mode, changed) -> bool
    reboot_note(mode) -> str                        what the plan says about reboots
    SiteThrottle                                    one camera per site rebooting at a time
    reboot_and_wait(camera, credential, *, timeout_s, wait_s) -> RebootFailure | None

SystemReboot answers *before* the camera goes down, so an answer proves nothing:
we poll an unauthenticated GetSystemDateAndTime until it stops answering and then until it
answers again, within ``wait_s``. Unauthenticated, so the polling never spends a login attempt
(and the clock, which many cameras lose on reboot, cannot reject a WS-Security Created).
Throttled per site because a site's cameras often share one uplink and one recorder: a whole
site dark at once loses its evidence.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from fleetctl.adapters.onvif.client import clock_answers, reboot
from fleetctl.base.i18n import N_
from fleetctl.core.models import Camera, Credential

POLL_S = 0.25  # between two clock polls: cheap for the camera, a small fraction of a boot


class RebootStage(StrEnum):
    """Where a reboot stopped short of its proof."""

    REFUSED = "refused"  # SystemReboot was not accepted: the camera did not reboot
    GO_DOWN = "go down"  # accepted, but the camera kept answering
    COME_BACK = "come back"  # it went away and did not answer again in time


@dataclass(frozen=True)
class RebootFailure:
    """Why a reboot is not proven: the stage it stopped at, and the reason in words."""

    stage: RebootStage
    message: str

    def __str__(self) -> str:
        return self.message


def needs_reboot(mode: str, changed: bool) -> bool:
    """``always``: every changed camera. ``if-needed``: only for a change that needs one, and no
    setting push writes over ONVIF does (they apply live), so never today. ``never``: never."""
    return mode == "always" and changed


def reboot_note(mode: str) -> str:
    """English, marked: a front-end shows ``_(reboot_note(mode))``."""
    return {
        "always": N_("reboot: each changed camera after its change, one camera per site at a time"),
        "if-needed": N_(
            "reboot: not needed (no setting in this profile needs one on ONVIF cameras)"
        ),
        "never": N_("reboot: never (profile)"),
    }[mode]


class SiteThrottle:
    """One lock per site: a camera reboots only when no other camera of its site is rebooting."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def site(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())


async def _until(camera: Camera, answering: bool, timeout_s: float) -> None:
    while await clock_answers(camera, timeout_s=timeout_s) is not answering:
        await asyncio.sleep(POLL_S)


async def reboot_and_wait(
    camera: Camera, credential: Credential, *, timeout_s: float, wait_s: float
) -> RebootFailure | None:
    """SystemReboot, then proof: the camera went away and answers again within ``wait_s``."""
    why = await reboot(camera, credential, timeout_s=timeout_s)
    if why is not None:
        return RebootFailure(RebootStage.REFUSED, f"reboot refused: {why}")
    poll_timeout = min(timeout_s, 2.0)
    stage = RebootStage.GO_DOWN
    try:
        async with asyncio.timeout(wait_s):
            await _until(camera, False, poll_timeout)
            stage = RebootStage.COME_BACK
            await _until(camera, True, poll_timeout)
    except TimeoutError:
        return RebootFailure(stage, f"rebooted, but did not {stage} within {wait_s:g} s")
    return None
