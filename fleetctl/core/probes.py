"""What the probes measured: raw observations handed from adapters to the pure verdict rules.

Adapters (onvif, rtsp, storage, ssh) fill these; ``core.verdicts.rules`` turns them into a status and
problems under a Policy. A probe never raises for a camera's failure: it returns ``error_kind``
and ``error`` instead. ``error`` is in words, carries the camera address, never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fleetctl.core.models import DeviceInfo


class Failure(StrEnum):
    """Why a probe could not do its job: the boundary translation of library errors."""

    REFUSED = "refused"  # TCP RST: nothing listens
    UNREACHABLE = "unreachable"  # no route / host down
    TIMEOUT = "timeout"  # silent or too slow past the deadline
    AUTH = "auth"  # credentials rejected (NotAuthorized, a second 401, locked)
    PROTOCOL = "protocol"  # SOAP fault, bad status, unexpected reply
    MALFORMED = "malformed"  # not parseable: garbage, entity/DTD refused
    OVERSIZED = "oversized"  # reply larger than the cap
    UNSUPPORTED = "unsupported"  # the device does not offer this at all


@dataclass(frozen=True)
class CallFailure:
    """Why a call that acts on a camera (read or write its settings, manage its accounts) did
    not happen: ``failure`` the kind, ``message`` in words (the camera's address, never a
    secret). Returned, not raised, as the probes below return theirs."""

    failure: Failure
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ReachProbe:
    port: int
    ok: bool
    latency_ms: float | None
    failure: Failure | None = None
    error: str | None = None


@dataclass(frozen=True)
class EncoderSettings:
    encoding: str | None  # H264 | H265 | JPEG | ...
    width: int | None
    height: int | None
    fps: float | None
    bitrate_kbps: float | None
    gop: int | None = None
    # Rate control: True when the encoder is known to run CBR (the bitrate is a rate to keep);
    # False for VBR (a ceiling: a quiet scene uses a fraction of it); None when it does not say.
    cbr: bool | None = None


@dataclass(frozen=True)
class MediaProfileInfo:
    token: str
    name: str | None
    encoder: EncoderSettings | None
    stream_uri: str | None  # already pinned to the inventory host; no userinfo


@dataclass(frozen=True)
class RecordingInfo:
    token: str
    job_state: str | None  # Idle | Active | Error | None (not readable)
    data_until: datetime | None  # from the search service's recording summary
    camera_now: datetime | None = None  # the camera's clock when read (to judge staleness)
    data_from: datetime | None = None  # the oldest recorded instant (recording summary)

    @property
    def days_kept(self) -> float | None:
        """Days of footage the recording holds (oldest to newest), None when not known."""
        if self.data_from is None or self.data_until is None or self.data_until < self.data_from:
            return None
        return round((self.data_until - self.data_from).total_seconds() / 86400, 2)


@dataclass(frozen=True)
class OnvifProbe:
    """Result of the ONVIF conversation with one camera."""

    ok: bool  # authenticated calls worked
    failure: Failure | None = None
    error: str | None = None
    answered: bool = False  # something ONVIF-shaped answered (even if auth then failed)
    latency_ms: float | None = None  # of GetSystemDateAndTime
    slowest_ms: float | None = None  # slowest single call
    clock_offset_s: float | None = None  # camera - us, measured pre-auth
    auth_method: str | None = None  # wsse | digest
    device: DeviceInfo | None = None
    services: tuple[str, ...] = ()  # namespaces offered (GetServices / GetCapabilities)
    profiles: tuple[MediaProfileInfo, ...] = ()
    recordings: tuple[RecordingInfo, ...] | None = None  # None: no recording service
    hostname: str | None = None
    ntp_servers: tuple[str, ...] | None = None
    datetime_type: str | None = None
    calls: tuple[tuple[str, float], ...] = ()  # (operation, ms) for timing detail
    # Optional calls the camera left out (ActionNotSupported, an HTML error page), or known from
    # earlier checks of its model to be missing and not asked: the check went on without them.
    unsupported: tuple[str, ...] = ()


AnnexB = bytes  # (``StreamProbe`` has a field named ``bytes``)


@dataclass(frozen=True)
class StreamProbe:
    """What our RTSP client saw in its measuring window."""

    uri: str  # without userinfo
    ok: bool  # PLAY reached and at least one RTP packet
    failure: Failure | None = None
    error: str | None = None
    stage: str | None = None  # connect | options | describe | setup | play | rtp
    codec: str | None = None  # H264 | H265
    width: int | None = None  # from SPS when parseable
    height: int | None = None
    window_s: float = 0.0
    packets: int = 0
    bytes: int = 0
    seq_gaps: int = 0
    frames: int = 0
    keyframes: int = 0
    distinct_payloads: int = 0  # frames whose payload differs from the previous: frozen -> ~1
    first_rtp_ms: float | None = None
    unauthenticated: bool = False  # it played with no credentials at all
    # The first keyframe seen, Annex B with its parameter sets (only when asked: the picture
    # probe decodes it); None when not asked or none came in the window.
    keyframe: AnnexB | None = field(default=None, repr=False)
    basic_only: bool = False  # it offered only Basic and policy forbids it: password not sent

    @property
    def fps(self) -> float | None:
        return self.frames / self.window_s if self.window_s > 0 else None

    @property
    def bitrate_kbps(self) -> float | None:
        return self.bytes * 8 / 1000 / self.window_s if self.window_s > 0 else None


@dataclass(frozen=True)
class StorageProbe:
    """One storage medium as the camera or recorder describes it."""

    name: str
    source: str  # onvif | isapi | dahua | ssh
    state: str | None  # ok | full | failed | unformatted | missing
    total_mb: float | None
    used_mb: float | None
    overwrite: bool | None = None
    recording: bool | None = None


@dataclass(frozen=True)
class StorageReadout:
    ok: bool
    media: tuple[StorageProbe, ...] = ()
    failure: Failure | None = None
    error: str | None = None
    basic_only: bool = False  # the page offered only Basic and policy forbids it: not sent


@dataclass(frozen=True)
class SecurityProbe:
    default_password_opens: bool | None = None  # None: not tried
    default_username: str | None = None  # which factory account (never the password)
    fleet_credential_is_default: bool = False
    rtsp_plays_without_auth: bool | None = None


@dataclass(frozen=True)
class PictureProbe:
    """One decoded picture, shrunk: its luma (grey levels 0-255, ``width`` x ``height``, row by
    row). ``failure``/``error`` when no picture could be had (no keyframe, no decoder)."""

    width: int = 0
    height: int = 0
    luma: bytes = field(default=b"", repr=False)
    failure: Failure | None = None
    error: str | None = None
