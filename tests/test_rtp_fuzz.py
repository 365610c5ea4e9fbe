"""Hostile bytes: the parsers a camera feeds never raise anything but their documented errors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetctl.adapters.digest import choose, parse_challenges
from fleetctl.adapters.rtp import VideoCounter, parse_sps
from fleetctl.adapters.rtsp_wire import RtspConnection, RtspFailure
from fleetctl.adapters.sdp import parse_sdp

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


@FAST
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_demux_raises_only_rtsp_failures(chunks: list[bytes]) -> None:
    conn = RtspConnection(None, None, "127.16.0.1:554", None)  # type: ignore[arg-type]
    conn.counter, conn.video_channel = VideoCounter("H264"), 0
    for chunk in chunks:
        conn._buf += chunk
        try:
            conn.pump()
        except RtspFailure:
            break
