"""Secrets store: mode check, resolution order, errors without values, atomic writer, Workspace."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fleetctl.adapters.secrets import load_secret_file, load_secrets, set_credential
from fleetctl.core.errors import SecretsError
from fleetctl.core.secret import Secret
from fleetctl.engine.workspace import load_workspace

PW = "Xq7-s3cr3t@k:/%"  # has every character that breaks URLs


def _secrets(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, "utf-8")
    os.chmod(path, mode)
    return path


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FLEETCTL_SECRETS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660], ids=oct)
def test_group_or_world_readable_file_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = _secrets(tmp_path / "s.yaml", f'district: {{username: admin, password: "{PW}"}}\n', mode)
    with pytest.raises(SecretsError) as info:
        load_secret_file(str(path))
    assert f"chmod 600 {path}" in str(info.value) and f"{mode:04o}" in str(info.value)
    assert PW not in str(info.value)


def test_private_file_loads_into_secrets(tmp_path: Path) -> None:
    path = _secrets(
        tmp_path / "s.yaml",
        f'district: {{username: admin, password: "{PW}"}}\n'
        "nvr: {username: root, key_file: keys/nvr}\n",
    )
    store = load_secret_file(str(path))
    cred = store.get("district")
    assert cred.username == "admin" and cred.password == Secret(PW)
    assert PW not in repr(store) and PW not in str(cred)
    assert store.get("nvr").key_file == str(tmp_path / "keys" / "nvr")  # relative to the file


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli, env, inv = (str(tmp_path / n) for n in ("cli.yaml", "env.yaml", "inv.yaml"))
    assert load_secrets(None, None).path == str(tmp_path / "xdg" / "fleetctl" / "secrets.yaml")
    assert load_secrets(None, inv).path == inv
    monkeypatch.setenv("FLEETCTL_SECRETS", env)
    assert load_secrets(None, inv).path == env
    assert load_secrets(cli, inv).path == cli


def test_missing_file_is_fine_until_a_credential_is_needed(tmp_path: Path) -> None:
    store = load_secret_file(str(tmp_path / "none.yaml"), "--secrets")
    assert not store.exists and store.names() == ()
    with pytest.raises(SecretsError, match=r"does not exist.*chmod 600"):
        store.get("district")


def test_unknown_name_lists_known_ones(tmp_path: Path) -> None:
    store = load_secret_file(
        str(_secrets(tmp_path / "s.yaml", "a: {username: u, password: pppp}\n"))
    )
    with pytest.raises(SecretsError, match=r"`district` is not in .* \(it has: a\)"):
        store.get("district")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'district: {{username: admin, password: "{PW}"\n', "s.yaml:2: YAML syntax error"),
        (f"district: {{username: admin, password: {PW}, password: x}}\n", "YAML syntax error"),
        (
            "district: {username: admin, password: 123456789}\n",
            "`district.password` must be a quoted string",
        ),
        (f'district: {{username: admin, pasword: "{PW}"}}\n', "unknown keys pasword"),
        (f'district: "{PW}"\n', "must be a mapping"),
        (f'- "{PW}"\n', "must be a mapping"),
    ],
    ids=[
        "unclosed-flow",
        "duplicate-key",
        "unquoted-number",
        "misspelt-key",
        "bare-password",
        "a-list",
    ],
)
def test_malformed_files_never_echo_values(tmp_path: Path, text: str, message: str) -> None:
    path = _secrets(tmp_path / "s.yaml", text)
    with pytest.raises(SecretsError) as info:
        load_secret_file(str(path))
    assert message in str(info.value)
    for leaked in (PW, "123456789"):
        assert leaked not in str(info.value)
    err = info.value  # no chained ruamel error, whose text quotes the offending line
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


def test_set_credential_creates_0600_keeps_comments_and_updates(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "secrets.yaml"
    set_credential(str(path), "district", "admin", Secret(PW))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    path.write_text("# rotated by fleetctl\n" + path.read_text())
    set_credential(str(path), "nvr", "root", "123456")
    set_credential(str(path), "district", "admin", "new-password")
    store = load_secret_file(str(path))
    assert store.get("district").password == Secret("new-password")
    assert store.get("nvr").password == Secret("123456")  # written quoted: still a string
    assert path.read_text().startswith("# rotated by fleetctl\n")
    assert sorted(os.listdir(path.parent)) == ["secrets.yaml"]


def test_set_credential_refuses_an_unsafe_file(tmp_path: Path) -> None:
    path = _secrets(tmp_path / "s.yaml", "a: {username: u, password: pppp}\n", 0o644)
    with pytest.raises(SecretsError, match="chmod 600"):
        set_credential(str(path), "b", "u", "pw")


INV = """\
secrets: secrets.yaml
defaults: {credentials: district}
sites:
  s:
    cameras:
      - {name: plain, host: 10.0.0.1}
      - {name: inline, host: 10.0.0.2, username: op, password: "inline-pw"}
      - {name: half, host: 10.0.0.3, password: "half-pw"}
      - {name: nvr, host: 10.0.0.4, ssh: {credentials: nvr}}
      - {name: nvr2, host: 10.0.0.5, ssh: {username: backup}}
      - {name: lost, host: 10.0.0.6, credentials: nowhere, ssh: {credentials: gone}}
"""


def test_workspace_credentials(tmp_path: Path) -> None:
    (tmp_path / "inv.yaml").write_text(INV)
    _secrets(
        tmp_path / "secrets.yaml",
        f'district: {{username: admin, password: "{PW}"}}\n'
        'nvr: {username: root, password: "nvr-pw", key_file: k}\n',
    )
    ws = load_workspace(str(tmp_path / "inv.yaml"))
    cams = {c.name: c for c in ws.inventory.cameras}
    assert ws.credential_for(cams["plain"]).password == Secret(PW)  # type: ignore[union-attr]
    inline = ws.credential_for(cams["inline"])
    assert inline is not None and (inline.name, inline.username, inline.password) == (
        "inline",
        "op",
        Secret("inline-pw"),
    )
    half = ws.credential_for(cams["half"])
    assert half is not None and (half.username, half.password) == ("admin", Secret("half-pw"))
    assert ws.ssh_credential_for(cams["plain"]) is None
    nvr = ws.ssh_credential_for(cams["nvr"])
    assert nvr is not None and (nvr.username, nvr.key_file) == ("root", str(tmp_path / "k"))
    nvr2 = ws.ssh_credential_for(cams["nvr2"])  # inline username, the camera's own password
    assert nvr2 is not None and (nvr2.username, nvr2.password) == ("backup", Secret(PW))
    assert ws.missing_credentials() == {"nowhere": ["lost"], "gone": ["lost"]}
    with pytest.raises(SecretsError, match=r"`nowhere` is not in .*also missing: `gone`"):
        ws.require_credentials()
    ws.require_credentials([cams["plain"], cams["nvr"]])


def test_many_secrets_are_all_masked_including_ones_added_after_a_redact() -> None:
    from fleetctl.base import logsafe

    for i in range(2000):  # a district with unique passwords: registered one by one
        logsafe.register_secret(f"unique-{i:04d}-Pw!")
    assert logsafe.redact("first unique-0000-Pw! last unique-1999-Pw!") == (
        f"first {logsafe.MASK} last {logsafe.MASK}"
    )
    logsafe.register_secret("added-later-Pw!")  # after the pattern was built
    assert logsafe.redact("x added-later-Pw! y") == f"x {logsafe.MASK} y"
