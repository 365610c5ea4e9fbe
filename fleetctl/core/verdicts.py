"""Verdict rules: what the probes measured + a Policy -> status, problems and results. Pure.

Every function here is a pure function of its arguments (no clock, no I/O: ``now`` is passed in),
so the rules are tested table-driven (tests/test_verdicts.py). Messages are in words an operator
understands and say what is wrong, never how our code failed; they never carry a secret.

The engine calls, per camera: ``reach_problems`` (if unreachable, nothing else is judged: one
problem, not five), ``onvif_problems``, ``judge_stream`` per stream, ``judge_storage``,
``security_problems``; then ``camera_status`` over everything found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from fleetctl.core.models import Policy, Problem, ProblemKind, Status, StorageResult, StreamResult
from fleetctl.core.probes import (
    EncoderSettings,
    Failure,
    MediaProfileInfo,
    OnvifProbe,
    ReachProbe,
    RecordingInfo,
    SecurityProbe,
    StorageReadout,
    StreamProbe,
)

Problems = list[Problem]


def fmt_duration(seconds: float) -> str:
    """3 -> "3s", 150 -> "2m30s", 11520 -> "3h12m", 200000 -> "2d7h" (sign dropped)."""
    s = round(abs(seconds))
    if s < 90:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"


def _secs(window_s: float) -> str:
    return f"{window_s:.1f} s"


def camera_status(problems: Iterable[Problem]) -> Status:
    """The worst severity among the problems; ok when there are none."""
    return Status.worst([p.severity for p in problems])


def sort_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Worst first, then by kind, stable otherwise: the first problem is "the reason"."""
    return tuple(sorted(problems, key=lambda p: -p.severity.rank))


# --------------------------------------------------------------------------- reach


def reach_problems(reach: ReachProbe, service: str = "ONVIF") -> Problems:
    """A TCP connect that failed means the camera is offline (kind ``offline``, crit)."""
    if reach.ok:
        return []
    if reach.failure is Failure.REFUSED:
        why = f"connection refused on port {reach.port} ({service})"
    elif reach.failure is Failure.UNREACHABLE:
        why = "no route to the camera"
    elif reach.failure is Failure.TIMEOUT:
        why = f"no answer on port {reach.port} ({service})"
    else:
        why = reach.error or f"cannot connect to port {reach.port}"
    return [Problem(ProblemKind.OFFLINE, Status.CRIT, f"offline: {why}")]


# --------------------------------------------------------------------------- onvif

# Failures that, when nothing ONVIF-shaped ever answered, mean the device is not there for us:
# a camera that accepts TCP and then stays silent (a hung web server) is as good as offline.
_SILENT = (Failure.TIMEOUT, Failure.REFUSED, Failure.UNREACHABLE)


def onvif_problems(probe: OnvifProbe, policy: Policy, *, trickling: bool = False) -> Problems:
    """ONVIF answer -> offline/auth/onvif problems, plus clock and slowness when measured.

    ``trickling``: after a timeout, the web server was seen sending bytes at once but never a
    whole reply in time (a drip-feeding firmware): alive, and broken.
    """
    out: Problems = []
    typical_ms = typical_answer_ms(probe)
    slow = typical_ms is not None and typical_ms > policy.slow_s * 1000
    if not probe.ok:
        f = probe.failure
        if f is Failure.AUTH:
            out.append(
                Problem(ProblemKind.AUTH, Status.CRIT, "the camera rejects the fleet's credentials")
            )
        elif f is Failure.TIMEOUT and trickling:
            out.append(
                Problem(
                    ProblemKind.ONVIF,
                    Status.CRIT,
                    "ONVIF replies trickle in and never complete in time",
                )
            )
        elif not probe.answered and (f in _SILENT or f is None):
            out.append(Problem(ProblemKind.OFFLINE, Status.CRIT, "offline: ONVIF does not answer"))
        elif f is Failure.TIMEOUT and slow and typical_ms is not None:
            # Every answer came, just slowly, and the conversation ran out of time: slow, not
            # broken. What could not be read stays unknown.
            out.append(
                Problem(
                    ProblemKind.ONVIF,
                    Status.WARN,
                    f"slow: ONVIF answers take {typical_ms / 1000:.1f} s; check incomplete",
                )
            )
        elif f is Failure.TIMEOUT:
            # Something answered, but the reply never completed: a drip-feeding or wedged server.
            out.append(
                Problem(ProblemKind.ONVIF, Status.CRIT, "ONVIF reply did not complete in time")
            )
        elif f is Failure.MALFORMED:
            out.append(
                Problem(
                    ProblemKind.ONVIF,
                    Status.CRIT,
                    "ONVIF reply is unreadable (malformed or unsafe XML)",
                )
            )
        elif f is Failure.OVERSIZED:
            out.append(Problem(ProblemKind.ONVIF, Status.CRIT, "ONVIF reply is far too large"))
        elif f is Failure.UNSUPPORTED:
            out.append(
                Problem(ProblemKind.ONVIF, Status.CRIT, "ONVIF service missing on this camera")
            )
        else:
            out.append(
                Problem(
                    ProblemKind.ONVIF, Status.CRIT, "ONVIF calls fail (the camera returns errors)"
                )
            )
    out.extend(clock_problems(probe.clock_offset_s, policy))
    if (
        slow
        and typical_ms is not None
        and not any(p.kind in (ProblemKind.ONVIF, ProblemKind.OFFLINE) for p in out)
    ):
        out.append(
            Problem(
                ProblemKind.ONVIF,
                Status.WARN,
                f"slow: ONVIF answers take {typical_ms / 1000:.1f} s",
            )
        )
    return out


def typical_answer_ms(probe: OnvifProbe) -> float | None:
    """The median ONVIF answer time (the pre-auth latency when no call completed).

    A slow camera is slow on every answer; one late answer among quick ones is a hiccup (or our
    own loaded host), not a camera to flag.
    """
    times = sorted(ms for _, ms in probe.calls)
    if times:
        mid = len(times) // 2
        return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    return probe.latency_ms


def clock_problems(offset_s: float | None, policy: Policy) -> Problems:
    """|offset| >= clock_crit_s: crit; >= clock_warn_s: warn. Unknown offset: no verdict."""
    if offset_s is None:
        return []
    size = abs(offset_s)
    if size >= policy.clock_crit_s:
        sev = Status.CRIT
    elif size >= policy.clock_warn_s:
        sev = Status.WARN
    else:
        return []
    way = "ahead" if offset_s > 0 else "behind"
    return [Problem(ProblemKind.CLOCK, sev, f"clock {fmt_duration(offset_s)} {way}")]


# --------------------------------------------------------------------------- stream


def judge_stream(
    profile: MediaProfileInfo | None, probe: StreamProbe, policy: Policy
) -> tuple[StreamResult, Problems]:
    """One RTSP measurement -> its StreamResult and problems (kind ``stream``, or ``auth``)."""
    enc: EncoderSettings | None = profile.encoder if profile else None
    out: Problems = []
    window = _secs(probe.window_s)
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
    window = _secs(probe.window_s)
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
    return tuple(results), _dedupe(out)


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
    """Security findings are warn (CONTRACTS.md): fix soon, the camera still works."""
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


# --------------------------------------------------------------------------- helpers

_VARIABLE = re.compile(r"(?<![A-Za-z])\d[\d.,:]*(?:\s?(?:ms|s|h|m|d|fps|kbit/s|%))?(?:\d+[hms])*")


def problem_class(problem: Problem) -> str:
    """A stable key for "the same problem" across runs: kind + message with measurements blanked.

    "no video: 0 RTP packets in 1.0 s" and "... in 2.0 s" are one episode; "clock 3h12m ahead"
    and "clock 3h15m ahead" too; "ahead" and "behind" are not.
    """
    return f"{problem.kind.value}:{_VARIABLE.sub('#', problem.message)}"


def _dedupe(problems: Problems) -> Problems:
    seen: set[tuple[ProblemKind, str]] = set()
    out: Problems = []
    for p in problems:
        if (p.kind, p.message) not in seen:
            seen.add((p.kind, p.message))
            out.append(p)
    return out
