"""Factory logins a device refused, remembered across runs, so a rerun does not send them again.

Cameras count failed logins per client address and lock it out (Hikvision: ~7 failures, 30
minutes, the technician's browser included), and a locked camera refuses even the right
password, exactly as it refuses a wrong one. `onboard` sends each factory login once per run;
without a memory, rerunning it after a refusal would send the same refused password each time,
until the device locked this address and then "refused" its real default too. So a refusal is
written here, and a later run does not send that login to that device again (it says so); a
login that opens the device clears the device's entries.

The file (JSON, ``0600``) holds, per device (``model.device_id``), the time of each refusal
keyed by a truncated SHA-256 of the device id, user name and password: no password is stored.
Reads and writes are synchronous and small, with no await between them, so the devices of one
run (one event loop) never interleave them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from fleetctl.base.private import FILE_MODE, private_dir
from fleetctl.core.models import Credential


def default_path() -> str:
    """$FLEETCTL_ONBOARD_REFUSALS, else onboard-refusals.json in the per-user data dir."""
    env = os.environ.get("FLEETCTL_ONBOARD_REFUSALS")
    if env:
        return env
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("fleetctl", appauthor=False)) / "onboard-refusals.json")


def _key(device: str, cred: Credential) -> str:
    password = cred.password.reveal() if cred.password is not None else ""
    raw = "\0".join((device, cred.username, password)).encode()
    return hashlib.sha256(raw).hexdigest()[:24]


def _load(path: str) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: remembering is a safeguard, never a failure
    if not isinstance(data, dict):
        return {}
    return {
        str(dev): {str(k): str(v) for k, v in keys.items()}
        for dev, keys in data.items()
        if isinstance(keys, dict)
    }


def _save(path: str, data: dict[str, dict[str, str]]) -> None:
    p = Path(path)
    with contextlib.suppress(OSError):
        private_dir(p.parent)
        tmp = p.with_name(p.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({k: v for k, v in data.items() if v}, f, indent=1, sort_keys=True)
        os.replace(tmp, p)


def refused_at(path: str | None, device: str, cred: Credential) -> str | None:
    """When ``device`` refused ``cred`` (ISO 8601 UTC), or None when it never did."""
    if path is None:
        return None
    return _load(path).get(device, {}).get(_key(device, cred))


def remember_refusal(path: str | None, device: str, cred: Credential) -> None:
    if path is None:
        return
    data = _load(path)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    data.setdefault(device, {})[_key(device, cred)] = now
    _save(path, data)


def forget_device(path: str | None, device: str) -> None:
    """The device opened: its refusals no longer matter."""
    if path is None:
        return
    data = _load(path)
    if data.pop(device, None) is not None:
        _save(path, data)
