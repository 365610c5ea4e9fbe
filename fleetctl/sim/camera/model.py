"""The simulated camera's state: shared by the ONVIF, RTSP, SSH and WS-Discovery servers.

One ``SimCamera`` per device. Servers read and mutate it (what is Set shows on the next Get and
in the stream); tests read it to assert on what really happened on the device (``counters``).
The simulator is a separate program: product code (core, adapters, engine, tui) never imports it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetctl.sim.camera.history import RecordingHistory


class Vendor(StrEnum):
    HIKVISION = "hikvision"
    DAHUA = "dahua"
    AXIS = "axis"
    GENERIC = "generic"


@dataclass(frozen=True)
class FaultSpec:
    """A fault the simulator can inject, and what a correct health check must say about it."""

    name: str
    kind: str  # problems[].kind a check must report (docs/problems.md)
    severity: str  # "warn" | "crit"
    description: str
    # Other kinds a check may also report for it, rightly (a hung device's video, when the
    # check knows where to look): neither required nor a false alarm.
    also: tuple[str, ...] = ()


# The catalogue of injectable faults. Tests iterate over it: each must be seen by a client.
FAULTS: dict[str, FaultSpec] = {
    f.name: f
    for f in (
        FaultSpec("offline", "offline", "crit", "nothing answers on any port (connection refused)"),
        FaultSpec(
            "hang",
            "onvif",
            "crit",
            "accepts TCP connections on every port, never answers",
            also=("stream",),
        ),
        FaultSpec(
            "web_hang",
            "onvif",
            "crit",
            "the web server accepts connections and never answers; the video still flows",
        ),
        FaultSpec(
            "partial_onvif",
            "onvif",
            "warn",
            "old firmware: leaves optional ONVIF calls out (ActionNotSupported, an HTML 500, "
            "SOAP 1.1 replies, NotAuthorized on the clock)",
        ),
        FaultSpec("slow", "onvif", "warn", "answers every ONVIF request after ~2.5 s"),
        FaultSpec("drip", "onvif", "crit", "drip-feeds its ONVIF replies one byte at a time"),
        FaultSpec("soap_fault", "onvif", "crit", "authenticated ONVIF calls return SOAP faults"),
        FaultSpec("malformed_xml", "onvif", "crit", "ONVIF replies are not well-formed XML"),
        FaultSpec("huge_reply", "onvif", "crit", "ONVIF replies with a 50 MB body"),
        FaultSpec("entity_bomb", "onvif", "crit", "ONVIF replies carry a billion-laughs DTD"),
        FaultSpec("wrong_credentials", "auth", "crit", "the fleet credentials are rejected"),
        FaultSpec("factory_password", "security", "warn", "the factory password still opens it"),
        FaultSpec(
            "basic_only",
            "security",
            "warn",
            "RTSP and the storage page offer only Basic (cleartext) authentication",
        ),
        FaultSpec("clock_drift", "clock", "crit", "the clock is hours off"),
        FaultSpec("clock_skew", "clock", "warn", "the clock is a minute or two off"),
        FaultSpec("rtsp_down", "stream", "crit", "the RTSP port refuses connections"),
        FaultSpec("no_video", "stream", "crit", "PLAY succeeds but no RTP ever arrives"),
        FaultSpec("frozen", "stream", "crit", "RTP flows but the picture never changes"),
        FaultSpec("low_fps", "stream", "warn", "the stream runs far below its configured fps"),
        FaultSpec("storage_full", "storage", "warn", "the card is full and overwrite is off"),
        FaultSpec("storage_failed", "storage", "crit", "the card failed"),
        FaultSpec("storage_unformatted", "storage", "crit", "the card is unformatted"),
        FaultSpec("recording_stopped", "storage", "crit", "the recording job stopped"),
        FaultSpec(
            "short_retention",
            "storage",
            "warn",
            "the card keeps only 2 days of footage (a small card at a high bitrate)",
        ),
        FaultSpec("flapping", "offline", "crit", "goes down and up every few seconds"),
        FaultSpec(
            "picture_black",
            "picture",
            "crit",
            "the stream is fine, the picture black (a covered lens, a dead IR at night)",
        ),
        FaultSpec(
            "picture_flat",
            "picture",
            "crit",
            'the picture is one flat colour (a "no signal" screen)',
        ),
        FaultSpec("picture_blurred", "picture", "warn", "the picture is blurred (fog, focus lost)"),
        FaultSpec(
            "vulnerable_firmware", "security", "warn", "runs a build with a published advisory"
        ),
    )
}


@dataclass
class EncoderConfig:
    token: str
    name: str
    encoding: str = "H264"
    width: int = 1920
    height: int = 1080
    fps: float = 25.0
    bitrate_kbps: int = 4096
    gop: int = 50
    quality: float = 4.0
    profile: str = "Main"  # H.264 profile
    cbr: bool = False  # rate control: VBR (most encoders' default) or CBR
    # Under VBR, the share of the bitrate ceiling the scene uses (a quiet night scene: a small
    # fraction). CBR streams at the configured rate whatever the scene.
    scene_ratio: float = 1.0


@dataclass
class MediaProfile:
    token: str
    name: str
    encoder: EncoderConfig
    stream_path: str  # RTSP path of this profile, vendor-shaped (/Streaming/Channels/101, ...)


@dataclass
class User:
    username: str
    password: str
    level: str = "Administrator"  # Administrator | Operator | User


@dataclass
class Storage:
    name: str  # "SD1", "HDD1"
    state: str = "ok"  # ok | full | failed | unformatted
    total_mb: int = 122_000
    used_mb: int = 61_000
    overwrite: bool = True
    recording: bool = True
    data_until_offset_s: float = 0.0  # recording summary DataUntil = now - this


@dataclass
class Counters:
    """What happened on the device, for tests to assert on."""

    requests: Counter[str] = field(default_factory=Counter)  # ONVIF operation -> count
    writes: Counter[str] = field(default_factory=Counter)  # Set*/Create*/Reboot -> count
    logins_ok: int = 0
    logins_failed: int = 0
    rtsp_sessions: int = 0
    rtsp_packets: int = 0
    rtsp_frames_dropped: int = 0  # frames a stalled RTSP client did not take (backpressure)
    ssh_commands: int = 0
    discovery_probes: int = 0
    reboots: int = 0
    ssh_passwords: int = 0  # SSH password logins attempted (what a spoofed recorder would see)
    basic_auth_headers: int = 0  # requests that carried ``Authorization: Basic`` (any protocol)
    searches_opened: int = 0  # Profile G search sessions opened (FindRecordings/FindEvents)
    searches_ended: int = 0  # ... ended by the client (EndSearch), not left to expire
    finds_opened: int = 0  # Dahua mediaFileFind objects created (sim/vendors/search.py)
    finds_closed: int = 0  # ... closed (action=close)
    finds_destroyed: int = 0  # ... destroyed (action=destroy): the object freed
    upgrades: int = 0  # firmware images accepted


@dataclass
class FactoryState:
    """A device's vendor provisioning state (Hikvision: activation, ONVIF switch, RTSP auth;
    Dahua: initialisation, where ``activated`` means initialised).

    The device's own web/ISAPI administrator lives here; ``SimCamera.users`` is then the ONVIF
    user list, which such firmware keeps separately (empty out of the box).
    """

    kind: str = "hikvision"  # hikvision (activation) | axis (first administrator) | dahua (init)
    activated: bool = False
    admin_password: str | None = None
    onvif_enabled: bool = False
    rtsp_auth: str = "digestBasic"  # basic | digest | digestBasic (/ISAPI/Security/RTSPCertificate)
    challenges: dict[str, str] = field(default_factory=dict)  # client address -> random key
    failures: dict[str, int] = field(default_factory=dict)  # client address -> failed logins
    locked_until: dict[str, float] = field(default_factory=dict)  # client address -> monotonic
    activations: int = 0  # activation requests, either flow (tests: never retried)
    activate_v3: bool = False  # advertises and requires the V3 flow (sim/vendors/hikvision_v3.py)
    protocol_agreed: bool = False  # Dahua: DevInit.setProtocolAgree
    access_set: bool = False  # Dahua: DevInit.access
    key: Any = None  # Dahua: the device's RSA private key (made on first Security.getEncryptInfo)


@dataclass
class SimCamera:
    index: int
    name: str
    site: str
    host: str  # its own 127.x.y.z
    vendor: Vendor
    manufacturer: str
    model: str
    firmware: str
    serial: str
    mac: str
    endpoint: str  # urn:uuid:... WS-Discovery EndpointReference, stable identity
    hardware_id: str = ""
    onvif_port: int = 8080
    rtsp_port: int = 8554
    users: dict[str, User] = field(default_factory=dict)
    factory_user: str = "admin"
    factory_password: str = "12345"
    clock_offset_s: float = 0.0  # camera clock = host clock + offset
    auth_mode: str = "wsse"  # wsse | digest (HTTP Digest demanded, as many Hikvision firmwares)
    lockout_after: int | None = None  # failed logins before the account locks
    lockout_s: float = 30.0
    nat_address: str | None = None  # an *unused* loopback address reported in URIs (NAT quirk)
    hostname: str = ""
    ntp_servers: list[str] = field(default_factory=list)
    ntp_from_dhcp: bool = False
    dns_servers: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_from_dhcp: bool = False
    timezone: str = "CST-8"
    datetime_type: str = "Manual"  # Manual | NTP
    daylight_savings: bool = False
    profiles: list[MediaProfile] = field(default_factory=list)
    storage: list[Storage] = field(default_factory=list)
    is_recorder: bool = False  # NVR-like host reached over SSH
    ssh_port: int = 2222
    # OpenSSH public key lines accepted per username on the recorder's SSH (beside passwords).
    ssh_authorized_keys: dict[str, list[str]] = field(default_factory=dict)
    # RTSP interleaved channels granted whatever the client asked ("4-5", or a bare "0"): the
    # quirk of live555-based firmware. None: the vendor flavour decides (sim/rtsp/flavours.py).
    rtsp_interleaved: str | None = None
    faults: set[str] = field(default_factory=set)
    # Push testing: ONVIF write operation -> "fault" (refused), "ignore" (200, nothing kept), "hang".
    write_faults: dict[str, str] = field(default_factory=dict)
    fault_params: dict[str, float] = field(default_factory=dict)
    # ONVIF left out or bent by old firmware (the ``partial_onvif`` fault): "no_clock"
    # (GetSystemDateAndTime: ActionNotSupported), "clock_needs_auth" (NotAuthorized on it
    # without a login), "no_device_info" (GetDeviceInformation: an HTML 500 page),
    # "no_services" (GetServices: ActionNotSupported), "soap11" (every reply in SOAP 1.1).
    # Recording search (not faults: a healthy camera may have them): "no_event_search"
    # (FindEvents/FindRecordings: ActionNotSupported, the recording summary still answers),
    # "no_search_service" (no ONVIF search service at all), "search_hang" (sim/onvif/search.py),
    # "isapi_local_z" and "vendor_search_hang" (sim/vendors/search.py).
    onvif_quirks: set[str] = field(default_factory=set)
    # Firmware upgrade (sim/camera/firmware.py): the path StartFirmwareUpgrade handed out, and the
    # version an accepted image installs at the next reboot.
    upload_token: str | None = None
    pending_firmware: str | None = None
    # How an upgrade goes wrong (invisible to a health check until one runs, so not in FAULTS):
    # "rollback" boots the old version again (a failed flash), "bricked" never comes back.
    upgrade_fault: str | None = None
    boot_time: float = field(default_factory=time.time)  # host epoch seconds
    online: bool = True  # False while rebooting (or flapped down)
    failed_logins: int = 0
    locked_until: float = 0.0
    counters: Counters = field(default_factory=Counters)
    # WS-Discovery: False models a camera behind a router or on another VLAN: multicast (TTL 1)
    # never reaches it, only a unicast Probe to its address does.
    link_local: bool = True
    # Host the camera puts in its WS-Discovery XAddrs instead of reported_host ("0.0.0.0": some
    # vendors do not know their own address there). None: reported_host.
    wsd_xaddr_host: str | None = None
    # WS-Discovery Types it advertises (ONVIF 1.x cameras: only dn:NetworkVideoTransmitter;
    # some NVRs: only tds:Device). It answers a Probe only if it has every requested type.
    wsd_types: str = "dn:NetworkVideoTransmitter tds:Device"
    # Factory-fresh (SimFleet ``fresh``): only the factory account, vendor default settings, in
    # no inventory yet: what a technician unboxes and `fleetctl onboard` takes in.
    fresh: bool = False
    # Set on a factory-fresh device whose firmware has a provisioning step (a Hikvision that is
    # not yet activated): sim/vendors/hikvision.py serves it. None: no such step (old firmware).
    factory: FactoryState | None = None
    # What the card holds (sim/camera/history.py), built with the fleet; None: built on first use.
    history: RecordingHistory | None = None
    # Open Profile G search sessions (sim/onvif/search.py): token -> session.
    searches: dict[str, Any] = field(default_factory=dict)
    # Open Dahua find objects (sim/vendors/search.py): object id -> Find.
    vendor_finds: dict[int, Any] = field(default_factory=dict)

    def now(self) -> float:
        """The camera's own clock (epoch seconds), drift included."""
        return time.time() + self.clock_offset_s

    @property
    def reported_host(self) -> str:
        """The address the camera puts in URIs it hands out (NAT quirk: not the one reached)."""
        return self.nat_address or self.host

    def has(self, fault: str) -> bool:
        return fault in self.faults


# Address plan: camera i listens on its own loopback address. Skips .0 and .255 in the last octet.
SIM_BASE = (127, 16)  # 127.16.0.1 ... : never 127.0.0.x, which other local services use
NAT_BASE = (127, 254)  # unused loopback addresses that "NAT" cameras report in their URIs
UNUSED_BASE = (127, 253)  # nothing ever binds here: a test's "unreachable camera"


def address_for(index: int, base: tuple[int, int] = SIM_BASE) -> str:
    """0 -> 127.16.0.1, 253 -> 127.16.0.254, 254 -> 127.16.1.1, ..."""
    third, last = divmod(index, 254)
    second = base[1] + third // 256
    if second > 255:
        raise ValueError(f"camera index {index} does not fit the loopback address plan")
    return f"{base[0]}.{second}.{third % 256}.{last + 1}"
