"""SDP as cameras write it, control URL resolution, and userinfo stripping: pure."""

from __future__ import annotations

import pytest

from fleetctl.adapters.rtsp.sdp import parse_sdp, resolve_control
from fleetctl.adapters.rtsp.wire import strip_userinfo

# Hikvision DS-2CD2143G2-I (trimmed): session control "*", one video and one audio track.
HIKVISION = """v=0
o=- 1109162014219182 1109162014219192 IN IP4 0.0.0.0
s=Media Presentation
e=NONE
b=AS:5050
t=0 0
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
b=AS:5000
a=recvonly
a=x-dimensions:2688,1520
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z01AMpWgCoAv+WEAAAMAAQAAAwAyQgA=,aO48gA==
m=audio 0 RTP/AVP 8
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast
"""

# live555-based generic box: audio first, H.265, relative controls, \\n line ends.
LIVE555 = (
    "v=0\ns=H.265 Video, streamed by LIVE555\nt=0 0\na=control:*\n"
    "m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/8000\na=control:track2\n"
    "m=video 0 RTP/AVP 98\na=rtpmap:98 H265/90000\na=control:track1\n"
)

# An old MJPEG camera: static payload type 26, no rtpmap.
MJPEG = "v=0\r\ns=-\r\nm=video 0 RTP/AVP 26\r\na=control:track0\r\n"


def test_hikvision_sdp() -> None:
    session, (video,) = parse_sdp(HIKVISION)
    assert session == "rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast"
    assert (video.payload_type, video.codec) == (96, "H264")
    assert (
        video.control
        == "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast"
    )
    assert video.fmtp is not None and "sprop-parameter-sets=" in video.fmtp


def test_live555_sdp_skips_audio() -> None:
    session, (video,) = parse_sdp(LIVE555)
    assert session == "*" and (video.codec, video.control) == ("H265", "track1")


def test_static_payload_type() -> None:
    _, (video,) = parse_sdp(MJPEG)
    assert (video.payload_type, video.codec) == (26, "JPEG")


def test_no_video_and_garbage() -> None:
    assert parse_sdp("m=audio 0 RTP/AVP 0\r\n") == (None, [])
    assert parse_sdp("\x00\x01 not sdp\n=\n") == (None, [])


@pytest.mark.parametrize(
    ("base", "control", "want"),
    [
        (
            "rtsp://h/Streaming/Channels/101",
            "trackID=1",
            "rtsp://h/Streaming/Channels/101/trackID=1",
        ),
        (
            "rtsp://h/Streaming/Channels/101/",
            "trackID=1",
            "rtsp://h/Streaming/Channels/101/trackID=1",
        ),
        ("rtsp://h/live", "*", "rtsp://h/live"),
        ("rtsp://h/live", None, "rtsp://h/live"),
        ("rtsp://h/live", "rtsp://other/abs/track", "rtsp://other/abs/track"),
        (
            "rtsp://h/cam/realmonitor?channel=1&subtype=0/",
            "trackID=0",
            "rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=0",
        ),
    ],
    ids=["relative", "base-with-slash", "star", "none", "absolute", "base-with-query"],
)
def test_resolve_control(base: str, control: str | None, want: str) -> None:
    assert resolve_control(base, control) == want


@pytest.mark.parametrize(
    ("uri", "clean", "user", "pw"),
    [
        ("rtsp://h:554/x", "rtsp://h:554/x", None, None),
        ("rtsp://admin:p%40ss%3Aw%2Frd@h:554/x", "rtsp://h:554/x", "admin", "p@ss:w/rd"),
        ("rtsp://admin@h/x?a=b@c", "rtsp://h/x?a=b@c", "admin", None),
        ("rtsp://h/path@with-at", "rtsp://h/path@with-at", None, None),
    ],
    ids=["no-userinfo", "percent-encoded-password", "user-only", "at-in-path"],
)
def test_strip_userinfo(uri: str, clean: str, user: str | None, pw: str | None) -> None:
    assert strip_userinfo(uri) == (clean, user, pw)
