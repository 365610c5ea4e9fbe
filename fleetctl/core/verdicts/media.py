"""Verdict rules for what the camera records and sends: stream, storage, security. Pure.

Part of ``core.verdicts.rules`` (which re-exports these); same contract: no clock, no I/O, messages
in an operator's words, never a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

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
from fleetctl.core.verdicts.text import Problems, camera_status, dedupe, fmt_duration, secs

# --------------------------------------------------------------------------- stream


def judge_stream(
    profile: MediaProfileInfo | None, probe: StreamProbe, policy: Policy
) -> tuple[StreamResult, Problems]:
    """One RTSP measurement -> its StreamResult and problems (kind ``stream``, or ``auth``)."""
    enc: EncoderSettings | None = profile.encoder if profile else None
    out: Problems = []
    window = secs(probe.window_s)
    if probe.failure is Failure.AUTH:
        out.append(Problem(ProblemKind.AUTH, Status.CRIT, "RTSP rejects the fleet's credentials"))
    elif probe.failure is Failure.REFUSED:
        out.append(Problem(ProblemKind.STREAM, Status.CRIT, "no video: RTSP connection refused"))
    elif probe.packets == 0 and (probe.ok or probe.stage in ("rtp", "play", None)):
        out.append(Problem(ProblemKind.STREAM, Status.CRIT, f"no video: 0 RTP packets in {window}"))
    elif not probe.ok:
        stage = f" at {probe.stage.upper()}" if probe.stage else ""
        why = "does not answer" if probe.failure is Failure.TIMEOUT else "fails"
        out.append(Problem(ProblemKind.STREAM, Status.CRIT, f"no video: RTSP {why}{stage}"))
    else:
        out.extend(_stream_quality(probe, enc, policy))
    status = camera_status(out)
    fps = probe.fps if probe.ok else (0.0 if probe.stage in ("rtp", "play") else None)
    rate = probe.bitrate_kbps if probe.ok else (0.0 if probe.stage in ("rtp", "play") else None)
    result = StreamResult(
        profile=profile.name or profile.token if profile else None,
        uri=probe.uri,
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


_RATE_WORDS = ("low frame rate:", "low bitrate:")


def only_rate_problems(problems: Iterable[Problem]) -> bool:
    """True when every problem is a frame-rate or bitrate shortfall (worth a second window)."""
    return all(p.kind is ProblemKind.STREAM and p.message.startswith(_RATE_WORDS) for p in problems)


def _stream_quality(probe: StreamProbe, enc: EncoderSettings | None, policy: Policy) -> Problems:
    out: Problems = []
    window = secs(probe.window_s)
    # A live picture changes every frame (even a static scene: noise, the OSD clock). A frozen
    # encoder resends the same payload, so almost no frame differs from the one before it.
    if probe.frames >= 3 and probe.distinct_payloads <= max(1, probe.frames // 10):
        out.append(
            Problem(
                ProblemKind.STREAM,
                Status.CRIT,
                f"frozen picture: {probe.frames} identical frames in {window}",
            )
        )
    fps = probe.fps
    if enc and enc.fps and fps is not None and fps < policy.stream_min_ratio * enc.fps:
        out.append(
            Problem(
                ProblemKind.STREAM,
                Status.WARN,
                f"low frame rate: {fps:.1f} fps (configured {enc.fps:g})",
            )
        )
    rate = probe.bitrate_kbps
    if (
        enc
        and enc.bitrate_kbps
        and rate is not None
        and rate < policy.stream_min_ratio * enc.bitrate_kbps
    ):
        out.append(
            Problem(
                ProblemKind.STREAM,
                Status.WARN,
                f"low bitrate: {rate:.0f} kbit/s (configured {enc.bitrate_kbps:g})",
            )
        )
    if probe.frames and probe.keyframes == 0 and _window_covers_gop(probe.window_s, enc):
        # "Smart" codecs (H.264+/H.265+) stretch the GOP to many seconds: a window without a
        # keyframe is suspicious, not proof of a broken stream. Warn, never crit.
        out.append(
            Problem(
                ProblemKind.STREAM,
                Status.WARN,
                f"no keyframe in {window} (long GOP or smart codec?)",
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
        if not readout.ok:
            continue
        for m in readout.media:
            found: Problems = []
            state = (m.state or "").lower()
            if state == "failed":
                found.append(
                    Problem(
                        ProblemKind.STORAGE,
                        Status.CRIT,
                        f"{m.name} failed (replace the card or disk)",
                    )
                )
            elif state == "unformatted":
                found.append(Problem(ProblemKind.STORAGE, Status.CRIT, f"{m.name} is unformatted"))
            elif state == "missing":
                found.append(
                    Problem(
                        ProblemKind.STORAGE,
                        Status.CRIT,
                        f"{m.name} missing (no card or disk found)",
                    )
                )
            elif state == "full" and m.overwrite is not True and policy.storage_full_warn:
                # Dahua's storage CGI does not say whether the card overwrites: a full card we
                # cannot confirm is overwriting may stop recording any minute. Warn, in words.
                why = (
                    "overwrite is off"
                    if m.overwrite is False
                    else "overwrite could not be confirmed"
                )
                found.append(Problem(ProblemKind.STORAGE, Status.WARN, f"{m.name} full and {why}"))
            if m.recording is False and state not in ("failed", "unformatted", "missing"):
                found.append(Problem(ProblemKind.STORAGE, Status.CRIT, f"{m.name}: not recording"))
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
    if readout.failure is Failure.AUTH:
        return [Problem(ProblemKind.AUTH, Status.CRIT, f"{where} refused: {_strip_address(why)}")]
    return [
        Problem(
            ProblemKind.STORAGE,
            Status.UNKNOWN,
            f"cannot read disks over {where}: {_strip_address(why)}",
        )
    ]


def _strip_address(error: str) -> str:
    """Adapters prefix errors with "host:port: "; the report already names the camera."""
    head, sep, rest = error.partition(": ")
    return rest if sep and ":" in head and " " not in head else error


def _recording_problems(rec: RecordingInfo, policy: Policy, now: datetime) -> Problems:
    if rec.job_state is not None and rec.job_state.lower() == "error":
        return [Problem(ProblemKind.STORAGE, Status.CRIT, "recording job in error")]
    if rec.data_until is not None:
        # Judge staleness on the camera's own clock when we have it: a drifting clock must not
        # make a recording look stopped (or alive).
        ref = rec.camera_now or now
        age = (ref - rec.data_until).total_seconds()
        if age > policy.recording_stale_s:
            return [
                Problem(
                    ProblemKind.STORAGE,
                    Status.CRIT,
                    f"recording stopped: last recorded {fmt_duration(age)} ago",
                )
            ]
    if rec.job_state is not None and rec.job_state.lower() == "idle":
        return [Problem(ProblemKind.STORAGE, Status.CRIT, "recording stopped (recording job idle)")]
    return []


# --------------------------------------------------------------------------- security


def security_problems(sec: SecurityProbe) -> Problems:
    """Security findings are warn (docs/problems.md): fix soon, the camera still works."""
    out: Problems = []
    if sec.fleet_credential_is_default:
        out.append(
            Problem(
                ProblemKind.SECURITY,
                Status.WARN,
                "the fleet credential is a factory default password",
            )
        )
    if sec.default_password_opens:
        who = f" (user {sec.default_username})" if sec.default_username else ""
        out.append(
            Problem(
                ProblemKind.SECURITY,
                Status.WARN,
                f"the factory password still opens the camera{who}",
            )
        )
    if sec.rtsp_plays_without_auth:
        out.append(
            Problem(ProblemKind.SECURITY, Status.WARN, "video plays without any password (RTSP)")
        )
    return out
