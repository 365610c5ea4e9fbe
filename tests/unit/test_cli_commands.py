"""Every command `fleetctl --help` lists is built; a missing command module fails loudly."""

from __future__ import annotations

import pytest

from fleetctl.cli import main


def test_every_command_registers_in_help_order() -> None:
    parser = main.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert list(sub.choices or ()) == main.COMMANDS


def test_a_missing_command_module_is_an_error_not_a_silent_gap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(main, "COMMANDS", [*main.COMMANDS, "no_such_command"])
    with pytest.raises(ModuleNotFoundError, match="no_such_command"):
        main.build_parser()
