"""probe_onvif / try_login / sync_time / reboot against a scripted camera on loopback.

The camera here is a tiny aiohttp server speaking real SOAP 1.2 (replies shaped after a
Hikvision DS-2CD2xx and an Axis M30xx), and misbehaving on demand: a 50 MB reply, an entity
bomb, garbage, a drip-fed or hanging reply, faults, an HTML Digest 401, a NAT address.
The simulator's fleet is exercised in test_onvif_sim.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import resource
import ssl
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from fleetctl.adapters.onvif import client as onvif
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret

USER, PASSWORD = "fleet", "s3cr@t:P%ss"
ENV = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
    'xmlns:trc="http://www.onvif.org/ver10/recording/wsdl" xmlns:tse="http://www.onvif.org/ver10/search/wsdl" '
    'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error">'
    "<env:Body>{}</env:Body></env:Envelope>"
)
FAULT = (
    "<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>{code}</env:Value>"
    '</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">{reason}</env:Text></env:Reason></env:Fault>'
)


def _dt(tag: str, when: datetime) -> str:
    return (
        f"<tt:{tag}><tt:Time><tt:Hour>{when.hour}</tt:Hour><tt:Minute>{when.minute}</tt:Minute>"
        f"<tt:Second>{when.second}</tt:Second></tt:Time><tt:Date><tt:Year>{when.year}</tt:Year>"
        f"<tt:Month>{when.month}</tt:Month><tt:Day>{when.day}</tt:Day></tt:Date></tt:{tag}>"
    )


@dataclass
class FakeCamera:
    """One scripted camera. ``mode`` picks the misbehaviour; ``seen`` counts operations."""

    mode: str = "ok"
    clock_offset_s: float = 0.0
    window_s: float = 10.0  # Created must be within this of the camera's clock
    reported_host: str | None = None  # NAT: the address the camera puts in its URIs
    seen: Counter[str] = field(default_factory=Counter)
    logins_failed: int = 0
    host: str = "127.0.0.1"
    port: int = 0
    set_clock: datetime | None = None
    huge_sent: int = 0  # MiB chunks of the 50 MB reply the client took

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    # ------------------------------------------------------------------ auth
    def wsse_ok(self, body: str) -> bool:
        m = re.search(
            r"<(?:\w+:)?Username>([^<]*)<.*?<(?:\w+:)?Password[^>]*>([^<]*)<.*?"
            r"<(?:\w+:)?Nonce[^>]*>([^<]*)<.*?<(?:\w+:)?Created[^>]*>([^<]*)<",
            body,
            re.S,
        )
        if not m:
            return False
        user, digest, nonce, created = m.groups()
        if not created.endswith("Z"):  # Hikvision quirk: Zulu only
            return False
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
        if abs((when - self.now()).total_seconds()) > self.window_s:
            return False
        want = base64.b64encode(
            hashlib.sha1(base64.b64decode(nonce) + created.encode() + PASSWORD.encode()).digest()
        ).decode()
        return user == USER and digest == want

    def digest_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', header))
        ha1 = hashlib.md5(f"{USER}:cam:{PASSWORD}".encode()).hexdigest()
        ha2 = hashlib.md5(f"POST:{p.get('uri')}".encode()).hexdigest()
        want = hashlib.md5(
            f"{ha1}:{p.get('nonce')}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}".encode()
        ).hexdigest()
        return (
            p.get("username") == USER
            and p.get("uri") == request.path_qs
            and p.get("response") == want
        )

    # ------------------------------------------------------------------ replies
    def reply(self, op: str) -> str:
        host = self.reported_host or self.host
        base = f"http://{host}:{self.port}"
        if op == "GetSystemDateAndTime":
            if self.mode == "garbage_date":
                return (
                    "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
                    "<tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime><tt:Time><tt:Hour>25</tt:Hour>"
                    "<tt:Minute>0</tt:Minute><tt:Second>0</tt:Second></tt:Time><tt:Date><tt:Year>2024</tt:Year>"
                    "<tt:Month>13</tt:Month><tt:Day>1</tt:Day></tt:Date></tt:UTCDateTime>"
                    "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
                )
            return (
                "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
                "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone>"
                f"{_dt('UTCDateTime', self.now())}</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
            )
        if op == "GetDeviceInformation":
            return (
                "<tds:GetDeviceInformationResponse><tds:Manufacturer>HIKVISION</tds:Manufacturer>"
                "<tds:Model>DS-2CD2143G2-I</tds:Model><tds:FirmwareVersion>V5.7.3 build 220112</tds:FirmwareVersion>"
                "<tds:SerialNumber>DS-2CD2143G2-I20220101AAWRJ12345678</tds:SerialNumber>"
                "<tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse>"
            )
        if op == "GetServices":
            svc = "".join(
                f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{base}{path}</tds:XAddr>"
                "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
                for ns, path in (
                    ("http://www.onvif.org/ver10/device/wsdl", "/onvif/device_service"),
                    (
                        "http://www.onvif.org/ver20/media/wsdl"
                        if self.mode == "media2only"
                        else "http://www.onvif.org/ver10/media/wsdl",
                        "/onvif/Media",
                    ),
                    ("http://www.onvif.org/ver10/recording/wsdl", "/onvif/Recording"),
                    ("http://www.onvif.org/ver10/search/wsdl", "/onvif/SearchRecording"),
                )
            )
            return f"<tds:GetServicesResponse>{svc}</tds:GetServicesResponse>"
        if op == "GetProfiles" and self.mode == "media2only":  # a Profile T camera, H.265
            return (
                '<tr2:GetProfilesResponse xmlns:tr2="http://www.onvif.org/ver20/media/wsdl">'
                '<tr2:Profiles token="Profile_000" fixed="true"><tr2:Name>MainStream</tr2:Name>'
                '<tr2:Configurations><tr2:VideoEncoder token="VE_000" GovLength="60" Profile="Main">'
                "<tt:Name>VE</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H265</tt:Encoding>"
                "<tt:Resolution><tt:Width>3840</tt:Width><tt:Height>2160</tt:Height></tt:Resolution>"
                '<tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>20</tt:FrameRateLimit>'
                "<tt:BitrateLimit>6144</tt:BitrateLimit></tt:RateControl><tt:Quality>4</tt:Quality>"
                "</tr2:VideoEncoder></tr2:Configurations></tr2:Profiles></tr2:GetProfilesResponse>"
            )
        if op == "GetStreamUri" and self.mode == "media2only":
            return (
                '<tr2:GetStreamUriResponse xmlns:tr2="http://www.onvif.org/ver20/media/wsdl">'
                "<tr2:Uri>rtsp://192.168.1.10:554/Streaming/Channels/101</tr2:Uri></tr2:GetStreamUriResponse>"
            )
        if op == "GetProfiles":
            prof = "".join(
                f'<trt:Profiles token="Profile_{i}" fixed="true"><tt:Name>mainStream{i}</tt:Name>'
                f'<tt:VideoEncoderConfiguration token="VideoEncoderToken_{i}"><tt:Name>VideoEncoder_{i}</tt:Name>'
                "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
                f"<tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution>"
                "<tt:Quality>3.000000</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>"
                f"<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{kbps}</tt:BitrateLimit></tt:RateControl>"
                "<tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>"
                "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>"
                "<tt:Port>8860</tt:Port><tt:TTL>128</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
                "<tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>"
                for i, w, h, kbps in ((1, 2688, 1520, 4096), (2, 640, 360, 512))
            )
            return f"<trt:GetProfilesResponse>{prof}</trt:GetProfilesResponse>"
        if op == "GetStreamUri":
            return (
                "<trt:GetStreamUriResponse><trt:MediaUri>"
                f"<tt:Uri>rtsp://admin:{PASSWORD}@{host}:554/Streaming/Channels/101?transportmode=unicast&amp;password=x</tt:Uri>"
                "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
                "<tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>"
            )
        if op == "GetHostname":
            return "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>dt-cho-01</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
        if op == "GetNTP":
            return (
                "<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>false</tt:FromDHCP><tt:NTPManual><tt:Type>DNS</tt:Type>"
                "<tt:DNSname>ntp1.example.vn</tt:DNSname></tt:NTPManual><tt:NTPManual><tt:Type>IPv4</tt:Type>"
                "<tt:IPv4Address>10.20.0.5</tt:IPv4Address></tt:NTPManual></tds:NTPInformation></tds:GetNTPResponse>"
            )
        if op == "GetRecordingJobs":
            return (
                "<trc:GetRecordingJobsResponse><trc:JobItem><tt:JobToken>RecordJob_1</tt:JobToken><tt:JobConfiguration>"
                "<tt:RecordingToken>Recording_1</tt:RecordingToken><tt:Mode>Active</tt:Mode><tt:Priority>1</tt:Priority>"
                "</tt:JobConfiguration></trc:JobItem></trc:GetRecordingJobsResponse>"
            )
        if op == "GetRecordingJobState":
            return (
                "<trc:GetRecordingJobStateResponse><trc:State><tt:RecordingToken>Recording_1</tt:RecordingToken>"
                "<tt:State>Active</tt:State></trc:State></trc:GetRecordingJobStateResponse>"
            )
        if op == "GetRecordingSummary":
            until = (self.now() - timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return (
                "<tse:GetRecordingSummaryResponse><tse:Summary><tt:DataFrom>2026-01-01T00:00:00Z</tt:DataFrom>"
                f"<tt:DataUntil>{until}</tt:DataUntil><tt:NumberRecordings>1</tt:NumberRecordings>"
                "</tse:Summary></tse:GetRecordingSummaryResponse>"
            )
        if op == "GetCapabilities":  # old firmware: recording and search only under Extension
            return (
                "<tds:GetCapabilitiesResponse><tds:Capabilities>"
                f"<tt:Device><tt:XAddr>{base}/onvif/device_service</tt:XAddr></tt:Device>"
                f"<tt:Media><tt:XAddr>{base}/onvif/Media</tt:XAddr></tt:Media><tt:Extension>"
                f"<tt:Recording><tt:XAddr>{base}/onvif/Recording</tt:XAddr></tt:Recording>"
                f"<tt:Search><tt:XAddr>{base}/onvif/SearchRecording</tt:XAddr></tt:Search>"
                "</tt:Extension></tds:Capabilities></tds:GetCapabilitiesResponse>"
            )
        if op == "SetSystemDateAndTime":
            return "<tds:SetSystemDateAndTimeResponse/>"
        if op == "SystemReboot":
            return "<tds:SystemRebootResponse><tds:Message>Rebooting in 5 seconds</tds:Message></tds:SystemRebootResponse>"
        raise KeyError(op)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = (await request.read()).decode()
        m = re.search(r"<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)", body)
        op = m.group(1) if m else "?"
        self.seen[op] += 1
        authless = op == "GetSystemDateAndTime" and self.mode != "axis"
        if self.mode == "hang":
            await asyncio.sleep(3600)
        if self.mode == "digest" and not authless and not self.digest_ok(request):
            if "Authorization" in request.headers:
                self.logins_failed += 1
            return web.Response(
                status=401,
                text="<html><body>401 Unauthorized</body></html>",
                content_type="text/html",
                headers={
                    "WWW-Authenticate": 'Digest realm="cam", qop="auth", nonce="abc123", algorithm=MD5'
                },
            )
        if self.mode != "digest" and not authless and not self.wsse_ok(body):
            self.logins_failed += 1
            return self.soap(
                FAULT.format(code="ter:NotAuthorized", reason="Sender not Authorized"), 400
            )
        if self.mode == "old" and op == "GetServices":
            return self.soap(
                FAULT.format(
                    code="ter:ActionNotSupported", reason="Optional Action Not Implemented"
                ),
                500,
            )
        if self.mode == "fault" and not authless:
            return self.soap(
                FAULT.format(
                    code="ter:ActionNotSupported", reason="Optional Action Not Implemented"
                ),
                500,
            )
        if op == "SetSystemDateAndTime":
            y = [
                int(v)
                for v in re.findall(r"<(?:\w+:)?(?:Year|Month|Day|Hour|Minute|Second)>(\d+)<", body)
            ]
            self.set_clock = (
                datetime(y[3], y[4], y[5], y[0], y[1], y[2], tzinfo=UTC) if len(y) == 6 else None
            )
        if not authless and op == "GetDeviceInformation" and self.mode == "html500":
            return web.Response(
                status=500, text="<html><h1>Internal Error", content_type="text/html"
            )
        if (
            not authless
            and op == "GetDeviceInformation"
            and self.mode in ("huge", "bomb", "garbage", "drip")
        ):
            return await self.hostile(request)
        return self.soap(self.reply(op))

    async def hostile(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "garbage":
            return web.Response(
                body=b"\x00\xffHTTP garbage <<<>>> not xml at all",
                content_type="application/soap+xml",
            )
        if self.mode == "bomb":
            lol = (
                '<!DOCTYPE lolz [<!ENTITY lol "lol">'
                + "".join(
                    f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i else "")) * 10}">'
                    for i in range(1, 10)
                )
                + "]>"
            )
            return web.Response(
                body=f'<?xml version="1.0"?>{lol}<lolz>&lol9;</lolz>'.encode(),
                content_type="application/soap+xml",
            )
        resp = web.StreamResponse(headers={"Content-Type": "application/soap+xml"})
        if self.mode == "huge":  # 50 MB, chunked (no Content-Length to refuse up front)
            await resp.prepare(request)
            chunk = b"<a>" + b"x" * (1 << 20) + b"</a>"
            for _ in range(50):
                await resp.write(chunk)  # raises once the client hangs up
                self.huge_sent += 1
            await resp.write_eof()
            return resp
        await resp.prepare(request)  # drip: one byte every 50 ms, forever
        payload = ENV.format(self.reply("GetDeviceInformation")).encode()
        for i in range(len(payload)):
            await resp.write(payload[i : i + 1])
            await asyncio.sleep(0.05)
        return resp

    @staticmethod
    def soap(inner: str, status: int = 200) -> web.Response:
        return web.Response(
            status=status, body=ENV.format(inner).encode(), content_type="application/soap+xml"
        )


@pytest.fixture
async def serve() -> AsyncIterator:
    runners: list[web.AppRunner] = []

    async def start(cam: FakeCamera, tls: ssl.SSLContext | None = None) -> Camera:
        app = web.Application()
        app.router.add_post("/{tail:.*}", cam.handle)
        runner = web.AppRunner(
            app, handle_signals=False, handler_cancellation=True, shutdown_timeout=0.1
        )
        await runner.setup()
        site = web.TCPSite(runner, cam.host, 0, ssl_context=tls)
        await site.start()
        runners.append(runner)
        cam.port = runner.addresses[0][1]
        return Camera(name="cam", host=cam.host, site="test", port=cam.port, https=tls is not None)

    yield start
    for runner in runners:
        await runner.cleanup()


CRED = Credential("fleet", USER, Secret(PASSWORD))


def assert_no_secret(probe: object) -> None:
    assert PASSWORD not in repr(probe)
    assert "s3cr" not in repr(probe)


async def test_healthy_camera_full_probe(serve) -> None:
    cam = FakeCamera(mode="ok", clock_offset_s=0)
    probe = await onvif.probe_onvif(
        await serve(cam), CRED, timeout_s=5, want_config=True, all_stream_uris=True
    )
    assert probe.ok, probe.error
    assert probe.answered and probe.auth_method == "wsse"
    assert probe.device is not None and probe.device.manufacturer == "HIKVISION"
    assert probe.device.firmware == "V5.7.3 build 220112"
    assert "http://www.onvif.org/ver10/media/wsdl" in probe.services
    assert [p.token for p in probe.profiles] == ["Profile_1", "Profile_2"]
    main = probe.profiles[0]
    assert main.encoder is not None
    assert (main.encoder.encoding, main.encoder.width, main.encoder.height) == ("H264", 2688, 1520)
    assert (main.encoder.fps, main.encoder.bitrate_kbps, main.encoder.gop) == (25.0, 4096.0, 50)
    # userinfo and credential query keys stripped; host pinned; RTSP port kept
    assert main.stream_uri == "rtsp://127.0.0.1:554/Streaming/Channels/101?transportmode=unicast"
    assert probe.hostname == "dt-cho-01"
    assert probe.ntp_servers == ("ntp1.example.vn", "10.20.0.5")
    assert probe.datetime_type == "NTP"
    assert probe.recordings is not None and probe.recordings[0].token == "Recording_1"
    assert probe.recordings[0].job_state == "Active"
    assert probe.profiles[1].stream_uri is not None


async def test_health_probe_asks_only_what_it_judges(serve) -> None:
    cam = FakeCamera(mode="ok", clock_offset_s=0)
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok, probe.error
    ops = [op for op, _ in probe.calls]
    assert "GetHostname" not in ops and "GetNTP" not in ops
    assert ops.count("GetStreamUri") == 1  # the main profile's: the one the stream probe plays
    assert probe.profiles[0].stream_uri is not None and probe.profiles[1].stream_uri is None
    assert probe.hostname is None and probe.ntp_servers is None
    assert probe.recordings[0].data_until is not None
    assert probe.clock_offset_s is not None and abs(probe.clock_offset_s) < 2
    ops = [op for op, _ in probe.calls]
    assert ops[:3] == ["GetSystemDateAndTime", "GetDeviceInformation", "GetServices"]
    assert probe.slowest_ms == max(ms for _, ms in probe.calls)
    assert_no_secret(probe)


async def test_clock_skew_is_measured_and_auth_still_works(serve) -> None:
    cam = FakeCamera(mode="ok", clock_offset_s=-4 * 3600 + 17)  # hours behind: Created must follow
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert probe.clock_offset_s is not None and abs(probe.clock_offset_s - cam.clock_offset_s) < 2
    assert cam.logins_failed == 0


async def test_clock_jump_between_calls_remeasures_and_retries_once(serve) -> None:
    cam = FakeCamera(mode="ok")
    camera = await serve(cam)
    orig = cam.reply

    def jumping(op: str) -> str:  # the camera steps its clock right after answering the time
        out = orig(op)
        if op == "GetSystemDateAndTime" and cam.seen[op] == 1:
            cam.clock_offset_s = 900
        return out

    cam.reply = jumping  # type: ignore[method-assign]
    probe = await onvif.probe_onvif(camera, CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert cam.seen["GetSystemDateAndTime"] == 2 and cam.logins_failed == 1
    assert probe.clock_offset_s is not None and abs(probe.clock_offset_s - 900) < 2


async def test_garbage_clock_does_not_break_the_probe(serve) -> None:
    cam = FakeCamera(mode="garbage_date", window_s=3600)
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert probe.clock_offset_s is None  # month 13, hour 25: not invented


async def test_wrong_credentials_is_auth_without_secret(serve) -> None:
    cam = FakeCamera(mode="ok")
    bad = Credential("fleet", USER, Secret("wrong-password-123"))
    probe = await onvif.probe_onvif(await serve(cam), bad, timeout_s=5)
    assert not probe.ok and probe.failure is Failure.AUTH
    assert probe.answered and probe.clock_offset_s is not None
    assert "wrong-password-123" not in repr(probe)
    assert cam.logins_failed == 2  # the attempt and its one retry after re-measuring


async def test_axis_authenticates_even_the_clock(serve) -> None:
    cam = FakeCamera(mode="axis", clock_offset_s=3)
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert probe.clock_offset_s is not None and abs(probe.clock_offset_s - 3) < 2


async def test_http_digest_camera(serve) -> None:
    cam = FakeCamera(mode="digest")
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert probe.auth_method == "digest"
    assert cam.logins_failed == 0


async def test_http_digest_wrong_password_is_auth(serve) -> None:
    cam = FakeCamera(mode="digest")
    bad = Credential("fleet", USER, Secret("nope-nope"))
    probe = await onvif.probe_onvif(await serve(cam), bad, timeout_s=5)
    assert probe.failure is Failure.AUTH, probe.error


async def test_nat_camera_addresses_are_pinned(serve) -> None:
    # The camera reports 127.254.0.9 (never bound): following it would fail or leak credentials.
    cam = FakeCamera(mode="nat", reported_host="127.254.0.9")
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5, all_stream_uris=True)
    assert probe.ok, probe.error
    assert cam.seen["GetProfiles"] == 1  # the media service was reached on the inventory address
    assert all(
        p.stream_uri and p.stream_uri.startswith("rtsp://127.0.0.1:554/") for p in probe.profiles
    )


@pytest.mark.parametrize(
    ("mode", "failure"),
    [
        ("fault", Failure.PROTOCOL),
        ("garbage", Failure.MALFORMED),
        ("bomb", Failure.MALFORMED),
        ("huge", Failure.OVERSIZED),
    ],
)
async def test_hostile_replies_become_failures(serve, mode: str, failure: Failure) -> None:
    cam = FakeCamera(mode=mode)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.failure is failure, probe.error
    assert probe.answered and probe.error and "127.0.0.1" in probe.error
    assert_no_secret(probe)
    if mode == "huge":  # capped at 2 MB: the client hung up early; the 50 MB never sat in memory
        assert cam.huge_sent < 20  # the cap plus what socket buffers hold
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 40_000  # KiB


async def test_an_html_500_on_one_optional_call_does_not_end_the_probe(serve) -> None:
    # Old firmware answers GetDeviceInformation with an HTML error page: identity unknown, the
    # rest of the conversation (which proves the login) goes on.
    cam = FakeCamera(mode="html500")
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok and probe.failure is None, probe.error
    assert probe.unsupported == ("GetDeviceInformation",) and probe.device is None
    assert probe.profiles and probe.profiles[0].stream_uri


async def test_known_missing_calls_are_not_asked(serve) -> None:
    cam = FakeCamera(mode="old")  # GetServices: ActionNotSupported
    camera = await serve(cam)
    first = await onvif.probe_onvif(camera, CRED, timeout_s=5)
    assert first.ok and first.unsupported == ("GetServices",), first.error
    again = await onvif.probe_onvif(
        camera, CRED, timeout_s=5, skip=frozenset({"GetServices", "GetSystemDateAndTime"})
    )
    assert again.ok and set(again.unsupported) == {"GetServices", "GetSystemDateAndTime"}
    assert cam.seen["GetServices"] == 1 and cam.seen["GetSystemDateAndTime"] == 1
    assert again.clock_offset_s is None and again.profiles


@pytest.mark.parametrize("mode", ["drip", "hang"])
async def test_drip_and_hang_end_at_the_deadline(serve, mode: str) -> None:
    cam = FakeCamera(mode=mode)
    camera = await serve(cam)
    loop = asyncio.get_running_loop()
    start = loop.time()
    probe = await onvif.probe_onvif(camera, CRED, timeout_s=0.8)
    elapsed = loop.time() - start
    assert probe.failure is Failure.TIMEOUT
    assert elapsed < 0.8 + 1.0  # the deadline, not the library's 90 s read timeout
    # hang: not even the clock answered; drip: the clock did, then a reply never completed
    assert probe.answered is (mode == "drip")


async def test_refused_and_deadline_unreachable() -> None:
    refused = Camera(name="r", host="127.253.0.7", site="t", port=9)
    probe = await onvif.probe_onvif(refused, CRED, timeout_s=2)
    assert probe.failure is Failure.REFUSED and not probe.answered


async def test_try_login_is_one_attempt(serve) -> None:
    cam = FakeCamera(mode="ok")
    camera = await serve(cam)
    assert await onvif.try_login(camera, USER, PASSWORD, timeout_s=3) is True
    assert await onvif.try_login(camera, "admin", "12345", timeout_s=3) is False
    assert cam.logins_failed == 1  # one wrong attempt, no retry
    assert (
        await onvif.try_login(
            Camera(name="x", host="127.253.0.8", site="t", port=9), "admin", "12345", timeout_s=2
        )
        is None
    )


async def test_try_login_digest_is_one_attempt(serve) -> None:
    cam = FakeCamera(mode="digest")
    camera = await serve(cam)
    assert await onvif.try_login(camera, "admin", "12345", timeout_s=3) is False
    assert cam.logins_failed == 1


async def test_sync_time_and_reboot(serve) -> None:
    cam = FakeCamera(mode="ok", clock_offset_s=7200)
    camera = await serve(cam)
    assert await onvif.sync_time(camera, CRED, timeout_s=3) is None
    assert (
        cam.set_clock is not None and abs((cam.set_clock - datetime.now(UTC)).total_seconds()) < 3
    )
    assert await onvif.reboot(camera, CRED, timeout_s=3) is None
    assert cam.seen["SystemReboot"] == 1
    bad = Credential("fleet", USER, Secret("nope-nope"))
    error = await onvif.reboot(camera, bad, timeout_s=3)
    assert error is not None and "NotAuthorized" in error and "nope" not in error


async def test_old_firmware_falls_back_to_capabilities(serve) -> None:
    cam = FakeCamera(mode="old")
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert cam.seen["GetServices"] == 1 and cam.seen["GetCapabilities"] == 1
    assert (
        len(probe.profiles) == 2 and probe.recordings and probe.recordings[0].job_state == "Active"
    )


async def test_wsdl_parsed_once_and_one_pool_for_the_fleet(serve, monkeypatch) -> None:
    from fleetctl.adapters.http.client import Pool
    from fleetctl.adapters.onvif import zeep_client as onvif_session

    parses: list[str] = []
    real = onvif_session._cached_document

    async def counting(url: str) -> object:
        parses.append(url)
        return await real(url)

    monkeypatch.setattr(onvif_session, "_documents", {})
    monkeypatch.setattr(onvif_session, "_cached_document", counting)
    cams = [FakeCamera(mode="ok") for _ in range(4)]
    cameras = [await serve(c) for c in cams]
    # The health probe speaks without WSDLs: 20 cameras, not one parse.
    pool = Pool(per_host=2)
    probes = await asyncio.gather(
        *(onvif.probe_onvif(cameras[i % 4], CRED, timeout_s=10, pool=pool) for i in range(20))
    )
    assert all(p.ok for p in probes), [p.error for p in probes if not p.ok]
    assert parses == []
    # zeep's callers, cold caches, 20 at once: one parse per WSDL, not twenty.
    await asyncio.gather(*(onvif.load_wsdls(True) for _ in range(20)))
    assert sorted(u.rsplit("/", 1)[-1] for u in parses) == [
        "devicemgmt.wsdl",
        "media.wsdl",
        "recording.wsdl",
        "search.wsdl",
    ]
    # One pool for the fleet: the caller's, shared by every probe (not one per conversation).
    assert 4 <= pool.connects < 20 and not pool.closed
    await pool.close()


def test_a_health_check_never_imports_zeep() -> None:
    import subprocess
    import sys

    code = (
        "import sys, fleetctl.engine.check.runner, fleetctl.adapters.onvif.client, fleetctl.engine.check.probing;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('zeep', 'onvif')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_media2_only_camera(serve) -> None:
    cam = FakeCamera(mode="media2only")
    probe = await onvif.probe_onvif(await serve(cam), CRED, timeout_s=5)
    assert probe.ok, probe.error
    (main,) = probe.profiles
    assert (
        main.token == "Profile_000"
        and main.stream_uri == "rtsp://127.0.0.1:554/Streaming/Channels/101"
    )
    assert main.encoder is not None
    assert (main.encoder.encoding, main.encoder.width, main.encoder.fps, main.encoder.gop) == (
        "H265",
        3840,
        20.0,
        60,
    )
    assert cam.seen["GetProfiles"] == 1 and cam.seen["GetStreamUri"] == 1


async def test_media2_fault_on_one_uri_leaves_it_unknown(serve, http_pool) -> None:
    cam = FakeCamera(mode="media2only")
    camera = await serve(cam)
    orig = cam.reply

    def faulting(op: str) -> str:
        if op == "GetStreamUri":
            return FAULT.format(code="ter:InvalidArgVal", reason="No such profile")
        return orig(op)

    cam.reply = faulting  # type: ignore[method-assign]
    probe = await onvif.probe_onvif(camera, CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert probe.profiles[0].stream_uri is None and probe.profiles[0].encoder is not None
    # ...and the fault itself is read as a SOAP fault (PROTOCOL), with its subcode in words.
    from fleetctl.adapters.onvif.media2 import _request
    from fleetctl.adapters.onvif.session import Conversation, OnvifCallError

    conv = Conversation(camera, CRED, max_bytes=100_000, read_timeout_s=5, pool=http_pool)
    conv.xaddrs["media2"] = conv.base + "/onvif/Media"
    with pytest.raises(OnvifCallError) as info:
        await conv.soap(_request("GetStreamUri", ProfileToken="x"), "media2")
    assert info.value.failure is Failure.PROTOCOL and "InvalidArgVal" in str(info.value)


async def test_https_camera_with_a_self_signed_certificate(serve, tmp_path) -> None:
    # Cameras ship self-signed certificates named after their factory IP: no verification,
    # the inventory address is what we trust.
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=192.168.1.64",
        ],
        check=True,
        capture_output=True,
    )
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    cam = FakeCamera(mode="ok")
    camera = await serve(cam, tls)
    probe = await onvif.probe_onvif(camera, CRED, timeout_s=5)
    assert probe.ok, probe.error
    assert cam.seen["GetProfiles"] == 1  # media service pinned to https://127.0.0.1:port too
