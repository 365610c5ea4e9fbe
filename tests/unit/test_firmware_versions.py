"""Firmware strings as real devices report them -> numbers and build date (core.firmware)."""

from __future__ import annotations

from datetime import date

import pytest

from fleetctl.core.firmware.versions import compare, parse_firmware

CASES = [
    # Hikvision: GetDeviceInformation's FirmwareVersion, web UI and SADP spellings.
    ("hik-onvif", "V5.5.800 build 210628", (5, 5, 800), date(2021, 6, 28)),
    ("hik-old", "V5.4.0 build 160530", (5, 4, 0), date(2016, 5, 30)),
    ("hik-nvr", "V4.30.085 build 200916", (4, 30, 85), date(2020, 9, 16)),
    ("hik-sadp", "V5.7.3build 220112", (5, 7, 3), date(2022, 1, 12)),
    # Dahua: the build date after a comma, or as a release suffix.
    (
        "dahua-comma",
        "2.800.0000000.16.R, Build Date: 2021-06-08",
        (2, 800, 0, 16),
        date(2021, 6, 8),
    ),
    ("dahua-colon", "V2.622.0000000.31.R, build:2019-10-21", (2, 622, 0, 31), date(2019, 10, 21)),
    ("dahua-suffix", "V2.820.0000000.3.R.220418", (2, 820, 0, 3), date(2022, 4, 18)),
    # Axis: no date at all.
    ("axis", "9.80.3.8", (9, 80, 3, 8), None),
    ("axis-lts", "10.12.114", (10, 12, 114), None),
    # Generic OEMs.
    ("oem-compact", "V4.2.1 build20200315", (4, 2, 1), date(2020, 3, 15)),
    ("oem-plain", "V3.9.0", (3, 9, 0), None),
    # Garbage a camera may send: never an exception, nothing invented.
    ("month-13", "V1.0 build 211331", (1, 0), None),
    ("timestamp", "2024-08-17-12:30:45Z", (), None),
    ("words", "unknown", (), None),
]


@pytest.mark.parametrize(
    ("text", "numbers", "build"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_parse_firmware(text: str, numbers: tuple[int, ...], build: date | None) -> None:
    fv = parse_firmware(text)
    assert fv is not None
    assert (fv.numbers, fv.build) == (numbers, build)


@pytest.mark.parametrize(
    "text", [None, "", "   ", "V1." + "1" * 300], ids=["none", "empty", "blank", "huge"]
)
def test_nothing_to_read(text: str | None) -> None:
    assert parse_firmware(text) is None


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [((5, 7), (5, 7, 0), 0), ((5, 5, 800), (5, 7, 3), -1), ((10, 12), (9, 80, 3, 8), 1)],
    ids=["missing-part-is-zero", "older", "newer-major"],
)
def test_compare(a: tuple[int, ...], b: tuple[int, ...], want: int) -> None:
    assert compare(a, b) == want
