"""Pure tests of the ONVIF adapter's readers: replies shaped after real cameras, deserialized by
zeep from bytes exactly as on the wire (no network), plus pinning, clock and XML safety rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from lxml import etree
from multidict import CIMultiDict, CIMultiDictProxy
from onvif.client import ZeepAsyncClient
from support.ids import cell

from fleetctl.adapters import factory
from fleetctl.adapters.onvif.clock import camera_utc, measure_offset
from fleetctl.adapters.onvif.parse import (
    parse_capabilities,
    parse_device_info,
    parse_ntp,
    parse_profile,
    parse_recording_jobs,
    parse_services,
)
from fleetctl.adapters.onvif.session import NAMESPACES, pin_stream_uri, pin_xaddr
from fleetctl.adapters.onvif.soap import UsernameToken
from fleetctl.adapters.onvif.transport import Reply, WireError, check_xml
from fleetctl.adapters.onvif.zeep_client import (
    ZEEP_SETTINGS,
    OffsetUsernameToken,
    _documents,
    load_documents,
)
from fleetctl.core.probes import Failure

ENV = (
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope '
    'xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl">'
    "<SOAP-ENV:Body>{}</SOAP-ENV:Body></SOAP-ENV:Envelope>"
)


def deserialize(service: str, op: str, inner: str) -> object:
    """Run zeep's reply processing on bytes, as the transport hands them over."""
    asyncio.run(load_documents((service,)))
    client = ZeepAsyncClient(wsdl=_documents[service], settings=ZEEP_SETTINGS)
    binding = client.wsdl.bindings[
        "{%s}%s"
        % (NAMESPACES[service], "DeviceBinding" if service == "devicemgmt" else "MediaBinding")
    ]
    body = ENV.format(inner).encode()
    check_xml(body, "test")
    reply = Reply(
        200, body, CIMultiDictProxy(CIMultiDict({"Content-Type": "application/soap+xml"})), "utf-8"
    )
    return binding.process_reply(client, binding.get(op), reply)


# A 2013 Hikvision (firmware 5.0) without GetServices: capabilities, recording under Extension.
CAPABILITIES_OLD_HIK = (
    "<tds:GetCapabilitiesResponse><tds:Capabilities>"
    "<tt:Device><tt:XAddr>http://192.168.1.64/onvif/device_service</tt:XAddr></tt:Device>"
    "<tt:Events><tt:XAddr>http://192.168.1.64/onvif/Events</tt:XAddr><tt:WSSubscriptionPolicySupport>true"
    "</tt:WSSubscriptionPolicySupport><tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
    "<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
    "<tt:Media><tt:XAddr>http://192.168.1.64/onvif/Media</tt:XAddr><tt:StreamingCapabilities>"
    "<tt:RTPMulticast>true</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
    "</tt:StreamingCapabilities></tt:Media>"
    "<tt:Extension><tt:Recording><tt:XAddr>http://192.168.1.64/onvif/Recording</tt:XAddr>"
    "<tt:ReceiverSource>false</tt:ReceiverSource><tt:MediaProfileSource>true</tt:MediaProfileSource>"
    "<tt:DynamicRecordings>false</tt:DynamicRecordings><tt:DynamicTracks>false</tt:DynamicTracks>"
    "<tt:MaxStringLength>64</tt:MaxStringLength></tt:Recording>"
    "<tt:Search><tt:XAddr>http://192.168.1.64/onvif/SearchRecording</tt:XAddr>"
    "<tt:MetadataSearch>false</tt:MetadataSearch></tt:Search></tt:Extension>"
    "</tds:Capabilities></tds:GetCapabilitiesResponse>"
)


def test_capabilities_of_old_firmware() -> None:
    found = parse_capabilities(deserialize("devicemgmt", "GetCapabilities", CAPABILITIES_OLD_HIK))
    assert found[NAMESPACES["media"]] == "http://192.168.1.64/onvif/Media"
    assert found[NAMESPACES["recording"]] == "http://192.168.1.64/onvif/Recording"
    assert found[NAMESPACES["search"]] == "http://192.168.1.64/onvif/SearchRecording"
    assert found[NAMESPACES["devicemgmt"]] == "http://192.168.1.64/onvif/device_service"


def test_device_info_with_missing_and_blank_fields() -> None:
    # A Dahua OEM: no HardwareId element, blank serial.
    reply = deserialize(
        "devicemgmt",
        "GetDeviceInformation",
        "<tds:GetDeviceInformationResponse><tds:Manufacturer>General</tds:Manufacturer>"
        "<tds:Model>IPC-HDW1230S</tds:Model><tds:FirmwareVersion>2.800.0000000.16.R</tds:FirmwareVersion>"
        "<tds:SerialNumber> </tds:SerialNumber></tds:GetDeviceInformationResponse>",
    )
    info = parse_device_info(reply)
    assert (info.manufacturer, info.model, info.serial, info.hardware_id) == (
        "General",
        "IPC-HDW1230S",
        None,
        None,
    )


def test_profile_without_encoder_and_odd_numbers() -> None:
    # An Axis audio-only profile next to a video one whose rate control is empty.
    reply = deserialize(
        "media",
        "GetProfiles",
        '<trt:GetProfilesResponse><trt:Profiles token="profile_audio"><tt:Name>audio</tt:Name></trt:Profiles>'
        '<trt:Profiles token="profile_1_h264"><tt:Name>profile_1 h264</tt:Name>'
        '<tt:VideoEncoderConfiguration token="default_1_h264"><tt:Name>default_1 h264</tt:Name><tt:UseCount>1</tt:UseCount>'
        "<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution>"
        "<tt:Quality>70</tt:Quality><tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
        "</trt:Profiles></trt:GetProfilesResponse>",
    )
    audio, video = (parse_profile(p) for p in reply)  # type: ignore[attr-defined]
    assert audio is not None and audio.encoder is None
    assert video is not None and video.encoder is not None
    assert (video.encoder.width, video.encoder.fps, video.encoder.bitrate_kbps) == (
        1920,
        None,
        None,
    )
    assert parse_profile(SimpleNamespace(Name="no token")) is None


def test_services_ntp_and_jobs_tolerate_shapes() -> None:
    assert parse_services(None) == {}
    assert parse_services(
        [
            SimpleNamespace(Namespace="urn:x", XAddr=""),
            SimpleNamespace(Namespace="urn:y", XAddr="http://a/b"),
        ]
    ) == {"urn:y": "http://a/b"}
    dhcp = SimpleNamespace(
        FromDHCP=True,
        NTPFromDHCP=[SimpleNamespace(Type="IPv4", IPv4Address="10.0.0.1")],
        NTPManual=[],
    )
    assert parse_ntp(dhcp) == ("10.0.0.1",)
    manual = SimpleNamespace(
        FromDHCP=False, NTPManual=SimpleNamespace(Type="DNS", DNSname="pool.ntp.org")
    )
    assert parse_ntp(manual) == ("pool.ntp.org",)
    jobs = [
        SimpleNamespace(JobToken="J1", JobConfiguration=SimpleNamespace(RecordingToken="R1")),
        SimpleNamespace(JobToken=None),
    ]
    assert parse_recording_jobs(jobs) == [("J1", "R1")]


def _clock(y: object, mo: object, d: object, h: object, mi: object, s: object) -> SimpleNamespace:
    return SimpleNamespace(
        UTCDateTime=SimpleNamespace(
            Date=SimpleNamespace(Year=y, Month=mo, Day=d),
            Time=SimpleNamespace(Hour=h, Minute=mi, Second=s),
        )
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (_clock(2026, 11, 28, 8, 0, 5), datetime(2026, 11, 28, 8, 0, 5, tzinfo=UTC)),
        (
            _clock(2016, 12, 31, 23, 59, 60),
            datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC),
        ),  # leap second
        (
            _clock(1970, 1, 1, 0, 0, 0),
            datetime(1970, 1, 1, tzinfo=UTC),
        ),  # lost its clock: still a reading
        (_clock(2024, 13, 1, 0, 0, 0), None),  # month 13
        (_clock(2024, 8, 17, 25, 0, 0), None),  # hour 25
        (_clock(2024, 2, 30, 0, 0, 0), None),
        (_clock(None, 1, 1, 0, 0, 0), None),
        (_clock("20x4", 1, 1, 0, 0, 0), None),
        (_clock(99999, 1, 1, 0, 0, 0), None),
        (SimpleNamespace(UTCDateTime=None), None),
        (None, None),
    ],
    ids=[
        "normal",
        "leap-second",
        "epoch",
        "month-13",
        "hour-25",
        "feb-30",
        "no-year",
        "year-not-a-number",
        "year-99999",
        "no-utc-time",
        "no-reply",
    ],
)
def test_camera_clock_is_read_defensively(reply: object, expected: datetime | None) -> None:
    assert camera_utc(reply) == expected


def test_offset_is_taken_against_the_midpoint() -> None:
    sent = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
    received = sent + timedelta(seconds=2)
    assert measure_offset(_clock(2026, 1, 1, 0, 1, 1), sent, received) == 60.0
    assert measure_offset(_clock(2026, 13, 1, 0, 1, 1), sent, received) is None


def test_wsse_created_is_zulu_and_follows_the_camera() -> None:
    token = OffsetUsernameToken(UsernameToken("u", "p", offset_s=-3600), "p")
    env = etree.Element("{http://www.w3.org/2003/05/soap-envelope}Envelope")
    etree.SubElement(env, "{http://www.w3.org/2003/05/soap-envelope}Header")
    token.apply(env, {})
    created = env.find(".//{*}Created")
    assert created is not None and created.text and created.text.endswith("Z")
    when = datetime.fromisoformat(created.text.replace("Z", "+00:00"))
    assert abs((when - datetime.now(UTC)).total_seconds() + 3600) < 3
    assert "p'" not in repr(token) and "********" in repr(token)


@pytest.mark.parametrize(
    ("uri", "host", "expected"),
    [
        (
            "rtsp://admin:pw@192.168.1.64:554/Streaming/Channels/101",
            "10.20.1.11",
            "rtsp://10.20.1.11:554/Streaming/Channels/101",
        ),
        (
            "rtsp://192.168.1.108/cam/realmonitor?channel=1&subtype=0&user=admin&password=x",
            "cam.local",
            "rtsp://cam.local/cam/realmonitor?channel=1&subtype=0",
        ),
        (
            "rtsp://127.254.0.9:8554/axis-media/media.amp?videocodec=h264",
            "127.16.0.5",
            "rtsp://127.16.0.5:8554/axis-media/media.amp?videocodec=h264",
        ),
        ("rtsp://[fe80::1]:554/s1", "fd00::5", "rtsp://[fd00::5]:554/s1"),
    ],
    ids=["userinfo-dropped", "query-credentials-dropped", "nat-address-replaced", "ipv6"],
)
def test_stream_uri_is_pinned_without_credentials(uri: str, host: str, expected: str) -> None:
    assert pin_stream_uri(uri, host) == expected


def test_service_address_is_pinned_to_inventory_base() -> None:
    assert (
        pin_xaddr("http://192.168.0.64:80/onvif/Media", "http://10.0.0.5:8080")
        == "http://10.0.0.5:8080/onvif/Media"
    )
    assert (
        pin_xaddr(" http://evil.example/onvif/Events?x=1 ", "https://h:443")
        == "https://h:443/onvif/Events?x=1"
    )


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', Failure.MALFORMED),
        (b"<html><body>oops", Failure.MALFORMED),
        (b"\x00\x01garbage", Failure.MALFORMED),
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16"),
            Failure.MALFORMED,
        ),
    ],
    ids=["entity", "html", "binary", "utf-16-dtd"],
)
def test_unsafe_or_broken_xml_is_refused(body: bytes, failure: Failure) -> None:
    with pytest.raises(WireError) as info:
        check_xml(body, "10.0.0.1:80")
    assert info.value.failure is failure and "10.0.0.1:80" in str(info.value)


def test_plain_xml_passes() -> None:
    check_xml(ENV.format("<tds:GetHostnameResponse/>").encode(), "x")


def test_factory_credentials() -> None:
    assert factory.vendor_of("HIKVISION") == "hikvision"
    assert factory.vendor_of("Dahua Technology") == "dahua"
    assert factory.vendor_of("AXIS") == "axis"
    assert factory.vendor_of(None) == "generic"
    assert factory.first_factory_login("HIKVISION").password == "12345"
    assert factory.is_factory_credential("admin", "12345", "HIKVISION")
    assert not factory.is_factory_credential("admin", "12345", "AXIS")
    assert factory.is_factory_credential("root", "pass")  # any vendor when unknown
    assert not factory.is_factory_credential("fleetops", "Zq4...long")
    assert "12345" not in repr(factory.first_factory_login("HIKVISION"))


@pytest.mark.parametrize(
    ("rate_control", "cbr"),
    [
        ("<tt:RateControl>", None),  # media1 as ONVIF 2.4 wrote it: says nothing
        ('<tt:RateControl ConstantBitRate="true">', True),
        ('<tt:RateControl ConstantBitRate="false">', False),
        ('<tt:RateControl ConstantBitRate=" 1 ">', True),
        ('<tt:RateControl ConstantBitRate="yes">', None),  # garbage: unknown, never invented
    ],
)
def test_encoder_rate_control(rate_control: str, cbr: bool | None) -> None:
    from lxml import etree

    from fleetctl.adapters.onvif.parse import parse_encoder

    vec = etree.fromstring(
        '<tt:VideoEncoderConfiguration xmlns:tt="http://www.onvif.org/ver10/schema">'
        "<tt:Encoding>H264</tt:Encoding>"
        f"{rate_control}<tt:FrameRateLimit>25</tt:FrameRateLimit>"
        "<tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl></tt:VideoEncoderConfiguration>"
    )
    enc = parse_encoder(vec)
    assert enc is not None and enc.cbr is cbr and enc.bitrate_kbps == 4096


@pytest.mark.parametrize(
    ("manufacturer", "firmware", "users"),
    [
        ("HIKVISION", "V5.2.5 build 141201", [("admin", "12345")]),
        ("HIKVISION", "V5.7.3 build 220112", []),  # activation: no factory password exists
        ("HIKVISION", "v5.3.0", []),
        ("HIKVISION", None, [("admin", "12345")]),  # firmware unknown: the vendor's list
        ("HIKVISION", "build 2019", [("admin", "12345")]),  # unparseable: the vendor's list
        ("Dahua", "2.820.0000000.21.R", [("admin", "admin"), ("888888", "888888")]),
        ("AXIS", "5.51.7", [("root", "pass")]),
        ("AXIS", "10.12.114", []),
        (
            "IPC",
            "V4.2.1",
            [("admin", "admin"), ("admin", "12345"), ("admin", ""), ("admin", "123456")],
        ),
    ],
    ids=cell,
)
def test_factory_logins_by_vendor_and_firmware_generation(
    manufacturer: str, firmware: str | None, users: list[tuple[str, str]]
) -> None:
    logins = factory.factory_logins_for(manufacturer, firmware)
    assert [(f.username, f.password) for f in logins][: len(users) or None] == users or (
        not users and logins == ()
    )
