"""Write a SimFleet's inventory (docs/inventory.md) and, beside it, its secrets file (0600).

The inventory names the secrets file relatively (``secrets: sim-secrets.yaml``), so the pair can
be moved together; ``fleetctl check -i sim.yaml`` then needs nothing else. Recorders carry
``ssh: {port, credentials}``. Offline cameras are listed like any other: the inventory describes
the fleet as installed, not as it answers today.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.sites import GROUP, kind, slug

CREDENTIAL = "sim"  # the secrets entry every simulated camera's fleet account is stored under
SITE_TZ = "Asia/Ho_Chi_Minh"  # every simulated site is a Vietnamese commune or ward


class FleetLayout(Protocol):
    """What an inventory is written from: ``sim.fleet.SimFleet`` (which calls this module)."""

    @property
    def seed(self) -> int: ...
    @property
    def cameras(self) -> Sequence[SimCamera]: ...
    @property
    def sites(self) -> Sequence[tuple[str, str]]: ...
    @property
    def credentials(self) -> tuple[str, str]: ...
    def tags(self, cam: SimCamera) -> list[str]: ...
    def location(self, cam: SimCamera) -> str: ...
    def ssh_host_key(self) -> str | None: ...


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def build(fleet: FleetLayout, secrets_name: str, known_hosts: str | None = None) -> CommentedMap:
    """The inventory document for ``fleet`` (ruamel types, so key order and flow lists stay)."""
    doc = CommentedMap()
    doc["defaults"] = CommentedMap(
        credentials=CREDENTIAL, port=fleet.cameras[0].onvif_port if fleet.cameras else 8080
    )
    doc["secrets"] = secrets_name
    if known_hosts is not None:  # the recorders' SSH keys, pre-seeded: no trust on first use
        doc["known_hosts"] = known_hosts
    sites = CommentedMap()
    for name, _code in fleet.sites:
        members = [c for c in fleet.cameras if c.site == slug(name)]
        if not members:
            continue
        site = CommentedMap()
        site["location"] = f"{kind(name)} {name}"  # "Xã Đông Tiến": a commune or a ward
        if name in GROUP:
            site["group"] = GROUP[name]  # the old district: a grouping, not a site
        site["tz"] = SITE_TZ  # footage times written without a zone are local time here
        plain = [c for c in members if not c.is_recorder]
        ranges = []
        if plain:
            ranges.append(f"{plain[0].host}-{plain[-1].host}")
        ranges += [c.host for c in members if c.is_recorder]
        site["ranges"] = _flow(ranges)
        cams = CommentedSeq()
        for cam in members:
            if cam.fresh:
                continue  # not onboarded yet: its site's range covers it, the list does not
            entry = CommentedMap()
            entry["name"] = cam.name
            entry["host"] = cam.host
            if cam.onvif_port != doc["defaults"]["port"]:
                entry["port"] = cam.onvif_port
            entry["tags"] = _flow(fleet.tags(cam))
            entry["location"] = fleet.location(cam)
            if cam.is_recorder:
                entry["ssh"] = CommentedMap(port=cam.ssh_port, credentials=CREDENTIAL)
            cams.append(entry)
        site["cameras"] = cams
        sites[slug(name)] = site
    doc["sites"] = sites
    return doc


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    yaml.allow_unicode = True  # Vietnamese place names stay readable
    return yaml


def dump(doc: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def write_inventory(fleet: FleetLayout, path: Path) -> tuple[Path, Path]:
    """Write ``path`` and ``<stem>-secrets.yaml`` beside it. Returns (inventory, secrets)."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    secrets = path.with_name(f"{path.stem}-secrets.yaml")
    header = (
        f"# A simulated fleet written by `fleetctl sim` (seed {fleet.seed}, "
        f"{len(fleet.cameras)} devices{_span(fleet)}).\n"
        "# Loopback addresses only: it exists while that command runs.\n"
    )
    user, password = fleet.credentials
    creds = CommentedMap()
    creds[CREDENTIAL] = CommentedMap(username=user, password=password)
    # Secrets first: whoever waits for the inventory to appear (fleetctl demo) finds both.
    _write(
        secrets, "# fleetctl secrets for the simulated fleet: keep it 0600.\n" + dump(creds), 0o600
    )
    known: str | None = None
    key = fleet.ssh_host_key()
    if key is not None:
        lines = [
            f"{c.host if c.ssh_port == 22 else f'[{c.host}]:{c.ssh_port}'} {key}\n"
            for c in fleet.cameras
            if c.is_recorder
        ]
        known_path = path.with_name(f"{path.stem}-known_hosts")
        _write(known_path, "".join(lines), 0o600)
        known = known_path.name
    _write(path, header + dump(build(fleet, secrets.name, known)), 0o644)
    return path, secrets


def _span(fleet: FleetLayout) -> str:
    if not fleet.cameras:
        return ""
    return f" on {fleet.cameras[0].host} .. {fleet.cameras[-1].host}"


def _write(path: Path, text: str, mode: int) -> None:
    """Atomic replace; the mode is set before any byte is written (no window for a secret)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # umask may have narrowed it; never widened for secrets
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
