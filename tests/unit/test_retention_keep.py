"""`--keep` / `--history-keep` values: how long history is kept, or refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetctl.core.errors import UsageError
from fleetctl.engine.retention import parse_keep


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("90d", timedelta(days=90)),
        ("12w", timedelta(days=84)),
        ("400d", timedelta(days=400)),
        ("1d", timedelta(days=1)),
        (" 30D ", timedelta(days=30)),
        ("0", None),
        (" 0 ", None),
    ],
)
def test_keep_values(text: str, want: timedelta | None) -> None:
    assert parse_keep(text) == want


@pytest.mark.parametrize(
    "text", ["", "90", "0d", "-5d", "1.5d", "90m", "3y", "d", "90 days", "99999999d", "abc"]
)
def test_keep_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--keep"):
        parse_keep(text)
