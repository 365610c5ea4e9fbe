"""The simulator's RTSP server on the wire: methods, Digest/Basic per flavour, paths, transports.

Raw bytes over loopback sockets (``RawRtsp``), so what is asserted is exactly what a camera
client would see.
"""

from __future__ import annotations

import base64
import re
import time

import pytest
from support.sim_media import (
    PASSWORD,
    USER,
    RawRtsp,
    challenge_params,
    digest,
    make_cam,
    rtsp_camera,
    url,
)

from fleetctl.sim.camera.model import SimCamera, Vendor


async def _describe(cam: SimCamera, **auth: str) -> tuple[int, int, str]:
    """Status of the unauthenticated DESCRIBE, of the answered one, and the challenge."""
    client = await RawRtsp.connect(cam)
    try:
        target = url(cam, userinfo=False)
        first = await client.request("DESCRIBE", target)
        challenge = first.headers.get("www-authenticate", "")
        second = await client.request(
            "DESCRIBE", target, digest(challenge, "DESCRIBE", target, **auth)
        )
        return first.status, second.status, challenge
    finally:
        await client.close()


async def test_options_needs_no_credentials() -> None:
    cam = make_cam()
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        reply = await client.request("OPTIONS", url(cam, userinfo=False))
        await client.close()
    assert reply.status == 200
    assert {"DESCRIBE", "SETUP", "PLAY", "TEARDOWN", "GET_PARAMETER"} <= {
        m.strip() for m in reply.headers["public"].split(",")
    }


@pytest.mark.parametrize(
    ("vendor", "realm"),
    [
        (Vendor.HIKVISION, r"IP Camera\(\d{5}\)"),
        (Vendor.DAHUA, r"Login to SN\d+"),
        (Vendor.AXIS, r"AXIS_ACCC8E[0-9A-F]{6}"),
        (Vendor.GENERIC, r"LIVE555 Streaming Media"),
    ],
)
async def test_digest_401_then_200_with_vendor_realm(vendor: Vendor, realm: str) -> None:
    cam = make_cam(vendor)
    async with rtsp_camera(cam):
        first, second, challenge = await _describe(cam)
    assert (first, second) == (401, 200)
    assert challenge.startswith("Digest ")
    assert re.fullmatch(realm, challenge_params(challenge)["realm"])


async def test_wrong_password_gets_a_second_401() -> None:
    cam = make_cam()
    async with rtsp_camera(cam):
        first, second, _ = await _describe(cam, password="not-" + PASSWORD)
        _, unknown_user, _ = await _describe(cam, user="nobody")
    assert (first, second, unknown_user) == (401, 401, 401)


async def test_digest_uri_must_equal_the_request_uri() -> None:
    cam = make_cam()
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        target = url(cam, userinfo=False)
        challenge = (await client.request("DESCRIBE", target)).headers["www-authenticate"]
        other = target.replace("101", "102")  # a valid response, computed for another URI
        reply = await client.request("DESCRIBE", target, digest(challenge, "DESCRIBE", other))
        await client.close()
    assert reply.status == 401


@pytest.mark.parametrize(("vendor", "status"), [(Vendor.AXIS, 200), (Vendor.HIKVISION, 401)])
async def test_basic_only_where_the_flavour_offers_it(vendor: Vendor, status: int) -> None:
    cam = make_cam(vendor)
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        target = url(cam, userinfo=False)
        challenge = (await client.request("DESCRIBE", target)).headers["www-authenticate"]
        reply = await client.request("DESCRIBE", target, {"Authorization": f"Basic {token}"})
        await client.close()
    assert ("Basic realm=" in challenge) == (vendor is Vendor.AXIS)
    assert reply.status == status


async def test_dahua_rejects_requests_without_user_agent() -> None:
    cam = make_cam(Vendor.DAHUA)
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        target = url(cam, userinfo=False)
        challenge = (await client.request("DESCRIBE", target)).headers["www-authenticate"]
        auth = digest(challenge, "DESCRIBE", target)
        bare = await client.request("DESCRIBE", target, auth, user_agent=False)
        polite = await client.request("DESCRIBE", target, auth)
        await client.close()
    # Good credentials, refused for want of a User-Agent: a quirk of some firmware.
    assert (bare.status, polite.status) == (401, 200)


async def test_describe_sdp_and_content_base() -> None:
    cam = make_cam(Vendor.DAHUA, sub=(704, 576, 15.0, 512))
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        target = url(cam, 1, userinfo=False) + "&unicast=true&proto=Onvif"
        challenge = (await client.request("DESCRIBE", target)).headers["www-authenticate"]
        reply = await client.request("DESCRIBE", target, digest(challenge, "DESCRIBE", target))
        await client.close()
    sdp = reply.body.decode()
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/sdp"
    assert reply.headers["content-base"] == target + "/"
    assert "a=rtpmap:96 H264/90000" in sdp
    fmtp = re.search(r"a=fmtp:96 (\S+)", sdp)
    assert fmtp is not None
    params = dict(p.split("=", 1) for p in fmtp.group(1).split(";"))
    assert params["packetization-mode"] == "1"
    sps, pps = (base64.b64decode(v) for v in params["sprop-parameter-sets"].split(","))
    assert (sps[0] & 0x1F, pps[0] & 0x1F) == (7, 8)
    assert params["profile-level-id"] == sps[1:4].hex().upper()
    assert "a=control:trackID=0" in sdp and "b=AS:512" in sdp and "a=framerate:15" in sdp


async def test_unknown_path_is_404_and_udp_is_461() -> None:
    cam = make_cam()
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        base = url(cam, userinfo=False)
        challenge = (await client.request("DESCRIBE", base)).headers["www-authenticate"]
        missing = base.replace("101", "909")
        not_found = await client.request(
            "DESCRIBE", missing, digest(challenge, "DESCRIBE", missing)
        )
        track = base + "/trackID=1"
        udp = await client.request(
            "SETUP",
            track,
            {
                **digest(challenge, "SETUP", track),
                "Transport": "RTP/AVP;unicast;client_port=5000-5001",
            },
        )
        await client.close()
    assert (not_found.status, udp.status) == (404, 461)


@pytest.mark.parametrize(
    ("vendor", "quirk", "granted", "channel"),
    [
        (Vendor.HIKVISION, None, "interleaved=0-1", 0),
        (Vendor.GENERIC, None, "interleaved=4-5", 4),  # live555-like flavour picks its own pair
        (Vendor.HIKVISION, "0", "interleaved=0;", 0),  # a bare channel, no RTCP pair
        (Vendor.AXIS, "2-3", "interleaved=2-3", 2),
    ],
)
async def test_rtp_arrives_on_the_granted_channel(
    vendor: Vendor, quirk: str | None, granted: str, channel: int
) -> None:
    cam = make_cam(vendor)
    cam.rtsp_interleaved = quirk
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        setup, play = await client.play(cam)
        got, _ = await client.frame()
        await client.close()
    assert granted in setup.headers["transport"] + ";"
    assert play.status == 200 and "rtptime=" in play.headers["rtp-info"]
    assert got == channel


async def test_session_is_checked_and_teardown_stops_the_stream() -> None:
    cam = make_cam()
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        setup, _ = await client.play(cam)
        session = setup.headers["session"].partition(";")[0]
        target = url(cam, userinfo=False)
        # A keep-alive without credentials is refused too: it hands us a fresh challenge.
        challenge = (await client.request("GET_PARAMETER", target)).headers["www-authenticate"]
        wrong = await client.request(
            "TEARDOWN", target, {**digest(challenge, "TEARDOWN", target), "Session": "BAD"}
        )
        down = await client.request(
            "TEARDOWN", target, {**digest(challenge, "TEARDOWN", target), "Session": session}
        )
        client.frames.clear()
        after = await client.request("OPTIONS", target)
        await client.close()
    assert (wrong.status, down.status, after.status) == (454, 200, 200)
    assert client.frames == []  # nothing was sent after the TEARDOWN reply
    assert cam.counters.rtsp_sessions == 1


async def test_client_rtcp_between_requests_is_skipped() -> None:
    cam = make_cam()
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        await client.play(cam)
        # An RTCP receiver report on channel 1, as FFmpeg sends: "$", channel, length, packet.
        report = bytes([0x81, 201, 0, 7]) + bytes(28)
        client.writer.write(b"$\x01" + len(report).to_bytes(2, "big") + report)
        reply = await client.request("OPTIONS", url(cam, userinfo=False))
        await client.close()
    assert reply.status == 200


async def test_oversized_request_head_gets_400_and_close() -> None:
    cam = make_cam()
    async with rtsp_camera(cam):
        client = await RawRtsp.connect(cam)
        client.writer.write(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Junk: " + b"a" * 20_000)
        head = await client.reader.readuntil(b"\r\n\r\n")
        rest = await client.reader.read()
        await client.close()
    assert head.startswith(b"RTSP/1.0 400 ") and rest == b""


async def test_a_locked_camera_refuses_good_credentials() -> None:
    cam = make_cam()
    cam.locked_until = time.monotonic() + 30  # what failed ONVIF logins did
    async with rtsp_camera(cam):
        locked = await _describe(cam)
        cam.locked_until = 0.0
        unlocked = await _describe(cam)
    assert locked[:2] == (401, 401) and unlocked[:2] == (401, 200)
