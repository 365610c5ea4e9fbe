"""The history store and the push journal are 0600 files in a 0700 directory (issue 13, item 11)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fleetctl.engine.history import HistoryStore
from fleetctl.engine.push.journal import Journal


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _loose_umask() -> object:
    old = os.umask(0o022)  # the usual umask: what SQLite would use left alone
    yield
    os.umask(old)


def test_history_and_journal_are_private_in_a_new_directory(tmp_path: Path) -> None:
    store = HistoryStore(str(tmp_path / "new" / "history.sqlite"))
    store.close()
    journal = Journal(str(tmp_path / "new" / "deeper" / "push-journal.sqlite"))
    journal.start_run("p", "", ["a"])
    journal.close()
    assert _mode(tmp_path / "new") == 0o700
    assert _mode(tmp_path / "new" / "deeper") == 0o700
    for f in (tmp_path / "new").rglob("*.sqlite*"):
        assert _mode(f) == 0o600, f


def test_default_data_directory_and_old_files_are_tightened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "share" / "fleetctl"
    data.mkdir(parents=True, mode=0o755)
    os.chmod(data, 0o755)
    (data / "history.sqlite").touch(mode=0o644)
    os.chmod(data / "history.sqlite", 0o644)
    monkeypatch.delenv("FLEETCTL_HISTORY", raising=False)
    monkeypatch.delenv("FLEETCTL_JOURNAL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    HistoryStore().close()
    Journal().close()
    assert _mode(data) == 0o700
    assert _mode(data / "history.sqlite") == 0o600
    assert _mode(data / "push-journal.sqlite") == 0o600


def test_a_chosen_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "srv"
    shared.mkdir()
    os.chmod(shared, 0o755)
    Journal(str(shared / "j.sqlite")).close()
    assert _mode(shared) == 0o755  # not ours to change
    assert _mode(shared / "j.sqlite") == 0o600
