"""`fleetctl footage export --select EXPR -o DIR`: one clip per camera, a few at a time, resumable.

    export_clips(workspace, requests, out_dir, options, progress) -> list[ClipResult]  never raises
    clip_name(camera_name, window) -> "dt-cho-01_20261206T140000Z-20261206T143000Z.mp4"

Each request (a camera and its window: true UTC) becomes ``out_dir/clip_name(...)`` and its
sidecar ``... .mp4.json`` through ``footage_export.export_clip``, at most ``options.jobs`` at a
time (``EXPORT_JOBS``: a replay pulls the camera's full bitrate as fast as the uplink allows, and
a district's uplink is thin). Results come back in the order of ``requests``, one per camera:
``saved``, ``skipped`` or ``failed`` with the reason; one camera's failure never stops the others
and never escapes as an exception (cancelling the call does: the clips in flight are removed).

Resuming: a clip whose file and sidecar exist, whose sidecar names this camera and window, and
whose bytes still have the sidecar's SHA-256 is ``skipped`` (read, never rewritten). Anything
else is exported again: a clip that does not match its sidecar, or lacks one, is removed first,
and ``.part`` leftovers of a killed run are overwritten. ``export_clip`` writes the clip as
``.part``, then the sidecar, then renames the clip, so a killed run leaves only ``.part`` files
and clips that are complete.

``progress(ClipProgress)`` is called on the event loop's thread whenever a camera changes state
(queued, checking, exporting, saved, skipped, failed) and as footage arrives (``frames``,
``received_s`` of ``window_s``); a front-end redraws from it. It must not block.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from fleetctl.base.i18n import M_, Msg
from fleetctl.core.footage.coverage import Span
from fleetctl.core.models import Camera
from fleetctl.engine.footage_export import (
    ExportOptions,
    ExportResult,
    error_text,
    export_clip,
    sha256_file,
)
from fleetctl.engine.workspace import Workspace

EXPORT_JOBS = 2  # clips exported at once by default: each pulls a camera's full bitrate
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\s]+')
_NAME_MAX = 80  # characters of the camera name kept in a file name


class ClipState(StrEnum):
    QUEUED = "queued"
    CHECKING = "checking"  # reading an existing clip to see whether it is already done
    EXPORTING = "exporting"
    SAVED = "saved"
    SKIPPED = "skipped"
    FAILED = "failed"


DONE = frozenset({ClipState.SAVED, ClipState.SKIPPED, ClipState.FAILED})


@dataclass(frozen=True)
class ClipRequest:
    camera: Camera
    window: Span  # true UTC


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = EXPORT_JOBS
    export: ExportOptions = field(default_factory=ExportOptions)


@dataclass(frozen=True)
class ClipResult:
    """One camera's clip: ``outcome`` saved, skipped (already complete) or failed (``error``)."""

    name: str
    site: str
    outcome: ClipState  # SAVED, SKIPPED or FAILED
    path: str  # where the clip is (or would have been)
    window: Span
    sidecar: str | None = None
    sha256: str | None = None
    frames: int = 0
    duration_s: float | None = None
    first_frame: datetime | None = None
    clock_offset_s: float | None = None
    error: str | None = None
    reason: str | None = None  # failed: offline, auth, timeout, no footage, ... (stable words)
    redone: bool = False  # a clip was there but did not match its sidecar: exported again
    why: Msg | None = field(default=None, compare=False)  # ``error`` as a person reads it

    def error_text(self, lang: str | None = None) -> str | None:
        """``error`` in ``lang`` (default: the chosen language); English is ``error`` itself."""
        return error_text(self.error, self.why, lang)


@dataclass(frozen=True)
class ClipProgress:
    name: str
    state: ClipState
    frames: int = 0
    received_s: float = 0.0  # seconds of footage received so far
    window_s: float = 0.0
    result: ClipResult | None = None  # with SAVED, SKIPPED and FAILED


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def safe_name(name: str) -> str:
    """``name`` usable as a file name on Linux, macOS and Windows; a name that had to change
    gets a short hash of the original, so two cameras never share a file."""
    text = unicodedata.normalize("NFC", name)
    safe = _UNSAFE.sub("_", text).strip("._ ")[:_NAME_MAX] or "camera"
    if safe != name:
        safe += "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return safe


def clip_name(camera_name: str, window: Span) -> str:
    return f"{safe_name(camera_name)}_{_stamp(window.start)}-{_stamp(window.end)}.mp4"


def _z(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _read_done(clip: Path, request: ClipRequest) -> dict[str, Any] | None:
    """The sidecar when ``clip`` is a complete export of ``request``, else None. Blocking."""
    sidecar = clip.with_name(clip.name + ".json")
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
        ok = (
            isinstance(doc, dict)
            and doc.get("camera", {}).get("name") == request.camera.name
            and doc.get("window")
            == {"from": _z(request.window.start), "to": _z(request.window.end)}
            and isinstance(doc.get("sha256"), str)
            and doc["sha256"] == sha256_file(clip)
        )
    except (OSError, ValueError, AttributeError):
        return None
    return doc if ok else None


def _parse_z(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _skipped(request: ClipRequest, clip: Path, doc: dict[str, Any]) -> ClipResult:
    def num(key: str) -> float | None:
        v = doc.get(key)
        return float(v) if isinstance(v, int | float) else None

    return ClipResult(
        request.camera.name, request.camera.site, ClipState.SKIPPED, str(clip), request.window,
        sidecar=f"{clip}.json", sha256=doc["sha256"], frames=int(num("frames") or 0),
        duration_s=num("duration_s"), first_frame=_parse_z(doc.get("first_frame")),
        clock_offset_s=num("clock_offset_s"),
    )  # fmt: skip


def _from_export(request: ClipRequest, clip: Path, r: ExportResult, redone: bool) -> ClipResult:
    return ClipResult(
        request.camera.name, request.camera.site,
        ClipState.SAVED if r.ok else ClipState.FAILED, str(clip), request.window,
        sidecar=r.sidecar, sha256=r.sha256, frames=r.frames, duration_s=r.duration_s,
        first_frame=r.first_frame, clock_offset_s=r.clock_offset_s, error=r.error,
        reason=r.reason, redone=redone, why=r.why,
    )  # fmt: skip


async def _one(
    workspace: Workspace,
    request: ClipRequest,
    clip: Path,
    options: BatchOptions,
    say: Callable[[ClipProgress], None],
) -> ClipResult:
    name, window_s = (
        request.camera.name,
        (request.window.end - request.window.start).total_seconds(),
    )
    redone = False
    if clip.exists():
        say(ClipProgress(name, ClipState.CHECKING, window_s=window_s))
        doc = await asyncio.to_thread(_read_done, clip, request)
        if doc is not None:
            return _skipped(request, clip, doc)
        redone = True  # not what its sidecar says: never leave it looking complete
        clip.unlink(missing_ok=True)
    clip.with_name(clip.name + ".json").unlink(missing_ok=True)
    say(ClipProgress(name, ClipState.EXPORTING, window_s=window_s))

    def received(frames: int, seconds: float) -> None:
        say(ClipProgress(name, ClipState.EXPORTING, frames, seconds, window_s))

    r = await export_clip(workspace, request.camera, request.window, clip, options.export, received)
    return _from_export(request, clip, r, redone)


async def export_clips(
    workspace: Workspace,
    requests: Sequence[ClipRequest],
    out_dir: Path,
    options: BatchOptions | None = None,
    progress: Callable[[ClipProgress], None] | None = None,
) -> list[ClipResult]:
    """Export every request into ``out_dir`` (created if missing), ``options.jobs`` at a time.

    One result per request, in order. A failure of one camera (offline, refusing, no footage,
    a write error) is its result with ``error``; an ``out_dir`` that cannot be created fails
    every camera with that reason."""
    opts = options or BatchOptions()
    gate = asyncio.Semaphore(max(1, opts.jobs))

    def say(event: ClipProgress) -> None:
        if progress is not None:
            progress(event)

    def failed(request: ClipRequest, clip: Path, error: str) -> ClipResult:
        c = request.camera
        return ClipResult(
            c.name,
            c.site,
            ClipState.FAILED,
            str(clip),
            request.window,
            error=f"cannot write {clip}: {error}",
            reason="write",
            why=M_("cannot write %(path)s: %(error)s", path=str(clip), error=error),
        )

    async def run(request: ClipRequest) -> ClipResult:
        clip = out_dir / clip_name(request.camera.name, request.window)
        async with gate:
            try:
                out_dir.mkdir(parents=True, exist_ok=True)
                result = await _one(workspace, request, clip, opts, say)
            except OSError as err:
                result = failed(request, clip, str(err.strerror or err))
        total = (request.window.end - request.window.start).total_seconds()
        got = result.duration_s or 0.0
        say(ClipProgress(result.name, result.outcome, result.frames, got, total, result))
        return result

    for request in requests:
        total = (request.window.end - request.window.start).total_seconds()
        say(ClipProgress(request.camera.name, ClipState.QUEUED, window_s=total))
    return list(await asyncio.gather(*(run(r) for r in requests)))
