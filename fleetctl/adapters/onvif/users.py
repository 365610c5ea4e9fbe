"""ONVIF account management (device service): what onboarding needs to take a camera over.

    get_users(camera, credential, *, timeout_s) -> tuple[OnvifUser, ...] | CallFailure
    ensure_user(camera, credential, username, password, *, level, timeout_s) -> CallFailure | None
    set_password(camera, credential, username, password, *, level, timeout_s) -> CallFailure | None
    delete_users(camera, credential, usernames, *, timeout_s) -> CallFailure | None

Camera facts that shape this (what real firmware does):
- SetUser is all-or-nothing and a user entry without ``Password`` may *clear* the password on
  real firmware: every SetUser here carries the password and the level, one user per call.
- Changing the password of the account the session logs in with invalidates the session: such a
  SetUser is the last call of its conversation, and the caller logs in again to verify.
- Many firmwares (Hikvision, Dahua) refuse to delete their built-in ``admin``: retiring a
  factory account means giving it a new password, not deleting it.
Nothing here raises for a camera's failure: it returns a ``CallFailure`` (core.probes), whose
message never contains a password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fleetctl.adapters.onvif.client import DEFAULT_MAX_BYTES, _read_timeout, load_wsdls
from fleetctl.adapters.onvif.clock import field
from fleetctl.adapters.onvif.parse import items, text
from fleetctl.adapters.onvif.session import Conversation, OnvifCallError
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import CallFailure, Failure

LEVELS = ("Administrator", "Operator", "User")
T = TypeVar("T")


@dataclass(frozen=True)
class OnvifUser:
    username: str
    level: str | None  # Administrator | Operator | User (| Anonymous, Extended on some)


async def _converse(
    camera: Camera,
    credential: Credential,
    timeout_s: float,
    what: str,
    body: Callable[[Conversation], Awaitable[T]],
) -> T | CallFailure:
    """Clock first (WS-Security offset), then ``body``; the result, or why not."""
    await load_wsdls()
    conv = Conversation(
        camera, credential, max_bytes=DEFAULT_MAX_BYTES, read_timeout_s=_read_timeout(timeout_s)
    )
    try:
        async with asyncio.timeout(timeout_s):
            await conv.measure_clock()
            return await body(conv)
    except TimeoutError:
        return CallFailure(
            Failure.TIMEOUT, f"{conv.where}: {what}: no answer within {timeout_s:g} s"
        )
    except OnvifCallError as err:
        return CallFailure(err.failure, str(err))
    finally:
        await conv.aclose()


def _users(reply: Any) -> tuple[OnvifUser, ...]:
    out = []
    for u in items(reply):
        name = text(field(u, "Username"))
        if name:
            out.append(OnvifUser(name, text(field(u, "UserLevel"))))
    return tuple(out)


def _entry(username: str, password: str, level: str) -> dict[str, Any]:
    if level not in LEVELS:
        raise ValueError(f"user level must be one of {', '.join(LEVELS)}")
    return {"Username": username, "Password": password, "UserLevel": level}


async def get_users(
    camera: Camera, credential: Credential, *, timeout_s: float
) -> tuple[OnvifUser, ...] | CallFailure:
    """The camera's accounts (names and levels; cameras never return passwords)."""

    async def body(conv: Conversation) -> tuple[OnvifUser, ...]:
        return _users(await conv.authed("devicemgmt", "GetUsers"))

    return await _converse(camera, credential, timeout_s, "GetUsers", body)


async def ensure_user(
    camera: Camera,
    credential: Credential,
    username: str,
    password: str,
    *,
    level: str = "Administrator",
    timeout_s: float,
) -> CallFailure | None:
    """Make account ``username`` exist with ``password`` and ``level``: CreateUsers when it is
    absent, else SetUser (a rerun after a half-done onboarding). None on success, else why."""
    entry = _entry(username, password, level)

    async def body(conv: Conversation) -> None:
        present = {u.username for u in _users(await conv.authed("devicemgmt", "GetUsers"))}
        if username in present:
            # When it is the session's own account this is the conversation's last call.
            await conv.authed("devicemgmt", "SetUser", User=[entry])
        else:
            await conv.authed("devicemgmt", "CreateUsers", User=[entry])

    result = await _converse(camera, credential, timeout_s, "CreateUsers/SetUser", body)
    return result if isinstance(result, CallFailure) else None


async def set_password(
    camera: Camera,
    credential: Credential,
    username: str,
    password: str,
    *,
    level: str = "Administrator",
    timeout_s: float,
) -> CallFailure | None:
    """SetUser for one existing account, password and level both sent (never a partial entry)."""
    entry = _entry(username, password, level)

    async def body(conv: Conversation) -> None:
        await conv.authed("devicemgmt", "SetUser", User=[entry])

    result = await _converse(camera, credential, timeout_s, "SetUser", body)
    return result if isinstance(result, CallFailure) else None


async def delete_users(
    camera: Camera, credential: Credential, usernames: Sequence[str], *, timeout_s: float
) -> CallFailure | None:
    """DeleteUsers (cameras refuse to delete the account in use and, often, built-in admins)."""

    async def body(conv: Conversation) -> None:
        await conv.authed("devicemgmt", "DeleteUsers", Username=list(usernames))

    result = await _converse(camera, credential, timeout_s, "DeleteUsers", body)
    return result if isinstance(result, CallFailure) else None
