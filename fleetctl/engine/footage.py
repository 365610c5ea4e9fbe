"""`fleetctl footage`: which cameras hold a past window, fleet-wide, and where the gaps are.

    footage_fleet(workspace, cameras, window, options, pool=None, on_result=None)
        -> list[CameraFootage]
    footage_windows(workspace, cameras, windows, options, on_result=None, pool=None)
        -> list[CameraFootage]                  each camera its own window (sites' zones)
    judge(camera, reading, window) -> CameraFootage                          pure

Every camera is asked at once up to ``options.concurrency`` (``FOOTAGE_CONCURRENCY``), each
under its own deadline (``options.timeout_s``, the whole conversation, search sessions ended
included); one camera's failure is its line (coverage ``unknown`` with the reason), never an
exception. The run owns its HTTP pool unless the caller passes one. ``on_result`` is called
with each camera's line as soon as it is known (the TUI fills its table as they arrive).

Times: the window is true UTC; each camera answers on its own clock; the clock offset measured
in the same conversation converts its answer (``core.footage.coverage.to_true``).

Sources, in order of truth: ONVIF Profile G (recording-history events: gaps known); for a
camera without it (FindEvents not supported, or no ONVIF search service) the vendor's search
API (Hikvision ISAPI content search, Dahua media file finding: the recorded files, gaps known),
within what is left of the camera's deadline; else the recording summary alone (range only,
"gaps unknown" in the reason, with why the vendor search did not answer).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.base.i18n import M_, N_, Msg
from fleetctl.core.errors import SecretsError
from fleetctl.core.footage.coverage import (
    Coverage,
    Recorded,
    Span,
    cover,
    intervals_from_events,
    to_true,
)
from fleetctl.core.footage.model import (
    SOURCE_DAHUA,
    SOURCE_HIKVISION,
    SOURCE_NONE,
    SOURCE_SUMMARY,
    CameraFootage,
    FootageReading,
)
from fleetctl.core.models import Camera
from fleetctl.core.probes import Failure
from fleetctl.core.text import clean
from fleetctl.engine.workspace import Workspace

FOOTAGE_CONCURRENCY = 128  # cameras searched at once: each holds one socket and one session

# Why a camera could not be asked, in the words of docs/commands.md (English, stable: scripts
# read ``reason``'s first word).
_WHY = {
    Failure.REFUSED: "offline",
    Failure.UNREACHABLE: "offline",
    Failure.TIMEOUT: "timeout",
    Failure.AUTH: "auth",
    Failure.UNSUPPORTED: "no search support",
    Failure.PROTOCOL: "onvif",
    Failure.MALFORMED: "onvif",
    Failure.OVERSIZED: "onvif",
}
# ... when it was the vendor's search API that could not be asked.
_VENDOR_WHY = {
    **_WHY,
    Failure.PROTOCOL: "vendor",
    Failure.MALFORMED: "vendor",
    Failure.OVERSIZED: "vendor",
}
# ... and as a person reads it: the keyword's sentence, with the source's words (``detail``)
# after it. The English of each is exactly ``reason`` (JSON keeps it in every language).
_WHY_TEXT = {
    "offline": N_("offline: %(detail)s"),
    "timeout": N_("timeout: %(detail)s"),
    "auth": N_("auth: %(detail)s"),
    "no search support": N_("no search support: %(detail)s"),
    "onvif": N_("onvif: %(detail)s"),
    "vendor": N_("vendor: %(detail)s"),
}
_DETAIL_LIMIT = 300  # a camera's words inside a reason: bounded
_VENDOR_SOURCES = (SOURCE_HIKVISION, SOURCE_DAHUA)
_RANGE_ONLY = N_("gaps unknown: the camera gave its recorded range only")
_RANGE_ONLY_BECAUSE = N_("gaps unknown: the camera gave its recorded range only (%(detail)s)")
VENDOR_MIN_S = 0.5  # less of the camera's deadline left than this: the vendor search is not tried


@dataclass(frozen=True)
class FootageOptions:
    timeout_s: float = 10.0
    concurrency: int = FOOTAGE_CONCURRENCY


def _why(keyword: str, detail: str | Msg) -> Msg:
    """``keyword: detail`` as a message (``detail``: a message, or words kept as they came)."""
    if isinstance(detail, str):
        detail = clean(detail, _DETAIL_LIMIT)
    template = _WHY_TEXT.get(keyword)
    if template is None:
        return Msg("%(keyword)s: %(detail)s", (("keyword", keyword), ("detail", detail)))
    return Msg(template, (("detail", detail),))


def _unknown(
    camera: Camera, reason: str, offset_s: float | None = None, why: Msg | None = None
) -> CameraFootage:
    return CameraFootage(
        camera.name,
        camera.site,
        Coverage.UNKNOWN,
        None,
        (),
        None,
        None,
        SOURCE_NONE,
        reason,
        offset_s,
        why=why,
    )


def judge(camera: Camera, reading: FootageReading, window: Span) -> CameraFootage:
    """A camera's answer on its clock -> its line on true UTC."""
    if reading.failure is not None:
        table = _VENDOR_WHY if reading.source in _VENDOR_SOURCES else _WHY
        why = table.get(reading.failure, reading.failure.value)
        said = _why(why, reading.error_msg or reading.error) if reading.error else None
        return _unknown(
            camera, f"{why}: {reading.error or ''}".strip(), reading.clock_offset_s, said
        )
    offset = reading.clock_offset_s
    earliest = to_true(reading.earliest, offset) if reading.earliest else None
    latest = to_true(reading.latest, offset) if reading.latest else None
    spans = None
    if reading.events is not None:
        events = [(to_true(at, offset), present) for at, present in reading.events]
        spans = tuple(intervals_from_events(events, latest))
    if reading.spans is not None:
        spans = tuple(Span(to_true(a, offset), to_true(b, offset)) for a, b in reading.spans)
    answer = cover(window, Recorded(earliest, latest, spans))
    reason = None if answer.gaps_known else "gaps unknown: the camera gave its recorded range only"
    words = None if answer.gaps_known else Msg(_RANGE_ONLY)
    if reason and reading.error:  # why no vendor search answered for the gaps
        reason = f"{reason} ({reading.error})"
        detail = reading.error_msg or clean(reading.error, _DETAIL_LIMIT)
        words = Msg(_RANGE_ONLY_BECAUSE, (("detail", detail),))
    return CameraFootage(
        camera.name,
        camera.site,
        answer.coverage,
        answer.covered_s,
        answer.gaps,
        earliest,
        latest,
        reading.source,
        reason,
        offset,
        answer.gaps_known,
        why=words,
    )


async def _one(
    camera: Camera, workspace: Workspace, window: Span, options: FootageOptions, pool: HttpPool
) -> CameraFootage:
    from fleetctl.adapters.onvif.search import read_footage

    if not camera.onvif:
        return _unknown(
            camera,
            "no search support: no ONVIF (rtsp-only camera)",
            why=M_("no search support: no ONVIF (rtsp-only camera)"),
        )
    try:
        credential = workspace.credential_for(camera)
    except SecretsError as err:
        return _unknown(camera, f"auth: {err}", why=_why("auth", str(err)))
    if credential is None:
        return _unknown(camera, "auth: no credentials", why=M_("auth: no credentials"))
    started = time.monotonic()
    reading = await read_footage(
        camera, credential, window.start, window.end, timeout_s=options.timeout_s, pool=pool
    )
    left = options.timeout_s - (time.monotonic() - started)
    if _wants_vendor(reading) and left >= VENDOR_MIN_S:
        from fleetctl.adapters.storage.vendor_search import read_vendor_footage

        vendor = await read_vendor_footage(
            camera,
            credential,
            window.start,
            window.end,
            timeout_s=left,
            clock_offset_s=reading.clock_offset_s,
            pool=pool,
            allow_basic=camera.policy.allow_basic_auth,
            newest=reading.latest,
        )
        reading = _prefer(reading, vendor)
    return judge(camera, reading, window)


def _wants_vendor(reading: FootageReading) -> bool:
    """Profile G gave no gaps: a summary alone, or no ONVIF search service at all."""
    if reading.failure is None:
        return reading.source == SOURCE_SUMMARY
    return reading.failure is Failure.UNSUPPORTED


def _prefer(onvif: FootageReading, vendor: FootageReading) -> FootageReading:
    """The vendor's segments (with the summary's range) when it answered; else what ONVIF said,
    the summary carrying why the vendor search did not answer."""
    if vendor.failure is None:
        return replace(vendor, earliest=onvif.earliest, latest=onvif.latest)
    if vendor.failure is Failure.UNSUPPORTED:
        return onvif  # no vendor search either: ONVIF's words stand
    if onvif.failure is None:
        return replace(onvif, error=vendor.error)
    return vendor


async def footage_fleet(
    workspace: Workspace,
    cameras: Sequence[Camera],
    window: Span,
    options: FootageOptions,
    pool: HttpPool | None = None,
    on_result: Callable[[CameraFootage], None] | None = None,
) -> list[CameraFootage]:
    """Every camera's coverage of ``window``; results in input order. Never raises per camera."""
    windows = {cam.name: window for cam in cameras}
    return await footage_windows(workspace, cameras, windows, options, on_result, pool)


async def footage_windows(
    workspace: Workspace,
    cameras: Sequence[Camera],
    windows: Mapping[str, Span],
    options: FootageOptions,
    on_result: Callable[[CameraFootage], None] | None = None,
    pool: HttpPool | None = None,
) -> list[CameraFootage]:
    """Each camera's coverage of its own window (``windows[name]``: "yesterday 21:00" is 21:00
    where each camera is); results in camera order. One bound for the whole run
    (``options.concurrency``), however many zones the cameras are in."""
    gate = asyncio.Semaphore(max(1, options.concurrency))
    async with borrowed(pool) as http:

        async def bounded(cam: Camera) -> CameraFootage:
            async with gate:
                try:
                    line = await _one(cam, workspace, windows[cam.name], options, http)
                except Exception as err:  # a bug for one camera is that camera's line
                    name = type(err).__name__
                    line = _unknown(
                        cam,
                        f"internal error: {name}",
                        why=M_("internal error: %(error)s", error=name),
                    )
            if on_result is not None:
                on_result(line)
            return line

        return list(await asyncio.gather(*(bounded(c) for c in cameras)))
