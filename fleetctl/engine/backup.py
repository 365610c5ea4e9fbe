"""`fleetctl backup`: each camera's readable configuration, versioned by time, written atomically.

    backup_fleet(workspace, cameras, out_dir, options) -> list[BackupResult]   never raises per camera
    history(out_dir, camera) -> [Path]                                         oldest first
    load(path) -> dict

Layout: ``OUT/<camera>/<YYYYMMDDTHHMMSSZ>.json`` (UTC, so names sort by time), each file written
atomically (temporary file, fsync, rename) with mode 0600: settings, user names and addresses
are not for every local user. A camera whose settings equal its newest backup writes nothing
(``unchanged``: the fingerprint leaves out when it was read), so a nightly backup of a stable
fleet is free and the folder keeps only real changes.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from fleetctl.core import backup as doc
from fleetctl.core.atomicfile import atomic_write
from fleetctl.core.errors import SecretsError
from fleetctl.core.models import Camera
from fleetctl.engine.workspace import Workspace

MAX_BACKUP_BYTES = 1024 * 1024  # a backup document is a few KiB; a larger file is not ours


class BackupOutcome(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class BackupOptions:
    timeout_s: float = 15.0
    concurrency: int = 32


@dataclass(frozen=True)
class BackupResult:
    name: str
    result: BackupOutcome
    path: str | None = None  # the file that holds this camera's configuration now
    sha256: str | None = None  # of that file's bytes
    error: str | None = None  # why it failed, in words


def history(out_dir: str, camera: str) -> list[Path]:
    """A camera's backups, oldest first."""
    folder = Path(out_dir) / camera
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_BACKUP_BYTES:
        raise ValueError(f"{path}: larger than a backup can be")
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or data.get("fleetctl_backup") != doc.FORMAT:
        raise ValueError(f"{path}: not a fleetctl backup")
    return data


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def save(out_dir: str, document: dict[str, Any]) -> BackupResult:
    """Write ``document`` unless it equals the camera's newest backup."""
    name = str(document["camera"])
    previous = history(out_dir, name)
    if previous:
        try:
            last = load(previous[-1])
        except (OSError, ValueError):
            last = None
        if last is not None and doc.fingerprint(last) == doc.fingerprint(document):
            data = previous[-1].read_bytes()
            return BackupResult(name, BackupOutcome.UNCHANGED, str(previous[-1]), _sha256(data))
    folder = Path(out_dir) / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = str(document["taken"]).replace("-", "").replace(":", "")
    path = folder / f"{stamp}.json"
    data = doc.encode(document)
    atomic_write(str(path), data, mode=0o600)
    return BackupResult(name, BackupOutcome.SAVED, str(path), _sha256(data))


async def _one(
    camera: Camera, workspace: Workspace, out_dir: str, options: BackupOptions
) -> BackupResult:
    from fleetctl.adapters.onvif.backup import read_configuration

    if not camera.onvif:
        return BackupResult(camera.name, BackupOutcome.FAILED, error="no ONVIF (rtsp-only camera)")
    try:
        credential = workspace.credential_for(camera)
    except SecretsError as err:
        return BackupResult(camera.name, BackupOutcome.FAILED, error=str(err))
    if credential is None:
        return BackupResult(camera.name, BackupOutcome.FAILED, error="no credentials")
    read = await read_configuration(camera, credential, timeout_s=options.timeout_s)
    if isinstance(read, str):
        return BackupResult(camera.name, BackupOutcome.FAILED, error=read)
    users = None if read.users is None else [(u.username, u.level) for u in read.users]
    document = doc.document(camera, read.device, read.settings, users, datetime.now(UTC))
    try:
        return await asyncio.to_thread(save, out_dir, document)
    except OSError as err:
        return BackupResult(camera.name, BackupOutcome.FAILED, error=f"cannot write: {err}")


async def backup_fleet(
    workspace: Workspace, cameras: Sequence[Camera], out_dir: str, options: BackupOptions
) -> list[BackupResult]:
    """Back up every camera, ``options.concurrency`` at a time; results in input order."""
    os.makedirs(out_dir, mode=0o700, exist_ok=True)
    gate = asyncio.Semaphore(options.concurrency)

    async def bounded(cam: Camera) -> BackupResult:
        async with gate:
            try:
                return await _one(cam, workspace, out_dir, options)
            except Exception as err:  # a bug for one camera is that camera's failure
                return BackupResult(
                    cam.name, BackupOutcome.FAILED, error=f"internal error: {type(err).__name__}"
                )

    return list(await asyncio.gather(*(bounded(c) for c in cameras)))
