"""Verdict rules, table-driven: probe results + Policy -> problems (kind, severity, words)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.ids import cell, cell_vs

from fleetctl.core.models import Policy, Problem, ProblemKind, Status
from fleetctl.core.probes import (
    EncoderSettings,
    Failure,
    MediaProfileInfo,
    OnvifProbe,
    ReachProbe,
    RecordingInfo,
    SecurityProbe,
    StorageProbe,
    StorageReadout,
    StreamProbe,
)
from fleetctl.core.verdicts import rules as verdicts

P = Policy()
K = ProblemKind
S = Status
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def kinds(problems: list[Problem]) -> list[tuple[ProblemKind, Status]]:
    return [(p.kind, p.severity) for p in problems]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3, "3s"),
        (-45, "45s"),
        (150, "2m30s"),
        (11520, "3h12m"),
        (3 * 3600 + 5 * 60, "3h05m"),
        (200000, "2d7h"),
    ],
)
def test_fmt_duration(seconds: float, text: str) -> None:
    assert verdicts.fmt_duration(seconds) == text


@pytest.mark.parametrize(
    ("probe", "expected", "words"),
    [
        (ReachProbe(80, True, 0.4), [], None),
        (
            ReachProbe(80, False, None, Failure.REFUSED, "x"),
            [(K.OFFLINE, S.CRIT)],
            "connection refused on port 80",
        ),
        (
            ReachProbe(80, False, None, Failure.TIMEOUT, "x"),
            [(K.OFFLINE, S.CRIT)],
            "no answer on port 80",
        ),
        (ReachProbe(80, False, None, Failure.UNREACHABLE, "x"), [(K.OFFLINE, S.CRIT)], "no route"),
    ],
    ids=cell_vs(ReachProbe(80, True, 0.4)),
)
def test_reach(
    probe: ReachProbe, expected: list[tuple[ProblemKind, Status]], words: str | None
) -> None:
    found = verdicts.reach_problems(probe)
    assert kinds(found) == expected
    if words:
        assert words in found[0].message


OK_ONVIF = OnvifProbe(ok=True, answered=True, latency_ms=12.0, slowest_ms=40.0, clock_offset_s=1.5)


@pytest.mark.parametrize(
    ("probe", "policy", "expected", "words"),
    [
        (OK_ONVIF, P, [], None),
        (
            OnvifProbe(ok=False, failure=Failure.AUTH, answered=True),
            P,
            [(K.AUTH, S.CRIT)],
            "rejects",
        ),
        (
            OnvifProbe(ok=False, failure=Failure.TIMEOUT, answered=False),
            P,
            [(K.OFFLINE, S.CRIT)],
            "does not answer",
        ),
        # drip-fed: the camera started answering, never finished
        (
            OnvifProbe(ok=False, failure=Failure.TIMEOUT, answered=True),
            P,
            [(K.ONVIF, S.CRIT)],
            "did not complete",
        ),
        # every answer slow, the conversation ran out of time: slow (warn), not broken
        (
            OnvifProbe(
                ok=False, failure=Failure.TIMEOUT, answered=True, latency_ms=2500, slowest_ms=2510
            ),
            P,
            [(K.ONVIF, S.WARN)],
            "slow: ONVIF answers take 2.5 s",
        ),
        (
            OnvifProbe(ok=False, failure=Failure.MALFORMED, answered=True),
            P,
            [(K.ONVIF, S.CRIT)],
            "unreadable",
        ),
        (
            OnvifProbe(ok=False, failure=Failure.OVERSIZED, answered=True),
            P,
            [(K.ONVIF, S.CRIT)],
            "too large",
        ),
        (
            OnvifProbe(ok=False, failure=Failure.PROTOCOL, answered=True),
            P,
            [(K.ONVIF, S.CRIT)],
            "errors",
        ),
        (OnvifProbe(ok=True, answered=True, clock_offset_s=29.9), P, [], None),
        (
            OnvifProbe(ok=True, answered=True, clock_offset_s=30.0),
            P,
            [(K.CLOCK, S.WARN)],
            "clock 30s ahead",
        ),
        (
            OnvifProbe(ok=True, answered=True, clock_offset_s=-90.0),
            P,
            [(K.CLOCK, S.WARN)],
            "clock 1m30s behind",
        ),
        (
            OnvifProbe(ok=True, answered=True, clock_offset_s=11520.0),
            P,
            [(K.CLOCK, S.CRIT)],
            "clock 3h12m ahead",
        ),
        (
            OnvifProbe(ok=True, answered=True, clock_offset_s=100.0),
            Policy(clock_crit_s=60),
            [(K.CLOCK, S.CRIT)],
            None,
        ),
        (
            OnvifProbe(ok=True, answered=True, latency_ms=2600.0),
            P,
            [(K.ONVIF, S.WARN)],
            "slow: ONVIF answers take 2.6 s",
        ),
        (OnvifProbe(ok=True, answered=True, latency_ms=1999.0), P, [], None),
        (OnvifProbe(ok=True, answered=True, latency_ms=2600.0), Policy(slow_s=5), [], None),
        # one late answer among quick ones is a hiccup; slow on every answer is a slow camera
        (
            OnvifProbe(ok=True, answered=True, calls=(("a", 20.0), ("b", 2600.0), ("c", 30.0))),
            P,
            [],
            None,
        ),
        (
            OnvifProbe(ok=True, answered=True, calls=(("a", 2520.0), ("b", 2600.0), ("c", 30.0))),
            P,
            [(K.ONVIF, S.WARN)],
            "answers take 2.5 s",
        ),
        # auth failed, but the pre-auth clock reading still counts
        (
            OnvifProbe(ok=False, failure=Failure.AUTH, answered=True, clock_offset_s=-400),
            P,
            [(K.AUTH, S.CRIT), (K.CLOCK, S.CRIT)],
            None,
        ),
    ],
    ids=cell_vs(OK_ONVIF),
)
def test_onvif(
    probe: OnvifProbe, policy: Policy, expected: list[tuple[ProblemKind, Status]], words: str | None
) -> None:
    found = verdicts.onvif_problems(probe, policy)
    assert kinds(found) == expected
    if words:
        assert any(words in p.message for p in found), found


@pytest.mark.parametrize("answered", [True, False])
def test_onvif_trickling_is_crit_not_slow_nor_offline(answered: bool) -> None:
    probe = OnvifProbe(ok=False, failure=Failure.TIMEOUT, answered=answered, slowest_ms=5900.0)
    found = verdicts.onvif_problems(probe, P, trickling=True)
    assert kinds(found) == [(K.ONVIF, S.CRIT)] and "trickle" in found[0].message


ENC = EncoderSettings("H264", 1920, 1080, 25.0, 4096.0, gop=25, cbr=True)  # owes its rate
PROFILE = MediaProfileInfo("Profile_1", "mainStream", ENC, "rtsp://127.16.0.1:8554/main")
URI = "rtsp://127.16.0.1:8554/main"


def stream(**kw: object) -> StreamProbe:
    base: dict[str, object] = dict(
        uri=URI,
        ok=True,
        stage="rtp",
        codec="H264",
        width=1920,
        height=1080,
        window_s=1.0,
        packets=400,
        bytes=512_000,
        frames=25,
        keyframes=1,
        distinct_payloads=25,
    )
    base.update(kw)
    return StreamProbe(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("probe", "profile", "expected", "words"),
    [
        (stream(), PROFILE, [], None),
        (
            stream(ok=False, failure=Failure.REFUSED, stage="connect", packets=0),
            PROFILE,
            [(K.STREAM, S.CRIT)],
            "refused",
        ),
        (
            stream(ok=False, failure=Failure.AUTH, stage="describe", packets=0),
            PROFILE,
            [(K.AUTH, S.CRIT)],
            "RTSP rejects",
        ),
        (
            stream(
                ok=False,
                failure=Failure.TIMEOUT,
                stage="rtp",
                packets=0,
                frames=0,
                bytes=0,
                keyframes=0,
            ),
            PROFILE,
            [(K.STREAM, S.CRIT)],
            "no video: 0 RTP packets in 1.0 s",
        ),
        (
            stream(ok=False, failure=Failure.TIMEOUT, stage="describe", packets=0),
            PROFILE,
            [(K.STREAM, S.CRIT)],
            "at DESCRIBE",
        ),
        (stream(distinct_payloads=1), PROFILE, [(K.STREAM, S.CRIT)], "frozen picture"),
        (
            stream(frames=6, distinct_payloads=6),
            PROFILE,
            [(K.STREAM, S.WARN)],
            "low frame rate: 6.0 fps (configured 25)",
        ),
        (stream(bytes=100_000), PROFILE, [(K.STREAM, S.WARN)], "low bitrate: 800 kbit/s"),
        # a long GOP (smart codec): no keyframe in a window shorter than the GOP is not a finding
        (
            stream(keyframes=0),
            MediaProfileInfo("p", None, EncoderSettings("H264", 1, 1, 25.0, 4096.0, gop=250), URI),
            [],
            None,
        ),
        (stream(keyframes=0), PROFILE, [(K.STREAM, S.WARN)], "no keyframe"),
        # RTSP-only camera: nothing configured to compare with, only the hard failures count
        (stream(frames=6, distinct_payloads=6, bytes=1000), None, [], None),
        (stream(distinct_payloads=1), None, [(K.STREAM, S.CRIT)], "frozen"),
        (
            stream(frames=6, distinct_payloads=6),
            MediaProfileInfo("p", None, ENC, URI),
            [(K.STREAM, S.WARN)],
            None,
        ),
    ],
    ids=cell_vs(stream(), PROFILE),
)
def test_stream(
    probe: StreamProbe,
    profile: MediaProfileInfo | None,
    expected: list[tuple[ProblemKind, Status]],
    words: str | None,
) -> None:
    result, found = verdicts.judge_stream(profile, probe, P)
    assert kinds(found) == expected
    assert result.status == verdicts.camera_status(found)
    assert result.uri == URI
    if words:
        assert any(words in p.message for p in found), found


def test_only_rate_problems() -> None:
    _, low = verdicts.judge_stream(PROFILE, stream(frames=6, distinct_payloads=6, bytes=100_000), P)
    assert len(low) == 2 and verdicts.only_rate_problems(low)
    _, frozen = verdicts.judge_stream(PROFILE, stream(distinct_payloads=1), P)
    assert not verdicts.only_rate_problems(frozen)


def test_stream_result_fields() -> None:
    result, _ = verdicts.judge_stream(PROFILE, stream(), P)
    assert (result.profile, result.codec, result.fps, result.bitrate_kbps) == (
        "mainStream",
        "H264",
        25.0,
        4096.0,
    )
    assert (result.configured_fps, result.configured_bitrate_kbps) == (25.0, 4096.0)
    dead, _ = verdicts.judge_stream(
        PROFILE, stream(ok=False, failure=Failure.TIMEOUT, stage="rtp", packets=0), P
    )
    assert dead.fps == 0.0 and dead.status is S.CRIT
    refused, _ = verdicts.judge_stream(
        PROFILE, stream(ok=False, failure=Failure.REFUSED, stage="connect", packets=0), P
    )
    assert refused.fps is None  # never measured: null, not invented


FRESH = RecordingInfo("r1", "Active", NOW - timedelta(seconds=20), NOW)
STALE = RecordingInfo("r1", "Active", NOW - timedelta(hours=2), NOW)


def kept(days: float) -> RecordingInfo:
    until = NOW - timedelta(seconds=20)
    return RecordingInfo("r1", "Active", until, NOW, until - timedelta(days=days))


def medium(
    state: str | None, overwrite: bool | None = True, recording: bool | None = True
) -> StorageReadout:
    return StorageReadout(
        ok=True, media=(StorageProbe("SD1", "isapi", state, 122000, 61000, overwrite, recording),)
    )


@pytest.mark.parametrize(
    ("readouts", "recordings", "policy", "expected", "words"),
    [
        ([medium("ok")], None, P, [], None),
        ([medium("full", overwrite=True)], None, P, [], None),
        (
            [medium("full", overwrite=False)],
            None,
            P,
            [(K.STORAGE, S.WARN)],
            "SD1 full and overwrite is off",
        ),
        ([medium("full", overwrite=False)], None, Policy(storage_full_warn=False), [], None),
        # Dahua's CGI does not say whether it overwrites: decided by whether recording goes on
        ([medium("full", overwrite=None)], None, P, [], None),  # no evidence: no warning
        ([medium("full", overwrite=None)], (FRESH,), P, [], None),
        (
            [medium("full", overwrite=None)],
            (STALE,),
            P,
            [(K.STORAGE, S.CRIT)],
            "recording stopped",
        ),
        # full and overwriting, but nothing written for two hours: crit, whatever the setting
        ([medium("full", overwrite=True)], (STALE,), P, [(K.STORAGE, S.CRIT)], "recording stopped"),
        # recording times in local time read as UTC 7 h ahead: judged on the camera's own clock
        (
            [medium("full", overwrite=None)],
            (RecordingInfo("r1", "Active", NOW + timedelta(hours=7), NOW + timedelta(hours=7)),),
            P,
            [],
            None,
        ),
        ([medium("failed")], None, P, [(K.STORAGE, S.CRIT)], "SD1 failed"),
        ([medium("unformatted")], None, P, [(K.STORAGE, S.CRIT)], "unformatted"),
        ([medium("missing")], None, P, [(K.STORAGE, S.CRIT)], "missing"),
        ([medium("ok", recording=False)], None, P, [(K.STORAGE, S.CRIT)], "not recording"),
        (
            [StorageReadout(ok=False, failure=Failure.UNSUPPORTED, error="no API")],
            None,
            P,
            [],
            None,
        ),
        ([], (RecordingInfo("r1", "Active", NOW - timedelta(seconds=5), NOW),), P, [], None),
        (
            [],
            (RecordingInfo("r1", "Active", NOW - timedelta(hours=2), NOW),),
            P,
            [(K.STORAGE, S.CRIT)],
            "last recorded 2h00m ago",
        ),
        ([], (RecordingInfo("r1", "Error", None),), P, [(K.STORAGE, S.CRIT)], "in error"),
        ([], (RecordingInfo("r1", "Idle", None),), P, [(K.STORAGE, S.CRIT)], "idle"),
        # retention: two days kept against the default policy of seven is a warning
        (
            [],
            (kept(2),),
            P,
            [(K.STORAGE, S.WARN)],
            "keeps 2 days, policy 7",
        ),
        ([], (kept(7),), P, [], None),  # a week kept: fine
        ([], (kept(6.99),), P, [], None),  # minutes short (overwrite goes a file at a time)
        ([], (kept(3),), Policy(min_retention_days=2), [], None),  # the site's own policy
        # a stopped recording is crit for that, not also warned about its retention
        (
            [],
            (
                RecordingInfo(
                    "r1", "Active", NOW - timedelta(hours=2), NOW, NOW - timedelta(days=3)
                ),
            ),
            P,
            [(K.STORAGE, S.CRIT)],
            "last recorded",
        ),
        # the camera's clock is 3 h behind ours: judged on its clock, the recording is fresh
        (
            [],
            (
                RecordingInfo(
                    "r1", "Active", NOW - timedelta(hours=3, seconds=5), NOW - timedelta(hours=3)
                ),
            ),
            P,
            [],
            None,
        ),
    ],
    ids=cell_vs(medium("ok"), FRESH),
)
def test_storage(
    readouts: list[StorageReadout],
    recordings: tuple[RecordingInfo, ...] | None,
    policy: Policy,
    expected: list[tuple[ProblemKind, Status]],
    words: str | None,
) -> None:
    media, found = verdicts.judge_storage(readouts, recordings, policy, NOW)
    assert kinds(found) == expected
    if words:
        assert any(words in p.message for p in found), found
    for m in media:  # the medium's own state (a stopped recording is the camera's problem)
        if recordings is None:
            assert m.status == (S.OK if not found else verdicts.camera_status(found))


@pytest.mark.parametrize(
    ("readout", "expected", "words"),
    [
        (medium("ok"), [], None),
        (
            StorageReadout(
                ok=False,
                failure=Failure.AUTH,
                error="127.16.0.9:2222: SSH host key changed since ...",
            ),
            [(K.AUTH, S.CRIT)],
            "SSH refused: SSH host key changed",
        ),
        (
            StorageReadout(
                ok=False, failure=Failure.TIMEOUT, error="127.16.0.9:2222: SSH silent for 4 s"
            ),
            [(K.STORAGE, S.UNKNOWN)],
            "cannot read disks over SSH: SSH silent for 4 s",
        ),
    ],
    ids=cell_vs(medium("ok")),
)
def test_unreadable_ssh_storage(
    readout: StorageReadout, expected: list[tuple[ProblemKind, Status]], words: str | None
) -> None:
    found = verdicts.unreadable_storage_problems(readout, "SSH")
    assert kinds(found) == expected
    if words:
        assert found[0].message.startswith(words), found


@pytest.mark.parametrize(
    ("probe", "n"),
    [
        (SecurityProbe(), 0),
        (SecurityProbe(default_password_opens=False), 0),
        (SecurityProbe(default_password_opens=True, default_username="admin"), 1),
        (SecurityProbe(fleet_credential_is_default=True), 1),
        (SecurityProbe(rtsp_plays_without_auth=True), 1),
        (SecurityProbe(True, "admin", True, True), 3),
    ],
    ids=cell,
)
def test_security_is_warn(probe: SecurityProbe, n: int) -> None:
    found = verdicts.security_problems(probe)
    assert kinds(found) == [(K.SECURITY, S.WARN)] * n


def test_status_is_worst_and_sorted() -> None:
    ps = [
        Problem(K.CLOCK, S.WARN, "a"),
        Problem(K.STREAM, S.CRIT, "b"),
        Problem(K.AUTH, S.UNKNOWN, "c"),
    ]
    assert verdicts.camera_status(ps) is S.CRIT
    assert [p.message for p in verdicts.sort_problems(ps)] == ["b", "c", "a"]
    assert verdicts.camera_status([]) is S.OK


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("no video: 0 RTP packets in 1.0 s", "no video: 0 RTP packets in 2.0 s", True),
        ("clock 3h12m ahead", "clock 3h15m ahead", True),
        ("clock 45s ahead", "clock 3h15m ahead", True),
        ("clock 3h12m ahead", "clock 3h12m behind", False),
        (
            "low frame rate: 6.0 fps (configured 25)",
            "low frame rate: 7.5 fps (configured 25)",
            True,
        ),
        ("SD1 failed (replace the card or disk)", "SD2 failed (replace the card or disk)", False),
    ],
)
def test_problem_class(a: str, b: str, same: bool) -> None:
    pa, pb = Problem(K.STREAM, S.CRIT, a), Problem(K.STREAM, S.CRIT, b)
    assert (verdicts.problem_class(pa) == verdicts.problem_class(pb)) is same


@pytest.mark.parametrize(
    ("recordings", "evidence"),
    [
        (None, None),  # no recording service
        ((), None),
        ((RecordingInfo("r1", None, None),), None),  # says nothing
        ((RecordingInfo("r1", "Active", None),), None),  # active, but no newest-data time
        ((FRESH,), True),
        ((STALE,), False),
        ((RecordingInfo("r1", "Idle", NOW),), False),
        ((RecordingInfo("r1", "Error", None),), False),
        ((FRESH, RecordingInfo("r2", "Idle", None)), False),  # one stopped job is enough
    ],
    ids=cell_vs(FRESH),
)
def test_recording_evidence(
    recordings: tuple[RecordingInfo, ...] | None, evidence: bool | None
) -> None:
    assert verdicts.recording_evidence(recordings, P, NOW) is evidence


@pytest.mark.parametrize(
    ("overwrite", "recordings", "note"),
    [
        (True, None, "SD1: full (overwriting)"),
        (None, (FRESH,), "SD1: full (overwriting)"),
        (None, None, "SD1: full (overwrite not known: no evidence either way)"),
        (False, (FRESH,), "SD1: full"),
    ],
    ids=cell_vs(FRESH),
)
def test_full_card_notes_say_why(
    overwrite: bool | None, recordings: tuple[RecordingInfo, ...] | None, note: str
) -> None:
    media, _ = verdicts.judge_storage([medium("full", overwrite=overwrite)], recordings, P, NOW)
    assert [n.en() for n in verdicts.storage_notes(media, recordings, P, NOW)] == [note]


# A corpus of how real web services fail, and what the check must say. "reached": the camera's
# port accepted a connection just before (so it is not offline, whatever its web server does).
@pytest.mark.parametrize(
    ("probe", "reached", "expected", "words"),
    [
        # a hung web server behind a port that accepts: onvif, never offline
        (
            OnvifProbe(ok=False, failure=Failure.TIMEOUT, answered=False),
            True,
            [(K.ONVIF, S.CRIT)],
            "web service does not answer within 4 s",
        ),
        # nothing accepted a connection: offline
        (
            OnvifProbe(ok=False, failure=Failure.TIMEOUT, answered=False),
            False,
            [(K.OFFLINE, S.CRIT)],
            "offline",
        ),
        (
            OnvifProbe(ok=False, failure=Failure.REFUSED, answered=False),
            True,
            [(K.OFFLINE, S.CRIT)],
            "offline",
        ),
        # old firmware: two optional calls left out, the rest worked: warn naming them
        (
            OnvifProbe(
                ok=True,
                answered=True,
                unsupported=("GetSystemDateAndTime", "GetDeviceInformation"),
            ),
            True,
            [(K.ONVIF, S.WARN)],
            "ONVIF calls not supported: GetSystemDateAndTime, GetDeviceInformation",
        ),
        (
            OnvifProbe(ok=True, answered=True, unsupported=("GetServices",)),
            True,
            [(K.ONVIF, S.WARN)],
            "GetServices",
        ),
        # everything failed after the optional calls: the failure is the finding, crit
        (
            OnvifProbe(
                ok=False, failure=Failure.PROTOCOL, answered=True, unsupported=("GetServices",)
            ),
            True,
            [(K.ONVIF, S.CRIT)],
            "errors",
        ),
        # slow and partial: both said
        (
            OnvifProbe(
                ok=True,
                answered=True,
                unsupported=("GetDeviceInformation",),
                calls=(("a", 2600.0), ("b", 2700.0)),
            ),
            True,
            [(K.ONVIF, S.WARN), (K.ONVIF, S.WARN)],
            "slow",
        ),
    ],
    ids=cell_vs(OK_ONVIF),
)
def test_onvif_silence_and_partial_implementations(
    probe: OnvifProbe, reached: bool, expected: list[tuple[ProblemKind, Status]], words: str
) -> None:
    found = verdicts.onvif_problems(probe, P, reached=reached, silent_s=4.0)
    assert kinds(found) == expected
    assert any(words in p.message for p in found), found


@pytest.mark.parametrize(
    ("cbr", "kbps", "expected"),
    [
        (None, 300.0, []),  # the encoder does not say: the bitrate is a ceiling, not a finding
        (False, 300.0, []),  # VBR night scene: a small fraction of the ceiling is normal
        (True, 300.0, [(K.STREAM, S.WARN)]),  # CBR owes its rate
        (True, 4000.0, []),
    ],
    ids=cell,
)
def test_low_bitrate_is_a_finding_only_on_a_cbr_encoder(
    cbr: bool | None, kbps: float, expected: list[tuple[ProblemKind, Status]]
) -> None:
    enc = EncoderSettings("H264", 1920, 1080, 25.0, 4096.0, gop=25, cbr=cbr)
    profile = MediaProfileInfo("Profile_1", "mainStream", enc, "rtsp://127.16.0.1:8554/main")
    probe = stream(bytes=int(kbps * 1000 / 8))
    _, found = verdicts.judge_stream(profile, probe, P)
    assert kinds(found) == expected
