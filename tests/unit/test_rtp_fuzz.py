"""Hostile bytes: the parsers a camera feeds never raise anything but their documented errors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetctl.adapters.http.digest import choose, parse_challenges
from fleetctl.adapters.rtsp.rtp import VideoCounter
from fleetctl.adapters.rtsp.sdp import parse_sdp
from fleetctl.adapters.rtsp.sps import parse_sps
from fleetctl.adapters.rtsp.wire import RtspConnection, RtspFailure

FAST = settings(max_examples=150, deadline=None)


@FAST
@given(st.binary(max_size=200), st.sampled_from(["H264", "H265", "JPEG"]))
def test_counter_accepts_any_packet(data: bytes, codec: str) -> None:
    c = VideoCounter(codec)
    c.feed(data, 0, len(data))
    c.feed(b"\x80\x60" + data, 0, len(data) + 2)
    assert c.packets <= 2 and c.frames <= 2 and c.bytes <= 2 * len(data)


@FAST
@given(st.binary(max_size=64), st.sampled_from(["H264", "H265"]))
def test_sps_parser_returns_a_size_or_none(data: bytes, codec: str) -> None:
    size = parse_sps(data, codec)
    assert size is None or (size[0] > 0 and size[1] > 0)


@FAST
@given(st.text(max_size=300))
def test_challenge_and_sdp_parsers_never_raise(text: str) -> None:
    choose(parse_challenges([text]))
    parse_sdp(text)


# Pieces a camera really sends, to be cut and mixed with noise at random.
_PIECES = [
    b"RTSP/1.0 200 OK\r\nCSeq: 9\r\nContent-Length: 4\r\n\r\nv=0\n",
    b'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest nonce="x"\r\n\r\n',
    b"GET_PARAMETER rtsp://h/ RTSP/1.0\r\nCSeq: 3\r\n\r\n",
    b"$\x00\x00\x10\x80\xe0\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x65\x88\x84\x00",
    b"$\x01\x00\x08\x81\xc9\x00\x01\x00\x00\x00\x00",
    b"$\x00\xff\xff",
    b"Content-Length: 99999999\r\n",
    b"\r\n\r\n",
]


@FAST
@given(st.lists(st.one_of(st.binary(max_size=300), st.sampled_from(_PIECES)), max_size=12))
def test_demux_raises_only_rtsp_failures(chunks: list[bytes]) -> None:
    conn = RtspConnection(None, None, "127.16.0.1:554", None)  # type: ignore[arg-type]
    conn.counter, conn.video_channel = VideoCounter("H264"), 0
    for chunk in chunks:
        conn._buf += chunk
        try:
            conn.pump()
        except RtspFailure:
            break
