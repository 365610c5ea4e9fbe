"""Rotations under way, read without the network: the secrets file's pending entries and the
cameras the push journal shows already on the new password.

Below ``rotate`` (which runs the rotation) and ``engine.workspace`` (which applies what this
module reads to every command's credentials), so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetctl.adapters.secrets import SecretStore
from fleetctl.core.models import Camera, Credential, Inventory
from fleetctl.core.secret import Secret
from fleetctl.engine.push.journal import Journal


@dataclass(frozen=True)
class Rotation:
    name: str  # the credential's name in the secrets file
    username: str
    old: Secret
    new: Secret
    rotation: str  # random id, not secret

    @property
    def setting(self) -> str:
        return f"password:{self.name}"

    @property
    def marker(self) -> str:
        return f"rotation:{self.rotation}"

    def credential(self, *, new: bool) -> Credential:
        return Credential(self.name, self.username, self.new if new else self.old)


def cameras_of(inventory: Inventory, name: str) -> list[Camera]:
    """Inventory cameras whose ONVIF login is credential ``name`` (inline passwords excluded)."""
    return [
        c
        for c in inventory.cameras
        if c.credentials == name and c.username is None and c.password is None
    ]


def pending_rotations(secrets: SecretStore) -> dict[str, Rotation]:
    """Rotations under way, from the secrets file's pending entries."""
    out = {}
    for name, p in secrets.pending.items():
        cred = secrets.credentials[name]
        if cred.password is not None:
            out[name] = Rotation(name, cred.username, cred.password, p.password, p.rotation)
    return out


def verified_credentials(
    inventory: Inventory, secrets: SecretStore, journal: Journal
) -> dict[str, Credential]:
    """Camera -> the new credential, for each camera the journal shows verified on it."""
    out: dict[str, Credential] = {}
    for rot in pending_rotations(secrets).values():
        states = journal.latest_states(rot.setting, rot.marker)
        for cam in cameras_of(inventory, rot.name):
            if states.get(cam.name) == "verified":
                out[cam.name] = rot.credential(new=True)
    return out
