"""One camera's probe sequence for ``engine.check.runner``: what to ask, in which order, how long.

Cheapest first: a TCP connect (if the camera is unreachable nothing else is tried: one
problem, not five), then the ONVIF conversation, then the stream(s), storage and security side
by side. Adapters are the only code that talks to the camera; verdicts are pure functions in
``core.verdicts.rules``; this module only sequences them under the camera's budget (``CameraRun``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import replace
from urllib.parse import urlsplit

from fleetctl.base.i18n import M_, Msg
from fleetctl.core.errors import SecretsError
from fleetctl.core.models import Credential, Problem, ProblemKind, Status, StreamResult
from fleetctl.core.probes import Failure, MediaProfileInfo, OnvifProbe, ReachProbe, StreamProbe
from fleetctl.core.verdicts import rules as verdicts
from fleetctl.engine.check.camera_run import (
    LIVENESS_TIMEOUT_S,
    MAX_REPLY_BYTES,
    MIN_FOLLOW_UP_S,
    OWN_DEADLINE_MARGIN_S,
    REACH_TIMEOUT_S,
    STREAM_SETUP_S,
    CameraRun,
    retry_read,
)
from fleetctl.engine.check.memory import model_subject, well_known_uri
from fleetctl.engine.check.picture_step import judge_picture
from fleetctl.engine.check.side_probes import security, storage

log = logging.getLogger(__name__)

DEFAULT_RTSP_PORT = 554
ONVIF_SHARE = 0.6  # of the camera's remaining budget, at least, for the ONVIF conversation
SHAPE_MARGIN_S = 0.1  # the liveness look ends this much before the ONVIF limit
FIRST_REPLY_FACTOR = 2.0  # x policy.slow_s: how long the first ONVIF answer may take
_SILENT = (Failure.TIMEOUT, Failure.REFUSED, Failure.UNREACHABLE)


async def run_probes(run: CameraRun) -> None:
    cam, opts = run.camera, run.options
    probes = opts.probes
    rtsp_only = not cam.onvif
    if "reach" in probes and not await _reach(run, rtsp_only):
        return
    try:
        credential = run.workspace.credential_for(cam)
    except SecretsError as err:  # the CLI checks this up front; a library caller may not have
        run.problems.append(Problem(ProblemKind.AUTH, Status.UNKNOWN, str(err)))
        return
    onvif: OnvifProbe | None = None
    if not rtsp_only and "onvif" in probes:
        onvif, credential = await _onvif(run, credential)
        silent = onvif is not None and not run.answered and onvif.failure in _SILENT
        if silent and not run.reached:
            return  # nothing there: everything else would time out the same way
        if run.device is not None and run.device.firmware:
            _firmware(run)
    uris = _stream_uris(run, onvif)
    if run.remaining() < MIN_FOLLOW_UP_S:
        return  # what was learned stands; starting probes that cannot finish would blame them
    # It answers: the CPU-heavy part (the stream window above all) waits for room in this
    # process. The ONVIF conversation did not: a few small requests, and for a slow or silent
    # camera only waiting, which must start with the run, not behind the healthy cameras.
    await run.admit()
    jobs: list[Awaitable[None]] = []
    if "storage" in probes:
        jobs.append(_contained(run, "storage", storage(run, onvif, credential)))
    if "stream" in probes or "security" in probes:
        stage = "stream" if "stream" in probes and uris else "security"
        jobs.append(_contained(run, stage, _streams_then_security(run, uris, credential)))
    if jobs:
        run.begin("stream" if "stream" in probes and uris else "storage")
        await asyncio.gather(*jobs)


def _firmware(run: CameraRun) -> None:
    """What the camera runs, against the advisory table and the site's firmware policy: no I/O
    (the identity came with the ONVIF conversation)."""
    from fleetctl.core.firmware.findings import firmware_problems
    from fleetctl.engine.firmware import shipped_rules

    site = run.workspace.inventory.site(run.camera.site)
    rules = run.options.advisories if run.options.advisories is not None else shipped_rules()
    run.problems.extend(firmware_problems(run.device, rules, site.firmware if site else None))


def _stream_uris(
    run: CameraRun, onvif: OnvifProbe | None
) -> list[tuple[MediaProfileInfo | None, str]]:
    """Where the video is. ONVIF's main profile when it said; else (a web service that is
    silent or left GetStreamUri out: the video may be fine) the inventory's ``rtsp_url``, the
    stream URI of the last good check, or the vendor's well-known path, in that order."""
    cam = run.camera
    if not cam.onvif:
        return [(None, cam.rtsp_url)] if cam.rtsp_url else []
    if onvif is not None and onvif.profiles:
        main = onvif.profiles[0]  # the main profile comes first on every vendor we know
        if main.stream_uri:
            return [(main, main.stream_uri)]
        profile: MediaProfileInfo | None = main
    else:
        profile = None
    manufacturer = (
        onvif.device.manufacturer if onvif is not None and onvif.device else None
    ) or run.memory.manufacturer()
    fallback = (
        cam.rtsp_url or run.memory.get("stream_uri") or well_known_uri(cam.host, manufacturer)
    )
    return [(profile, fallback)] if fallback else []


def _guessed(run: CameraRun, uri: str, profile: MediaProfileInfo | None) -> bool:
    """A URI nobody told us (the vendor's usual path): its failure proves nothing."""
    told = (run.camera.rtsp_url, run.memory.get("stream_uri"), profile and profile.stream_uri)
    return uri not in told


async def _contained(run: CameraRun, stage: str, job: Awaitable[None]) -> None:
    """A side probe that runs next to another: a bug in it is its own problem, named after it,
    and the other one still finishes (the camera-level handler knows only one stage)."""
    try:
        await job
    except Exception as err:
        log.debug("check of %s: %s failed", run.camera.name, stage, exc_info=True)
        run.internal_error(stage, err)


async def _streams_then_security(
    run: CameraRun, uris: list[tuple[MediaProfileInfo | None, str]], credential: Credential | None
) -> None:
    played_without_auth: bool | None = None
    if "stream" in run.options.probes:
        for profile, uri in uris:
            probe = await _stream(run, profile, uri, credential)
            if probe.ok:
                # It played and no challenge ever came: anyone on the network can watch. No
                # need for a second, credential-less connection to find that out.
                played_without_auth = probe.unauthenticated
    if "security" in run.options.probes:
        if run.stage in ("stream", "picture"):
            run.begin("security")  # past this, a deadline is the logins', not the video's
        await security(run, credential, uris[0][1] if uris else None, played_without_auth)


async def _reach(run: CameraRun, rtsp_only: bool) -> bool:
    from fleetctl.adapters.reach import probe_reach

    cam = run.camera
    port, service = cam.port, "ONVIF"
    if rtsp_only:
        port, service = _rtsp_port(cam.rtsp_url), "RTSP"
    run.begin("reach")
    t0 = time.monotonic()

    def make() -> Awaitable[ReachProbe]:
        return probe_reach(cam.host, port, timeout_s=run.budget(REACH_TIMEOUT_S))

    reach = await retry_read(make, lambda r: r.failure in (Failure.TIMEOUT, Failure.REFUSED), run)
    found = verdicts.reach_problems(reach, service)
    detail: str | Msg = (
        M_("port %(port)s: %(ms).1f ms", port=str(port), ms=reach.latency_ms)
        if reach.ok and reach.latency_ms is not None
        else (reach.error or "")
    )
    run.step("reach", found, detail, t0)
    run.reached = reach.ok
    return reach.ok


async def _onvif(
    run: CameraRun, credential: Credential | None
) -> tuple[OnvifProbe | None, Credential | None]:
    """The ONVIF conversation, and the credential that worked (the staged one of a password
    rotation, when the camera refused the current one and accepted it)."""
    from fleetctl.adapters.onvif.client import probe_onvif

    cam, opts = run.camera, run.options
    run.begin("onvif")
    t0 = time.monotonic()
    if credential is None:
        run.step(
            "onvif",
            [
                Problem.of(
                    ProblemKind.AUTH,
                    Status.UNKNOWN,
                    M_("no credentials configured for this camera"),
                )
            ],
            "",
            t0,
        )
        return None, None
    staged = run.workspace.staged_credential(cam, credential)
    # Leave room after ONVIF for the stream window, so a slow camera still gets its video judged.
    reserve = opts.stream_window_s + STREAM_SETUP_S if "stream" in opts.probes else 0.0

    # The first, cheapest answer (the pre-auth clock) gets twice the "slow" threshold: a camera
    # that accepted the connection and cannot say the time by then is wedged, or drip-feeding,
    # and is not waited for until the ONVIF budget runs out. A site on a slow uplink raises
    # `policy.slow_s`, and with it this limit.
    first_reply_s = FIRST_REPLY_FACTOR * cam.policy.slow_s

    first_reply = asyncio.Event()

    used = credential

    def call(cred: Credential) -> Awaitable[OnvifProbe]:
        return probe_onvif(
            cam,
            cred,
            timeout_s=_onvif_budget(run, reserve),
            max_bytes=MAX_REPLY_BYTES,
            want_recordings="storage" in opts.probes,
            first_reply_s=first_reply_s,
            first_reply=first_reply,
            pool=run.pool,
            skip=run.memory.unsupported(),
        )

    async def make() -> OnvifProbe:
        nonlocal used
        probe = await call(credential)
        if probe.failure is Failure.AUTH and staged is not None and run.remaining() > reserve:
            # A rotation under way that this process's journal does not know about: the
            # staged password, once (one more login attempt, well inside lockout limits).
            again = await call(staged)
            if again.failure is not Failure.AUTH:
                used = staged
                return again
        return probe

    # Retry a refused camera once (a web server restarting), if a retry still fits before the
    # stream's reserve. Not a silent one: the reach probe has just connected, TCP retransmits
    # lost segments itself, and a second wait would double the cost of every wedged camera.
    conversation = asyncio.ensure_future(
        retry_read(
            make,
            lambda p: (
                not p.answered and p.failure is Failure.REFUSED and run.remaining() > reserve + 2.0
            ),
            run,
        )
    )
    # No complete first answer a second before its limit: look at how the web server answers
    # meanwhile (on the camera's second connection), so a silent or drip-feeding camera costs
    # its limit and not a second more. A camera that answered whole replies is not dripping.
    shape: asyncio.Future[bool] | None = None
    answered = asyncio.ensure_future(first_reply.wait())
    try:
        limit = min(first_reply_s, _onvif_budget(run, reserve))
        lead = limit - LIVENESS_TIMEOUT_S - SHAPE_MARGIN_S
        await asyncio.wait(
            {conversation, answered}, timeout=max(0.0, lead), return_when=asyncio.FIRST_COMPLETED
        )
        if not conversation.done() and not first_reply.is_set():
            shape = asyncio.ensure_future(_trickling(run))
        probe = await conversation
        trickling = False
        if probe.failure is Failure.TIMEOUT and not probe.calls:
            trickling = await shape if shape is not None else await _trickling(run)
    finally:
        for task in (conversation, shape, answered):
            if task is not None and not task.done():
                task.cancel()
    run.answered = probe.answered or trickling
    run.device = probe.device
    run.clock_offset_s = probe.clock_offset_s
    found = verdicts.onvif_problems(
        probe, cam.policy, trickling=trickling, reached=run.reached, silent_s=first_reply_s
    )
    calls = ", ".join(f"{op} {ms:.0f} ms" for op, ms in probe.calls)
    _remember_onvif(run, probe)
    run.step("onvif", found, probe.error or calls, t0)
    return probe, used


def _remember_onvif(run: CameraRun, probe: OnvifProbe) -> None:
    """The camera's model, and the calls its model and firmware leave out, for later checks
    (they skip those calls instead of asking again)."""
    if not probe.ok:
        return
    memory = run.memory
    model = model_subject(probe.device)
    if model is not None and model != memory.model():
        memory.learn("device", model)
    left_out = frozenset(probe.unsupported)
    if left_out != memory.unsupported():
        memory.learn("unsupported", ",".join(sorted(left_out)), model or memory.model())


def _onvif_budget(run: CameraRun, reserve: float) -> float:
    """ONVIF gets what the stream does not need, but never less than ONVIF_SHARE of what is
    left: with a short --timeout, a dozen SOAP round trips need more than a fixed remainder."""
    left = run.remaining()
    return run.budget(left, min(reserve, left * (1 - ONVIF_SHARE)))


async def _trickling(run: CameraRun) -> bool:
    """ONVIF ran out of time: is the web server drip-feeding (bytes at once, never a whole
    header block), rather than busy (late but whole) or silent (wedged)?"""
    from fleetctl.adapters.http.liveness import HttpShape, reply_shape

    cam = run.camera
    shape = await run.limited(
        lambda: reply_shape(
            cam.host, cam.port, timeout_s=run.budget(LIVENESS_TIMEOUT_S), https=cam.https
        )
    )
    return shape is HttpShape.TRICKLE


async def _stream(
    run: CameraRun, profile: MediaProfileInfo | None, uri: str, credential: Credential | None
) -> StreamProbe:
    from fleetctl.adapters.rtsp.client import probe_stream

    opts = run.options
    t0 = time.monotonic()

    async def measure() -> tuple[StreamProbe, StreamResult, list[Problem]]:
        probe = await run.limited(
            lambda: probe_stream(
                uri,
                credential,
                window_s=opts.stream_window_s,
                timeout_s=run.budget(
                    opts.stream_window_s + STREAM_SETUP_S * 2, OWN_DEADLINE_MARGIN_S
                ),
                host_override=run.camera.host,
                port_override=None,
                allow_basic=run.camera.policy.allow_basic_auth,
                keyframe=opts.picture,
            )
        )
        return (probe, *verdicts.judge_stream(profile, probe, run.camera.policy))

    probe, result, found = await measure()
    staged = run.workspace.staged_credential(run.camera, credential)
    if probe.failure is Failure.AUTH and staged is not None and not run.camera.onvif:
        # An RTSP-only camera under a rotation this process's journal does not know about.
        credential = staged
        probe, result, found = await measure()
    retried = ""
    if (
        found
        and verdicts.only_rate_problems(found)
        and run.remaining() > opts.stream_window_s + STREAM_SETUP_S
    ):
        # A rate below the configured one may be a hiccup of the network (or of this host) in a
        # one-second window: confirm with a second window before saying so, keep the better one.
        again = await measure()
        retried = " (measured twice)"
        if len(again[2]) < len(found):
            probe, result, found = again
    guess_failed = not probe.ok and _guessed(run, uri, profile)
    if guess_failed:
        # The vendor's usual path did not play: the camera may well use another. The video is
        # unknown, not missing: no problem, and the step says why.
        found = []
        result = replace(result, status=Status.UNKNOWN, fps=None, bitrate_kbps=None)
    run.streams.append(result)
    if probe.ok and probe.packets and uri != run.memory.get("stream_uri"):
        run.memory.learn("stream_uri", uri)
    detail: str | Msg = probe.error or M_(
        "%(packets)d packets, %(frames)d frames, %(keyframes)d keyframes in %(window).1f s",
        packets=probe.packets,
        frames=probe.frames,
        keyframes=probe.keyframes,
        window=probe.window_s,
    )
    if guess_failed:
        detail = M_(
            "video not checked: no stream address known (%(uri)s: %(error)s)",
            uri=uri,
            error=detail.en() if isinstance(detail, Msg) else detail,
        )
    if retried:
        twice = M_(" (measured twice)")
        detail = detail.plus(twice) if isinstance(detail, Msg) else detail + twice.en()
    run.step("stream", found, detail, t0)
    if opts.picture and not guess_failed:
        await judge_picture(run, probe, found)
    return probe


def _rtsp_port(url: str | None) -> int:
    try:
        return (urlsplit(url).port if url else None) or DEFAULT_RTSP_PORT
    except ValueError:
        return DEFAULT_RTSP_PORT
