"""The fast RTP path counts exactly what the per-packet path counts.

``VideoCounter.feed_interleaved`` (one loop over a byte stream) and ``Receiver``'s in-place
counting in a shared receive buffer must give the same verdict inputs as ``VideoCounter.feed``
called once per packet: on the simulator's own streams (live, frozen, H.265, short GOP) cut at
random places, on hostile packets (hypothesis), and over real sockets with several connections
sharing the one receive buffer.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetctl.adapters.rtsp.recv import SHARED_BYTES, Receiver
from fleetctl.adapters.rtsp.rtp import VideoCounter
from fleetctl.adapters.rtsp.wire import RtspConnection
from fleetctl.sim.rtsp.h264 import Track, default_library

FIELDS = ("packets", "bytes", "seq_gaps", "frames", "keyframes", "distinct_payloads", "width")
SERVER_REQUEST = b"GET_PARAMETER rtsp://cam/ RTSP/1.0\r\nCSeq: 7\r\nSession: 1\r\n\r\n"


def state(c: VideoCounter) -> tuple[object, ...]:
    return (*(getattr(c, f) for f in FIELDS), c.height, c.media_seconds())


def sim_frames(track: Track, count: int, *, frozen: bool = False) -> Iterator[bytes]:
    """Interleaved frames as the simulator sends them, RTCP on channel 1 and a request from the
    server now and then (both must be skipped, neither counted)."""
    seq, ts = 65_500, 2**32 - 40_000  # both wrap within the stream
    for i in range(count):
        unit = track.units[0 if frozen else i % len(track.units)]
        yield bytes(unit.render(seq, ts, 0xCAFE))
        seq, ts = (seq + len(unit.offsets)) & 0xFFFF, (ts + 3600) & 0xFFFFFFFF
        if i % 7 == 3:
            yield b"$\x01\x00\x1c" + bytes([0x80, 200, 0, 6]) + bytes(24)  # RTCP sender report
        if i % 11 == 5:
            yield SERVER_REQUEST


def rtp_of(stream: bytes, channel: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of each RTP packet on ``channel`` (skipping RTSP messages by their blank line)."""
    pos = 0
    while pos < len(stream):
        if stream[pos] != 0x24:
            pos = stream.index(b"\r\n\r\n", pos) + 4
            continue
        end = pos + 4 + struct.unpack_from(">H", stream, pos + 2)[0]
        if stream[pos + 1] == channel:
            yield pos + 4, end
        pos = end


def per_packet(stream: bytes, codec: str) -> VideoCounter:
    c = VideoCounter(codec)
    for start, end in rtp_of(stream):
        c.feed(stream, start, end)
    return c


def cuts(data: bytes, seed: int) -> list[bytes]:
    """``data`` in reads of random sizes: single bytes, a few, whole frames, several frames."""
    rnd, out, pos = random.Random(seed), [], 0
    while pos < len(data):
        size = rnd.choice((1, 3, 17, 700, 1500, 9000, 60_000))
        out.append(data[pos : pos + size])
        pos += size
    return out


async def in_place(chunks: list[bytes], codec: str) -> VideoCounter:
    """Count ``chunks`` the way a measuring connection does: kernel -> shared buffer -> count."""
    loop = asyncio.get_running_loop()
    receiver = Receiver()
    conn = RtspConnection(receiver, None, "test", None, loop.time)
    conn.counter, conn.video_channel = VideoCounter(codec), 0
    task = asyncio.create_task(conn.stream(loop.time() + 60))
    await asyncio.sleep(0)  # stream() now counts in the receive callback
    for chunk in chunks:
        view = receiver.get_buffer(-1)
        view[: len(chunk)] = chunk  # what recv_into does
        receiver.buffer_updated(len(chunk))
    task.cancel()
    return conn.counter


def pumped(chunks: list[bytes], codec: str) -> VideoCounter:
    """Count ``chunks`` the way the handshake reads them: appended, then ``pump``."""
    conn = RtspConnection(None, None, "test", None)
    conn.counter, conn.video_channel = VideoCounter(codec), 0
    for chunk in chunks:
        conn.received(chunk)
        while conn.pump() is not None:
            pass
    return conn.counter


SHAPES = [
    # codec, width, height, kbps, fps, frozen: the shapes the fleet's profiles use
    ("H264", 2688, 1520, 4096, 25.0, False),
    ("H264", 2688, 1520, 4096, 25.0, True),
    ("H264", 640, 360, 512, 15.0, False),
    ("H265", 1920, 1080, 2048, 20.0, False),
    ("H265", 1920, 1080, 2048, 20.0, True),
]


@pytest.mark.parametrize(("codec", "w", "h", "kbps", "fps", "frozen"), SHAPES)
@pytest.mark.parametrize("seed", [1, 2])
async def test_sim_stream_counts_are_exact_in_every_path(
    codec: str, w: int, h: int, kbps: int, fps: float, frozen: bool, seed: int
) -> None:
    lib = default_library()
    clip = lib.clip_for(codec, w, h)
    track = lib.track(clip, kbps, fps, 0)
    frames = 60
    stream = b"".join(sim_frames(track, frames, frozen=frozen))
    sent = [track.units[0 if frozen else i % len(track.units)] for i in range(frames)]
    expected = (
        sum(len(u.offsets) for u in sent),
        sum(u.payload_bytes for u in sent),
        0,  # the sequence wraps 65535 -> 0 without a gap
        frames,
        sum(u.keyframe for u in sent),
        1 if frozen else frames,  # a stuck picture is one distinct frame
        clip.width,
        clip.height,
    )
    reference = per_packet(stream, codec)
    assert state(reference)[:8] == expected
    assert reference.media_seconds() == pytest.approx(frames / 25)  # 3600 ticks a frame
    chunks = cuts(stream, seed)
    assert state(await in_place(chunks, codec)) == state(reference)
    assert state(pumped(chunks, codec)) == state(reference)


async def test_a_64k_frame_over_three_reads() -> None:
    # The largest frame there is, cut so that the tail kept between reads grows to 64 KiB.
    lib = default_library()
    track = lib.track(lib.clip_for("H264", 640, 360), 512, 15.0, 0)
    body = bytes(track.units[1].render(1, 3600, 1))
    big = b"$\x00\xff\xf0" + bytes([0x80, 0x60, 0, 0]) + bytes(8) + b"\x0c" + bytes(65_520 - 13)
    stream = body + big + body
    assert len(big) + len(body) < SHARED_BYTES
    chunks = [body + big[:40_000], big[40_000:-1], big[-1:] + body]
    assert state(await in_place(chunks, "H264")) == state(per_packet(stream, "H264"))


class _Sink:
    """A sink whose unparsed tail is too long to be put in front of a read."""

    def __init__(self, tail: int) -> None:
        self.tail, self.got, self.in_place = bytearray(tail), bytearray(), 0

    def counting(self) -> bytearray | None:
        return self.tail

    def count_in_place(self, buf: bytearray, n: int) -> None:
        self.in_place += 1

    def received(self, data: bytes | bytearray | memoryview) -> None:
        self.got += data

    def ended(self, exc: Exception | None) -> None:
        pass


@pytest.mark.parametrize(("tail", "in_place"), [(1400, 1), (SHARED_BYTES // 2 + 1, 0)])
def test_a_tail_too_long_for_the_front_is_handed_over_not_counted_in_place(
    tail: int, in_place: int
) -> None:
    receiver, sink = Receiver(), _Sink(tail)
    receiver.attach(sink)
    view = receiver.get_buffer(-1)
    assert len(view) == SHARED_BYTES - (tail if in_place else 0)
    view[:5] = b"$\x00\x00\x01x"
    receiver.buffer_updated(5)
    assert (sink.in_place, bytes(sink.got)) == (in_place, b"" if in_place else b"$\x00\x00\x01x")


# Payload openings that steer the NAL code: FU-A/FU starts and continuations of IDR, non-IDR,
# filler and SPS; STAP-A/AP; single slices; H.265 IRAP; too short to hold an FU header.
HEADS = [
    b"\x7c\x85",
    b"\x7c\x05",
    b"\x7c\x81",
    b"\x7c\x41",
    b"\x7c\x8c",
    b"\x65\x88",
    b"\x41\x9a",
    b"\x67\x42\xc0\x1e\xd9\x00\xa0\x47\xfe\xc8",
    b"\x18\x00\x02\x65\x88\x00\x03\x41\x9a\x00",
    b"\x62\x01\x93",
    b"\x62\x01\x01",
    b"\x26\x01\xaf",
    b"\x02\x01\xd0",
    b"\x60\x01\x00\x03\x26\x01\xaf",
    b"\x1c",
    b"",
]


@st.composite
def hostile_stream(draw: st.DrawFn) -> bytes:
    out, seq, ts = bytearray(), draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 2**32 - 1))
    for _ in range(draw(st.integers(1, 25))):
        b0 = draw(st.sampled_from([0x80, 0x80, 0x80, 0x90, 0xA0, 0x81, 0x40, 0x00]))
        seq = (seq + draw(st.sampled_from([1, 1, 1, 2, 0, 40_000]))) & 0xFFFF
        ts = (ts + draw(st.sampled_from([0, 0, 3600, 7200, 2**31]))) & 0xFFFFFFFF
        marker = draw(st.booleans())
        pkt = bytearray(struct.pack(">BBHII", b0, 0x80 * marker | 96, seq, ts, 7))
        pkt += bytes(4 * (b0 & 0x0F))  # CSRC list
        if b0 & 0x10:
            pkt += b"\xbe\xde\x00\x01" + bytes(4)
        pkt += draw(st.sampled_from(HEADS)) + draw(st.binary(max_size=120))
        if b0 & 0x20:
            pkt += bytes([0, 0, draw(st.integers(0, 40))])  # padding count, possibly a lie
        pkt = pkt[: draw(st.sampled_from([len(pkt), len(pkt), 13, 14, 12, 5]))]
        channel = draw(st.sampled_from([0, 0, 0, 1]))
        out += struct.pack(">cBH", b"$", channel, len(pkt)) + pkt
    return bytes(out)


@settings(max_examples=100, deadline=None)
@given(hostile_stream(), st.sampled_from(["H264", "H265", "JPEG"]), st.integers(0, 99))
def test_any_packets_count_the_same_one_by_one_or_in_bulk(
    stream: bytes, codec: str, seed: int
) -> None:
    reference = per_packet(stream, codec)
    assert state(pumped(cuts(stream, seed), codec)) == state(reference)
    bulk = VideoCounter(codec)
    assert bulk.feed_interleaved(stream, 0, len(stream), 0) == len(stream)
    assert state(bulk) == state(reference)
