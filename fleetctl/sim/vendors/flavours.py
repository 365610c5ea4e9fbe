"""Vendor flavours, modelled on real devices, and the factory that builds a healthy SimCamera.

What differs between vendors and matters to a client: identity strings, stream URI shapes, XML
namespace prefixes (clients must match on namespaces, never on prefixes), factory accounts, the
auth scheme and its clock window, which services exist (generic ONVIF boxes lack media2 and
Profile G), the storage API and whether the clock survives a reboot.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from fleetctl.sim.camera.model import EncoderConfig, MediaProfile, SimCamera, Storage, User, Vendor


@dataclass(frozen=True, eq=False)  # one instance per vendor: identity is equality (and hash)
class Flavour:
    vendor: Vendor
    manufacturer: str
    models: tuple[str, ...]
    firmwares: tuple[str, ...]
    factory_user: str
    factory_password: str
    main_path: str  # RTSP path of the main stream; "{ch}" is the channel number
    sub_path: str
    prefixes: dict[str, str]  # canonical prefix -> the one this vendor's firmware writes
    auth_window_s: float  # |Created - camera clock| accepted for WS-UsernameToken
    zulu_only: bool  # Created must end in "Z" ("+00:00" refused, as some Hikvision firmware)
    digest_share: float  # share of this vendor's cameras that demand HTTP Digest
    lockout_after: int | None  # failed logins before the camera locks the account
    media2: bool
    recording: bool
    storage_api: str  # "isapi" | "dahua" | ""
    loses_time_on_reboot: bool  # no RTC battery: the clock restarts at the firmware epoch
    mac_prefix: str
    main: tuple[int, int, float, int]  # width, height, fps, kbps
    sub: tuple[int, int, float, int]


FLAVOURS: dict[Vendor, Flavour] = {
    Vendor.HIKVISION: Flavour(
        Vendor.HIKVISION,
        "HIKVISION",
        ("DS-2CD2143G2-I", "DS-2CD2043G2-IU", "DS-2CD1023G0E-I"),
        ("V5.7.3 build 220112", "V5.7.15 build 230308", "V5.5.800 build 210628"),
        "admin",
        "12345",
        "/Streaming/Channels/{ch}01",
        "/Streaming/Channels/{ch}02",
        {"env": "env", "tt": "tt", "tds": "tds", "trt": "trt", "tr2": "tr2", "ter": "ter"},
        10.0,
        True,
        0.3,
        7,
        True,
        True,
        "isapi",
        False,
        "c0:56:e3",
        (2688, 1520, 25.0, 4096),
        (640, 360, 15.0, 512),
    ),
    Vendor.DAHUA: Flavour(
        Vendor.DAHUA,
        "Dahua",
        ("IPC-HDW2431T-AS", "IPC-HFW1230S", "IPC-HDBW2431E-S"),
        # As Dahua's GetDeviceInformation says it: the build date after a comma.
        (
            "2.820.0000000.21.R, Build Date: 2022-11-03",
            "2.800.0000000.31.R, Build Date: 2022-06-20",
            "2.840.0000000.14.R, Build Date: 2023-08-24",
        ),
        "admin",
        "admin",
        "/cam/realmonitor?channel={ch}&subtype=0",
        "/cam/realmonitor?channel={ch}&subtype=1",
        {"env": "SOAP-ENV", "tt": "tt", "tds": "tds", "trt": "trt", "tr2": "tr2", "ter": "ter"},
        30.0,
        False,
        0.0,
        5,
        True,
        True,
        "dahua",
        True,
        "3c:ef:8c",
        (2560, 1440, 25.0, 4096),
        (704, 576, 15.0, 512),
    ),
    Vendor.AXIS: Flavour(
        Vendor.AXIS,
        "AXIS",
        ("P3245-LVE", "M3106-L Mk II", "Q1615 Mk III"),
        ("10.12.114", "10.12.91", "9.80.3.8"),
        "root",
        "pass",
        "/axis-media/media.amp?videocodec=h264&camera={ch}",
        "/axis-media/media.amp?videocodec=h264&camera={ch}&resolution=640x360",
        {"env": "SOAP-ENV", "tt": "onvif", "tds": "tds", "trt": "trt", "tr2": "tr2", "ter": "ter"},
        5.0,
        False,
        0.0,
        None,
        True,
        True,
        "",
        False,
        "ac:cc:8e",
        (1920, 1080, 30.0, 4096),
        (640, 360, 15.0, 512),
    ),
    Vendor.GENERIC: Flavour(
        Vendor.GENERIC,
        "IPC",
        ("IPC-3M-POE", "IPC-2M-WIFI"),
        ("V4.2.1", "V3.9.0"),
        "admin",
        "admin",
        "/stream{ch}",
        "/stream{ch}_sub",
        {"env": "s", "tt": "ns2", "tds": "ns1", "trt": "ns3", "tr2": "ns4", "ter": "ns5"},
        60.0,
        False,
        0.0,
        None,
        False,
        False,
        "",
        True,
        "00:12:41",
        (1920, 1080, 20.0, 2048),
        (640, 480, 10.0, 384),
    ),
}


def stream_path(flavour: Flavour, sub: bool, channel: int = 1) -> str:
    return (flavour.sub_path if sub else flavour.main_path).format(ch=channel)


def make_camera(
    index: int,
    name: str,
    site: str,
    host: str,
    vendor: Vendor,
    rng: random.Random,
    fleet_user: str,
    fleet_password: str,
    *,
    onvif_port: int = 8080,
    rtsp_port: int = 8554,
    digest: bool | None = None,
) -> SimCamera:
    """A healthy camera of ``vendor``: fleet account set, factory password changed, card ok.

    Unprivileged default ports (8080/8554): ``fleetctl sim`` must run without root.
    ``digest``: force the auth scheme; None draws it from the flavour's share.
    """
    fl = FLAVOURS[vendor]
    mac = fl.mac_prefix + "".join(f":{rng.randrange(256):02x}" for _ in range(3))
    # Each vendor's own serial convention. Hikvision: the model, the production date, digits
    # (the model is joined below, once drawn). Dahua: alphanumeric, unrelated to the model.
    # Axis: twelve hex digits, the MAC. Every entry is drawn whatever the vendor, and the draw
    # that once chose the Hikvision prefix stays: the rest of the fleet is drawn as before.
    rng.choice(fl.models)
    serial = {
        Vendor.HIKVISION: f"20220301AAWR{rng.randrange(10**9):09d}",
        Vendor.DAHUA: f"{rng.randrange(16**15):015X}",
        Vendor.AXIS: mac.replace(":", "").upper(),
        Vendor.GENERIC: f"IPC{rng.randrange(10**10):010d}",
    }[vendor]
    profiles = []
    # Rate control and scene from a generator of their own (the fleet's draws stay as they were):
    # most encoders run VBR, and a quiet or night scene uses a fraction of the ceiling.
    scene = random.Random(f"scene:{index}")
    cbr = scene.random() < CBR_SHARE
    quiet = scene.random() < QUIET_SHARE
    for i, (sub, (w, h, fps, kbps)) in enumerate(((False, fl.main), (True, fl.sub))):
        enc = EncoderConfig(
            token=f"VideoEncoderToken_{i + 1}",
            name=f"VideoEncoder_{i + 1}",
            width=w,
            height=h,
            fps=fps,
            bitrate_kbps=kbps,
            gop=int(fps * 2),
            cbr=cbr,
            scene_ratio=scene.uniform(0.05, 0.2) if quiet else scene.uniform(0.6, 1.0),
        )
        profiles.append(
            MediaProfile(
                f"Profile_{i + 1}",
                "mainStream" if i == 0 else "subStream",
                enc,
                stream_path(fl, sub),
            )
        )
    # The factory account keeps existing with a changed password (what onboarding does).
    users = {
        fl.factory_user: User(fl.factory_user, f"chg-{rng.randrange(16**12):012x}"),
        fleet_user: User(fleet_user, fleet_password),
    }
    model = rng.choice(fl.models)
    if vendor is Vendor.HIKVISION:
        serial = model + serial
    return SimCamera(
        index=index,
        name=name,
        site=site,
        host=host,
        vendor=vendor,
        manufacturer=fl.manufacturer,
        model=model,
        firmware=rng.choice(fl.firmwares),
        serial=serial,
        mac=mac,
        endpoint=f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        hardware_id=f"{rng.randrange(16**4):04X}",
        onvif_port=onvif_port,
        rtsp_port=rtsp_port,
        users=users,
        factory_user=fl.factory_user,
        factory_password=fl.factory_password,
        clock_offset_s=rng.uniform(-1.5, 1.5),  # NTP-synced cameras are still ~1 s apart
        auth_mode="digest"
        if (rng.random() < fl.digest_share if digest is None else digest)
        else "wsse",
        lockout_after=fl.lockout_after,
        hostname=name,
        ntp_servers=["pool.ntp.org"],
        datetime_type="NTP",
        timezone="<+07>-7",
        profiles=profiles,
        storage=_card(rng) if vendor is not Vendor.GENERIC or rng.random() < 0.5 else [],
    )


def _card(rng: random.Random) -> list[Storage]:
    # Loop recording fills a card within days and keeps it full for the rest of its life: a
    # mature fleet is mostly full cards that overwrite. Full alone is not a fault.
    total = rng.choice((61_000, 122_000, 244_000))
    if rng.random() < FULL_SHARE:
        return [Storage("SD1", state="full", total_mb=total, used_mb=total)]
    return [Storage("SD1", total_mb=total, used_mb=int(total * rng.uniform(0.6, 0.97)))]


FULL_SHARE = 0.7  # of healthy cards: full and overwriting (the steady state)
CBR_SHARE = 0.15  # of encoders: CBR (the rest VBR, most vendors' default)
QUIET_SHARE = 0.3  # of VBR cameras: a night or empty scene, far below the bitrate ceiling
