"""Password rotation, the pieces without a network: passwords, the pending entry, the journal."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fleetctl.adapters.secrets import (
    load_secret_file,
    promote_pending_password,
    set_pending_password,
)
from fleetctl.core.errors import SecretsError
from fleetctl.core.secret import Secret
from fleetctl.engine.push import rotate
from fleetctl.engine.push.journal import Journal
from fleetctl.engine.workspace import load_workspace

SECRETS = """\
# district cameras: rotated by push
district: {username: admin, password: "oldPassword1"}
nvr: {username: root, password: "untouched9"}
"""

INVENTORY = """\
defaults: {credentials: district}
secrets: secrets.yaml
sites:
  s:
    cameras:
      - {name: a, host: 127.253.0.1}
      - {name: b, host: 127.253.0.2}
      - {name: c, host: 127.253.0.3, username: admin, password: inline1}
"""


def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.yaml"
    path.write_text(SECRETS)
    path.chmod(0o600)
    return path


def test_generated_passwords_are_long_alphanumeric_and_mixed() -> None:
    pws = [rotate.new_password().reveal() for _ in range(50)]
    assert len(set(pws)) == 50
    for pw in pws:
        assert len(pw) >= 16 and pw.isascii() and pw.isalnum()
        assert (
            any(c.islower() for c in pw)
            and any(c.isupper() for c in pw)
            and any(c.isdigit() for c in pw)
        )


def test_pending_password_is_stored_beside_the_old_one_then_promoted(tmp_path: Path) -> None:
    path = secrets_file(tmp_path)
    set_pending_password(str(path), "district", Secret("newPassword2"), "r1")
    store = load_secret_file(str(path))
    assert store.pending["district"].password.reveal() == "newPassword2"
    assert store.credentials["district"].password == Secret("oldPassword1")  # both kept
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "# district cameras" in path.read_text()  # comments survive
    set_pending_password(
        str(path), "district", Secret("newPassword2"), "r1"
    )  # same rotation: no-op
    with pytest.raises(SecretsError, match="already has a rotation"):
        # Another password would strand the cameras that already have the pending one.
        set_pending_password(str(path), "district", Secret("other3"), "r2")
    assert promote_pending_password(str(path), "district", "r2") is False
    assert promote_pending_password(str(path), "district", "r1") is True
    store = load_secret_file(str(path))
    assert not store.pending and store.credentials["district"].password == Secret("newPassword2")
    assert store.credentials["nvr"].password == Secret("untouched9")
    assert promote_pending_password(str(path), "district", "r1") is False  # a rerun after a kill


def test_a_pending_password_without_its_rotation_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text('district: {username: admin, password: "a1", next_password: "b2"}\n')
    path.chmod(0o600)
    with pytest.raises(SecretsError, match="no rotation id") as err:
        load_secret_file(str(path))
    assert "b2" not in str(err.value)


def test_the_journal_says_which_password_each_camera_has_and_promotion_waits_for_all(
    tmp_path: Path,
) -> None:
    secrets = secrets_file(tmp_path)
    inv = tmp_path / "inv.yaml"
    inv.write_text(INVENTORY)
    ws = load_workspace(str(inv), str(secrets))
    assert [c.name for c in rotate.rotated_cameras(ws, "district")] == ["a", "b"]  # c: inline
    rot = rotate.begin(ws, ["district"])["district"]
    ws = load_workspace(str(inv), str(secrets))
    assert rotate.pending(ws)["district"] == rot
    journal = Journal(str(tmp_path / "j.sqlite"))
    run = journal.start_run("p", "", ["a", "b"])
    journal.mark(journal.intent(run, "a", rot.setting, "current", rot.marker), "verified")
    journal.intent(run, "b", rot.setting, "current", rot.marker)  # killed: b in doubt
    assert rotate.verified_cameras(ws, journal) == {"a"}  # b's rotation is planned again
    known = rotate.from_journal(ws, journal)
    cam = {c.name: c for c in ws.inventory.cameras}
    cred_a, cred_b = known.credential_for(cam["a"]), known.credential_for(cam["b"])
    assert cred_a is not None and cred_a.password == rot.new
    assert cred_b is not None and cred_b.password == rot.old
    assert rotate.promote_if_done(ws, journal, rot) == 1
    assert "district" in load_secret_file(str(secrets)).pending  # b may still have the old one
    journal.mark(journal.intent(run, "b", rot.setting, "current", rot.marker), "verified")
    assert rotate.promote_if_done(ws, journal, rot) == 0
    store = load_secret_file(str(secrets))
    assert not store.pending and store.credentials["district"].password == rot.new
    rows = journal.audit()
    journal.close()
    assert all(rot.new.reveal() not in repr(r) and rot.old.reveal() not in repr(r) for r in rows)
