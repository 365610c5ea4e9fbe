"""The side probes of a camera's check: storage (vendor HTTP, SSH df, ONVIF recordings) and
security (factory credentials, RTSP without auth, one factory login when asked).

They run after ONVIF, beside the stream, each under its own deadline from the camera's budget.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial

from fleetctl.base.i18n import M_, Msg
from fleetctl.core.models import Credential, Problem
from fleetctl.core.probes import Failure, OnvifProbe, SecurityProbe, StorageReadout
from fleetctl.core.verdicts import rules as verdicts
from fleetctl.engine.check.camera_run import (
    MAX_REPLY_BYTES,
    OWN_DEADLINE_MARGIN_S,
    SECURITY_TIMEOUT_S,
    STORAGE_TIMEOUT_S,
    CameraRun,
)

# Hikvision and Dahua expose disk health only through their own HTTP APIs (ONVIF has none).
_VENDOR_BY_MANUFACTURER = {"hikvision": "hikvision", "dahua": "dahua"}


async def storage(run: CameraRun, onvif: OnvifProbe | None, credential: Credential | None) -> None:
    cam = run.camera
    t0 = time.monotonic()
    readouts: list[StorageReadout] = []
    vendor = _vendor(onvif)
    # The vendor API lives on the same web server: if ONVIF ran out of time there, so would it.
    http_usable = onvif is not None and onvif.failure is not Failure.TIMEOUT
    if vendor is not None and credential is not None and http_usable:
        from fleetctl.adapters.storage.vendor_http import read_vendor_storage

        readouts.append(
            await run.limited(
                lambda: read_vendor_storage(
                    cam.host,
                    cam.port,
                    vendor,
                    credential,
                    timeout_s=run.budget(STORAGE_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
                    max_bytes=MAX_REPLY_BYTES,
                    pool=run.pool,
                    allow_basic=cam.policy.allow_basic_auth,
                )
            )
        )
    ssh_problems: list[Problem] = []
    if cam.ssh is not None:
        ssh = await _ssh_storage(run)
        readouts.append(ssh)
        ssh_problems = verdicts.unreadable_storage_problems(ssh, "SSH")
    recordings = onvif.recordings if onvif is not None else None
    media, found = verdicts.judge_storage(
        readouts, recordings, cam.policy, datetime.now().astimezone()
    )
    found += ssh_problems
    run.storage = media
    now = datetime.now().astimezone()
    parts = verdicts.storage_notes(media, recordings, cam.policy, now)
    parts += [Msg(r.error) for r in readouts if r.error]  # the camera's words: not translated
    if recordings:
        parts.append(M_("%(n)d recording(s)", n=len(recordings)))
        kept = [r.days_kept for r in recordings if r.days_kept is not None]
        if kept:
            run.days_kept = max(kept)
            parts.append(M_("footage kept %(days)g days", days=round(max(kept), 1)))
    detail = M_("no storage exposed")
    if parts:
        detail = parts[0]
        for part in parts[1:]:
            detail = detail.plus(Msg("; ")).plus(part)
    run.step("storage", found, detail, t0)


async def _ssh_storage(run: CameraRun) -> StorageReadout:
    from fleetctl.adapters.storage.ssh import read_ssh_storage

    cam = run.camera
    assert cam.ssh is not None
    cred = run.workspace.ssh_credential_for(cam)
    if cred is None:
        return StorageReadout(ok=False, failure=Failure.AUTH, error="no SSH credentials configured")
    known_hosts = run.workspace.known_hosts_path
    return await run.limited(
        lambda: read_ssh_storage(
            cam.host,
            cam.ssh.port if cam.ssh else 22,
            cred,
            known_hosts_path=known_hosts,
            tofu=cam.policy.ssh_tofu,
            timeout_s=run.budget(STORAGE_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
        )
    )


async def security(
    run: CameraRun, credential: Credential | None, uri: str | None, played_without_auth: bool | None
) -> None:
    from fleetctl.adapters import factory
    from fleetctl.adapters.rtsp.client import probe_rtsp_noauth

    cam, opts = run.camera, run.options
    t0 = time.monotonic()
    manufacturer = run.device.manufacturer if run.device else None
    is_default = credential is not None and factory.is_factory_credential(
        credential.username,
        credential.password.reveal() if credential.password else "",
        manufacturer,
    )
    noauth = played_without_auth
    if noauth is None and uri is not None:
        noauth = await run.limited(
            lambda: probe_rtsp_noauth(
                uri,
                timeout_s=run.budget(SECURITY_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
                host_override=cam.host,
                port_override=None,
            )
        )
    opens: bool | None = None
    user: str | None = None
    recalled = False
    if opts.check_default_passwords and cam.onvif and not is_default and run.answered:
        opens, user, recalled = await _factory_logins(run)
    sec = SecurityProbe(
        default_password_opens=opens,
        default_username=user if opens else None,
        fleet_credential_is_default=is_default,
        rtsp_plays_without_auth=noauth,
    )
    found = verdicts.security_problems(sec)
    tried = M_("checked fleet credential")
    if uri:
        tried = tried.plus(M_(", rtsp without auth"))
    if recalled:
        tried = tried.plus(
            M_(", factory password (the last attempt's result: within its lockout window)")
        )
    elif opens is not None:
        tried = tried.plus(M_(", factory password"))
    run.step("security", found, tried, t0)


# How long a camera is left alone after factory logins were tried on it: the longest common
# lockout (Hikvision locks a client address for 30 minutes after ~7 failed logins). Until then
# the last attempt's result stands, so the finding neither flaps nor costs another attempt.
LOCKOUT_WINDOW_S = 30 * 60
MAX_TRIES = 3  # lockout thresholds are commonly 5 to 7: leave room for everyone else's typos


async def _factory_logins(run: CameraRun) -> tuple[bool | None, str | None, bool]:
    """(opens, the user name that opened, from memory?) for the camera's factory logins.

    Its vendor's logins for its firmware generation, most likely first, at most
    ``policy.default_password_tries`` of them (3 at most), stopping at the first that opens;
    never again within ``LOCKOUT_WINDOW_S`` of the last attempt (kept in the history store).
    The password is never reported: only the user name.
    """
    from fleetctl.adapters import factory
    from fleetctl.adapters.onvif.client import try_login

    cam, memory = run.camera, run.memory
    now = datetime.now(UTC)
    last = memory.get("factory_tried")
    if last:
        at, _, result = last.partition("|")
        try:
            age = (now - datetime.fromisoformat(at)).total_seconds()
        except ValueError:
            age = LOCKOUT_WINDOW_S
        if 0 <= age < LOCKOUT_WINDOW_S:
            kind, _, user = result.partition(":")
            return (
                (True if kind == "opens" else False if kind == "refused" else None),
                (user or None),
                True,
            )
    device = run.device
    budget = max(0, min(MAX_TRIES, cam.policy.default_password_tries))
    logins = factory.factory_logins_for(
        device.manufacturer if device else None, device.firmware if device else None
    )[:budget]
    opens: bool | None = None
    for login in logins:
        answer = await run.limited(
            partial(
                try_login,
                cam,
                login.username,
                login.password,
                timeout_s=run.budget(SECURITY_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
                pool=run.pool,
            )
        )
        if answer is True:
            memory.learn("factory_tried", f"{now.isoformat()}|opens:{login.username}")
            return True, login.username, False
        opens = False if answer is False else opens
    if logins:
        memory.learn(
            "factory_tried", f"{now.isoformat()}|{'refused' if opens is False else 'unknown'}"
        )
    return opens, None, False


def _vendor(onvif: OnvifProbe | None) -> str | None:
    if onvif is None or onvif.device is None or not onvif.device.manufacturer:
        return None
    return _VENDOR_BY_MANUFACTURER.get(onvif.device.manufacturer.strip().lower())
