"""Fidelity of the simulated ONVIF side, proven with clients nobody here wrote.

onvif-zeep-async (ONVIFCamera, its WSDLs, its WS-Security and time adjustment) and aiohttp's
DigestAuthMiddleware talk to the simulator over real loopback sockets; where they disagree with
the simulator, the simulator is wrong.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import zeep.exceptions
from onvif import ONVIFCamera
from support.sim_soap import call

from fleetctl.sim.camera.model import Vendor
from fleetctl.sim.fleet import SimFleet

MakeFleet = Callable[..., Awaitable[SimFleet]]  # the conftest `make_fleet` fixture
STREAM_SETUP = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    # 9 cameras: index 0 Hikvision (WS-Security), 1 Dahua, 4 Axis, 5 Hikvision (HTTP Digest),
    # 8 generic ONVIF: one of each flavour (VENDOR_CYCLE / DIGEST_SLOTS in sim/fleet.py).
    async with SimFleet(
        cameras=9, seed=11, rtsp=False, discovery=False, assign={2: {"clock_drift"}}
    ) as f:
        yield f


@pytest.mark.parametrize("index", [0, 1, 4, 8])
async def test_onvif_zeep_async_reads_identity_profiles_and_stream_uri(
    fleet: SimFleet, index: int
) -> None:
    cam = fleet.cameras[index]
    user, password = fleet.credentials
    client = ONVIFCamera(cam.host, cam.onvif_port, user, password)
    try:
        await client.update_xaddrs()
        device = await client.create_devicemgmt_service()
        info = await device.GetDeviceInformation()
        media = await client.create_media_service()
        profiles = await media.GetProfiles()
        uri = await media.GetStreamUri(
            {"ProfileToken": profiles[0].token, "StreamSetup": STREAM_SETUP}
        )
    finally:
        await client.close()
    assert (info.Manufacturer, info.Model, info.SerialNumber) == (
        cam.manufacturer,
        cam.model,
        cam.serial,
    )
    assert [p.token for p in profiles] == [p.token for p in cam.profiles]
    enc = profiles[0].VideoEncoderConfiguration
    assert (enc.Resolution.Width, enc.Resolution.Height) == (
        cam.profiles[0].encoder.width,
        cam.profiles[0].encoder.height,
    )
    assert uri.Uri == f"rtsp://{cam.host}:{cam.rtsp_port}{cam.profiles[0].stream_path}"
    assert cam.counters.requests["GetStreamUri"] == 1
    assert cam.counters.logins_ok >= 3 and cam.counters.logins_failed == 0


async def test_vendor_flavours_differ_where_real_ones_do(fleet: SimFleet) -> None:
    hik, dahua, axis, generic = (fleet.cameras[i] for i in (0, 1, 4, 8))
    assert (hik.vendor, dahua.vendor, axis.vendor, generic.vendor) == tuple(Vendor)
    assert hik.profiles[0].stream_path == "/Streaming/Channels/101"
    assert dahua.profiles[0].stream_path == "/cam/realmonitor?channel=1&subtype=0"
    assert axis.profiles[0].stream_path.startswith("/axis-media/media.amp?videocodec=h264")
    assert (axis.factory_user, axis.factory_password) == ("root", "pass")
    # Axis writes the schema namespace with an "onvif:" prefix, generic firmware "ns2:": the
    # zeep test above parsed both, so clients must (and do) go by namespace.
    reply = await call(axis.host, axis.onvif_port, "<tds:GetSystemDateAndTime/>")
    assert b"<onvif:UTCDateTime>" in reply.body
    reply = await call(generic.host, generic.onvif_port, "<tds:GetSystemDateAndTime/>")
    assert b"<ns2:UTCDateTime>" in reply.body and b"<s:Envelope" in reply.body
    # A generic box has no media2 or Profile G services.
    user, pw = fleet.credentials
    reply = await call(
        generic.host,
        generic.onvif_port,
        "<tr2:GetProfiles/>",
        user=user,
        password=pw,
        path="/onvif/media2_service",
    )
    assert reply.status == 500 and reply.fault_subcode() == "ActionNotSupported"


async def test_time_adjustment_makes_a_drifted_camera_work(fleet: SimFleet) -> None:
    cam = fleet.cameras[2]
    user, password = fleet.credentials
    assert abs(cam.clock_offset_s) > 3600
    naive = ONVIFCamera(cam.host, cam.onvif_port, user, password)
    try:
        with pytest.raises(zeep.exceptions.Fault):
            await (await naive.create_devicemgmt_service()).GetDeviceInformation()
    finally:
        await naive.close()
    assert cam.counters.logins_failed == 1
    adjusted = ONVIFCamera(cam.host, cam.onvif_port, user, password, adjust_time=True)
    try:
        await adjusted.update_xaddrs()
        info = await (await adjusted.create_devicemgmt_service()).GetDeviceInformation()
    finally:
        await adjusted.close()
    assert info.SerialNumber == cam.serial
    assert adjusted.dt_diff is not None
    assert abs(adjusted.dt_diff.total_seconds() - cam.clock_offset_s) < 2


async def test_get_system_date_and_time_is_open_and_reports_the_cameras_clock(
    fleet: SimFleet,
) -> None:
    cam = fleet.cameras[2]
    reply = await call(cam.host, cam.onvif_port, "<tds:GetSystemDateAndTime/>")
    assert reply.status == 200
    year = int(reply.find("tt:UTCDateTime/tt:Date/tt:Year") or 0)
    hour = int(reply.find("tt:UTCDateTime/tt:Time/tt:Hour") or 0)
    local_hour = int(reply.find("tt:LocalDateTime/tt:Time/tt:Hour") or 0)
    camera_now = datetime.fromtimestamp(cam.now(), UTC)
    assert year == camera_now.year and hour in (camera_now.hour, (camera_now.hour + 23) % 24)
    assert (local_hour - hour) % 24 == 7  # TZ "<+07>-7": POSIX signs are inverted


async def test_digest_camera_challenges_and_works_through_aiohttp_digest_middleware(
    fleet: SimFleet,
) -> None:
    cam = fleet.cameras[5]
    assert cam.auth_mode == "digest"
    user, password = fleet.credentials
    # WS-Security alone is not enough: an HTML 401 with a Digest challenge, as on Hikvision.
    reply = await call(
        cam.host, cam.onvif_port, "<tds:GetDeviceInformation/>", user=user, password=password
    )
    assert reply.status == 401 and reply.headers["WWW-Authenticate"].startswith("Digest ")
    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(user, password),)
    ) as session:
        reply = await call(cam.host, cam.onvif_port, "<tds:GetDeviceInformation/>", session=session)
        assert reply.status == 200 and reply.find("tds:SerialNumber") == cam.serial
        async with session.get(
            f"http://{cam.host}:{cam.onvif_port}/ISAPI/ContentMgmt/Storage"
        ) as r:
            assert r.status == 200
            assert b"hikvision.com/ver20/XMLSchema" in await r.read() or cam.firmware.startswith(
                "V5.5"
            )
    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(user, "wrong"),)
    ) as session:
        reply = await call(cam.host, cam.onvif_port, "<tds:GetDeviceInformation/>", session=session)
        assert reply.status == 401
    assert cam.counters.logins_failed >= 1


async def test_wrong_password_is_not_authorized_with_http_400(fleet: SimFleet) -> None:
    cam = fleet.cameras[0]
    user, _ = fleet.credentials
    reply = await call(
        cam.host, cam.onvif_port, "<tds:GetDeviceInformation/>", user=user, password="not-it"
    )
    assert reply.status == 400 and reply.fault_subcode() == "NotAuthorized"
    reply = await call(cam.host, cam.onvif_port, "<tds:GetDeviceInformation/>")
    assert reply.status == 400 and reply.fault_subcode() == "NotAuthorized"
    # A Created far from the camera's clock is refused even with the right password.
    _, password = fleet.credentials
    reply = await call(
        cam.host,
        cam.onvif_port,
        "<tds:GetDeviceInformation/>",
        user=user,
        password=password,
        offset_s=120,
    )
    assert reply.fault_subcode() == "NotAuthorized"


async def test_lockout_after_repeated_failures_refuses_even_the_right_password(
    fleet: SimFleet,
) -> None:
    cam = fleet.cameras[0]
    user, password = fleet.credentials
    assert cam.lockout_after == 7
    for _ in range(cam.lockout_after):
        await call(cam.host, cam.onvif_port, "<tds:GetUsers/>", user=user, password="guess")
    reply = await call(cam.host, cam.onvif_port, "<tds:GetUsers/>", user=user, password=password)
    assert reply.fault_subcode() == "NotAuthorized"
    cam.locked_until = 0.0  # the lockout period elapses
    reply = await call(cam.host, cam.onvif_port, "<tds:GetUsers/>", user=user, password=password)
    assert reply.status == 200


async def test_unknown_operation_is_a_soap_fault(fleet: SimFleet) -> None:
    cam = fleet.cameras[0]
    user, password = fleet.credentials
    reply = await call(
        cam.host, cam.onvif_port, "<tds:GetFrobnicator/>", user=user, password=password
    )
    assert reply.status == 500 and reply.fault_subcode() == "ActionNotSupported"
    assert reply.find("env:Fault/env:Code/env:Value") == "env:Receiver"
    assert cam.counters.requests["GetFrobnicator"] == 1


async def test_what_is_set_persists_and_is_counted(fleet: SimFleet) -> None:
    cam = fleet.cameras[1]
    user, password = fleet.credentials
    client = ONVIFCamera(cam.host, cam.onvif_port, user, password)
    try:
        await client.update_xaddrs()
        device = await client.create_devicemgmt_service()
        await device.SetHostname({"Name": "qt-cho-77"})
        await device.SetNTP(
            {
                "FromDHCP": False,
                "NTPManual": [
                    {"Type": "DNS", "DNSname": "ntp1.example.vn"},
                    {"Type": "IPv4", "IPv4Address": "127.253.0.5"},
                ],
            }
        )
        await device.SetDNS(
            {
                "FromDHCP": False,
                "SearchDomain": ["conganthanhhoa.local"],
                "DNSManual": [{"Type": "IPv4", "IPv4Address": "127.253.0.53"}],
            }
        )
        await device.SetSystemDateAndTime(
            {"DateTimeType": "NTP", "DaylightSavings": False, "TimeZone": {"TZ": "<+07>-7"}}
        )
        await device.CreateUsers(
            {"User": [{"Username": "viewer", "Password": "v1ewer-pw", "UserLevel": "User"}]}
        )
        hostname = await device.GetHostname()
        ntp = await device.GetNTP()
        dns = await device.GetDNS()
        users = await device.GetUsers()
        media = await client.create_media_service()
        conf = await media.GetVideoEncoderConfiguration(
            {"ConfigurationToken": cam.profiles[0].encoder.token}
        )
        conf.RateControl.FrameRateLimit = 15
        conf.Resolution.Width, conf.Resolution.Height = 1920, 1080
        await media.SetVideoEncoderConfiguration({"Configuration": conf, "ForcePersistence": True})
        again = await media.GetVideoEncoderConfiguration(
            {"ConfigurationToken": cam.profiles[0].encoder.token}
        )
        with pytest.raises(zeep.exceptions.Fault):  # outside the advertised options
            conf.Resolution.Width = 1234
            await media.SetVideoEncoderConfiguration(
                {"Configuration": conf, "ForcePersistence": True}
            )
    finally:
        await client.close()
    assert hostname.Name == "qt-cho-77" == cam.hostname
    assert [s.DNSname or s.IPv4Address for s in ntp.NTPManual] == ["ntp1.example.vn", "127.253.0.5"]
    assert dns.SearchDomain == ["conganthanhhoa.local"] and cam.dns_servers == ["127.253.0.53"]
    assert cam.datetime_type == "NTP" and cam.timezone == "<+07>-7"
    assert "viewer" in {u.Username for u in users}
    assert (again.RateControl.FrameRateLimit, again.Resolution.Width) == (15, 1920)
    enc = cam.profiles[0].encoder  # what the RTSP server streams next
    assert (enc.fps, enc.width, enc.height) == (15, 1920, 1080)
    assert cam.counters.writes["SetVideoEncoderConfiguration"] == 1
    assert cam.counters.writes["SetHostname"] == 1


async def test_media2_recording_and_search_answer_with_the_cameras_state(fleet: SimFleet) -> None:
    cam = fleet.cameras[0]
    user, pw = fleet.credentials
    reply = await call(
        cam.host,
        cam.onvif_port,
        "<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol>"
        "<tr2:ProfileToken>Profile_2</tr2:ProfileToken></tr2:GetStreamUri>",
        user=user,
        password=pw,
        path="/onvif/media2_service",
    )
    assert reply.find("tr2:Uri") == f"rtsp://{cam.host}:{cam.rtsp_port}/Streaming/Channels/102"
    reply = await call(
        cam.host,
        cam.onvif_port,
        "<trc:GetRecordingJobState><trc:JobToken>RecordingJob_1</trc:JobToken>"
        "</trc:GetRecordingJobState>",
        user=user,
        password=pw,
        path="/onvif/recording_service",
    )
    assert reply.find("trc:State/tt:State") == "Active"
    reply = await call(
        cam.host,
        cam.onvif_port,
        "<tse:GetRecordingSummary/>",
        user=user,
        password=pw,
        path="/onvif/search_service",
    )
    until = datetime.fromisoformat(reply.find("tse:Summary/tt:DataUntil") or "")
    assert abs(until.timestamp() - cam.now()) < 5


async def test_system_reboot_answers_goes_away_and_comes_back(make_fleet: MakeFleet) -> None:
    fleet: SimFleet = await make_fleet(cameras=2, seed=3, rtsp=False, reboot_s=0.4)
    cam = fleet.cameras[1]  # Dahua: no RTC battery, its clock restarts when set manually
    cam.datetime_type = "Manual"
    user, pw = fleet.credentials
    booted = cam.boot_time
    reply = await call(cam.host, cam.onvif_port, "<tds:SystemReboot/>", user=user, password=pw)
    assert reply.status == 200 and reply.find("tds:Message")
    seen_down = False
    async with asyncio.timeout(10):
        while True:  # what a client does: poll GetSystemDateAndTime until it returns
            try:
                await call(cam.host, cam.onvif_port, "<tds:GetSystemDateAndTime/>", timeout=1)
                if seen_down:
                    break
            except aiohttp.ClientConnectionError:
                seen_down = True
            await asyncio.sleep(0.05)
    assert cam.boot_time > booted and cam.counters.reboots == 1
    assert datetime.fromtimestamp(cam.now(), UTC).year == 2000


async def test_nat_quirk_hands_out_an_address_that_is_not_the_one_reached(
    make_fleet: MakeFleet,
) -> None:
    fleet: SimFleet = await make_fleet(cameras=2, seed=3, rtsp=False, nat=1.0)
    cam = fleet.cameras[0]
    assert cam.nat_address is not None and cam.nat_address.startswith("127.254.")
    user, pw = fleet.credentials
    reply = await call(
        cam.host,
        cam.onvif_port,
        "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
        user=user,
        password=pw,
    )
    assert (
        reply.find("tds:Service/tds:XAddr")
        == f"http://{cam.nat_address}:{cam.onvif_port}/onvif/device_service"
    )


async def test_request_safety_dtd_refused_and_body_capped(fleet: SimFleet) -> None:
    cam = fleet.cameras[0]
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
        b"<GetSystemDateAndTime xmlns='http://www.onvif.org/ver10/device/wsdl'/>"
        b"</env:Body></env:Envelope>"
    )
    async with aiohttp.ClientSession() as s:
        url = f"http://{cam.host}:{cam.onvif_port}/onvif/device_service"
        async with s.post(url, data=bomb) as r:
            assert r.status == 400 and b"DTD" in await r.read()
        async with s.post(url, data=b"x" * (2 * 1024 * 1024)) as r:
            assert r.status == 413


async def test_keep_alive_serves_pipelined_requests_in_order(fleet: SimFleet) -> None:
    cam = fleet.cameras[0]
    from support.sim_soap import envelope

    body = envelope("<tds:GetSystemDateAndTime/>")
    request = (
        f"POST /onvif/device_service HTTP/1.1\r\nHost: {cam.host}\r\n"
        f"Content-Type: application/soap+xml\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    reader, writer = await asyncio.open_connection(cam.host, cam.onvif_port)
    try:
        writer.write(request * 3)
        for _ in range(3):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200 OK") and b"Connection: keep-alive" in head
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            assert b"UTCDateTime" in await reader.readexactly(length)
    finally:
        writer.close()
    assert cam.counters.requests["GetSystemDateAndTime"] == 3


async def test_curl_posts_with_expect_100_continue_and_gets_the_answer(
    fleet: SimFleet, tmp_path: Path
) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    from support.sim_soap import envelope, wsse

    cam = fleet.cameras[0]
    user, pw = fleet.credentials
    request = tmp_path / "req.xml"
    # Over 1 KiB: curl sends "Expect: 100-continue" and holds the body until the camera says so.
    request.write_bytes(envelope("<tds:GetDeviceInformation/>", wsse(user, pw) + " " * 1024))
    proc = await asyncio.create_subprocess_exec(
        # Without a "100 Continue" curl would wait out --expect100-timeout, past --max-time.
        curl,
        "-sS",
        "--max-time",
        "10",
        "--expect100-timeout",
        "30",
        "-H",
        "Content-Type: application/soap+xml",
        "--data-binary",
        f"@{request}",
        f"http://{cam.host}:{cam.onvif_port}/onvif/device_service",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err
    assert f"<tds:SerialNumber>{cam.serial}</tds:SerialNumber>".encode() in out


async def test_hikvision_refuses_a_created_that_is_not_zulu(fleet: SimFleet) -> None:
    from support.sim_soap import envelope, wsse

    user, pw = fleet.credentials
    statuses = {}
    for index in (0, 1):  # Hikvision, Dahua
        cam = fleet.cameras[index]
        async with (
            aiohttp.ClientSession() as s,
            s.post(
                f"http://{cam.host}:{cam.onvif_port}/onvif/device_service",
                data=envelope("<tds:GetDeviceInformation/>", wsse(user, pw, zulu=False)),
            ) as r,
        ):
            statuses[cam.vendor] = r.status
    assert statuses == {Vendor.HIKVISION: 400, Vendor.DAHUA: 200}


async def test_encoder_changes_over_onvif_reach_the_rtsp_stream(make_fleet: MakeFleet) -> None:
    from fleetctl.adapters.rtsp import client as rtsp
    from fleetctl.core.models import Credential
    from fleetctl.core.secret import Secret

    fleet = await make_fleet(cameras=1, seed=12)
    cam = fleet.cameras[0]
    user, password = fleet.credentials
    client = ONVIFCamera(cam.host, cam.onvif_port, user, password)
    try:
        await client.update_xaddrs()
        media = await client.create_media_service()
        token = cam.profiles[0].encoder.token
        conf = await media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
        conf.Resolution.Width, conf.Resolution.Height = 1280, 720
        await media.SetVideoEncoderConfiguration({"Configuration": conf, "ForcePersistence": True})
    finally:
        await client.close()
    probe = await rtsp.probe_stream(
        f"rtsp://{cam.host}:{cam.rtsp_port}{cam.profiles[0].stream_path}",
        Credential("sim", user, Secret(password)),
        window_s=0.5,
        timeout_s=5,
    )
    assert probe.ok and (probe.width, probe.height) == (1280, 720)
