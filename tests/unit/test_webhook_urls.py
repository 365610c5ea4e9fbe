"""Webhook URLs with tokens come from the environment or the secrets file, never argv, where
`ps` shows them to every local user (issue 13, item 10)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fleetctl.adapters.secrets import load_secret_file
from fleetctl.base.logsafe import redact
from fleetctl.cli.run.serve import webhook_urls
from fleetctl.core.errors import SecretsError, UsageError

HOOK = "https://hooks.example.vn/notify?token=Tok3n-s3cret-99"


def _store(tmp_path: Path) -> object:
    path = tmp_path / "secrets.yaml"
    path.write_text(
        f'district: {{username: admin, password: "pw-1234"}}\nteam-hook: {{url: "{HOOK}"}}\n'
    )
    os.chmod(path, 0o600)
    return load_secret_file(str(path))


def test_a_token_on_the_command_line_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        webhook_urls([HOOK], _store(tmp_path))
    assert "env:NAME" in str(err.value) and "Tok3n" not in str(err.value)
    with pytest.raises(UsageError):
        webhook_urls(["https://user:pw@hooks.example.vn/x"], _store(tmp_path))
    # A URL without a token is still fine on the command line.
    assert webhook_urls(["http://127.0.0.1:9/hook"], _store(tmp_path)) == [
        "http://127.0.0.1:9/hook"
    ]


def test_from_the_environment_and_the_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path)
    monkeypatch.setenv("TEAM_HOOK", HOOK)
    assert webhook_urls(["env:TEAM_HOOK", "secret:team-hook"], store) == [HOOK, HOOK]
    assert "Tok3n-s3cret-99" not in redact(f"POST {HOOK} failed")  # never logged whole
    with pytest.raises(UsageError):
        webhook_urls(["env:NOT_SET_ANYWHERE"], store)
    with pytest.raises(SecretsError):
        webhook_urls(["secret:district"], store)  # a credential, not a URL entry
