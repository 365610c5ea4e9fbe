"""Verdict rules for what the camera records and sends: stream, storage, security. Pure.

Part of ``core.verdicts.rules`` (which re-exports these); same contract: no clock, no I/O, messages
in an operator's words, never a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from fleetctl.base.i18n import M_, Duration, Msg, Word
from fleetctl.base.logsafe import safe_url
from fleetctl.core.models import Policy, Problem, ProblemKind, Status, StorageResult, StreamResult
from fleetctl.core.probes import (
    EncoderSettings,
    Failure,
    MediaProfileInfo,
    RecordingInfo,
    SecurityProbe,
    StorageReadout,
    StreamProbe,
)
from fleetctl.core.verdicts.text import Problems, camera_status, dedupe

# --------------------------------------------------------------------------- stream


def judge_stream(
    profile: MediaProfileInfo | None, probe: StreamProbe, policy: Policy
) -> tuple[StreamResult, Problems]:
    """One RTSP measurement -> its StreamResult and problems (kind ``stream``, or ``auth``)."""
    enc: EncoderSettings | None = profile.encoder if profile else None
    out: Problems = []
    window = probe.window_s
    if probe.basic_only:
        out.append(basic_only_problem("RTSP"))
    elif probe.failure is Failure.AUTH:
        out.append(
            Problem.of(ProblemKind.AUTH, Status.CRIT, M_("RTSP rejects the fleet's credentials"))
        )
    elif probe.failure is Failure.REFUSED:
        out.append(
            Problem.of(ProblemKind.STREAM, Status.CRIT, M_("no video: RTSP connection refused"))
        )
    elif probe.packets == 0 and (probe.ok or probe.stage in ("rtp", "play", None)):
        out.append(
            Problem.of(
                ProblemKind.STREAM,
                Status.CRIT,
                M_("no video: 0 RTP packets in %(window).1f s", window=window),
            )
        )
    elif not probe.ok:
        out.append(Problem.of(ProblemKind.STREAM, Status.CRIT, _rtsp_failed(probe)))
    else:
        out.extend(_stream_quality(probe, enc, policy))
    status = camera_status(out)
    fps = probe.fps if probe.ok else (0.0 if probe.stage in ("rtp", "play") else None)
    rate = probe.bitrate_kbps if probe.ok else (0.0 if probe.stage in ("rtp", "play") else None)
    result = StreamResult(
        profile=profile.name or profile.token if profile else None,
        uri=safe_url(probe.uri),  # a camera's GetStreamUri may carry ?password=
        status=status,
        codec=probe.codec or (enc.encoding if enc else None),
        width=probe.width or (enc.width if enc else None),
        height=probe.height or (enc.height if enc else None),
        fps=None if fps is None else round(fps, 2),
        bitrate_kbps=None if rate is None else round(rate, 1),
        configured_fps=enc.fps if enc else None,
        configured_bitrate_kbps=enc.bitrate_kbps if enc else None,
        packets=probe.packets,
        bytes=probe.bytes,
        seq_gaps=probe.seq_gaps,
        frames=probe.frames,
        keyframes=probe.keyframes,
    )
    return result, out


def _rtsp_failed(probe: StreamProbe) -> Msg:
    """The RTSP exchange broke before video: at which request (DESCRIBE, SETUP, PLAY...)."""
    timeout = probe.failure is Failure.TIMEOUT
    if probe.stage:
        stage = probe.stage.upper()  # an RTSP method: a protocol word, the same in every language
        if timeout:
            return M_("no video: RTSP does not answer at %(stage)s", stage=stage)
        return M_("no video: RTSP fails at %(stage)s", stage=stage)
    if timeout:
        return M_("no video: RTSP does not answer")
    return M_("no video: RTSP fails")


_RATE_WORDS = ("low frame rate:", "low bitrate:")


def only_rate_problems(problems: Iterable[Problem]) -> bool:
    """True when every problem is a frame-rate or bitrate shortfall (worth a second window)."""
    return all(p.kind is ProblemKind.STREAM and p.message.startswith(_RATE_WORDS) for p in problems)


def _stream_quality(probe: StreamProbe, enc: EncoderSettings | None, policy: Policy) -> Problems:
    out: Problems = []
    window = probe.window_s
    # A live picture changes every frame (even a static scene: noise, the OSD clock). A frozen
    # encoder resends the same payload, so almost no frame differs from the one before it.
    if probe.frames >= 3 and probe.distinct_payloads <= max(1, probe.frames // 10):
        out.append(
            Problem.of(
                ProblemKind.STREAM,
                Status.CRIT,
                M_(
                    "frozen picture: %(frames)d identical frames in %(window).1f s",
                    frames=probe.frames,
                    window=window,
                ),
            )
        )
    fps = probe.fps
    if enc and enc.fps and fps is not None and fps < policy.stream_min_ratio * enc.fps:
        out.append(
            Problem.of(
                ProblemKind.STREAM,
                Status.WARN,
                M_(
                    "low frame rate: %(fps).1f fps (configured %(configured)g)",
                    fps=fps,
                    configured=enc.fps,
                ),
            )
        )
    rate = probe.bitrate_kbps
    if (
        enc
        # Under VBR (most encoders' default) the configured bitrate is a ceiling: a quiet or
        # night scene uses a fraction of it. Only an encoder known to run CBR owes its rate.
        and enc.cbr is True
        and enc.bitrate_kbps
        and rate is not None
        and rate < policy.stream_min_ratio * enc.bitrate_kbps
    ):
        out.append(
            Problem.of(
                ProblemKind.STREAM,
                Status.WARN,
                M_(
                    "low bitrate: %(rate).0f kbit/s (configured %(configured)g)",
                    rate=rate,
                    configured=enc.bitrate_kbps,
                ),
            )
        )
    if probe.frames and probe.keyframes == 0 and _window_covers_gop(probe.window_s, enc):
        # "Smart" codecs (H.264+/H.265+) stretch the GOP to many seconds: a window without a
        # keyframe is suspicious, not proof of a broken stream. Warn, never crit.
        out.append(
            Problem.of(
                ProblemKind.STREAM,
                Status.WARN,
                M_("no keyframe in %(window).1f s (long GOP or smart codec?)", window=window),
            )
        )
    return out


def _window_covers_gop(window_s: float, enc: EncoderSettings | None) -> bool:
    """Only blame a missing keyframe when the window was long enough to contain one."""
    if enc is None or not enc.gop or not enc.fps:
        return True
    return window_s >= enc.gop / enc.fps


# --------------------------------------------------------------------------- storage


def judge_storage(
    readouts: Sequence[StorageReadout],
    recordings: Sequence[RecordingInfo] | None,
    policy: Policy,
    now: datetime,
) -> tuple[tuple[StorageResult, ...], Problems]:
    """Media states and ONVIF recording jobs -> StorageResults and ``storage`` problems.

    A card that is full while overwriting is healthy. Failed, unformatted, missing or not
    recording is crit; full without overwrite is warn (policy.storage_full_warn). A readout that
    failed (the camera has no such API) is not a problem: fields stay unknown.
    """
    results: list[StorageResult] = []
    out: Problems = []
    for readout in readouts:
        if readout.basic_only:
            out.append(basic_only_problem("storage"))
        if not readout.ok:
            continue
        for m in readout.media:
            found: Problems = []
            state = (m.state or "").lower()
            if state == "failed":
                found.append(
                    Problem.of(
                        ProblemKind.STORAGE,
                        Status.CRIT,
                        M_("%(media)s failed (replace the card or disk)", media=m.name),
                    )
                )
            elif state == "unformatted":
                found.append(
                    Problem.of(
                        ProblemKind.STORAGE,
                        Status.CRIT,
                        M_("%(media)s is unformatted", media=m.name),
                    )
                )
            elif state == "missing":
                found.append(
                    Problem.of(
                        ProblemKind.STORAGE,
                        Status.CRIT,
                        M_("%(media)s missing (no card or disk found)", media=m.name),
                    )
                )
            elif state == "full" and m.overwrite is False and policy.storage_full_warn:
                # Full is the steady state of a card that loops; full with overwrite off stops
                # recording the moment it fills. A full card whose overwrite setting cannot be
                # read is judged by whether recording goes on (``recording_evidence``), not here.
                found.append(
                    Problem.of(
                        ProblemKind.STORAGE,
                        Status.WARN,
                        M_("%(media)s full and overwrite is off", media=m.name),
                    )
                )
            if m.recording is False and state not in ("failed", "unformatted", "missing"):
                found.append(
                    Problem.of(
                        ProblemKind.STORAGE,
                        Status.CRIT,
                        M_("%(media)s: not recording", media=m.name),
                    )
                )
            results.append(
                StorageResult(
                    name=m.name,
                    state=m.state,
                    total_mb=m.total_mb,
                    used_mb=m.used_mb,
                    status=camera_status(found),
                    recording=m.recording,
                    overwrite=m.overwrite,
                    source=m.source,
                )
            )
            out.extend(found)
    for rec in recordings or ():
        out.extend(_recording_problems(rec, policy, now))
    return tuple(results), dedupe(out)


def unreadable_storage_problems(readout: StorageReadout, where: str) -> Problems:
    """A storage read the inventory asked for (``ssh:`` on a recorder) that failed.

    Rejected login (or a changed host key, refused before login) is ``auth``/crit: someone must
    act. Anything else leaves the disks unjudged: ``storage``/unknown, with the reason.
    """
    if readout.ok:
        return []
    why = readout.error or (readout.failure.value if readout.failure else "unknown error")
    error = _strip_address(why)
    if readout.failure is Failure.AUTH:
        return [
            Problem.of(
                ProblemKind.AUTH,
                Status.CRIT,
                M_("%(where)s refused: %(error)s", where=where, error=error),
            )
        ]
    return [
        Problem.of(
            ProblemKind.STORAGE,
            Status.UNKNOWN,
            M_("cannot read disks over %(where)s: %(error)s", where=where, error=error),
        )
    ]


def _strip_address(error: str) -> str:
    """Adapters prefix errors with "host:port: "; the report already names the camera."""
    head, sep, rest = error.partition(": ")
    return rest if sep and ":" in head and " " not in head else error


def recording_evidence(
    recordings: Sequence[RecordingInfo] | None, policy: Policy, now: datetime
) -> bool | None:
    """Does recording demonstrably continue? True: a job is active and its newest recorded data
    is within ``policy.recording_stale_s`` on the camera's own clock. False: a job is idle or in
    error, or the newest data is stale. None: no evidence either way (no recording service, or
    it says too little)."""
    verdict: bool | None = None
    for rec in recordings or ():
        state = (rec.job_state or "").lower()
        if state in ("idle", "error"):
            return False
        if rec.data_until is None:
            continue
        age = ((rec.camera_now or now) - rec.data_until).total_seconds()
        if age > policy.recording_stale_s:
            return False
        if state == "active":
            verdict = True
    return verdict


def storage_notes(
    media: Sequence[StorageResult],
    recordings: Sequence[RecordingInfo] | None,
    policy: Policy,
    now: datetime,
) -> list[Msg]:
    """Each medium's state in words for the check's detail: a full card says why it is fine
    ("overwriting") or that nothing tells either way, so an operator never guesses.

    Messages with values (``Msg``): the JSON ``detail`` is their English, whatever the language.
    """
    evidence = recording_evidence(recordings, policy, now)
    out: list[Msg] = []
    for m in media:
        note = M_("%(media)s: %(state)s", media=m.name, state=Word(str(m.state)))
        if (m.state or "").lower() == "full":
            if m.overwrite is True or (m.overwrite is None and evidence is True):
                note = note.plus(M_(" (overwriting)"))
            elif m.overwrite is None and evidence is None:
                note = note.plus(M_(" (overwrite not known: no evidence either way)"))
        out.append(note)
    return out


def _recording_problems(rec: RecordingInfo, policy: Policy, now: datetime) -> Problems:
    if rec.job_state is not None and rec.job_state.lower() == "error":
        return [Problem.of(ProblemKind.STORAGE, Status.CRIT, M_("recording job in error"))]
    if rec.data_until is not None:
        # Judge staleness on the camera's own clock when we have it: a drifting clock must not
        # make a recording look stopped (or alive).
        ref = rec.camera_now or now
        age = (ref - rec.data_until).total_seconds()
        if age > policy.recording_stale_s:
            return [
                Problem.of(
                    ProblemKind.STORAGE,
                    Status.CRIT,
                    M_("recording stopped: last recorded %(age)s ago", age=Duration(age)),
                )
            ]
    if rec.job_state is not None and rec.job_state.lower() == "idle":
        return [
            Problem.of(
                ProblemKind.STORAGE, Status.CRIT, M_("recording stopped (recording job idle)")
            )
        ]
    return _retention_problems(rec, policy)


# A card a few minutes short of its policy is the same card: the oldest footage is overwritten
# in steps (a file at a time), and the newest is as old as the last flush.
_RETENTION_SLACK_DAYS = 0.05


def _retention_problems(rec: RecordingInfo, policy: Policy) -> Problems:
    """A recording that keeps fewer days than ``policy.min_retention_days``: footage asked for
    a week later will be gone. Judged only on a live recording (a stopped one is crit already)."""
    days = rec.days_kept
    if days is None or days + _RETENTION_SLACK_DAYS >= policy.min_retention_days:
        return []
    return [
        Problem.of(
            ProblemKind.STORAGE,
            Status.WARN,
            M_(
                "keeps %(days)g days, policy %(policy)g",
                days=round(days, 1),
                policy=policy.min_retention_days,
            ),
        )
    ]


# --------------------------------------------------------------------------- security


def basic_only_problem(service: str) -> Problem:
    """A camera that offers only Basic (cleartext) authentication, which policy forbids: the
    password was not sent, what needed it stays unread. ``security``/warn: fix the camera's
    setting, or allow Basic for it (``policy.allow_basic_auth``) on TLS or a unique password."""
    if service == "RTSP":
        msg = M_(
            "RTSP offers only Basic authentication: the password would cross the network in "
            "clear, so it was not sent"
        )
    else:
        msg = M_(
            "the storage page offers only Basic authentication: the password would cross the "
            "network in clear, so it was not sent"
        )
    return Problem.of(ProblemKind.SECURITY, Status.WARN, msg)


def security_problems(sec: SecurityProbe) -> Problems:
    """Security findings are warn (docs/problems.md): fix soon, the camera still works."""
    out: Problems = []
    if sec.fleet_credential_is_default:
        out.append(
            Problem.of(
                ProblemKind.SECURITY,
                Status.WARN,
                M_("the fleet credential is a factory default password"),
            )
        )
    if sec.default_password_opens:
        opens = (
            M_(
                "the factory password still opens the camera (user %(user)s)",
                user=sec.default_username,
            )
            if sec.default_username
            else M_("the factory password still opens the camera")
        )
        out.append(Problem.of(ProblemKind.SECURITY, Status.WARN, opens))
    if sec.rtsp_plays_without_auth:
        out.append(
            Problem.of(
                ProblemKind.SECURITY, Status.WARN, M_("video plays without any password (RTSP)")
            )
        )
    return out
