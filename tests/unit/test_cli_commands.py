"""Every command `fleetctl --help` lists is built; a missing command module fails loudly."""

from __future__ import annotations

from pathlib import Path

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


def test_sim_help_names_the_secrets_file_sim_writes(tmp_path: Path) -> None:
    from fleetctl.sim.inventory import write_inventory

    parser = main.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    sim = (sub.choices or {})["sim"]
    help_text = next(a.help for a in sim._actions if a.dest == "write_inventory") or ""
    assert "NAME-secrets.yaml" in help_text and "PATH-secrets" not in help_text

    class Empty:  # a fleet of no cameras: only the file names matter here
        seed, cameras, sites, credentials = 1, (), (), ("fleet", "pw")

        def tags(self, cam: object) -> list[str]:
            return []

        def location(self, cam: object) -> str:
            return ""

        def ssh_host_key(self) -> str | None:
            return None

    _, secrets = write_inventory(Empty(), tmp_path / "district.yaml")  # type: ignore[arg-type]
    assert secrets.name == "district-secrets.yaml"  # NAME.yaml -> NAME-secrets.yaml
