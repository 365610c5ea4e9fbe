"""Bringing up a factory-fresh Axis: the first administrator, made while the device needs setup.

``POST /axis-cgi/systemready.cgi`` (``{"apiVersion":"1.0","method":"systemready"}``, no auth)
says ``needsetup``; while it does, ``/axis-cgi/pwdgrp.cgi?action=add&user=root&...`` makes the
administrator without auth. Once: the device's answer (its own words on a refusal) decides, and
the password is never sent again. The ONVIF accounts (a separate list) are made over ONVIF with
that administrator (adapters/onvif/users.py).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from fleetctl.adapters.http.body import read_capped
from fleetctl.adapters.provision.session import ProvisionError
from fleetctl.core.secret import Secret
from fleetctl.core.text import clean

ADMIN = "root"
MAX_BODY = 16 * 1024


async def needs_setup(session: Any, host: str, port: int, timeout_s: float) -> bool | None:
    """True while the device has no administrator; None: no such API (older firmware) or no
    answer. Never raises."""
    body = {"apiVersion": "1.0", "method": "systemready"}
    try:
        async with session.post(
            f"http://{host}:{port}/axis-cgi/systemready.cgi",
            json=body,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            if resp.status != 200:
                return None
            data = json.loads(await read_capped(resp.content, MAX_BODY))
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
        return None
    value = data.get("data", {}).get("needsetup") if isinstance(data, dict) else None
    return {"yes": True, "no": False}.get(str(value).lower())


async def probe(host: str, port: int, *, timeout_s: float) -> bool | None:
    """``needs_setup`` on its own HTTP session."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return await needs_setup(session, host, port, timeout_s)


async def create_admin(host: str, port: int, password: Secret, *, timeout_s: float) -> None:
    """The first administrator (``root``), once; raises ProvisionError with the device's words."""
    params = {
        "action": "add",
        "user": ADMIN,
        "pwd": password.reveal(),
        "grp": "root",
        "sgrp": "admin:operator:viewer:ptz",
    }
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://{host}:{port}/axis-cgi/pwdgrp.cgi", params=params) as resp,
        ):
            text = (await read_capped(resp.content, MAX_BODY)).decode("utf-8", "replace")
            status = resp.status
    except (aiohttp.ClientError, TimeoutError, OSError) as err:
        raise ProvisionError(
            f"{host}:{port}: no answer to pwdgrp.cgi ({type(err).__name__})"
        ) from None
    if status != 200 or "error" in text.lower():
        words = clean(text.strip(), 200) or f"HTTP {status}"
        raise ProvisionError(f"{host}:{port}: the administrator was not created: {words}")
