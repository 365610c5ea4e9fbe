"""Vendor search times (core.footage.vendor_time): table-driven, as the cameras write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetctl.core.footage.vendor_time import (
    IsapiTime,
    dahua_stamp,
    dahua_time,
    isapi_stamp,
    isapi_time,
    local_to_utc,
    posix_utc_offset_s,
    round_zone_s,
)

H = 3600


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("CST-7:00:00", 7 * H),  # Hikvision's way: UTC+7, the POSIX sign inverted
        ("CST-8:00:00", 8 * H),
        ("CST+5:00:00", -5 * H),
        ("CST-5:30:00", 5 * H + 1800),  # India
        ("CST-5:45:00", 5 * H + 2700),  # Nepal
        ("<+07>-7", 7 * H),  # POSIX with a quoted name
        ("CST-8", 8 * H),
        ("UTC0", 0),
        ("EST5EDT,M3.2.0,M11.1.0", -5 * H),  # DST rules ignored
        ("CST-15:00:00", None),  # beyond any zone
        ("CST-7:75:00", None),
        ("", None),
        (None, None),
        ("garbage", None),
        ("-7", None),  # no name
    ],
)
def test_posix_zone(text: str | None, offset: int | None) -> None:
    assert posix_utc_offset_s(text) == offset


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2021-08-27T12:00:00Z", IsapiTime(datetime(2021, 8, 27, 12), 0, zulu=True)),
        ("2021-08-27T12:00:00z", IsapiTime(datetime(2021, 8, 27, 12), 0, zulu=True)),
        ("2021-08-27T12:00:00+07:00", IsapiTime(datetime(2021, 8, 27, 12), 7 * H)),
        ("2021-08-27T12:00:00-0330", IsapiTime(datetime(2021, 8, 27, 12), -(3 * H + 1800))),
        ("2021-08-27T12:00:00", IsapiTime(datetime(2021, 8, 27, 12), None)),
        ("2021-08-27 12:00:00Z", IsapiTime(datetime(2021, 8, 27, 12), 0, zulu=True)),
        ("20210827T120000Z", IsapiTime(datetime(2021, 8, 27, 12), 0, zulu=True)),  # playbackURI
        ("2021-08-27T12:00:00.250Z", IsapiTime(datetime(2021, 8, 27, 12), 0, zulu=True)),
        ("2021-13-27T12:00:00Z", None),  # month 13
        ("2021-08-27T25:00:00Z", None),
        ("2024-08-17-12:30:45Z", None),  # seen in the field
        ("2021-08-27T12:00:00+15:00", None),
        ("", None),
        (None, None),
    ],
)
def test_isapi_time(text: str | None, want: IsapiTime | None) -> None:
    assert isapi_time(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2021-8-27 12:00:00", datetime(2021, 8, 27, 12)),  # Dahua: unpadded
        ("2021-08-27 12:00:00", datetime(2021, 8, 27, 12)),
        ("2021-1-3 4:5:6", datetime(2021, 1, 3, 4, 5, 6)),
        (" 2021-8-27 12:00:00\r", datetime(2021, 8, 27, 12)),
        ("2021-8-27T12:00:00", datetime(2021, 8, 27, 12)),
        ("2021-2-30 12:00:00", None),
        ("2021-8-27", None),
        ("2021-8-27 12:00:00Z", None),
        ("", None),
        (None, None),
    ],
)
def test_dahua_time(text: str | None, want: datetime | None) -> None:
    assert dahua_time(text) == want


@pytest.mark.parametrize(
    ("when", "zone", "isapi", "dahua"),
    [
        (
            datetime(2021, 8, 27, 5, tzinfo=UTC),
            7 * H,
            "2021-08-27T12:00:00+07:00",
            "2021-08-27 12:00:00",
        ),
        (
            datetime(2021, 8, 27, 20, tzinfo=UTC),
            7 * H,
            "2021-08-28T03:00:00+07:00",
            "2021-08-28 03:00:00",
        ),
        (
            datetime(2021, 8, 27, 2, tzinfo=UTC),
            -5 * H,
            "2021-08-26T21:00:00-05:00",
            "2021-08-26 21:00:00",
        ),
        (
            datetime(2021, 8, 27, 12, tzinfo=UTC),
            0,
            "2021-08-27T12:00:00+00:00",
            "2021-08-27 12:00:00",
        ),
    ],
)
def test_stamps_round_trip(when: datetime, zone: int, isapi: str, dahua: str) -> None:
    assert isapi_stamp(when, zone) == isapi
    assert dahua_stamp(when, zone) == dahua
    back = isapi_time(isapi)
    assert back is not None and back.utc_offset_s is not None
    assert local_to_utc(back.wall, back.utc_offset_s) == when
    parsed = dahua_time(dahua)
    assert parsed is not None and local_to_utc(parsed, zone) == when


@pytest.mark.parametrize(
    ("measured", "zone"),
    [
        (25200.4, 25200),
        (25201.9, 25200),
        (25140.0, 25200),
        (19800.3, 19800),
        (-18000.6, -18000),
        (0.8, 0),
    ],
)
def test_zone_from_a_measured_clock(measured: float, zone: int) -> None:
    assert round_zone_s(measured) == zone
