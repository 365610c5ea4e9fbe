"""The side probes of a camera's check: storage (vendor HTTP, SSH df, ONVIF recordings) and
security (factory credentials, RTSP without auth, one factory login when asked).

They run after ONVIF, beside the stream, each under its own deadline from the camera's budget.
"""

from __future__ import annotations

import time
from datetime import datetime

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
    known_hosts = getattr(run.workspace, "known_hosts_path", None)
    return await run.limited(
        lambda: read_ssh_storage(
            cam.host,
            cam.ssh.port if cam.ssh else 22,
            cred,
            known_hosts_path=known_hosts,
            timeout_s=run.budget(STORAGE_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
        )
    )


async def security(
    run: CameraRun, credential: Credential | None, uri: str | None, played_without_auth: bool | None
) -> None:
    from fleetctl.adapters import factory
    from fleetctl.adapters.onvif.client import try_login
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
    if opts.check_default_passwords and cam.onvif and not is_default and run.answered:
        # One attempt per camera: a second could trip the account lockout of many firmwares.
        guess = factory.first_factory_login(manufacturer)
        user = guess.username
        opens = await run.limited(
            lambda: try_login(
                cam,
                guess.username,
                guess.password,
                timeout_s=run.budget(SECURITY_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
                pool=run.pool,
            )
        )
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
    if opens is not None:
        tried = tried.plus(M_(", factory password"))
    run.step("security", found, tried, t0)


def _vendor(onvif: OnvifProbe | None) -> str | None:
    if onvif is None or onvif.device is None or not onvif.device.manufacturer:
        return None
    return _VENDOR_BY_MANUFACTURER.get(onvif.device.manufacturer.strip().lower())
