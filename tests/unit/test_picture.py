"""The picture verdicts and the keyframe depacketizer, table-driven on synthetic pictures and
hand-built RTP packets (pure: no decoder, no socket)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pytest

from fleetctl.adapters.rtsp.keyframe import KeyframeCatcher, params_from_fmtp
from fleetctl.core.models import Policy, ProblemKind, Status
from fleetctl.core.probes import Failure, PictureProbe
from fleetctl.core.verdicts.picture import picture_problems, picture_stats, same_picture

W, H = 160, 90
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def picture(pixel: object) -> PictureProbe:
    """A W x H picture from ``pixel(x, y) -> 0..255``."""
    fn = pixel if callable(pixel) else (lambda x, y: pixel)
    return PictureProbe(W, H, bytes(fn(x, y) for y in range(H) for x in range(W)))


def scene(x: int, y: int) -> int:
    """Something like a street: a sky gradient, buildings with sharp edges, a dark road."""
    if y > 60:
        return 40 + (x * 7 + y * 3) % 9  # asphalt texture
    if (x // 20) % 2 and y > 25:
        return 150 if (x % 20 < 3 or y % 12 == 0) else 90  # facades, windows
    return 200 - y  # sky


def soft(x: int, y: int) -> int:
    """The scene through fog: the same shapes, every edge spread thin."""
    return 100 + (x * 40) // W + (y * 20) // H


def covered(x: int, y: int) -> int:
    """A covered lens at night, with the camera's clock burned in top left."""
    return 230 if (x < 30 and 3 < y < 9 and x % 3) else 1


@pytest.mark.parametrize(
    ("probe", "expected", "words"),
    [
        (picture(scene), [], None),
        (picture(covered), [Status.CRIT], "black"),
        (picture(0), [Status.CRIT], "black"),
        (picture(29), [Status.CRIT], "flat colour"),  # a blue "no signal" screen, in grey
        (picture(128), [Status.CRIT], "flat colour"),
        (picture(soft), [Status.WARN], "blurred"),
        # a night scene with working IR: dark, not black
        (picture(lambda x, y: scene(x, y) // 3), [], None),
    ],
)
def test_picture_verdicts(probe: PictureProbe, expected: list[Status], words: str | None) -> None:
    stats = picture_stats(probe)
    assert stats is not None
    found = picture_problems(stats, Policy())
    assert [p.severity for p in found] == expected, stats
    assert all(p.kind is ProblemKind.PICTURE for p in found)
    if words:
        assert words in found[0].message


def test_no_picture_no_stats() -> None:
    assert picture_stats(PictureProbe(failure=Failure.UNSUPPORTED, error="no PyAV")) is None
    assert picture_stats(PictureProbe(4, 4, b"\x00")) is None  # truncated


def test_unchanged_for_days_is_a_warning_and_a_ticking_clock_does_not_hide_it() -> None:
    still = picture_stats(picture(scene))
    ticking = picture_stats(picture(lambda x, y: 255 if x < 12 and y < 5 else scene(x, y)))
    moved = picture_stats(picture(lambda x, y: scene((x + 20) % W, y) // 2))  # dusk, a car
    assert still and ticking and moved
    assert same_picture(still.fingerprint, ticking.fingerprint)
    assert not same_picture(still.fingerprint, moved.fingerprint)
    assert not same_picture(still.fingerprint, "garbage") and not same_picture("", "")
    p = Policy()
    day = picture_problems(still, p, same_since=NOW - timedelta(days=1), now=NOW)
    assert day == []  # a day: lighting changes; not yet suspicious
    (old,) = picture_problems(still, p, same_since=NOW - timedelta(days=3), now=NOW)
    assert old.severity is Status.WARN and "unchanged for 3d0h" in old.message


def rtp(payload: bytes, seq: int, ts: int, marker: bool = False) -> bytes:
    return struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | 96, seq, ts, 1) + payload


SPS, PPS = b"\x67\x42\x00\x1e\xab", b"\x68\xce\x38\x80"
IDR = b"\x65" + bytes(range(200))


def test_keyframe_from_stap_a_and_fu_a() -> None:
    c = KeyframeCatcher("H264")
    stap = b"\x18" + struct.pack(">H", len(SPS)) + SPS + struct.pack(">H", len(PPS)) + PPS
    body = IDR[1:]
    fu_ind = bytes([(IDR[0] & 0xE0) | 28])
    packets = [
        rtp(b"\x41\x9a", 1, 1000),  # a P slice before any keyframe: ignored
        rtp(stap, 2, 3000),
        rtp(fu_ind + bytes([0x80 | 5]) + body[:80], 3, 3000),
        rtp(fu_ind + bytes([5]) + body[80:150], 4, 3000),
        rtp(fu_ind + bytes([0x40 | 5]) + body[150:], 5, 3000, marker=True),
    ]
    for pkt in packets:
        assert not c.done
        c.feed(pkt, 0, len(pkt))
    assert c.done
    assert c.annexb == b"".join(b"\x00\x00\x00\x01" + n for n in (SPS, PPS, IDR))


def test_a_keyframe_ends_at_the_next_timestamp_and_needs_its_parameter_sets() -> None:
    c = KeyframeCatcher("H264")
    for pkt in (rtp(IDR, 1, 3000), rtp(b"\x41\x9a", 2, 6000)):  # no SPS/PPS yet
        c.feed(pkt, 0, len(pkt))
    assert not c.done
    c.seed(params_from_fmtp("packetization-mode=1;sprop-parameter-sets=Z0IAHqs=,aM44gA==", "H264"))
    for pkt in (rtp(IDR, 3, 9000), rtp(b"\x41\x9a", 4, 12000)):
        c.feed(pkt, 0, len(pkt))
    assert c.done and c.annexb is not None and c.annexb.endswith(IDR)


def test_garbage_never_raises() -> None:
    c = KeyframeCatcher("H265")
    for pkt in (b"", b"\x00" * 5, rtp(b"", 1, 1), rtp(b"\x62", 2, 1), rtp(b"\x62\x01\xff", 3, 1)):
        c.feed(pkt, 0, len(pkt))
    assert not c.done and c.annexb is None
