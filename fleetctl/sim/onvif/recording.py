"""Recording (ver10/recording) and search (ver10/search) services: Profile G's recording truth.

A health check learns that recording stopped from GetRecordingJobState (Idle/Error) and from the
search service's GetRecordingSummary, whose DataUntil goes stale when nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fleetctl.sim.camera.history import history_of
from fleetctl.sim.camera.model import Storage
from fleetctl.sim.onvif.soap import RECORDING, REPLAY, SEARCH, Ctx, SoapFault, op, text, x

JOB, RECORDING_TOKEN, TRACK_TOKEN = "RecordingJob_1", "Recording_1", "VIDEO001"
# Each Profile G service's capabilities, as its GetServiceCapabilities and GetServices with
# IncludeCapability answer them (ONVIF requires both of every service): one recording, one job,
# nothing created on demand, no metadata search, no reverse playback.
CAPABILITIES = {
    RECORDING: '<trc:Capabilities DynamicRecordings="false" DynamicTracks="false" '
    'MaxRecordings="1" MaxRecordingJobs="1" Options="false" MetadataRecording="false"/>',
    SEARCH: '<tse:Capabilities MetadataSearch="false" GeneralStartEvents="false"/>',
    REPLAY: '<trp:Capabilities ReversePlayback="false" RTP_RTSP_TCP="true"/>',
}
_PREFIX = {RECORDING: "trc", SEARCH: "tse", REPLAY: "trp"}


def _service_capabilities(namespace: str) -> None:
    name = f"{_PREFIX[namespace]}:GetServiceCapabilitiesResponse"

    @op(namespace, "GetServiceCapabilities")
    def answer(ctx: Ctx, req: Any) -> str:
        return f"<{name}>{CAPABILITIES[namespace]}</{name}>"


for _namespace in CAPABILITIES:
    _service_capabilities(_namespace)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_state(storage: list[Storage]) -> tuple[str, str]:
    """(Mode, State) of the single recording job, from the card(s) behind it."""
    if not storage:
        return "Idle", "Idle"
    card = storage[0]
    if card.state in ("failed", "unformatted"):
        return "Active", "Error"  # configured to record, cannot: what firmware reports
    if not card.recording:
        return "Idle", "Idle"
    return "Active", "Active"


@op(RECORDING, "GetRecordingJobs")
def get_recording_jobs(ctx: Ctx, req: Any) -> str:
    if not ctx.cam.storage:
        return "<trc:GetRecordingJobsResponse/>"
    mode, _ = job_state(ctx.cam.storage)
    return (
        f"<trc:GetRecordingJobsResponse><trc:JobItem><tt:JobToken>{JOB}</tt:JobToken>"
        f"<tt:JobConfiguration><tt:RecordingToken>{RECORDING_TOKEN}</tt:RecordingToken>"
        f"<tt:Mode>{mode}</tt:Mode><tt:Priority>1</tt:Priority><tt:Source>"
        '<tt:SourceToken Type="http://www.onvif.org/ver10/schema/Profile">'
        "<tt:Token>Profile_1</tt:Token></tt:SourceToken><tt:AutoCreateReceiver>false"
        "</tt:AutoCreateReceiver><tt:Tracks><tt:SourceTag>VIDEO001</tt:SourceTag>"
        "<tt:Destination>VIDEO001</tt:Destination></tt:Tracks></tt:Source></tt:JobConfiguration>"
        "</trc:JobItem></trc:GetRecordingJobsResponse>"
    )


@op(RECORDING, "GetRecordingJobState")
def get_recording_job_state(ctx: Ctx, req: Any) -> str:
    if text(req, "trc:JobToken") != JOB or not ctx.cam.storage:
        raise SoapFault("ter:InvalidArgVal", "no such recording job", inner="ter:NoRecordingJob")
    _, state = job_state(ctx.cam.storage)
    return (
        "<trc:GetRecordingJobStateResponse><trc:State>"
        f"<tt:RecordingToken>{RECORDING_TOKEN}</tt:RecordingToken><tt:State>{state}</tt:State>"
        "<tt:Sources><tt:SourceToken><tt:Token>Profile_1</tt:Token></tt:SourceToken>"
        f"<tt:State>{state}</tt:State><tt:Tracks><tt:Track><tt:SourceTag>VIDEO001</tt:SourceTag>"
        f"<tt:Destination>VIDEO001</tt:Destination><tt:State>{state}</tt:State></tt:Track>"
        "</tt:Tracks></tt:Sources></trc:State></trc:GetRecordingJobStateResponse>"
    )


@op(SEARCH, "GetRecordingSummary")
def get_recording_summary(ctx: Ctx, req: Any) -> str:
    cam = ctx.cam
    spans = history_of(cam).intervals(cam.now()) if cam.storage else []
    if not spans:
        return (
            "<tse:GetRecordingSummaryResponse><tse:Summary><tt:DataFrom>1970-01-01T00:00:00Z"
            "</tt:DataFrom><tt:DataUntil>1970-01-01T00:00:00Z</tt:DataUntil>"
            "<tt:NumberRecordings>0</tt:NumberRecordings></tse:Summary>"
            "</tse:GetRecordingSummaryResponse>"
        )
    # The card's oldest and newest footage (sim/camera/history.py): DataUntil goes stale once the
    # card died or the job stopped; DataFrom moves on as the card overwrites its oldest.
    return (
        "<tse:GetRecordingSummaryResponse><tse:Summary>"
        f"<tt:DataFrom>{_iso(spans[0][0])}</tt:DataFrom><tt:DataUntil>{_iso(spans[-1][1])}"
        "</tt:DataUntil><tt:NumberRecordings>1</tt:NumberRecordings></tse:Summary>"
        "</tse:GetRecordingSummaryResponse>"
    )


@op(RECORDING, "GetRecordings")
def get_recordings(ctx: Ctx, req: Any) -> str:
    if not ctx.cam.storage:
        return "<trc:GetRecordingsResponse/>"
    return (
        f"<trc:GetRecordingsResponse><trc:RecordingItem><tt:RecordingToken>{RECORDING_TOKEN}"
        "</tt:RecordingToken><tt:Configuration><tt:Source><tt:SourceId>Profile_1</tt:SourceId>"
        f"<tt:Name>{x(ctx.cam.name)}</tt:Name><tt:Location>{x(ctx.cam.site)}</tt:Location>"
        "<tt:Description/><tt:Address/></tt:Source><tt:Content>continuous</tt:Content>"
        "<tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime></tt:Configuration>"
        # The track GetRecordingInformation reports (sim/onvif/search.py): the same on both.
        f"<tt:Tracks><tt:Track><tt:TrackToken>{TRACK_TOKEN}</tt:TrackToken><tt:Configuration>"
        "<tt:TrackType>Video</tt:TrackType><tt:Description>video</tt:Description>"
        "</tt:Configuration></tt:Track></tt:Tracks></trc:RecordingItem></trc:GetRecordingsResponse>"
    )
