"""One camera's probe sequence for ``engine.check``: budgets, per-host limits, retries, steps.

``run_probes`` fills a ``CameraRun`` as it goes, so that when the camera's deadline cancels it
midway, what was learned so far still makes the report. Adapters are the only code that talks
to the camera; this module decides what to ask, in which order, under which deadline.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from fleetctl.core import verdicts
from fleetctl.core.errors import SecretsError
from fleetctl.core.models import (
    Camera,
    CameraReport,
    CheckStep,
    Credential,
    DeviceInfo,
    Problem,
    ProblemKind,
    Status,
    StorageResult,
    StreamResult,
)
from fleetctl.core.probes import (
    Failure,
    MediaProfileInfo,
    OnvifProbe,
    ReachProbe,
    SecurityProbe,
    StorageReadout,
    StreamProbe,
)

if TYPE_CHECKING:
    from fleetctl.engine.check import CheckOptions
    from fleetctl.engine.workspace import Workspace

log = logging.getLogger(__name__)
T = TypeVar("T")

REACH_TIMEOUT_S = 3.0  # a TCP connect on a LAN takes ms; 3 s covers a congested uplink
RETRY_JITTER_S = (0.05, 0.25)  # one jittered retry for reads, so a fleet's retries don't align
MAX_REPLY_BYTES = 4 * 1024 * 1024  # no health-check reply is legitimately bigger
STORAGE_TIMEOUT_S = 4.0
SECURITY_TIMEOUT_S = 4.0
LIVENESS_TIMEOUT_S = 1.0  # a drip-feeder shows itself within a second: bytes, never a header end
MIN_FOLLOW_UP_S = 0.5  # below this, stream/storage/security cannot finish: don't start them
STREAM_SETUP_S = 2.5
# Probes end this much before the camera's deadline, so their own (precise) verdict wins over
# the camera's blunt "did not finish".
OWN_DEADLINE_MARGIN_S = 0.25  # OPTIONS..PLAY on top of the measuring window
DEFAULT_RTSP_PORT = 554
# Hikvision and Dahua expose disk health only through their own HTTP APIs (FIELD-NOTES.md).
_VENDOR_BY_MANUFACTURER = {"hikvision": "hikvision", "dahua": "dahua"}


_SILENT = (Failure.TIMEOUT, Failure.REFUSED, Failure.UNREACHABLE)


class HostLimits:
    """At most ``per_host`` connections to one host at once (NVR channels share one box)."""

    def __init__(self, per_host: int) -> None:
        self._per_host = max(1, per_host)
        self._sems: dict[str, asyncio.Semaphore] = {}

    def __call__(self, host: str) -> asyncio.Semaphore:
        sem = self._sems.get(host)
        if sem is None:
            sem = self._sems[host] = asyncio.Semaphore(self._per_host)
        return sem


@dataclass
class CameraRun:
    """Mutable state of one camera's check; ``report()`` freezes it."""

    camera: Camera
    workspace: Workspace
    options: CheckOptions
    hosts: HostLimits
    stage: str = "reach"
    answered: bool = False
    t0: float = field(default_factory=time.monotonic)
    stage_t0: float = field(default_factory=time.monotonic)
    steps: list[CheckStep] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    device: DeviceInfo | None = None
    clock_offset_s: float | None = None
    streams: list[StreamResult] = field(default_factory=list)
    storage: tuple[StorageResult, ...] = ()

    def remaining(self) -> float:
        return self.options.timeout_s - (time.monotonic() - self.t0)

    def budget(self, cap: float, reserve: float = 0.0) -> float:
        """A probe's own deadline: its cap, but never past the camera's (minus a reserve)."""
        return max(0.2, min(cap, self.remaining() - reserve))

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self.t0) * 1000, 1)

    def stage_elapsed_ms(self) -> float:
        return round((time.monotonic() - self.stage_t0) * 1000, 1)

    def begin(self, stage: str) -> None:
        self.stage, self.stage_t0 = stage, time.monotonic()

    def step(self, name: str, found: list[Problem], detail: str, t0: float) -> None:
        self.problems.extend(found)
        ms = round((time.monotonic() - t0) * 1000, 1)
        self.steps.append(CheckStep(name, verdicts.camera_status(found), ms, detail))

    def report(self, now: datetime) -> CameraReport:
        problems = verdicts.sort_problems(self.problems)
        return CameraReport(
            name=self.camera.name, site=self.camera.site, host=self.camera.host,
            status=verdicts.camera_status(problems), problems=problems, device=self.device,
            clock_offset_s=None if self.clock_offset_s is None else round(self.clock_offset_s, 3),
            streams=tuple(self.streams), storage=self.storage, checks=tuple(self.steps), checked_at=now,
        )

    async def limited(self, make: Callable[[], Awaitable[T]]) -> T:
        async with self.hosts(self.camera.host):
            return await make()


async def _retry_read(make: Callable[[], Awaitable[T]], failed: Callable[[T], bool], run: CameraRun) -> T:
    """One jittered retry for an idempotent read that timed out or was refused, budget allowing."""
    result = await run.limited(make)
    if failed(result) and run.remaining() > 2.0:
        await asyncio.sleep(random.uniform(*RETRY_JITTER_S))
        result = await run.limited(make)
    return result


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
        onvif = await _onvif(run, credential)
        if onvif is not None and not run.answered and onvif.failure in _SILENT:
            return  # silent: everything else would time out the same way
    uris: list[tuple[MediaProfileInfo | None, str]] = []
    if rtsp_only and cam.rtsp_url:
        uris.append((None, cam.rtsp_url))
    elif onvif is not None and onvif.profiles:
        main = onvif.profiles[0]  # the main profile comes first on every vendor we know
        if main.stream_uri:
            uris.append((main, main.stream_uri))
    if run.remaining() < MIN_FOLLOW_UP_S:
        return  # what was learned stands; starting probes that cannot finish would blame them
    jobs: list[Awaitable[None]] = []
    if "storage" in probes:
        jobs.append(_storage(run, onvif, credential))
    if "stream" in probes or "security" in probes:
        jobs.append(_streams_then_security(run, uris, credential))
    if jobs:
        run.begin("stream" if "stream" in probes and uris else "storage")
        await asyncio.gather(*jobs)


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
        await _security(run, credential, uris[0][1] if uris else None, played_without_auth)


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

    reach = await _retry_read(make, lambda r: r.failure in (Failure.TIMEOUT, Failure.REFUSED), run)
    found = verdicts.reach_problems(reach, service)
    detail = f"port {port}: {reach.latency_ms:.1f} ms" if reach.ok and reach.latency_ms is not None else (reach.error or "")
    run.step("reach", found, detail, t0)
    return reach.ok


async def _onvif(run: CameraRun, credential: Credential | None) -> OnvifProbe | None:
    from fleetctl.adapters.onvif import probe_onvif

    cam, opts = run.camera, run.options
    run.begin("onvif")
    t0 = time.monotonic()
    if credential is None:
        run.step("onvif", [Problem(ProblemKind.AUTH, Status.UNKNOWN, "no credentials configured for this camera")], "", t0)
        return None
    # Leave room after ONVIF for the stream window, so a slow camera still gets its video judged.
    reserve = opts.stream_window_s + STREAM_SETUP_S if "stream" in opts.probes else 0.0

    def make() -> Awaitable[OnvifProbe]:
        return probe_onvif(
            cam, credential, timeout_s=run.budget(run.remaining(), reserve), max_bytes=MAX_REPLY_BYTES,
            want_recordings="storage" in opts.probes,
        )

    # Retry a refused or silent camera once, if a retry still fits before the stream's reserve.
    probe = await _retry_read(
        make, lambda p: not p.answered and p.failure in (Failure.TIMEOUT, Failure.REFUSED)
        and run.remaining() > reserve + 2.0, run,
    )
    trickling = False
    if probe.failure is Failure.TIMEOUT:
        trickling = await _trickling(run)
    run.answered = probe.answered or trickling
    run.device = probe.device
    run.clock_offset_s = probe.clock_offset_s
    found = verdicts.onvif_problems(probe, cam.policy, trickling=trickling)
    calls = ", ".join(f"{op} {ms:.0f} ms" for op, ms in probe.calls)
    run.step("onvif", found, probe.error or calls, t0)
    return probe


async def _trickling(run: CameraRun) -> bool:
    """ONVIF ran out of time: is the web server drip-feeding (bytes at once, never a whole
    header block), rather than busy (late but whole) or silent (wedged)?"""
    from fleetctl.adapters.http_liveness import HttpShape, reply_shape

    cam = run.camera
    shape = await run.limited(
        lambda: reply_shape(cam.host, cam.port, timeout_s=run.budget(LIVENESS_TIMEOUT_S), https=cam.https)
    )
    return shape is HttpShape.TRICKLE


async def _stream(
    run: CameraRun, profile: MediaProfileInfo | None, uri: str, credential: Credential | None
) -> StreamProbe:
    from fleetctl.adapters.rtsp import probe_stream

    opts = run.options
    t0 = time.monotonic()

    async def measure() -> tuple[StreamProbe, StreamResult, list[Problem]]:
        probe = await run.limited(lambda: probe_stream(
            uri, credential, window_s=opts.stream_window_s,
            timeout_s=run.budget(opts.stream_window_s + STREAM_SETUP_S * 2, OWN_DEADLINE_MARGIN_S),
            host_override=run.camera.host, port_override=None,
        ))
        return (probe, *verdicts.judge_stream(profile, probe, run.camera.policy))

    probe, result, found = await measure()
    retried = ""
    if found and verdicts.only_rate_problems(found) and run.remaining() > opts.stream_window_s + STREAM_SETUP_S:
        # A rate below the configured one may be a hiccup of the network (or of this host) in a
        # one-second window: confirm with a second window before saying so, keep the better one.
        again = await measure()
        retried = " (measured twice)"
        if len(again[2]) < len(found):
            probe, result, found = again
    run.streams.append(result)
    detail = probe.error or (
        f"{probe.packets} packets, {probe.frames} frames, {probe.keyframes} keyframes in {probe.window_s:.1f} s"
    )
    run.step("stream", found, detail + retried, t0)
    return probe


async def _storage(run: CameraRun, onvif: OnvifProbe | None, credential: Credential | None) -> None:
    cam = run.camera
    t0 = time.monotonic()
    readouts: list[StorageReadout] = []
    vendor = _vendor(onvif)
    # The vendor API lives on the same web server: if ONVIF ran out of time there, so would it.
    http_usable = onvif is not None and onvif.failure is not Failure.TIMEOUT
    if vendor is not None and credential is not None and http_usable:
        from fleetctl.adapters.storage_http import read_vendor_storage

        readouts.append(await run.limited(lambda: read_vendor_storage(
            cam.host, cam.port, vendor, credential, timeout_s=run.budget(STORAGE_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
            max_bytes=MAX_REPLY_BYTES,
        )))
    ssh_problems: list[Problem] = []
    if cam.ssh is not None:
        ssh = await _ssh_storage(run)
        readouts.append(ssh)
        ssh_problems = verdicts.unreadable_storage_problems(ssh, "SSH")
    recordings = onvif.recordings if onvif is not None else None
    media, found = verdicts.judge_storage(readouts, recordings, cam.policy, datetime.now().astimezone())
    found += ssh_problems
    run.storage = media
    parts = [f"{m.name}: {m.state}" for m in media] + [r.error for r in readouts if r.error]
    if recordings:
        parts.append(f"{len(recordings)} recording(s)")
    run.step("storage", found, "; ".join(parts) or "no storage exposed", t0)


async def _ssh_storage(run: CameraRun) -> StorageReadout:
    from fleetctl.adapters.ssh_storage import read_ssh_storage

    cam = run.camera
    assert cam.ssh is not None
    cred = run.workspace.ssh_credential_for(cam)
    if cred is None:
        return StorageReadout(ok=False, failure=Failure.AUTH, error="no SSH credentials configured")
    known_hosts = getattr(run.workspace, "known_hosts_path", None)
    return await run.limited(lambda: read_ssh_storage(
        cam.host, cam.ssh.port if cam.ssh else 22, cred, known_hosts_path=known_hosts,
        timeout_s=run.budget(STORAGE_TIMEOUT_S, OWN_DEADLINE_MARGIN_S),
    ))


async def _security(
    run: CameraRun, credential: Credential | None, uri: str | None, played_without_auth: bool | None
) -> None:
    from fleetctl.adapters import factory
    from fleetctl.adapters.onvif import try_login
    from fleetctl.adapters.rtsp import probe_rtsp_noauth

    cam, opts = run.camera, run.options
    t0 = time.monotonic()
    manufacturer = run.device.manufacturer if run.device else None
    is_default = credential is not None and factory.is_factory_credential(
        credential.username, credential.password.reveal() if credential.password else "", manufacturer
    )
    noauth = played_without_auth
    if noauth is None and uri is not None:
        noauth = await run.limited(lambda: probe_rtsp_noauth(
            uri, timeout_s=run.budget(SECURITY_TIMEOUT_S, OWN_DEADLINE_MARGIN_S), host_override=cam.host, port_override=None,
        ))
    opens: bool | None = None
    user: str | None = None
    if opts.check_default_passwords and cam.onvif and not is_default:
        # One attempt per camera: a second could trip the account lockout of many firmwares.
        guess = factory.first_factory_login(manufacturer)
        user = guess.username
        opens = await run.limited(
            lambda: try_login(
                cam, guess.username, guess.password, timeout_s=run.budget(SECURITY_TIMEOUT_S, OWN_DEADLINE_MARGIN_S)
            )
        )
    sec = SecurityProbe(
        default_password_opens=opens, default_username=user if opens else None,
        fleet_credential_is_default=is_default, rtsp_plays_without_auth=noauth,
    )
    found = verdicts.security_problems(sec)
    tried = ["fleet credential"] + (["rtsp without auth"] if uri else []) + (["factory password"] if opens is not None else [])
    run.step("security", found, "checked " + ", ".join(tried), t0)


def _vendor(onvif: OnvifProbe | None) -> str | None:
    if onvif is None or onvif.device is None or not onvif.device.manufacturer:
        return None
    return _VENDOR_BY_MANUFACTURER.get(onvif.device.manufacturer.strip().lower())


def _rtsp_port(url: str | None) -> int:
    try:
        return (urlsplit(url).port if url else None) or DEFAULT_RTSP_PORT
    except ValueError:
        return DEFAULT_RTSP_PORT
