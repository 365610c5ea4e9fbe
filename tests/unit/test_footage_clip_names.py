"""Clip file names of `footage export -s`: the camera's name made safe, plus the window in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from fleetctl.core.footage.coverage import Span
from fleetctl.engine.footage_batch import clip_name, safe_name

WIN = Span(
    datetime(2026, 12, 6, 21, 0, tzinfo=timezone(timedelta(hours=7))),
    datetime(2026, 12, 6, 14, 30, tzinfo=UTC),
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dt-cho-01", "dt-cho-01"),  # an inventory name is kept as it is
        ("qt-đình-01", "qt-đình-01"),  # Vietnamese letters are fine on every file system
        ("cam.", "cam-"),  # Windows drops a trailing dot: changed, so hashed
        ("a/b", "a_b-"),
        ("a:b", "a_b-"),
        ('a<b>"c|?*', "a_b_c-"),
        ("tab\there", "tab_here-"),
        ("..", "camera-"),
    ],
)
def test_safe_name(name: str, expected: str) -> None:
    got = safe_name(name)
    if expected.endswith("-"):  # changed: 8 hex digits of the original name's hash follow
        assert got.startswith(expected) and len(got) == len(expected) + 8
    else:
        assert got == expected
    assert not set(got) & set('/\\:*?"<>|\t\n\r\x00')


def test_two_names_that_read_alike_never_share_a_file() -> None:
    assert safe_name("a/b") != safe_name("a:b") != safe_name("a_b")


def test_a_long_name_is_bounded() -> None:
    assert len(safe_name("x" * 300)) <= 80 + 9


def test_clip_name_has_the_window_in_utc() -> None:
    assert clip_name("dt-cho-01", WIN) == "dt-cho-01_20261206T140000Z-20261206T143000Z.mp4"
