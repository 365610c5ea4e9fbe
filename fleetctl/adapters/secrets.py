"""The secrets store: named credentials kept outside inventories (docs/secrets.md).

File format (YAML, mode 0600)::

    district:   {username: admin, password: "..."}
    nvr:        {username: root, password: "...", key_file: ~/.ssh/nvr_ed25519}
    district:   {username: admin, password: "old", next_password: "new", rotation: "r-5f0c..."}

``next_password`` + ``rotation`` (additive, written by `push` password rotation): a new password
stored *before* any camera is given it, under a random, non-secret rotation id that the push
journal's per-camera rows carry. While it is there, a camera has ``password`` or
``next_password`` and the journal says which (engine/push/rotate.py); ``password`` takes the new
value only when every camera of the credential is verified on it. ``SecretStore.pending``.

Which file (``resolve_secrets_path``): ``--secrets PATH``, else ``$FLEETCTL_SECRETS``, else the
inventory's ``secrets:``, else ``secrets.yaml`` in the user config dir (platformdirs). A file
readable by group or others is refused (SecretsError says ``chmod 600 PATH``). A missing file is
fine until a credential is asked for. Every password is registered with ``logsafe`` as soon as
it is read, and no error message ever quotes the file's content.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fleetctl.base.logsafe import register_secret, register_url
from fleetctl.core.errors import SecretsError
from fleetctl.core.models import Credential
from fleetctl.core.secret import Secret

ENV_VAR = "FLEETCTL_SECRETS"
_FIELDS = ("username", "password", "key_file", "next_password", "rotation")
_HOW_TO_CREATE = (
    'create it with `name: {{username: ..., password: "..."}}` entries, then `chmod 600 {path}`'
)


def default_secrets_path() -> str:
    """``secrets.yaml`` in the per-user config dir (~/.config/fleetctl on Linux)."""
    import platformdirs

    return os.path.join(platformdirs.user_config_dir("fleetctl"), "secrets.yaml")


def resolve_secrets_path(cli_path: str | None, inventory_secrets: str | None) -> tuple[str, str]:
    """(path, where the choice came from) by the precedence in docs/secrets.md."""
    if cli_path:
        return os.path.abspath(os.path.expanduser(cli_path)), "--secrets"
    if env := os.environ.get(ENV_VAR):
        return os.path.abspath(os.path.expanduser(env)), f"${ENV_VAR}"
    if inventory_secrets:
        return inventory_secrets, "the inventory's `secrets:`"
    return default_secrets_path(), "the user config dir"


@dataclass(frozen=True)
class PendingPassword:
    """A rotation under way: the new password, stored before any camera had it."""

    password: Secret
    rotation: str  # random id, not secret: the journal's rows for this rotation carry it


@dataclass(frozen=True)
class SecretStore:
    """Credentials by name. ``exists`` is False when the file was absent (not an error yet)."""

    path: str
    origin: str = ""
    credentials: Mapping[str, Credential] = field(default_factory=dict)
    exists: bool = True
    pending: Mapping[str, PendingPassword] = field(default_factory=dict)  # name -> rotation
    urls: Mapping[str, Secret] = field(default_factory=dict)  # name -> webhook URL with a token

    def names(self) -> tuple[str, ...]:
        return tuple(self.credentials)

    def url(self, name: str) -> Secret:
        """The URL entry ``name`` (``name: {url: "https://...?token=..."}``); SecretsError."""
        found = self.urls.get(name)
        if found is None:
            known = ", ".join(sorted(self.urls)) or "none"
            raise SecretsError(f"no url entry `{name}` in {self.path} (url entries: {known})")
        return found

    def get(self, name: str) -> Credential:
        """The credential ``name``; SecretsError (with how to fix it) when it is not there."""
        cred = self.credentials.get(name)
        if cred is not None:
            return cred
        if not self.exists:
            raise SecretsError(
                f"credential `{name}` is needed but the secrets file {self.path} ({self.origin}) "
                f"does not exist: " + _HOW_TO_CREATE.format(path=self.path)
            )
        known = ", ".join(sorted(self.credentials)) or "none"
        raise SecretsError(f"credential `{name}` is not in {self.path} (it has: {known})")


def load_secrets(cli_path: str | None = None, inventory_secrets: str | None = None) -> SecretStore:
    """Resolve the secrets file and load it (see ``SecretStore`` for a missing file)."""
    path, origin = resolve_secrets_path(cli_path, inventory_secrets)
    return load_secret_file(path, origin)


def load_secret_file(path: str, origin: str = "") -> SecretStore:
    """Load one secrets file; SecretsError if it is unsafe or malformed (never echoing values)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return SecretStore(path, origin, {}, exists=False)
    except OSError as err:
        raise SecretsError(f"cannot read the secrets file {path}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        # fstat on the open file, not stat on the path: no window to swap the file in between.
        check_private(path, os.fstat(fh.fileno()))
        raw = fh.read()
    data = _parse(path, raw)
    creds: dict[str, Credential] = {}
    pending: dict[str, PendingPassword] = {}
    urls: dict[str, Secret] = {}
    base = os.path.dirname(os.path.abspath(path))
    for name, entry in data.items():
        if isinstance(entry, dict) and set(entry) == {"url"}:
            # A webhook URL whose token must stay out of argv (`ps` shows it to every user).
            if not isinstance(entry["url"], str):
                raise SecretsError(f"{path}: `{name}.url` must be a quoted string")
            register_url(entry["url"])
            urls[str(name)] = Secret(entry["url"])
            continue
        creds[str(name)] = _credential(path, base, str(name), entry)
        if entry.get("next_password") is not None:
            if not entry.get("rotation"):
                raise SecretsError(f"{path}: `{name}` has next_password but no rotation id")
            register_secret(entry["next_password"])
            pending[str(name)] = PendingPassword(Secret(entry["next_password"]), entry["rotation"])
    return SecretStore(path, origin, creds, pending=pending, urls=urls)


def check_private(path: str, st: os.stat_result) -> None:
    """Refuse a secrets file that group or others can read or write."""
    if os.name == "nt" or not stat.S_ISREG(st.st_mode):
        return  # POSIX modes mean nothing on Windows; ACLs are the user's business there
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise SecretsError(
            f"the secrets file {path} is readable by group or others (mode {mode:04o}): "
            f"run `chmod 600 {path}` and try again"
        )


def _parse(path: str, raw: bytes) -> dict[Any, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SecretsError(f"the secrets file {path} is not UTF-8") from None
    except MarkedYAMLError as err:
        # `from None` and no str(err): ruamel's message quotes the line, i.e. maybe a password.
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        raise SecretsError(f"{where}: YAML syntax error in the secrets file") from None
    except YAMLError:
        raise SecretsError(f"{path}: YAML error in the secrets file") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SecretsError(f"{path}: must be a mapping `name: {{username, password}}`")
    return data


def _credential(path: str, base: str, name: str, entry: Any) -> Credential:
    if not isinstance(entry, dict):
        raise SecretsError(f"{path}: `{name}` must be a mapping with username and password")
    unknown = [str(k) for k in entry if k not in _FIELDS]
    if unknown:
        raise SecretsError(
            f"{path}: `{name}` has unknown keys {', '.join(unknown)} (allowed: {', '.join(_FIELDS)})"
        )
    for key in _FIELDS:
        if key in entry and not isinstance(entry[key], str):
            # Never print the value: an unquoted 123456 is exactly the password we must hide.
            raise SecretsError(f"{path}: `{name}.{key}` must be a quoted string")
    if "username" not in entry:
        raise SecretsError(f"{path}: `{name}` lacks a username")
    password = entry.get("password")
    register_secret(password)
    key_file = entry.get("key_file")
    if key_file:
        key_file = os.path.normpath(os.path.join(base, os.path.expanduser(key_file)))
    return Credential(
        name=name,
        username=entry["username"],
        password=Secret(password) if password is not None else None,
        key_file=key_file,
    )


def set_credential(path: str, name: str, username: str, password: str | Secret) -> None:
    """Add or replace credential ``name`` atomically, keeping comments; the file ends up 0600.

    Used by onboarding and password rotation. Creates the file (and a 0700 parent) if needed.
    """
    from ruamel.yaml import YAML

    from fleetctl.core.atomicfile import atomic_write, locked_dir

    value = password.reveal() if isinstance(password, Secret) else password
    register_secret(value)
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    yaml = YAML(typ="rt")
    with locked_dir(os.path.dirname(path)):
        try:
            with open(path, "rb") as fh:
                check_private(path, os.fstat(fh.fileno()))
                data = yaml.load(fh.read().decode("utf-8-sig")) or {}
        except FileNotFoundError:
            data = {}
        if not isinstance(data, dict):
            raise SecretsError(f"{path}: must be a mapping `name: {{username, password}}`")
        entry = data.get(name)
        if not isinstance(entry, dict):
            entry = {}
            data[name] = entry
        entry["username"] = username
        entry["password"] = value
        buf = io.StringIO()
        yaml.dump(data, buf)
        atomic_write(path, buf.getvalue().encode("utf-8"), mode=0o600)


def _edit_entry(path: str, name: str, mutate: Callable[[dict[str, Any]], bool]) -> bool:
    """Load, let ``mutate`` change entry ``name`` (it returns whether it did), write atomically."""
    from ruamel.yaml import YAML

    from fleetctl.core.atomicfile import atomic_write, locked_dir

    path = os.path.abspath(path)
    yaml = YAML(typ="rt")
    with locked_dir(os.path.dirname(path)):
        with open(path, "rb") as fh:
            check_private(path, os.fstat(fh.fileno()))
            data = yaml.load(fh.read().decode("utf-8-sig")) or {}
        entry = data.get(name) if isinstance(data, dict) else None
        if not isinstance(entry, dict):
            raise SecretsError(f"{path}: no credential `{name}` to rotate")
        if not mutate(entry):
            return False
        buf = io.StringIO()
        yaml.dump(data, buf)
        atomic_write(path, buf.getvalue().encode("utf-8"), mode=0o600)
    return True


def set_pending_password(path: str, name: str, password: Secret, rotation: str) -> None:
    """Store ``next_password``/``rotation`` beside credential ``name`` (atomic, 0600).

    Refuses to replace a different pending password: cameras may already have it.
    """
    register_secret(password.reveal())

    def mutate(entry: dict[str, Any]) -> bool:
        if entry.get("next_password") is not None and entry.get("rotation") != rotation:
            raise SecretsError(f"{path}: `{name}` already has a rotation under way")
        entry["next_password"] = password.reveal()
        entry["rotation"] = rotation
        return True

    _edit_entry(path, name, mutate)


def promote_pending_password(path: str, name: str, rotation: str) -> bool:
    """``password`` = ``next_password``, pending keys dropped (atomic). False when rotation
    ``rotation`` is not pending (already promoted: a rerun after a kill is a no-op)."""

    def mutate(entry: dict[str, Any]) -> bool:
        if entry.get("rotation") != rotation or entry.get("next_password") is None:
            return False
        entry["password"] = entry.pop("next_password")
        del entry["rotation"]
        return True

    return _edit_entry(path, name, mutate)
