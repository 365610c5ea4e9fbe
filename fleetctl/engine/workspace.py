"""A loaded inventory plus its secrets: what every command that talks to cameras starts from.

Front-ends may not import adapters (import-linter), so they reach the secrets store through
here: ``load_workspace(inventory_path, secrets_path)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from fleetctl.adapters.secrets import SecretStore, load_secrets
from fleetctl.base.i18n import _
from fleetctl.base.logsafe import register_secret
from fleetctl.core.errors import InventoryIssue, SecretsError
from fleetctl.core.inventory.load import load_inventory
from fleetctl.core.models import Camera, Credential, Inventory
from fleetctl.engine.push.journal import Journal, default_path
from fleetctl.engine.push.pending import verified_credentials


@dataclass(frozen=True)
class Workspace:
    inventory: Inventory
    secrets: SecretStore
    # Camera name -> the credential it is known to have right now, when that differs from the
    # secrets file's ``password``: cameras already on a pending rotation's new password
    # (engine/push/rotate.py fills this from the push journal).
    overrides: Mapping[str, Credential] = field(default_factory=dict)

    @property
    def known_hosts_path(self) -> str | None:
        """The recorders' SSH host keys: the inventory's ``known_hosts:``, else None (the
        per-user default of the SSH adapter)."""
        return self.inventory.known_hosts_path

    def credential_for(self, camera: Camera) -> Credential | None:
        """The camera's ONVIF/RTSP credential, or None if it names none.

        An entry of ``overrides`` wins over everything (a rotation under way).

        Inline ``username``/``password`` win over ``credentials:``; an inline password without
        an inline username takes the named credential's username. SecretsError when a named
        credential is missing: a configuration error of the whole run, not a camera fault.
        """
        if camera.name in self.overrides:
            return self.overrides[camera.name]
        named = self.secrets.get(camera.credentials) if camera.credentials else None
        if camera.username is None and camera.password is None:
            return named
        username = camera.username or (named.username if named else None)
        if username is None:
            raise SecretsError(f"camera `{camera.name}` has an inline password but no username")
        return Credential("inline", username, camera.password)

    def staged_credential(self, camera: Camera, tried: Credential | None) -> Credential | None:
        """During a password rotation, the staged new password of the camera's credential.

        The secrets file carries it (``next_password``/``rotation``) from before the first camera
        is changed. A reader of another journal file than the push's (``push --journal``,
        another user, a service with its own state directory) does not know which cameras have
        it: after an auth failure, the camera is tried with it once. None when the camera names
        no credential under rotation, or ``tried`` was already the staged password.
        """
        name = camera.credentials
        if not name or camera.username is not None or camera.password is not None:
            return None
        pending = self.secrets.pending.get(name)
        base = self.secrets.credentials.get(name)
        if pending is None or base is None:
            return None
        staged = pending.password.reveal()
        if tried is not None and tried.password is not None and tried.password.reveal() == staged:
            return None
        return Credential(name, base.username, pending.password, base.key_file)

    def ssh_credential_for(self, camera: Camera) -> Credential | None:
        """The recorder's SSH credential (None when the camera has no ``ssh:``).

        ``ssh.username``/``password``/``key_file`` inline win, then ``ssh.credentials``, then
        the camera's own credential (many recorders share one account for web and SSH).
        """
        spec = camera.ssh
        if spec is None:
            return None
        named = (
            self.secrets.get(spec.credentials) if spec.credentials else self.credential_for(camera)
        )
        if spec.username is None and spec.password is None and spec.key_file is None:
            return named
        username = spec.username or (named.username if named else None)
        if username is None:
            raise SecretsError(f"camera `{camera.name}`: ssh has no username")
        return Credential(
            "inline",
            username,
            spec.password if spec.password is not None else (named.password if named else None),
            spec.key_file or (named.key_file if named else None),
        )

    def missing_credentials(self, cameras: Iterable[Camera] | None = None) -> dict[str, list[str]]:
        """Credential name -> cameras naming it, for names the secrets store lacks."""
        missing: dict[str, list[str]] = {}
        for cam in self.inventory.cameras if cameras is None else cameras:
            names = [cam.credentials, cam.ssh.credentials if cam.ssh else None]
            for name in names:
                if name and name not in self.secrets.credentials:
                    missing.setdefault(name, []).append(cam.name)
        return missing

    def require_credentials(self, cameras: Iterable[Camera] | None = None) -> None:
        """Raise one SecretsError naming every missing credential (call before fanning out)."""
        missing = self.missing_credentials(cameras)
        if not missing:
            return
        first = next(iter(missing))
        try:
            self.secrets.get(first)
        except SecretsError as err:
            others = [f"`{n}`" for n in missing if n != first]
            more = f" (also missing: {', '.join(others)})" if others else ""
            raise SecretsError(f"{err}{more}") from None


def load_workspace(inventory_path: str, secrets_path: str | None = None) -> Workspace:
    """Load and validate the inventory (InventoryError), then its secrets store (SecretsError).

    ``secrets_path`` is ``--secrets``; without it $FLEETCTL_SECRETS, the inventory's ``secrets:``
    and the user config dir are tried in that order.
    """
    inventory = load_inventory(inventory_path)
    for cam in inventory.cameras:  # inline passwords are masked in logs like stored ones
        for secret in (cam.password, cam.ssh.password if cam.ssh else None):
            if secret is not None:
                register_secret(secret.reveal())
    workspace = Workspace(inventory, load_secrets(secrets_path, inventory.secrets_path))
    if workspace.secrets.pending:
        workspace = _with_rotations(workspace)
    return workspace


def _with_rotations(workspace: Workspace) -> Workspace:
    """During a password rotation, cameras the push journal verified on the new password use it.

    Otherwise `check`, the TUI and `serve` would log into rotated cameras with the old password
    and report them as auth failures (and spend their lockout budget) until promotion.
    """
    path = default_path()
    if not os.path.exists(path):
        return workspace
    journal = Journal(path)
    try:
        return from_journal(workspace, journal)
    finally:
        journal.close()


def from_journal(workspace: Workspace, journal: Journal) -> Workspace:
    """``workspace`` with each camera the journal knows is on a pending new password overridden.

    No network: cameras in doubt keep the old password here (``rotate.reconcile`` asks them).
    Any command that reads the push journal can use this while a rotation is pending.
    """
    verified = verified_credentials(workspace.inventory, workspace.secrets, journal)
    return replace(workspace, overrides={**workspace.overrides, **verified})


@dataclass(frozen=True)
class CredentialSource:
    """Where a camera's ``credentials:`` reference leads (``inventory show``); never a password.

    ``username`` is None when the reference does not resolve; ``problem`` then says why.
    """

    name: str
    file: str
    username: str | None
    has_password: bool
    problem: str | None = None


def credential_source(
    inventory: Inventory, camera: Camera, secrets_path: str | None = None
) -> CredentialSource | None:
    """The camera's named credential as the secrets store resolves it (None: it names none)."""
    name = camera.credentials
    if not name:
        return None
    try:
        store = load_secrets(secrets_path, inventory.secrets_path)
    except SecretsError as err:  # unreadable or unsafe: say so, as every command would
        return CredentialSource(name, secrets_path or "", None, False, str(err))
    cred = store.credentials.get(name)
    if cred is not None:
        return CredentialSource(name, store.path, cred.username, cred.password is not None)
    if not store.exists:
        problem = _("the secrets file {file} does not exist").format(file=store.path)
    else:
        problem = _("credential `{name}` is not in {file}").format(name=name, file=store.path)
    return CredentialSource(name, store.path, None, False, problem)


def credential_issues(
    inventory: Inventory, secrets_path: str | None = None
) -> list[InventoryIssue]:
    """Warnings for ``inventory lint``: credential names the secrets store cannot resolve.

    Warnings, not errors: lint may run where the secrets are not (a technician's laptop, CI),
    and nothing at all when the secrets file does not exist there.
    """
    try:
        ws = Workspace(inventory, load_secrets(secrets_path, inventory.secrets_path))
    except SecretsError as err:
        return [
            InventoryIssue(
                inventory.files[0] if inventory.files else "", None, "secrets", str(err), "warning"
            )
        ]
    issues: list[InventoryIssue] = []
    if not ws.secrets.exists:
        return issues
    for name, cameras in ws.missing_credentials().items():
        cam = inventory.camera(cameras[0])
        source = cam.source if cam else None
        issues.append(
            InventoryIssue(
                source.file if source else "",
                source.line if source else None,
                f"credentials: {name}",
                f"not in the secrets file {ws.secrets.path} ({len(cameras)} camera{'s' if len(cameras) != 1 else ''})",
                "warning",
            )
        )
    return issues
