"""Every injectable fault, as a client sees it; and the --faults spec and its assignment."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from lxml import etree
from support.ids import cell
from support.sim_soap import SAFE, call, envelope

from fleetctl.core.models import Credential
from fleetctl.core.secret import Secret
from fleetctl.sim.camera import faults as faultlib
from fleetctl.sim.camera.model import FAULTS
from fleetctl.sim.fleet import SimFleet

# Camera index -> fault, on vendors where the fault is observable (sim/fleet.py VENDOR_CYCLE:
# H at 0 2 5 7 9 14 18 20 22 25, D at 1 3 6 10 12 15 19 21 23 26, A at 4 13 24).
PLACEMENT = {
    1: "offline",
    2: "hang",
    3: "slow",
    4: "drip",
    5: "vulnerable_firmware",
    6: "soap_fault",
    7: "malformed_xml",
    8: "basic_only",
    9: "huge_reply",
    10: "entity_bomb",
    0: "short_retention",
    12: "wrong_credentials",
    13: "factory_password",
    14: "clock_drift",
    15: "clock_skew",
    18: "storage_full",
    19: "storage_failed",
    20: "recording_stopped",
    21: "storage_unformatted",
    22: "rtsp_down",
    23: "no_video",
    24: "frozen",
    25: "low_fps",
    26: "flapping",
    27: "web_hang",
    28: "partial_onvif",
    29: "picture_black",
    30: "picture_flat",
    31: "picture_blurred",
}


def test_placement_covers_the_whole_catalogue() -> None:
    assert sorted(PLACEMENT.values()) == sorted(FAULTS)


@pytest.fixture
async def fleet() -> AsyncIterator[SimFleet]:
    f = SimFleet(
        cameras=32, seed=5, discovery=False, assign={i: {name} for i, name in PLACEMENT.items()}
    )
    by_fault = {name: f.cameras[i] for i, name in PLACEMENT.items()}
    by_fault["slow"].fault_params["slow_s"] = 0.3
    by_fault["drip"].fault_params["drip_s"] = 0.05
    by_fault["flapping"].fault_params.update(flap_up_s=0.2, flap_down_s=0.3)
    async with f:
        yield f


def cam_with(fleet: SimFleet, fault: str) -> tuple[str, int]:
    cam = next(c for c in fleet.cameras if fault in c.faults)
    return cam.host, cam.onvif_port


async def test_offline_refuses_every_port(fleet: SimFleet) -> None:
    cam = fleet.cameras[1]
    for port in (cam.onvif_port, cam.rtsp_port):
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(cam.host, port)


async def test_hang_accepts_and_never_answers(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "hang")
    reader, writer = await asyncio.open_connection(host, port)
    body = envelope("<tds:GetSystemDateAndTime/>")
    writer.write(
        f"POST /onvif/device_service HTTP/1.1\r\nHost: {host}\r\nContent-Length: "
        f"{len(body)}\r\n\r\n".encode()
        + body
    )
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.5)
    writer.close()


async def test_web_hang_never_answers_http_while_the_video_flows(fleet: SimFleet) -> None:
    from fleetctl.adapters.rtsp.client import probe_stream

    cam = next(c for c in fleet.cameras if c.has("web_hang"))
    task = asyncio.create_task(call(cam.host, cam.onvif_port, "<tds:GetSystemDateAndTime/>"))
    done, _ = await asyncio.wait({task}, timeout=0.5)
    assert not done
    task.cancel()
    user, password = fleet.credentials
    uri = f"rtsp://{cam.host}:{cam.rtsp_port}{cam.profiles[0].stream_path}"
    probe = await probe_stream(
        uri, Credential("fleet", user, Secret(password)), window_s=0.3, timeout_s=5.0
    )
    assert probe.ok and probe.frames > 0


@pytest.mark.parametrize(
    ("quirks", "op", "status", "words"),
    [
        # ActionNotSupported is env:Receiver (HTTP 500) in ONVIF; NotAuthorized is env:Sender.
        ({"no_clock"}, "<tds:GetSystemDateAndTime/>", 500, b"ActionNotSupported"),
        ({"clock_needs_auth"}, "<tds:GetSystemDateAndTime/>", 400, b"NotAuthorized"),
        ({"no_services"}, "<tds:GetServices/>", 500, b"ActionNotSupported"),
        ({"soap11"}, "<tds:GetSystemDateAndTime/>", 200, b"schemas.xmlsoap.org/soap/envelope"),
    ],
    ids=cell,
)
async def test_partial_onvif_leaves_calls_out_as_old_firmware_does(
    fleet: SimFleet, quirks: set[str], op: str, status: int, words: bytes
) -> None:
    cam = fleet.cameras[0]
    cam.onvif_quirks = quirks
    try:
        user, password = fleet.credentials
        authed = {"user": user, "password": password} if op != _CLOCK else {}
        reply = await call(cam.host, cam.onvif_port, op, **authed)  # type: ignore[arg-type]
    finally:
        cam.onvif_quirks = set()
    assert reply.status == status and words in reply.body, reply.body[:300]


_CLOCK = "<tds:GetSystemDateAndTime/>"


async def test_partial_onvif_device_information_is_an_html_500(fleet: SimFleet) -> None:
    cam = next(c for c in fleet.cameras if c.has("partial_onvif"))
    assert cam.onvif_quirks and cam.firmware.startswith("V2.")  # a firmware of its own
    cam.onvif_quirks = {"no_device_info"}
    user, password = fleet.credentials
    reply = await call(
        cam.host, cam.onvif_port, "<tds:GetDeviceInformation/>", user=user, password=password
    )
    assert reply.status == 500 and reply.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("fault", ["picture_black", "picture_flat", "picture_blurred"])
async def test_picture_faults_stream_a_healthy_stream_of_an_unusable_picture(
    fleet: SimFleet, fault: str
) -> None:
    from fleetctl.adapters.rtsp.client import probe_stream

    cam = next(c for c in fleet.cameras if c.has(fault))
    user, password = fleet.credentials
    uri = f"rtsp://{cam.host}:{cam.rtsp_port}{cam.profiles[0].stream_path}"
    probe = await probe_stream(
        uri, Credential("f", user, Secret(password)), window_s=0.5, timeout_s=5.0, keyframe=True
    )
    assert probe.ok and probe.frames > 5 and probe.distinct_payloads > probe.frames // 2
    assert probe.keyframe is not None and probe.width == 640  # the picture clip's own size


async def test_slow_answers_but_late(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "slow")
    task = asyncio.create_task(call(host, port, "<tds:GetSystemDateAndTime/>"))
    done, _ = await asyncio.wait({task}, timeout=0.1)
    assert not done  # slow_s is 0.3 here (2.5 s by default)
    assert (await task).status == 200


async def test_drip_trickles_bytes_and_never_completes_in_time(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "drip")
    got = b""
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await call(host, port, "<tds:GetSystemDateAndTime/>", timeout=10)
    reader, writer = await asyncio.open_connection(host, port)
    body = envelope("<tds:GetSystemDateAndTime/>")
    writer.write(
        f"POST /onvif/device_service HTTP/1.1\r\nHost: {host}\r\nContent-Length: "
        f"{len(body)}\r\n\r\n".encode()
        + body
    )
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1.0):
            while True:
                got += await reader.read(100)
    writer.close()
    assert (
        1 <= len(got) < 50
    )  # one byte per 50 ms: ~20 in the second, the reply is ~1,500 and b"HTTP/1.1 200 OK".startswith(got[:15])


async def test_soap_fault_on_authenticated_calls_only(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "soap_fault")
    user, pw = fleet.credentials
    assert (await call(host, port, "<tds:GetSystemDateAndTime/>")).status == 200
    reply = await call(host, port, "<tds:GetDeviceInformation/>", user=user, password=pw)
    assert reply.status == 500 and reply.find("env:Fault/env:Code/env:Value") == "SOAP-ENV:Receiver"


async def test_malformed_xml_does_not_parse(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "malformed_xml")
    reply = await call(host, port, "<tds:GetSystemDateAndTime/>")
    assert reply.status == 200 and reply.body.startswith(b"<?xml")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(reply.body, SAFE)


async def test_huge_reply_announces_50_mb_and_the_camera_survives_a_client_hanging_up(
    fleet: SimFleet,
) -> None:
    host, port = cam_with(fleet, "huge_reply")
    reply = await call(host, port, "<tds:GetSystemDateAndTime/>", cap=1 << 20)
    assert int(reply.headers["Content-Length"]) > 50_000_000
    assert len(reply.body) == 1 << 20 and b"<tds:Manufacturer>AAAA" in reply.body
    again = await call(host, port, "<tds:GetSystemDateAndTime/>", cap=64)
    assert again.status == 200


async def test_entity_bomb_carries_a_billion_laughs_dtd(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "entity_bomb")
    reply = await call(host, port, "<tds:GetSystemDateAndTime/>")
    assert b"<!DOCTYPE" in reply.body and reply.body.count(b"<!ENTITY") == 10
    assert len(reply.body) < 4096  # small on the wire: the damage is in expanding it
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        reply.xml()  # libxml2 refuses to expand it even with entity resolution off


async def test_wrong_credentials_and_factory_password(fleet: SimFleet) -> None:
    user, pw = fleet.credentials
    host, port = cam_with(fleet, "wrong_credentials")
    reply = await call(host, port, "<tds:GetDeviceInformation/>", user=user, password=pw)
    assert reply.fault_subcode() == "NotAuthorized"
    cam = fleet.cameras[13]
    reply = await call(
        cam.host,
        cam.onvif_port,
        "<tds:GetDeviceInformation/>",
        user=cam.factory_user,
        password=cam.factory_password,
    )
    assert reply.status == 200 and reply.find("tds:Manufacturer") == "AXIS"
    healthy = fleet.cameras[0]
    reply = await call(
        healthy.host,
        healthy.onvif_port,
        "<tds:GetDeviceInformation/>",
        user=healthy.factory_user,
        password=healthy.factory_password,
    )
    assert reply.fault_subcode() == "NotAuthorized"


@pytest.mark.parametrize(
    ("fault", "low", "high"), [("clock_drift", 7000, 9 * 3600 + 5), ("clock_skew", 55, 205)]
)
async def test_clock_faults_show_in_get_system_date_and_time(
    fleet: SimFleet, fault: str, low: float, high: float
) -> None:
    host, port = cam_with(fleet, fault)
    reply = await call(host, port, "<tds:GetSystemDateAndTime/>")
    y, mo, d, h, mi, s = (
        int(reply.find(f"tt:UTCDateTime/tt:{p}") or 0)
        for p in (
            "Date/tt:Year",
            "Date/tt:Month",
            "Date/tt:Day",
            "Time/tt:Hour",
            "Time/tt:Minute",
            "Time/tt:Second",
        )
    )
    offset = datetime(y, mo, d, h, mi, s, tzinfo=UTC).timestamp() - datetime.now(UTC).timestamp()
    assert low <= abs(offset) <= high


async def _get(fleet: SimFleet, fault: str, path: str) -> bytes:
    host, port = cam_with(fleet, fault)
    user, pw = fleet.credentials
    digest = aiohttp.DigestAuthMiddleware(user, pw)
    async with (
        aiohttp.ClientSession(middlewares=(digest,)) as s,
        s.get(f"http://{host}:{port}{path}") as r,
    ):
        assert r.status == 200
        return await r.read()


async def test_storage_faults_in_the_vendor_apis(fleet: SimFleet) -> None:
    isapi = "/ISAPI/ContentMgmt/Storage"
    dahua = "/cgi-bin/storageDevice.cgi?action=getDeviceAllInfo"
    full = etree.fromstring(await _get(fleet, "storage_full", isapi), SAFE)
    assert full.findtext(".//{*}hdd/{*}status") == "ok"
    assert full.findtext(".//{*}hdd/{*}freeSpace") == "0"
    assert full.findtext(".//{*}hdd/{*}extension/{*}overwrite") == "false"
    failed = (await _get(fleet, "storage_failed", dahua)).decode()
    assert "list.info[0].State=Error" in failed and "IsError=true" in failed
    unformatted = (await _get(fleet, "storage_unformatted", dahua)).decode()
    assert "list.info[0].State=NotFormatted" in unformatted


async def test_recording_stopped_in_profile_g(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "recording_stopped")
    user, pw = fleet.credentials
    reply = await call(
        host,
        port,
        "<trc:GetRecordingJobState><trc:JobToken>RecordingJob_1"
        "</trc:JobToken></trc:GetRecordingJobState>",
        user=user,
        password=pw,
        path="/onvif/recording_service",
    )
    assert reply.find("trc:State/tt:State") == "Idle"
    reply = await call(
        host,
        port,
        "<tse:GetRecordingSummary/>",
        user=user,
        password=pw,
        path="/onvif/search_service",
    )
    until = datetime.fromisoformat(reply.find("tse:Summary/tt:DataUntil") or "")
    assert datetime.now(UTC).timestamp() - until.timestamp() > 3600


async def test_short_retention_in_the_profile_g_summary(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "short_retention")
    user, pw = fleet.credentials
    reply = await call(
        host,
        port,
        "<tse:GetRecordingSummary/>",
        user=user,
        password=pw,
        path="/onvif/search_service",
    )
    since = datetime.fromisoformat(reply.find("tse:Summary/tt:DataFrom") or "")
    until = datetime.fromisoformat(reply.find("tse:Summary/tt:DataUntil") or "")
    assert 1.9 * 86400 < (until - since).total_seconds() <= 2 * 86400


async def test_basic_only_offers_basic_alone_on_rtsp(fleet: SimFleet) -> None:
    from fleetctl.adapters.rtsp.client import probe_stream

    cam = next(c for c in fleet.cameras if "basic_only" in c.faults)
    user, password = fleet.credentials
    cred = Credential("fleet", user, Secret(password))
    uri = f"rtsp://{cam.host}:{cam.rtsp_port}{cam.profiles[0].stream_path}"
    refused = await probe_stream(uri, cred, window_s=0.2, timeout_s=10.0)
    assert refused.basic_only and not refused.ok
    assert cam.counters.basic_auth_headers == 0
    played = await probe_stream(uri, cred, window_s=0.2, timeout_s=10.0, allow_basic=True)
    assert played.ok and cam.counters.basic_auth_headers > 0


async def test_flapping_goes_down_and_comes_back(fleet: SimFleet) -> None:
    host, port = cam_with(fleet, "flapping")
    states: list[bool] = []
    async with asyncio.timeout(10):
        while states[-3:] != [True, False, True]:
            try:
                _, writer = await asyncio.open_connection(host, port)
                writer.close()
                up = True
            except OSError:  # refused; or reset when the listener closes mid-handshake
                up = False
            if not states or states[-1] != up:
                states.append(up)
            await asyncio.sleep(0.02)


async def test_stream_faults_as_an_rtsp_client_sees_them(fleet: SimFleet) -> None:
    from fleetctl.adapters.rtsp import client as rtsp

    user, pw = fleet.credentials
    cred = Credential("sim", user, Secret(pw))
    names = ("healthy", "rtsp_down", "no_video", "frozen", "low_fps")
    cams = [fleet.cameras[0]] + [fleet.cameras[i] for i in (22, 23, 24, 25)]
    probes = dict(
        zip(
            names,
            await asyncio.gather(
                *(
                    rtsp.probe_stream(
                        f"rtsp://{c.host}:{c.rtsp_port}{c.profiles[0].stream_path}",
                        cred,
                        window_s=0.8,
                        timeout_s=5,
                    )
                    for c in cams
                )
            ),
            strict=True,
        )
    )
    assert probes["healthy"].ok and probes["healthy"].distinct_payloads > 3
    assert not probes["rtsp_down"].ok and probes["rtsp_down"].stage == "connect"
    assert probes["no_video"].packets == 0
    assert probes["frozen"].frames > 3 and probes["frozen"].distinct_payloads <= 2
    configured = cams[4].profiles[0].encoder.fps
    low, healthy = probes["low_fps"].fps or 0, probes["healthy"].fps or 0
    assert 0 < low < configured / 2 and low < healthy


# -- the spec and the assignment (pure) --------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "preset", "rates", "counts"),
    [
        ("none", "none", {}, {}),
        ("", "none", {}, {}),
        ("every", "every", {}, {}),
        ("realistic", "realistic", {}, {}),
        ("offline=0.02,frozen=3", "", {"offline": 0.02}, {"frozen": 3}),
        ("hang", "", {}, {"hang": 1}),
        ("slow=1", "", {}, {"slow": 1}),
        ("slow=1.0", "", {"slow": 1.0}, {}),
    ],
    ids=["none", "empty", "every", "realistic", "rate-and-count", "bare-name", "count", "rate"],
)
def test_parse_spec(
    spec: str, preset: str, rates: dict[str, float], counts: dict[str, int]
) -> None:
    plan = faultlib.parse_spec(spec)
    assert (plan.preset, plan.rates, plan.counts) == (preset, rates, counts)


@pytest.mark.parametrize(
    "spec", ["bogus=1", "offline=-1", "offline=1.5", "offline=abc", "frozen=2.5"]
)
def test_parse_spec_refuses_with_a_reason(spec: str) -> None:
    with pytest.raises(ValueError, match=spec.split("=")[0]):
        faultlib.parse_spec(spec)


@pytest.mark.parametrize("cameras", [20, 40])  # every fault fits in 20 (lone ones need one each)
def test_every_puts_each_fault_somewhere_without_masking(cameras: int) -> None:
    fleet = SimFleet(cameras=cameras, faults="every", seed=3)
    seen = Counter(f for faults in fleet.injected.values() for f in faults)
    assert set(seen) == set(FAULTS)
    for faults in fleet.injected.values():
        if faults & faultlib.ALONE:
            assert len(faults) == 1
        families = [faultlib.FAMILIES[f] for f in faults if f not in faultlib.ALONE]
        assert len(families) == len(set(families))
    if cameras >= len(FAULTS):
        assert all(count == 1 for count in seen.values())


def test_realistic_is_about_a_tenth_of_a_district_and_repeatable() -> None:
    a = SimFleet(cameras=2000, faults="realistic", seed=9)
    b = SimFleet(cameras=2000, faults="realistic", seed=9)
    c = SimFleet(cameras=2000, faults="realistic", seed=10)
    # about a tenth: dull faults mostly, plus hung web servers and old firmware (partial ONVIF)
    assert 0.08 <= len(a.injected) / 2000 <= 0.13
    assert a.injected == b.injected and a.credentials == b.credentials
    assert a.injected != c.injected and a.credentials != c.credentials
    storage = [n for n, f in a.injected.items() if f & {"storage_failed", "storage_full"}]
    assert all(a.by_name(n).vendor.value in ("hikvision", "dahua") for n in storage)


def test_counts_are_exact_and_rates_round_stochastically() -> None:
    plan = faultlib.parse_spec("frozen=7,offline=0.5")
    cams = SimFleet(cameras=40, seed=2).cameras
    out = faultlib.assign(cams, plan, seed=2)
    seen = Counter(f for faults in out.values() for f in faults)
    assert seen == {"frozen": 7, "offline": 20}
    rng = random.Random(1)
    faultlib.apply(cams[0], {"wrong_credentials"}, rng, "fleetops")
    assert cams[0].users["fleetops"].password != SimFleet(cameras=40, seed=2).password
