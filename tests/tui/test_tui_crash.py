"""A crash of the TUI prints a traceback without local variables (they can hold secrets)."""

from __future__ import annotations

import pytest
from support.tui import make_app

SECRET = "s3cret-fleet-password"


def explode() -> None:
    password = SECRET  # a local that any frame of a real crash might hold
    raise RuntimeError(f"boom with {len(password)} characters")


async def test_crash_traceback_shows_no_locals(capsys: pytest.CaptureFixture[str]) -> None:
    app, _ = make_app()
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test() as pilot:
            await pilot.pause()
            app.call_later(explode)
            await pilot.pause()
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "boom with 21 characters" in err, err
    assert "explode" in err  # the frames are there, only their variables are not
    assert SECRET not in err, err
