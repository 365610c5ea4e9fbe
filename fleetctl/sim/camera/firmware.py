"""Firmware images and upgrades on simulated cameras.

Real images are vendor-signed blobs (Hikvision ``digicap.dav``, Dahua ``.bin``) that fleetctl
never opens: it checks their SHA-256 against the profile and uploads them. A simulated camera
needs to know what an image would install, so simulator images carry a small text head:

    FLEETCTL-SIM-FIRMWARE 1
    vendor: hikvision
    models: DS-2CD2143G2-I DS-2CD2043G2-IU
    version: V5.7.15 build 230308
    <blank line, then any payload>

An image for another vendor or model is refused (HTTP 400, as cameras refuse a wrong file) and
the camera keeps running. Accepted, the camera reboots and comes back on the new version, unless
``SimCamera.upgrade_fault`` says otherwise: ``rollback`` comes back on the old version (a failed
flash), ``bricked`` never comes back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fleetctl.sim.camera.model import SimCamera

MAGIC = b"FLEETCTL-SIM-FIRMWARE 1\n"


def make_image(
    vendor: str, models: list[str], version: str, payload: bytes = b"\0" * 4096
) -> bytes:
    head = f"vendor: {vendor}\nmodels: {' '.join(models)}\nversion: {version}\n\n"
    return MAGIC + head.encode() + payload


@dataclass(frozen=True)
class Image:
    vendor: str
    models: tuple[str, ...]
    version: str


def read_image(data: bytes) -> Image | None:
    if not data.startswith(MAGIC):
        return None
    head, sep, _ = data[len(MAGIC) :].partition(b"\n\n")
    if not sep:
        return None
    fields = {}
    for line in head.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    if not fields.get("vendor") or not fields.get("version"):
        return None
    return Image(
        fields["vendor"].lower(), tuple(fields.get("models", "").split()), fields["version"]
    )


def start_upload(cam: SimCamera) -> str:
    """A one-time upload path for this camera (what StartFirmwareUpgrade hands out)."""
    cam.upload_token = secrets.token_hex(8)
    return f"/upload/firmware/{cam.upload_token}"


def accept(cam: SimCamera, token: str, data: bytes) -> tuple[int, str]:
    """(HTTP status, text) of an image upload; on 200 the new version is pending a reboot."""
    if cam.upload_token is None or not secrets.compare_digest(token, cam.upload_token):
        return 403, "no upgrade was started (StartFirmwareUpgrade first)"
    cam.upload_token = None
    image = read_image(data)
    if image is None:
        return 400, "not a firmware image for this device"
    if image.vendor != cam.vendor.value or (image.models and cam.model not in image.models):
        return 400, f"firmware is not for this model ({cam.model})"
    cam.pending_firmware = image.version
    cam.counters.upgrades += 1
    return 200, "upgrading; the device restarts"


def after_reboot(cam: SimCamera) -> None:
    """What the camera runs when it comes back from an upgrade's reboot."""
    if cam.pending_firmware is not None and cam.upgrade_fault != "rollback":
        cam.firmware = cam.pending_firmware
    cam.pending_firmware = None
