"""The values fleetctl passes around: what the fleet is, and what a check found.

Everything here is a frozen dataclass. A per-camera outcome is a value (status + problems +
data), never an exception. Fields that could not be read are ``None``, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from fleetctl.base.i18n import N_, Msg, _
from fleetctl.core.secret import Secret
from fleetctl.core.text import LONG_LIMIT, clean, clean_opt

# --------------------------------------------------------------------------- the fleet


@dataclass(frozen=True)
class Source:
    """Where a value came from, for error messages: file and 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class Credential:
    """A username and password (and, for SSH, optionally a key file), resolved from secrets."""

    name: str  # the secrets-file entry it came from, or "inline"
    username: str
    password: Secret | None = None
    key_file: str | None = None


@dataclass(frozen=True)
class Policy:
    """Thresholds that turn measurements into verdicts (docs/problems.md: default policy)."""

    clock_warn_s: float = 30.0
    clock_crit_s: float = 300.0
    stream_min_ratio: float = 0.5  # warn when fps or bitrate < ratio * configured
    slow_s: float = 2.0  # answers, but slower than this: warn
    storage_full_warn: bool = True  # full *without* overwrite is warn
    recording_stale_s: float = 600.0  # DataUntil older than this: recording stopped
    # Fewer days of footage than this (recording summary DataFrom..DataUntil): storage warn.
    min_retention_days: float = 7.0
    # Consecutive crit checks before serve reports crit; None: serve's --flap-checks decides.
    flap_checks: int | None = None
    # Answer a Basic challenge (RTSP, vendor storage pages) with the password: only for TLS or
    # cameras with their own password. Off: such a camera is a `security` finding instead.
    allow_basic_auth: bool = False
    # Factory logins tried per camera by `check --check-default-passwords` (at most 3: lockout
    # thresholds are commonly 5 to 7 failures per source address, and other clients fail too).
    default_password_tries: int = 2
    # Send an SSH password to a recorder whose host key was never recorded (trust on first use).
    # Off: pre-seed keys (`fleetctl inventory trust HOST`, `known_hosts:`) or use key-only auth.
    ssh_tofu: bool = False
    # The same picture (a coarse fingerprint) for this long: "picture unchanged" (warn).
    picture_unchanged_s: float = 2 * 86400.0


@dataclass(frozen=True)
class SshSpec:
    port: int = 22
    credentials: str | None = None
    username: str | None = None
    password: Secret | None = None
    key_file: str | None = None


@dataclass(frozen=True)
class Camera:
    """One device of the fleet, with every inherited value already applied."""

    name: str
    host: str
    site: str
    port: int = 80
    https: bool = False
    credentials: str | None = None  # name in the secrets store
    username: str | None = None  # inline (lint warns)
    password: Secret | None = None  # inline (lint warns)
    tags: tuple[str, ...] = ()
    location: str | None = None
    onvif: bool = True
    rtsp_url: str | None = None
    ssh: SshSpec | None = None
    policy: Policy = field(default_factory=Policy)
    source: Source | None = None
    # Identity recorded at onboarding (optional): `discover` tells a known camera that moved to
    # a new address from a new device by these, never by the IP (ONVIF EndpointReference first).
    endpoint: str | None = None  # WS-Discovery EndpointReference, e.g. urn:uuid:...
    serial: str | None = None
    mac: str | None = None
    group: str | None = None  # the site's optional grouping (an old district name), as written


@dataclass(frozen=True)
class FirmwarePolicy:
    """The inventory's ``firmware:`` (fleet-wide, then per site): what a camera should run.

    ``minimum`` maps a model pattern (``DS-2CD2143G2-I``, ``DS-2CD2*``) to the oldest acceptable
    firmware; the most specific pattern wins. ``approved`` lists firmware accepted whatever the
    minimum says (a model whose newest build is older than the fleet's minimum).
    """

    minimum: tuple[tuple[str, str], ...] = ()
    approved: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    name: str
    ranges: tuple[str, ...] = ()  # netaddr syntax: CIDR, a-b ranges, globs
    location: str | None = None
    source: Source | None = None
    # What a camera added to this site inherits (defaults -> site defaults): `onboard` writes
    # only what differs. ``unique_passwords``: the site's `onboard: {unique_passwords: true}`.
    credentials: str | None = None
    port: int = 80
    unique_passwords: bool = False
    firmware: FirmwarePolicy | None = None  # top-level `firmware:` merged with the site's
    # Sites are communes, wards and special zones (xã, phường, đặc khu); an old district name
    # is at most this optional grouping: shown, and selectable with `--select group:NAME`.
    group: str | None = None
    # The site's time zone (IANA, ``Asia/Ho_Chi_Minh``): footage times written without a zone
    # are the site's local time. None: this machine's zone.
    tz: str | None = None


@dataclass(frozen=True)
class Inventory:
    cameras: tuple[Camera, ...]
    sites: tuple[Site, ...]
    files: tuple[str, ...]  # the YAML files loaded, in order
    secrets_path: str | None = None  # the top-level `secrets:` key, resolved to an absolute path
    # The top-level `known_hosts:` key (recorders' SSH host keys, OpenSSH format), absolute.
    known_hosts_path: str | None = None

    def camera(self, name: str) -> Camera | None:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        return None

    def site(self, name: str) -> Site | None:
        for site in self.sites:
            if site.name == name:
                return site
        return None


# --------------------------------------------------------------------------- what a check found


class Status(StrEnum):
    """Nagios-style status; ``rank`` orders worst-first reports (crit > unknown > warn > ok)."""

    OK = "ok"
    WARN = "warn"
    CRIT = "crit"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def exit_code(self) -> int:
        return _EXIT[self]

    @staticmethod
    def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
        return max(statuses, key=lambda s: s.rank, default=Status.OK)

    def label(self) -> str:
        """The status as a person reads it in the chosen language ("cảnh báo"); the value
        ("warn") stays the keyword of JSON, CSV, ``--select status:`` and exit codes."""
        return _(_LABEL[self])


# Worst first in tables: a crit camera matters more than one we could not judge.
_RANK = {Status.OK: 0, Status.WARN: 1, Status.UNKNOWN: 2, Status.CRIT: 3}
_EXIT = {Status.OK: 0, Status.WARN: 1, Status.CRIT: 2, Status.UNKNOWN: 3}
# The English words are the keywords themselves: an English table reads as it always did.
_LABEL = {
    Status.OK: N_("ok"),
    Status.WARN: N_("warn"),
    Status.CRIT: N_("crit"),
    Status.UNKNOWN: N_("unknown"),
}


class ProblemKind(StrEnum):
    OFFLINE = "offline"
    AUTH = "auth"
    ONVIF = "onvif"
    CLOCK = "clock"
    STREAM = "stream"
    STORAGE = "storage"
    SECURITY = "security"
    PICTURE = "picture"
    CONFIG = "config"


@dataclass(frozen=True)
class Problem:
    """What is wrong with a camera, in words an operator understands (never a secret).

    ``message`` is the English text (JSON ``message``, history, problem classes: the same in
    every language). ``msg`` keeps the template and its values so ``text()`` can say it in the
    chosen language; build both at once with ``Problem.of(kind, severity, M_("...", n=3))``.
    A Problem made without ``msg`` shows ``_(message)`` (a constant marked with ``N_``).
    """

    kind: ProblemKind
    severity: Status
    message: str  # English, exactly as JSON shows it
    since: datetime | None = None  # first seen (from history), filled by the engine
    msg: Msg | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls, kind: ProblemKind, severity: Status, msg: Msg, since: datetime | None = None
    ) -> Problem:
        return cls(kind, severity, msg.en(), since, msg)

    def __post_init__(self) -> None:
        # A message may quote a camera (a SOAP fault reason): plain and bounded, whoever built it.
        object.__setattr__(self, "message", clean(self.message, LONG_LIMIT))

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the chosen language), as an operator reads it."""
        return clean(self.msg.text(lang) if self.msg is not None else _(self.message), LONG_LIMIT)

    def appended(self, more: Msg) -> Problem:
        """This problem with one more sentence (translated on its own) after its message."""
        base = self.msg if self.msg is not None else Msg(self.message)
        return replace(self, message=self.message + more.en(), msg=base.plus(more))


@dataclass(frozen=True)
class DeviceInfo:
    """What the camera says it is: its own words, made plain and bounded (core.text)."""

    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    hardware_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("manufacturer", "model", "firmware", "serial", "hardware_id"):
            object.__setattr__(self, name, clean_opt(getattr(self, name)))


@dataclass(frozen=True)
class StreamResult:
    profile: str | None
    uri: str | None  # never with userinfo
    status: Status
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    bitrate_kbps: float | None = None
    configured_fps: float | None = None
    configured_bitrate_kbps: float | None = None
    packets: int | None = None
    bytes: int | None = None
    seq_gaps: int | None = None
    frames: int | None = None
    keyframes: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile", clean_opt(self.profile))
        object.__setattr__(self, "uri", clean_opt(self.uri, LONG_LIMIT))
        object.__setattr__(self, "codec", clean_opt(self.codec))


@dataclass(frozen=True)
class StorageResult:
    name: str
    state: str | None  # ok | full | failed | unformatted | missing | idle | ...
    total_mb: float | None
    used_mb: float | None
    status: Status
    recording: bool | None = None
    overwrite: bool | None = None
    source: str | None = None  # onvif | isapi | dahua | ssh

    def __post_init__(self) -> None:
        # A disk's name is the recorder's (a mount point, an HDD label): text, never markup.
        object.__setattr__(self, "name", clean(self.name))
        object.__setattr__(self, "state", clean_opt(self.state))


@dataclass(frozen=True)
class CheckStep:
    """One probe's outcome: name (reach, onvif, stream, storage, security), timing, detail."""

    name: str
    status: Status
    duration_ms: float | None
    detail: str = ""  # English, exactly as JSON shows it
    msg: Msg | None = field(default=None, compare=False)  # ``detail`` with its values (``text()``)

    @classmethod
    def of(cls, name: str, status: Status, duration_ms: float | None, msg: Msg) -> CheckStep:
        return cls(name, status, duration_ms, msg.en(), msg)

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", clean(self.detail, LONG_LIMIT))

    def text(self, lang: str | None = None) -> str:
        """The detail in ``lang`` (default: the chosen language)."""
        return clean(self.msg.text(lang) if self.msg is not None else self.detail, LONG_LIMIT)


@dataclass(frozen=True)
class CameraReport:
    name: str
    site: str
    host: str
    status: Status
    problems: tuple[Problem, ...] = ()
    device: DeviceInfo | None = None
    clock_offset_s: float | None = None
    streams: tuple[StreamResult, ...] = ()
    storage: tuple[StorageResult, ...] = ()
    checks: tuple[CheckStep, ...] = ()
    checked_at: datetime | None = None
    # Days of footage the camera's recording holds (ONVIF recording summary), None if not read.
    days_kept: float | None = None
    # Wall time of this camera's whole check (None when not measured). The history keeps the
    # last one so the next run can start the slowest cameras first (engine.check.admission.schedule).
    duration_s: float | None = None
    # What this check learned for the next ones (not part of the report's JSON): (subject, key,
    # value) facts the history keeps, e.g. the stream URI of a good check, the ONVIF calls a
    # model and firmware do not support (engine.check.memory).
    learned: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class FleetReport:
    version: str
    started: datetime
    duration_s: float
    cameras: tuple[CameraReport, ...]

    @property
    def summary(self) -> dict[str, int]:
        counts = {"total": len(self.cameras), "ok": 0, "warn": 0, "crit": 0, "unknown": 0}
        for cam in self.cameras:
            counts[cam.status.value] += 1
        return counts

    @property
    def worst(self) -> Status:
        return Status.worst([c.status for c in self.cameras])
