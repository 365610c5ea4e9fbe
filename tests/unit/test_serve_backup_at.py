"""`serve --backup-at HH:MM`: a local time of day, refused in words otherwise."""

from __future__ import annotations

from datetime import time

import pytest

from fleetctl.cli.run.serve import parse_clock
from fleetctl.core.errors import UsageError


@pytest.mark.parametrize(
    ("text", "want"), [("02:30", time(2, 30)), ("2:05", time(2, 5)), ("23:59", time(23, 59))]
)
def test_backup_at_parses_local_times(text: str, want: time) -> None:
    assert parse_clock(text) == want


@pytest.mark.parametrize("text", ["24:00", "2.30", "02:60", "0230", "tonight", ""])
def test_backup_at_refuses_anything_else(text: str) -> None:
    with pytest.raises(UsageError, match="HH:MM"):
        parse_clock(text)
