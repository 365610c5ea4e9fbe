"""What a camera's check remembers from earlier checks, and what it leaves for later ones.

The history store keeps (subject, key) -> value facts (``HistoryStore.recall``); a check reads
them through ``CheckOptions.recall`` and hands new ones back in ``CameraReport.learned``.
Subjects are a camera (``cam:NAME``) or a model and firmware
(``model:MANUFACTURER|MODEL|FIRMWARE``): what one camera of a model lacks, its siblings on the
same firmware lack too.

Keys: ``device`` (a camera's model subject), ``stream_uri`` (the main stream of its last good
check, without userinfo), ``unsupported`` (ONVIF calls left out, comma-separated).
"""

from __future__ import annotations

from collections.abc import Mapping

from fleetctl.core.models import DeviceInfo

# Vendors' well-known main-stream paths on the RTSP default port: where to look for the video
# when the web service cannot say (a hung web server) and no earlier check found the address.
WELL_KNOWN_PATHS = {
    "hikvision": "/Streaming/Channels/101",
    "dahua": "/cam/realmonitor?channel=1&subtype=0",
    "axis": "/axis-media/media.amp",
}
RTSP_DEFAULT_PORT = 554


def cam_subject(name: str) -> str:
    return f"cam:{name}"


def model_subject(device: DeviceInfo | None) -> str | None:
    """The model-and-firmware subject of ``device``; None while any part is unknown."""
    if device is None or not (device.manufacturer and device.model and device.firmware):
        return None
    parts = (device.manufacturer.strip(), device.model.strip(), device.firmware.strip())
    return "model:" + "|".join(p.replace("|", "/")[:80] for p in parts)


class Memory:
    """One camera's view of the recalled facts, and the facts it learns (``learned``)."""

    def __init__(self, name: str, recall: Mapping[str, Mapping[str, str]]) -> None:
        self.subject = cam_subject(name)
        self._recall = recall
        self._mine: Mapping[str, str] = recall.get(self.subject, {})
        self.learned: list[tuple[str, str, str]] = []

    def get(self, key: str) -> str | None:
        return self._mine.get(key)

    def model(self) -> str | None:
        return self._mine.get("device")

    def unsupported(self) -> frozenset[str]:
        """ONVIF calls known to be missing: from the camera's model and firmware when known,
        else from the camera itself (a camera that will not say its model)."""
        model = self.model()
        raw = self._recall.get(model, {}).get("unsupported") if model else None
        if raw is None:
            raw = self._mine.get("unsupported")
        return frozenset(op for op in (raw or "").split(",") if op)

    def manufacturer(self) -> str | None:
        model = self.model()
        return model[len("model:") :].split("|", 1)[0] if model else None

    def learn(self, key: str, value: str, subject: str | None = None) -> None:
        self.learned.append((subject or self.subject, key, value))


def well_known_uri(host: str, manufacturer: str | None) -> str | None:
    """The vendor's default main-stream URI on ``host``, or None for a vendor we do not know."""
    path = WELL_KNOWN_PATHS.get((manufacturer or "").strip().lower())
    if path is None:
        return None
    netloc = f"[{host}]" if ":" in host else host
    return f"rtsp://{netloc}:{RTSP_DEFAULT_PORT}{path}"
