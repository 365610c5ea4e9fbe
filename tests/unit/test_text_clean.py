"""core.text.clean: what a camera or a file says becomes plain, printable, bounded text."""

from __future__ import annotations

import pytest

from fleetctl.core.models import DeviceInfo, Problem, ProblemKind, Status, StorageResult
from fleetctl.core.text import ELLIPSIS, LIMIT, clean, clean_opt


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("HIKVISION", "HIKVISION"),
        ("Chợ Đông Tiến, cổng chính", "Chợ Đông Tiến, cổng chính"),  # Vietnamese stays
        ("[/x] [bold]red[/]", "[/x] [bold]red[/]"),  # brackets are text, not removed
        ("HIK\x1b]0;pwned\x07VISION", "HIKVISION"),  # OSC (window title), BEL-terminated
        ("a\x1b]52;c;aGk=\x1b\\b", "ab"),  # OSC 52 clipboard write, ST-terminated
        ("\x1b[2J\x1b[31mred\x1b[0m", "red"),  # CSI: clear screen, colours
        ("\x9b2Jx\x9d0;t\x9cy", "xy"),  # the 8-bit C1 forms
        ("\x1bPqdcs\x1b\\z", "z"),  # DCS
        ("a\x1b7b\x1bc", "ab"),  # two-character escapes
        ("line1\nline2\tend\r", "line1 line2 end "),  # breaks become spaces
        ("nul\x00bell\x07del\x7f", "nulbelldel"),
        ("abc\u202edcba", "abcdcba"),  # a bidi override would reverse what is read
        ("\x1b", ""),
    ],
)
def test_clean(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_bounds_length_and_work() -> None:
    huge = "M" * 2_000_000  # a 2 MB model name
    out = clean(huge)
    assert len(out) == LIMIT and out.endswith(ELLIPSIS)
    assert clean("x" * 10, limit=5) == "xxxx" + ELLIPSIS
    assert clean("short", limit=5) == "short"
    assert clean_opt(None) is None


def test_models_clean_what_cameras_say() -> None:
    dev = DeviceInfo(manufacturer="\x1b[2JHIK", model="M" * 5000)
    assert dev.manufacturer == "HIK" and dev.model is not None and len(dev.model) == LIMIT
    disk = StorageResult("/mnt/\x1b[2J[/x]", "failed\x07", None, None, Status.CRIT)
    assert (disk.name, disk.state) == ("/mnt/[/x]", "failed")
    problem = Problem(ProblemKind.ONVIF, Status.CRIT, "fault: \x9b2J[/x]")
    assert problem.message == "fault: [/x]" and problem.text() == "fault: [/x]"
