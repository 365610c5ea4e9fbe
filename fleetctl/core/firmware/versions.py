"""Vendor firmware strings -> comparable numbers and a build date. Pure and defensive.

    parse_firmware("V5.5.800 build 210628")                       -> (5, 5, 800), 2021-06-28
    parse_firmware("2.800.0000000.16.R, Build Date: 2021-06-08")  -> (2, 800, 0, 16), 2021-06-08
    parse_firmware("V2.820.0000000.3.R.220418")                   -> (2, 820, 0, 3), 2022-04-18
    parse_firmware("9.80.3.8")                                    -> (9, 80, 3, 8), None

Vendors publish affected ranges as model families and *build dates* in free text, so the build
date matters as much as the number: Hikvision writes ``build YYMMDD``, Dahua ``Build Date:
YYYY-MM-DD`` (or a trailing ``.YYMMDD`` after the ``R``/``T`` release letter), Axis has no date
at all. A string that is garbage (a date with month 13, no digits) gives ``None`` for what could
not be read, never an exception: a camera's text is hostile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MAX_TEXT = 200  # a firmware string longer than this is not one

_NUMBERS = re.compile(r"(?<![\d.])[vV]?(\d{1,6}(?:\.\d{1,10}){1,5})")
_BUILD_YYMMDD = re.compile(r"(?i)build[\s_:]*(\d{2})(\d{2})(\d{2})(?!\d)")
_BUILD_ISO = re.compile(r"(?i)build(?:\s*date)?[\s_:]*(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_RELEASE_SUFFIX = re.compile(r"\.[RTB]\.(\d{2})(\d{2})(\d{2})(?!\d)")  # Dahua "...16.R.210608"
_COMPACT = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")  # "build20210608", "(20210608)"


@dataclass(frozen=True, order=True)
class FirmwareVersion:
    """What a firmware string says. ``numbers`` is ``()`` when it had none."""

    numbers: tuple[int, ...]
    build: date | None
    text: str

    def __str__(self) -> str:
        return self.text


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def build_date(text: str) -> date | None:
    """The build date a firmware string carries, if any (first pattern that makes a valid date)."""
    for pattern, century in ((_BUILD_ISO, 0), (_BUILD_YYMMDD, 2000), (_RELEASE_SUFFIX, 2000)):
        for m in pattern.finditer(text):
            found = _date(century + int(m[1]), int(m[2]), int(m[3]))
            if found is not None:
                return found
    for m in _COMPACT.finditer(text):
        found = _date(int(m[1]), int(m[2]), int(m[3]))
        if found is not None:
            return found
    return None


def version_numbers(text: str) -> tuple[int, ...]:
    """The first dotted number of a firmware string (``V5.7.3`` -> (5, 7, 3)); () if none."""
    m = _NUMBERS.search(text)
    return tuple(int(part) for part in m[1].split(".")) if m else ()


def parse_firmware(text: str | None) -> FirmwareVersion | None:
    """A firmware string as numbers and a build date; None for no or absurd text."""
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        return None
    return FirmwareVersion(version_numbers(text), build_date(text), text)


def compare(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """-1, 0, 1 as ``a`` is older, equal, newer than ``b``; missing parts count as 0
    (``5.7`` == ``5.7.0``)."""
    n = max(len(a), len(b))
    pa, pb = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    return (pa > pb) - (pa < pb)
