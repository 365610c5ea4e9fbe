"""`fleetctl footage export CAM`: a recorded window as an MP4 clip, with a chain-of-custody note.

    export_clip(workspace, camera, window, out, options, progress) -> ExportResult   never raises

ONVIF replay, end to end: the camera's replay address (GetReplayUri, clock offset measured in
the same conversation), then our RTSP client plays the window moved onto the camera's clock
(``Range: clock=``, ``Require: onvif-replay``), and the access units are muxed into ``out``
without re-encoding. Beside the clip, ``out`` + ``.json`` records the camera, the window asked
(true UTC and the camera's clock), the clock offset, the first and last frame's times, the frame
count and the SHA-256 of the clip's bytes. On any failure nothing is left at ``out``: no partial
clip, no sidecar. The order makes a crash (kill -9, power cut) safe: the clip is written to
``out.part`` (and fsynced), the sidecar is written next (atomically), and the clip is renamed to
``out`` last; a clip at ``out`` therefore always has its sidecar, and only ``.part`` files can
be left half-written (``footage_batch`` relies on this to resume).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fleetctl import __version__
from fleetctl.adapters.errors import AdapterError, RtspFailure
from fleetctl.base.i18n import DEFAULT, M_, N_, Msg, language
from fleetctl.core.atomicfile import atomic_write, fsync_dir
from fleetctl.core.errors import SecretsError
from fleetctl.core.footage.coverage import Span
from fleetctl.core.models import Camera
from fleetctl.core.probes import Failure
from fleetctl.core.text import clean
from fleetctl.engine.workspace import Workspace

SIDECAR_FORMAT = 1


@dataclass(frozen=True)
class ExportOptions:
    timeout_s: float = 600.0  # the whole export (a 5-minute clip at full speed: seconds)
    onvif_timeout_s: float = 10.0
    idle_s: float = 10.0  # the camera silent this long mid-replay: the export fails


@dataclass(frozen=True)
class ExportResult:
    name: str
    ok: bool
    path: str | None = None
    sidecar: str | None = None
    sha256: str | None = None
    frames: int = 0
    duration_s: float | None = None
    first_frame: datetime | None = None
    clock_offset_s: float | None = None
    error: str | None = None
    # Why it failed, first word stable for scripts (English): offline, auth, timeout,
    # no footage, no replay support, onvif, rtsp, write.
    reason: str | None = None
    why: Msg | None = field(default=None, compare=False)  # ``error`` as a person reads it

    def error_text(self, lang: str | None = None) -> str | None:
        """``error`` in ``lang`` (default: the chosen language); English is ``error`` itself."""
        return error_text(self.error, self.why, lang)


def error_text(error: str | None, why: Msg | None, lang: str | None = None) -> str | None:
    lang = lang or language()
    return error if why is None or lang == DEFAULT else why.text(lang)


# Why an export failed, for a person, when the camera's part is technical words kept as they
# came (an adapter's error without a message of its own): the reason's words, then those.
_REASON_TEXT = {
    "offline": N_("offline: %(detail)s"),
    "timeout": N_("timeout: %(detail)s"),
    "auth": N_("auth: %(detail)s"),
    "no footage": N_("no footage: %(detail)s"),
    "no replay support": N_("no replay support: %(detail)s"),
    "onvif": N_("onvif: %(detail)s"),
    "rtsp": N_("rtsp: %(detail)s"),
    "write": N_("write: %(detail)s"),
}
_DETAIL_LIMIT = 300


def failure_msg(reason: str, error: str, said: Msg | None = None) -> Msg:
    """What a person reads for a failed export: the adapter's own message when it has one (a
    whole sentence), else the reason's words with ``error`` (bounded, cleaned) after them."""
    if said is not None:
        return said
    detail = clean(error, _DETAIL_LIMIT)
    template = _REASON_TEXT.get(reason)
    if template is None:
        return Msg("%(detail)s", (("detail", detail),))
    return Msg(template, (("detail", detail),))


def _z(when: datetime | None) -> str | None:
    return (
        None
        if when is None
        else when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


_NO_VIDEO = "the camera sent no decodable video for the window"
_WHY = {
    Failure.REFUSED: "offline",
    Failure.UNREACHABLE: "offline",
    Failure.TIMEOUT: "timeout",
    Failure.AUTH: "auth",
    Failure.UNSUPPORTED: "no replay support",
}


def reason_of(err: BaseException) -> str:
    """The stable first word of an export's failure (docs/json.md)."""
    if isinstance(err, RtspFailure) and err.nothing_recorded:
        return "no footage"
    if isinstance(err, AdapterError):
        return _WHY.get(err.failure, "rtsp" if isinstance(err, RtspFailure) else "onvif")
    if isinstance(err, TimeoutError):
        return "timeout"
    if isinstance(err, OSError):
        return "write"
    return "no footage"  # ValueError: nothing decodable arrived for the window


def _fail(
    camera: Camera,
    error: str,
    offset: float | None = None,
    reason: str = "onvif",
    said: Msg | None = None,
) -> ExportResult:
    return ExportResult(
        camera.name,
        False,
        error=error,
        clock_offset_s=offset,
        reason=reason,
        why=failure_msg(reason, error, said),
    )


async def export_clip(
    workspace: Workspace,
    camera: Camera,
    window: Span,
    out: Path,
    options: ExportOptions,
    progress: Callable[[int, float], None] | None = None,
) -> ExportResult:
    """Export [window] of ``camera`` into ``out``; ``progress(frames, seconds of footage)``."""
    from fleetctl.adapters.onvif.search import replay_uri
    from fleetctl.adapters.rtsp.mp4 import Mp4Writer
    from fleetctl.adapters.rtsp.replay import AccessUnit, ReplayStream, fetch_replay

    try:
        credential = workspace.credential_for(camera)
    except SecretsError as err:
        return _fail(camera, f"auth: {err}", reason="auth")
    try:
        uri, offset = await replay_uri(camera, credential, timeout_s=options.onvif_timeout_s)
    except AdapterError as err:
        return _fail(camera, str(err), reason=reason_of(err), said=err.msg)
    shift = timedelta(seconds=offset or 0.0)
    cam_start, cam_end = window.start + shift, window.end + shift
    writer: Mp4Writer | None = None
    first: list[float] = []

    def described(stream: ReplayStream) -> None:
        nonlocal writer
        writer = Mp4Writer(out, stream.params, stream.codec, window.start)

    def sink(unit: AccessUnit) -> None:
        if writer is None:
            return
        writer.add(unit)
        if unit.at is not None and writer.frames:
            if not first:
                first.append(unit.at)
            if progress is not None:
                progress(writer.frames, unit.at - first[0])

    try:
        async with asyncio.timeout(options.timeout_s):
            replay = await fetch_replay(
                uri, credential, cam_start, cam_end, sink,
                idle_s=options.idle_s, host=camera.host, on_describe=described,
            )  # fmt: skip
        done: Mp4Writer | None = writer
        if done is None or not done.frames:
            raise ValueError(_NO_VIDEO)
        clip = await asyncio.to_thread(done.finish, publish=False)
    except (AdapterError, ValueError, OSError, TimeoutError) as err:
        if writer is not None:
            writer.abort()  # the clip is renamed into place last: nothing at ``out`` yet
        seconds = f"{options.timeout_s:g}"
        why = str(err) or f"no end of the replay within {seconds} s"
        said = err.msg if isinstance(err, AdapterError) else None
        if str(err) == _NO_VIDEO:
            said = M_("the camera sent no decodable video for the window")
        elif not str(err):
            said = M_("no end of the replay within %(s)s s", s=seconds)
        return _fail(camera, why, offset, reason_of(err), said)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    first_frame = (
        datetime.fromtimestamp(replay.first_at, UTC) - shift
        if replay.first_at is not None
        else None
    )
    sidecar = out.with_name(out.name + ".json")
    try:
        data_sha = await asyncio.to_thread(sha256_file, clip.path, sync=True)
        doc: dict[str, Any] = {
            "fleetctl_export": SIDECAR_FORMAT,
            "fleetctl_version": __version__,
            "camera": {"name": camera.name, "site": camera.site, "host": camera.host},
            "window": {"from": _z(window.start), "to": _z(window.end)},
            "camera_window": {"from": _z(cam_start), "to": _z(cam_end)},
            "clock_offset_s": offset,
            "first_frame": _z(first_frame),
            "frames": clip.frames,
            "duration_s": clip.duration_s,
            "source": "onvif-replay",
            "file": out.name,
            "sha256": data_sha,
            "exported_at": _z(datetime.now(UTC)),
        }
        # The sidecar first, the clip's name last: a clip at ``out`` always has its sidecar.
        atomic_write(str(sidecar), (json.dumps(doc, indent=2) + "\n").encode(), mode=0o644)
        os.replace(clip.path, out)
        fsync_dir(str(out.parent))
    except OSError as err:
        clip.path.unlink(missing_ok=True)
        said = M_("cannot write %(path)s: %(error)s", path=str(sidecar), error=str(err))
        return _fail(camera, f"cannot write {sidecar}: {err}", offset, "write", said)
    except BaseException:
        clip.path.unlink(missing_ok=True)
        raise
    return ExportResult(
        camera.name, True, str(out), str(sidecar), data_sha, clip.frames, clip.duration_s,
        first_frame, offset,
    )  # fmt: skip


def sha256_file(path: Path, *, sync: bool = False) -> str:
    """The file's SHA-256; ``sync``: its bytes also reach the disk (before a rename)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        if sync:
            os.fsync(f.fileno())
    return h.hexdigest()
